"""MastodonClient: the Mastodon API calls the bot makes, through Mastodon.py, with every failure converted.

Mastodon.py (`Mastodon(access_token=, api_base_url=, request_timeout=, ratelimit_method="throw")`) makes the
requests; waits go through the injected clock, never time.sleep. Media goes up through POST /api/v2/media,
which answers 202 while the server is still processing the file: the client polls GET /api/v1/media/:id until
it has a URL (Mastodon refuses a status with unprocessed media). Statuses carry an Idempotency-Key, which the
server honours for an hour, so a status whose answer was lost is sent again safely with the same key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, TypeVar

from bot.core.clock import Clock
from bot.core.errors import AuthError, BotError, ConfigError, NoAnswer, PublishError, RateLimited, clip
from bot.core.settings import Settings

if TYPE_CHECKING:  # Mastodon.py is typed; it loads when Mastodon is first called
    from mastodon import Mastodon

log = logging.getLogger(__name__)
T = TypeVar("T")


class Account(TypedDict, total=False):
    """GET /api/v1/accounts/verify_credentials, as far as the bot reads it."""

    id: str | int
    acct: str
    username: str


class Status(TypedDict, total=False):
    """A status (POST /api/v1/statuses, GET /api/v1/accounts/:id/statuses), as far as the bot reads it."""

    id: str | int
    url: str | None
    content: str  # HTML
    in_reply_to_id: str | int | None
API_VERSION = "4.0.0"  # the Mastodon the API calls are written for (/api/v2/instance, /api/v2/media)
MEDIA_POLLS = 30  # GET /api/v1/media/:id while it answers 206/without a URL, one second apart
DEFAULT_RATE_WAIT = 60.0
MAX_RATE_WAIT = 15 * 60.0
READ_TIMEOUT = 5.0  # a dry run's look at the instance's limits: quick, or the defaults


class MastodonClient:
    """The Mastodon account of MASTODON_ACCESS_TOKEN on mastodon.base_url; every failure comes out as a BotError."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.base = settings.mastodon.base_url.rstrip("/")
        self.token: str | None = settings.secrets.get("MASTODON_ACCESS_TOKEN")
        self.timeout = float(settings.mastodon.timeout)
        self.retries = int(settings.mastodon.retries)
        self.clock = clock
        self._api: Mastodon | None = None

    @classmethod
    def reader(cls, settings: Settings, clock: Clock) -> MastodonClient:
        """A client for public reads only (a dry run's instance limits): no token sent, no retries, and at most
        READ_TIMEOUT seconds, so an instance that cannot be read costs the dry run a moment, not minutes."""
        client = cls(settings, clock)
        client.token, client.retries = None, 0
        client.timeout = min(client.timeout, READ_TIMEOUT)
        return client

    def api(self) -> Mastodon:
        """The Mastodon.py client, built on first use (no version check: it would cost a request)."""
        if self._api is None:
            from mastodon import Mastodon

            # mastodon_version: Mastodon.py would otherwise read the deprecated GET /api/v1/instance before the
            # first upload to choose between /api/v1/media and /api/v2/media (3.1.4+); a server without it would
            # get the image sent to the old endpoint. Every server the bot supports has /api/v2/media.
            self._api = Mastodon(access_token=self.token, api_base_url=self.base, request_timeout=self.timeout,
                                 ratelimit_method="throw", version_check_mode="none", mastodon_version=API_VERSION,
                                 user_agent="substack-thread-bot")
            # With version_check_mode "none" Mastodon.py keeps the version given but does not parse it; the media
            # upload compares these three (verify_minimum_version, cached).
            self._api.mastodon_major, self._api.mastodon_minor, self._api.mastodon_patch = map(int, API_VERSION.split("."))
        return self._api

    def call(self, what: str, fn: Callable[[], T], *, safe: bool = True, fence: Callable[[], None] | None = None,
             held: Callable[[], None] | None = None) -> T:
        """Run one request: a 429 is waited out (short waits) or handed back as RateLimited; 5xx and dropped
        connections are retried when `safe` (reads, and statuses with their Idempotency-Key). `fence` is called
        before each request sent again (a status proves its entry's claim: ClaimLost sends nothing), `held` during waits."""
        failures = 0
        while True:
            try:
                if failures and fence is not None:
                    fence()
                return fn()
            except Exception as exc:  # converted below; anything unknown is re-raised as it is
                err, cause = self._convert(exc, what), exc
            if isinstance(err, RateLimited):
                wait = (err.reset_at - self.clock.time() + 1) if err.reset_at else DEFAULT_RATE_WAIT
                if failures >= self.retries or wait > MAX_RATE_WAIT:
                    raise err from cause
                failures += 1
                log.warning("Mastodon rate limit while %s: waiting %.0f s", what, max(wait, 0))
                self._wait(max(wait, 0.0), held)
                continue
            if isinstance(err, NoAnswer) and safe and failures < self.retries:
                failures += 1
                log.warning("%s (attempt %d of %d)", err.message, failures, self.retries + 1)
                self._wait(float(min(30, 2 ** failures)), held)
                continue
            raise err from cause

    def _wait(self, seconds: float, held: Callable[[], None] | None) -> None:
        """Sleep in steps of a second; `held` (the ledger's lost claim: ClaimLost) may end the wait at any step."""
        end = self.clock.time() + seconds
        while (left := end - self.clock.time()) > 0:
            if held is not None:
                held()
            self.clock.sleep(min(1.0, left))

    def _convert(self, exc: Exception, what: str) -> BotError:
        import mastodon

        if isinstance(exc, BotError):
            return exc
        if isinstance(exc, mastodon.MastodonRatelimitError):
            reset = getattr(self.api(), "ratelimit_reset", None)
            return RateLimited(f"Mastodon's rate limit is used up ({what})",
                               "the bot posts the rest after X-RateLimit-Reset", reset_at=float(reset) if reset else None)
        if isinstance(exc, mastodon.MastodonUnauthorizedError) and not self.token:
            return AuthError(f"Mastodon asks for a token while {what} (401)", "set MASTODON_ACCESS_TOKEN")
        if isinstance(exc, mastodon.MastodonUnauthorizedError):
            return AuthError(f"Mastodon refused MASTODON_ACCESS_TOKEN ({what}: 401)",
                             "create a token with write:statuses and write:media in Preferences → Development")
        if isinstance(exc, mastodon.MastodonNetworkError):
            text = str(exc).lower()
            why = ("timed out" if "timed out" in text or "timeout" in text else
                   "connection refused" if "refused" in text else
                   "name not found" if "name or service" in text or "resolve" in text else type(exc).__name__)
            key = "; a retry reuses the Idempotency-Key, so it posts nothing twice" if "status" in what else ""
            return NoAnswer(f"no answer from Mastodon while {what} ({why})", f"check MASTODON_BASE_URL and the network{key}")
        if isinstance(exc, mastodon.MastodonServerError):
            return NoAnswer(f"Mastodon answered {_status(exc)} while {what}", "the bot tries again later")
        if isinstance(exc, mastodon.MastodonAPIError):
            status = _status(exc)
            if not status:  # Mastodon.py's "Could not parse response as JSON": an answer, but not JSON
                # Retryable: a status may have been made behind a proxy's error page, and the retry carries the
                # same Idempotency-Key, so the server answers with that status instead of making another.
                return NoAnswer(f"Mastodon's answer while {what} was not JSON",
                                "check MASTODON_BASE_URL (it should be the server's address); the bot tries again "
                                "later with the same Idempotency-Key")
            if status == 403:
                return AuthError(f"Mastodon forbade {what} (403): {_detail(exc)}",
                                 "the token needs the write:statuses and write:media scopes")
            return PublishError(f"Mastodon refused {what} ({status}): {_detail(exc)}",
                                "fix what it names; the entry is not retried", retryable=False)
        if isinstance(exc, mastodon.MastodonIllegalArgumentError):
            return ConfigError(f"mastodon.base_url is not usable: {self.base!r}", "set MASTODON_BASE_URL to the server's https:// URL")
        raise exc

    # the calls
    def me(self) -> Account:
        """GET /api/v1/accounts/verify_credentials: the account the token belongs to."""
        account: Account = self.call("checking the Mastodon token", lambda: self.api().account_verify_credentials())
        return account.copy()

    def limits(self) -> tuple[int, int]:
        """(max_characters, characters_reserved_per_url) from GET /api/v2/instance; 500 and 23 when not given."""
        info = self.call("reading the instance's limits", lambda: self.api().instance_v2())
        statuses = ((info.get("configuration") or {}).get("statuses") or {}) if isinstance(info, dict) else None
        if not isinstance(statuses, dict):
            raise PublishError("Mastodon's GET /api/v2/instance answer is not an instance's", retryable=False)
        limits = statuses.get("max_characters") or 500, statuses.get("characters_reserved_per_url") or 23
        if not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in limits):
            raise PublishError(f"Mastodon's instance gives limits that are not counts: {limits!r:.80}", retryable=False)
        return int(limits[0]), int(limits[1])

    def upload_image(self, path: Path, mime: str, alt_text: str) -> str:
        """POST /api/v2/media with the alt text as `description`, then poll until processed; the media id."""
        media = self.call("uploading the image", lambda: self.api().media_post(
            str(path), mime_type=mime or None, description=alt_text[:1500] or None), safe=False)
        media_id = str(media["id"])
        for _ in range(MEDIA_POLLS):
            if media.get("url"):
                return media_id
            self.clock.sleep(1.0)
            media = self.call("waiting for the image to be processed", lambda: self.api().media(media_id))
        raise NoAnswer(f"Mastodon was still processing the image after {MEDIA_POLLS} s", "the bot tries again later")

    def post(self, text: str, key: str, reply_to: str | None, media_ids: list[str], visibility: str,
             fence: Callable[[], None] | None = None, held: Callable[[], None] | None = None) -> Status:
        """POST /api/v1/statuses with an Idempotency-Key: the status ({"id", "url", ...}); `fence` proves the claim
        again before a retry (the ledger's pending mark)."""
        status: Status = self.call("posting a status", lambda: self.api().status_post(
            text, in_reply_to_id=reply_to, media_ids=media_ids or None, visibility=visibility,
            idempotency_key=key), fence=fence, held=held)
        return status.copy()

    def recent(self, account_id: str) -> list[Status]:
        """The account's latest statuses (40), newest first."""
        found: list[Status] = self.call("reading the account's statuses",
                                        lambda: self.api().account_statuses(account_id, limit=40))
        return [s.copy() for s in found]


def _status(exc: Exception) -> int:
    args: tuple[object, ...] = tuple(getattr(exc, "args", ()))
    return int(args[1]) if len(args) > 1 and isinstance(args[1], int) else 0


def _detail(exc: Exception) -> str:
    args: tuple[object, ...] = tuple(getattr(exc, "args", ()))
    return clip(str(args[3] if len(args) > 3 and args[3] else args[-1] if args else exc), 200)
