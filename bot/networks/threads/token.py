"""TokenKeeper: the Threads long-lived token, refreshed before it expires and kept in threads.token_file.

Meta's long-lived tokens last 60 days; one at least 24 hours old can be refreshed (GET /refresh_access_token,
grant_type th_refresh_token) for another 60 days, and one left unrefreshed 60 days is dead
(developers.facebook.com/docs/threads/get-started/long-lived-tokens). THREADS_ACCESS_TOKEN stays the user's; the
refreshed token is kept in a file (mode 0600) beside the database, tied to the environment's token by a hash so
that a new THREADS_ACCESS_TOKEN replaces it. A refresh is due when less than REFRESH_BEFORE is left, or, for a token
whose expiry is unknown, once a day until one succeeds (Meta refuses a token younger than 24 hours).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TypedDict

from bot.core.clock import Clock
from bot.core.errors import hide
from bot.core.settings import Settings
from bot.networks.http import beside_database

REFRESH_BEFORE = 30 * 86400.0  # refresh when a month or less is left: a daily bot refreshes about monthly
RETRY_AFTER = 86400.0  # a refused refresh (token too young) is tried again a day later


def token_path(settings: Settings) -> Path | None:
    """threads.token_file, a relative one beside the SQLite database; None when empty."""
    return beside_database(settings, str(settings.threads.token_file))


# threads.token_file: the refreshed token, for the THREADS_ACCESS_TOKEN whose hash is `for`
TokenState = TypedDict("TokenState", {"for": str, "token": str, "expires_at": float, "tried_at": float}, total=False)


class TokenKeeper:
    """The token to send and whether it should be refreshed now."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.given: str = settings.secrets.get("THREADS_ACCESS_TOKEN") or ""
        self.path = token_path(settings)
        self.clock = clock

    def _tag(self) -> str:
        return hashlib.sha256(self.given.encode()).hexdigest()[:16]

    def _state(self) -> TokenState:
        if self.path is None or not self.path.exists():
            return {}
        try:
            state: TokenState = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        if not isinstance(state, dict):
            return {}
        hide([str(state.get("token") or "")])  # a secret the moment it is read, whoever it was kept for
        return state if state.get("for") == self._tag() else {}

    def _save(self, state: TokenState) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump({"for": self._tag(), **state}, handle)
        os.replace(tmp, self.path)

    def token(self) -> str:
        """The refreshed token when one is kept for THREADS_ACCESS_TOKEN, else that token."""
        return str(self._state().get("token") or self.given)

    def expires_at(self) -> float:
        """When the token in use expires (epoch seconds), 0 when unknown."""
        return float(self._state().get("expires_at") or 0)

    def due(self) -> bool:
        """True when a refresh should be tried now."""
        if self.path is None or not self.given:
            return False
        state, now = self._state(), self.clock.time()
        if state.get("expires_at"):
            ending = float(state["expires_at"]) - now < REFRESH_BEFORE
            return ending and now - float(state.get("tried_at", 0)) >= RETRY_AFTER
        return now - float(state.get("tried_at", 0)) >= RETRY_AFTER

    def tried(self) -> None:
        """Remember a refused refresh, so it is tried again only a day later."""
        self._save({**self._state(), "tried_at": self.clock.time()})

    def refreshed(self, token: str, expires_in: int) -> None:
        """Keep a new token and its expiry."""
        if token:
            hide([token])  # a secret the moment it is received: redact() hides it from every output from now on
            now = self.clock.time()
            self._save({"token": token, "expires_at": now + expires_in if expires_in else 0, "tried_at": now})
