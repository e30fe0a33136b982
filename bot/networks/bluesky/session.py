"""The kept Bluesky sessions: one per service and account, kept with the bot's other state.

Where a store is wired (`bot post`, `bot run`, the review page, `bot check` once a database exists) the sessions
are rows of the bot's database (bot/state/kept_sessions.py, behind the SessionKeeper protocol of networks/base.py), so dynos and
working folders that share a DATABASE_URL share one session and nothing lands on a dyno's wiped disk. SessionFile
is the keeper used when no store is wired (`bot check` before the first `bot post`; with a PostgreSQL
DATABASE_URL not yet migrated nothing is kept, never a file in the working folder); a session file from before
the database kept them is not read: the first run with the database signs in once more.

A session belongs to the PDS that issued it and to one account. Kept under a single name it was once reused for
whatever BLUESKY_HANDLE said next (`bot check` named the old account, and posts went to it), and it lived in the
folder the command ran from. Here each is kept under "service identifier", is handed out only for that pair, and
the file sits with the bot's other state: a relative bluesky.session_file is taken from the SQLite database's
folder (store.sqlite_path, or a sqlite:/// DATABASE_URL), not from the working folder. The file holds tokens: it
is written owner-only (0600), through a temporary file and a rename, and never logged.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from bot.core.settings import Settings
from bot.networks.base import SessionKeeper

__all__ = ["SessionFile", "SessionKeeper", "belongs", "key", "session_path", "state_folder"]

log = logging.getLogger(__name__)


def state_folder(settings: Settings) -> Path:
    """The folder of the bot's SQLite database (where its other state lives), as the store itself opens it."""
    url = settings.secrets.get("DATABASE_URL")
    database = settings.store.sqlite_path
    if url.startswith("sqlite:"):
        from sqlalchemy.engine import make_url

        try:
            database = make_url(url).database or database
        except Exception:  # the store reports a bad URL; the sessions fall back to store.sqlite_path's folder
            pass
    if database in ("", ":memory:") or database.startswith("file:"):
        return Path.cwd()
    return Path(database).expanduser().absolute().parent


def session_path(settings: Settings) -> Path | None:
    """Where the sessions are kept (None: bluesky.session_file is empty, nothing kept)."""
    name = settings.bluesky.session_file
    if not name:
        return None
    path = Path(name).expanduser()
    return path if path.is_absolute() else state_folder(settings) / path


def key(service: str, identifier: str) -> str:
    """The name a session is kept under: the service's URL and the configured identifier, as the user wrote them."""
    return f"{service.rstrip('/').lower()} {identifier.lstrip('@').lower()}"


def belongs(identifier: str, did: str, handle: str, email: str = "") -> bool:
    """True when a session of (did, handle, email) is the account `identifier` (a handle, DID or e-mail) names."""
    wanted = identifier.lstrip("@").lower()
    return wanted in {did.lower(), handle.lower(), email.lower()} - {""}


class SessionFile:
    """The sessions kept in one file: read, replace one, drop one. A file that cannot be read counts as empty.
    As a SessionKeeper, the session text is the JSON of the entry ({"session", "did", "handle", "email"})."""

    def load(self, service: str, account: str) -> str | None:
        found = self.get(key(service, account))
        return json.dumps(found) if found else None

    def save(self, service: str, account: str, session: str) -> None:
        self.put(key(service, account), dict(json.loads(session)))

    def forget(self, service: str, account: str) -> None:
        self.put(key(service, account), None)

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def _all(self) -> dict[str, object]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # missing, unreadable, or the old single-session format: none kept
            return {}
        sessions = data.get("sessions") if isinstance(data, dict) else None
        return sessions if isinstance(sessions, dict) else {}

    def get(self, name: str) -> dict[str, str]:
        """The session kept under `name` ({"session", "did", "handle"}), or {} when none."""
        found = self._all().get(name)
        if not isinstance(found, dict) or not isinstance(found.get("session"), str):
            return {}
        return {k: str(v) for k, v in found.items()}

    def put(self, name: str, entry: dict[str, str] | None) -> None:
        """Keep `entry` under `name` (None: forget it); a failure to write is a warning, the next run signs in."""
        if self.path is None:
            return
        sessions = self._all()
        if entry is None:
            if sessions.pop(name, None) is None:
                return
        else:
            sessions[name] = entry
        tmp = ""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")  # created 0600
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"sessions": sessions}, out)
            os.replace(tmp, self.path)
        except OSError as exc:
            if tmp:
                Path(tmp).unlink(missing_ok=True)
            log.warning("cannot keep the Bluesky session in %s (%s); the next run signs in again",
                        self.path, exc.strerror or exc)
