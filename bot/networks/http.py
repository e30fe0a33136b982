"""What the networks spoken to over plain `requests` (LinkedIn, Threads) share: a failed request turned into the
BotError that says whether anything can have reached the network.

The difference matters for exactly once: a request that never left (no connection, a malformed address) made
nothing, and is sent again safely (`NotSent`); one that left and got no answer (`NoAnswer`) may have made a post, which
is then looked for and never sent again unchecked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from bot.core.settings import Settings

import os
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.errors import BotError, ConfigError, NoAnswer, PublishError

if TYPE_CHECKING:
    import requests


class NotSent(PublishError):
    """The request never reached the network (no connection could be made): nothing was made; retried later."""


def transport_error(exc: requests.RequestException, service: str, what: str, base_env: str,
                    timeout: float) -> BotError:
    """The BotError for a request that got no HTTP answer from `service`."""
    import requests  # loaded already: a request was made
    from urllib3.exceptions import NewConnectionError

    if isinstance(exc, (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema,
                        requests.exceptions.InvalidURL)):
        return ConfigError(f"{base_env} is not a usable address ({exc})", f"set {base_env} to the API's https:// URL")
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, requests.exceptions.ConnectTimeout) or isinstance(reason, NewConnectionError):
        why = "timed out connecting" if isinstance(exc, requests.exceptions.ConnectTimeout) else "no connection"
        return NotSent(f"could not reach {service} while {what} ({why}): nothing was sent",
                       f"check {base_env} and the network; the entry is tried again later")
    if isinstance(exc, requests.Timeout):
        return NoAnswer(f"no answer from {service} while {what} (timed out after {timeout:.0f} s)",
                        "the bot looks for the post before it sends anything again")
    return NoAnswer(f"no answer from {service} while {what} ({type(exc).__name__})",
                    "the bot looks for the post before it sends anything again")


def header_token(env_name: str, value: str) -> None:
    """ConfigError when a token cannot go in an HTTP header: a character outside latin-1, or any whitespace or
    control character inside it (a pasted newline) — one line naming the variable, never the value."""
    token = value.strip()
    if not token:
        return
    try:
        token.encode("latin-1")
    except UnicodeEncodeError:
        raise ConfigError(f"{env_name} has a character that cannot be sent in an HTTP header (not latin-1)",
                          f"paste the token again into {env_name}: tokens are plain ASCII") from None
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in token):
        raise ConfigError(f"{env_name} has a space, newline or control character inside it",
                          f"paste the token again into {env_name}, on one line")


def writable_file(env_name: str, path: Path | None) -> None:
    """ConfigError when the bot could not keep a file at `path`: a folder there, or no writable folder for it."""
    if path is None:
        return
    if path.is_dir():
        raise ConfigError(f"{env_name} names a folder ({path}), not a file", f"set {env_name} to a file's path")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise ConfigError(f"{env_name} ({path}) cannot be written", f"make it writable or set {env_name} elsewhere")
        return
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK) or _virtual(folder):
        raise ConfigError(f"{env_name} ({path}) cannot be written: no writable folder for it",
                          f"set {env_name} to a file in a folder the bot may write")


def _virtual(folder: Path) -> bool:
    """A kernel file system (/proc, /sys) where even root creates nothing."""
    resolved = folder.resolve()
    return any(resolved == Path(p) or Path(p) in resolved.parents for p in ("/proc", "/sys"))


def beside_database(settings: Settings, name: str) -> Path | None:
    """A network's kept file (linkedin.token_file, threads.token_file): a relative name beside the SQLite database
    (the working folder for an in-memory one); None when the name is empty."""
    from pathlib import Path

    if not name:
        return None
    path = Path(name).expanduser()
    database = str(settings.store.sqlite_path)
    folder = Path(database).expanduser().absolute().parent if database not in ("", ":memory:") else Path.cwd()
    return path if path.is_absolute() else folder / path
