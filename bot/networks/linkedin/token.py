"""When the LinkedIn token ends, at the latest: LinkedIn's access tokens last 60 days and cannot be refreshed by a
self-hosted app (refresh tokens are for approved partners; the design notes), and without the app's client secret the bot
cannot ask when this one was issued. So the bot keeps, in linkedin.token_file, when it first used the token (by a
hash, never the token): the token was issued no later than that, so it ends no later than 60 days after it.
`bot check` warns from WARN_DAYS before that date.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from bot.core.settings import Settings
from bot.networks.http import beside_database

LIFETIME = 60 * 86400.0
WARN_DAYS = 14


def token_path(settings: Settings) -> Path | None:
    """linkedin.token_file, a relative one beside the SQLite database; None when empty."""
    return beside_database(settings, str(settings.linkedin.token_file))


class TokenAge:
    """First use of LINKEDIN_ACCESS_TOKEN, kept by its hash; the latest day it can end."""

    def __init__(self, settings: Settings) -> None:
        token = settings.secrets.get("LINKEDIN_ACCESS_TOKEN") or ""
        self.tag = hashlib.sha256(token.encode()).hexdigest()[:16] if token else ""
        self.path = token_path(settings)

    def first_used(self, now: float) -> float:
        """When this token was first used (recorded now if never before); `now` when nothing can be kept."""
        if not self.tag or self.path is None:
            return now
        try:
            state = json.loads(self.path.read_text()) if self.path.exists() else {}
        except (OSError, ValueError):
            state = {}
        if isinstance(state, dict) and state.get("for") == self.tag and \
                isinstance(state.get("first_used"), (int, float)):
            return float(state["first_used"])
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.tmp")
            with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
                json.dump({"for": self.tag, "first_used": now}, handle)
            os.replace(tmp, self.path)
        except OSError:
            pass  # nothing kept: the next use records it
        return now

    def ends(self) -> float | None:
        """The latest the token can end, from its recorded first use (nothing recorded: None); writes nothing."""
        if not self.tag or self.path is None:
            return None
        try:
            state = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        first = state.get("first_used") if isinstance(state, dict) and state.get("for") == self.tag else None
        return float(first) + LIFETIME if isinstance(first, (int, float)) else None

    def warning(self, now: float) -> str:
        """One line for `bot check`: when the token ends at the latest, a WARNING from WARN_DAYS before."""
        ends = self.first_used(now) + LIFETIME
        day = datetime.fromtimestamp(ends, UTC).strftime("%Y-%m-%d")
        left = int((ends - now) // 86400)
        if ends - now <= WARN_DAYS * 86400:
            return (f"WARNING: the LinkedIn token ends by {day} at the latest ({max(left, 0)} days): authorise the app "
                    "again and set LINKEDIN_ACCESS_TOKEN")
        return f"the token ends by {day} at the latest (LinkedIn tokens last 60 days)"
