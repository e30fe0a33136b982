"""The local X API with one more fault for crash tests: hold a request, and say so, until the test has killed its sender.

    x.hold("create", 2)                  # the 2nd POST /2/tweets from now is held before it takes effect
    x.hold("create", 1, after=True)      # the next post is made, then its answer is withheld
    bot = BotProcess([...]); x.wait_held(bot); bot.kill(); x.release()

A request held *before* its effect never takes effect: once released it is answered 503 (to a socket whose process
is gone). A request held *after* its effect has changed the account (the post exists) and its answer is written to
that dead socket. Held requests keep the server's lock, so nothing else is served until `release()`; the hold
gives up by itself after HOLD_LIMIT seconds, so a broken test cannot wedge the suite.
"""

from __future__ import annotations

import threading
from typing import Any

from twins.xserver import XServer

from helpers.botproc import BotProcess, wait_until
from helpers.x_shapes import problem

HOLD_LIMIT = 30.0
HELD_STATUS = 503  # what a request held before its effect is answered, once released


class HoldingXServer(XServer):
    """XServer whose create/upload/metadata/timeline calls can be held, one at a time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plan: tuple[str, int, bool] | None = None  # (method, calls left until the held one, after)
        self._held = threading.Event()
        self._released = threading.Event()
        self.never_applied: list[str] = []  # the calls held before their effect (create, upload, ...), in order

    def __exit__(self, *exc: Any) -> None:
        self.release()
        super().__exit__(*exc)

    def hold(self, method: str, nth: int = 1, *, after: bool = False) -> None:
        """Hold the `nth` call of `method` (create, upload, metadata, timeline) counted from now."""
        assert method in ("create", "upload", "metadata", "timeline") and nth >= 1
        self._held, self._released = threading.Event(), threading.Event()  # fresh: an old hold cannot leak in
        self._plan = (method, nth, after)

    def wait_held(self, bot: BotProcess, timeout: float = 30.0) -> None:
        """Wait until the planned request is held (fails if the bot ends first)."""
        wait_until(self._held.is_set, timeout, f"the bot's request held at {self._plan}", bot)

    def release(self) -> None:
        """Let the held request finish (call after the sender is killed)."""
        self._plan = None
        self._released.set()

    def _due(self, method: str) -> tuple[bool, bool]:
        """(hold this call, after its effect)."""
        if self._plan is None or self._plan[0] != method:
            return False, False
        name, left, after = self._plan
        if left > 1:
            self._plan = (name, left - 1, after)
            return False, False
        self._plan = None
        return True, after

    def _call(self, method: str, run: Any) -> tuple[int, dict[str, Any]]:
        held, released = self._held, self._released
        due, after = self._due(method)
        if due and not after:
            self.never_applied.append(method)
            held.set()
            released.wait(HOLD_LIMIT)
            return HELD_STATUS, problem(HELD_STATUS, "Service Unavailable", "held by the test, never applied")
        result = run()
        if due:
            held.set()
            released.wait(HOLD_LIMIT)
        return result

    def create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return self._call("create", lambda: super(HoldingXServer, self).create(body))

    def upload(self, content_type: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        return self._call("upload", lambda: super(HoldingXServer, self).upload(content_type, raw))

    def metadata(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return self._call("metadata", lambda: super(HoldingXServer, self).metadata(body))

    def timeline(self, user_id: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        return self._call("timeline", lambda: super(HoldingXServer, self).timeline(user_id, query))
