"""The kept Bluesky sessions in the bot's database: one row per service and account (a SessionKeeper).

Every dyno and every working folder that shares a DATABASE_URL shares the session, so a restart or a second
process does not sign in again (Bluesky limits sign-ins). The session text holds tokens: it is never logged, and a
database failure while keeping or reading it is one warning naming the failure, never the text; the next run then
signs in again.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from bot.core.errors import StoreError
from bot.state.database import guard as _guard

if TYPE_CHECKING:  # the store hands itself in (Store.kept_sessions); importing it here would be a cycle
    from bot.state.store import Store

log = logging.getLogger(__name__)


class KeptSessions:
    """load/save/forget a session by (service, account), in the store's bluesky_sessions table."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def load(self, service: str, account: str) -> str | None:
        """The session text kept for this service and account, or None (also when the database cannot be read)."""
        try:
            rows = self._load(service, account)
        except StoreError as exc:
            log.warning("cannot read the session kept for %s (%s); signing in again", service, exc.message)
            return None
        return str(rows[0]["session"]) if rows else None

    def save(self, service: str, account: str, session: str) -> None:
        """Keep `session` for this service and account (an upsert); a failure is a warning."""
        try:
            self._save(service, account, session)
        except StoreError as exc:
            log.warning("cannot keep the session for %s (%s); the next run signs in again", service, exc.message)

    def forget(self, service: str, account: str) -> None:
        """Drop the session kept for this service and account; a failure is a warning."""
        try:
            self._forget(service, account)
        except StoreError as exc:
            log.warning("cannot drop the session kept for %s (%s)", service, exc.message)

    @_guard
    def _load(self, service: str, account: str) -> list[dict[str, object]]:
        rows = self.store._run("SELECT session FROM bluesky_sessions WHERE service = :s AND account = :a",
                               s=service, a=account)
        return [dict(row) for row in rows]

    @_guard
    def _save(self, service: str, account: str, session: str) -> None:
        self.store._exec("""INSERT INTO bluesky_sessions (service, account, session, updated_at) VALUES (:s, :a, :t, :n)
                            ON CONFLICT (service, account) DO UPDATE SET session = excluded.session,
                            updated_at = excluded.updated_at""", s=service, a=account, t=session, n=time.time())

    @_guard
    def _forget(self, service: str, account: str) -> None:
        self.store._exec("DELETE FROM bluesky_sessions WHERE service = :s AND account = :a", s=service, a=account)
