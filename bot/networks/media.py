"""Shares: an image at a public, unguessable, expiring address, for a network that fetches it itself.

Threads takes no image bytes: Meta fetches an IMAGE container's picture from `image_url` (its publishing reference,
developers.facebook.com/documentation/threads/reference/publishing, and fbsamples/threads_api's createContainer).
With web.public_url set, the publisher shares the entry's image here and passes
`<web.public_url>/media/<token>`; the review page's server answers that path with the file, with no session (Meta
signs in to nothing), until the share expires, and 404 for anything else.

A token is 32 random bytes (`secrets.token_urlsafe`, 43 characters). What is kept is a file per share in
SHARES_DIR beside the SQLite database (as the tokens' files are), named by the token's SHA-256, so neither a
listing of the folder nor a copy of it gives an address away, and a token never becomes part of a path: one that
is not 43 URL-safe characters is refused before anything is read. A share holds a copy of the image's bytes,
taken when it is shared (`<sha256>.bin` beside the record), so what is served is exactly what was shared, whatever
is written to the publisher's path later; a symlink is never shared nor followed, and a share whose image has gone or become a symlink answers 404.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import re
import secrets
from pathlib import Path

from bot.core.settings import Settings

SHARES_DIR = "media-shares"
LIFETIME = 30 * 60.0  # seconds a share answers: Meta fetches while it makes the container (minutes at most)
ROUTE = "/media/"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
_IMAGES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})


def shares_dir(settings: Settings) -> Path:
    """The folder of shares: beside the SQLite database (the working folder for PostgreSQL or :memory:)."""
    database = str(settings.store.sqlite_path)
    folder = Path(database).expanduser().absolute().parent if database not in ("", ":memory:") else Path.cwd()
    return folder / SHARES_DIR


def _file(folder: Path, token: str) -> Path:
    return folder / (hashlib.sha256(token.encode()).hexdigest() + ".json")


def _copy(folder: Path, token: str) -> Path:
    return folder / (hashlib.sha256(token.encode()).hexdigest() + ".bin")


def _read_plain(path: Path) -> bytes | None:
    """The bytes of `path` when it is a regular file and not a symlink; None otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)  # POSIX: the bot runs on Linux
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not os.path.isfile(path) or os.path.islink(path):
            return None
        return handle.read()


def share(settings: Settings, image: Path, now: float, lifetime: float = LIFETIME) -> str:
    """The public address of `image` for `lifetime` seconds from `now`: web.public_url/media/<token>; "" when
    there is no web.public_url or the file is not an image. Expired shares are swept on the way."""
    public = str(settings.web.public_url).strip().rstrip("/")
    mime = mimetypes.guess_type(image.name)[0] or ""
    if not public or mime not in _IMAGES or image.is_symlink() or not image.is_file():
        return ""
    data = _read_plain(image)
    if data is None:
        return ""
    folder = shares_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    sweep(folder, now)
    token = secrets.token_urlsafe(32)
    target = _file(folder, token)
    copy = _copy(folder, token)
    tmp = copy.with_name(f".{copy.name}.tmp")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as raw:
        raw.write(data)
    os.replace(tmp, copy)
    tmp = target.with_name(f".{target.name}.tmp")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        json.dump({"path": str(image.absolute()), "mime": mime, "expires": now + lifetime}, handle)
    os.replace(tmp, target)
    return f"{public}{ROUTE}{token}"


def lookup(settings: Settings, token: str, now: float) -> tuple[Path, str] | None:
    """(file, media type) a live share's token names; None for a malformed, unknown or expired token, or a file
    gone since (an expired share is removed)."""
    if not _TOKEN.fullmatch(token):
        return None
    folder = shares_dir(settings)
    record = _file(folder, token)
    try:
        kept = json.loads(record.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(kept, dict) or not isinstance(kept.get("expires"), (int, float)) or kept["expires"] <= now:
        record.unlink(missing_ok=True)
        _copy(folder, token).unlink(missing_ok=True)
        return None
    origin, path, mime = Path(str(kept.get("path", ""))), _copy(folder, token), str(kept.get("mime", ""))
    if origin.is_symlink() or not origin.is_file():  # the shared image gone or replaced by a link: nothing
        return None
    return (path, mime) if mime in _IMAGES and path.is_file() and not path.is_symlink() else None


def sweep(folder: Path, now: float) -> None:
    """Remove the shares that have expired."""
    for record in folder.glob("*.json"):
        try:
            expired = float(json.loads(record.read_text()).get("expires", 0)) <= now
        except (OSError, ValueError, AttributeError, TypeError):
            expired = True
        if expired:
            record.unlink(missing_ok=True)
            record.with_suffix(".bin").unlink(missing_ok=True)
