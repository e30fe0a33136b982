"""The review page's signed-in sessions, kept in the store so that signing out ends a session on the server.

The session cookie (signed with a key derived from BOT_WEB_TOKEN) carries a random id; the store keeps only its
SHA-256 and expiry. A cookie copied before `POST /logout` is worthless after it, on every dyno and after a restart.
"""

from __future__ import annotations

import hashlib
import secrets

from bot.state.database import guard as _guard
from bot.state.store import Store


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class Sessions:
    """Start, check and end sign-in sessions."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @_guard
    def start(self, now: float, lifetime: float) -> str:
        """A new session good for `lifetime` seconds; its id (for the cookie). Expired sessions are dropped."""
        session_id = secrets.token_urlsafe(32)
        self.store._exec("DELETE FROM web_sessions WHERE expires_at <= :n", n=now)
        self.store._exec("INSERT INTO web_sessions (id, created_at, expires_at) VALUES (:i, :n, :e)",
                         i=_key(session_id), n=now, e=now + lifetime)
        return session_id

    @_guard
    def live(self, session_id: str, now: float) -> bool:
        """Whether the session was started here, has not ended and has not expired."""
        rows = self.store._run("SELECT 1 AS ok FROM web_sessions WHERE id = :i AND expires_at > :n",
                               i=_key(session_id), n=now)
        return bool(rows)

    @_guard
    def end(self, session_id: str) -> None:
        """End the session (signing out): its cookie no longer signs anyone in."""
        self.store._exec("DELETE FROM web_sessions WHERE id = :i", i=_key(session_id))
