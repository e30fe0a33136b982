"""XClient: the X API v2 calls the bot makes (post, image upload, users/me, recent posts), errors converted.

tweepy.Client (OAuth 1.0a user context) makes POST /2/tweets, GET /2/users/me and GET /2/users/:id/tweets;
the image goes through the hand-written v2 media upload in x_http.py. Every request goes to `x.base_url`
(X_API_BASE_URL) with `x.timeout`. Waits (429 resets, backoff) go through the injected clock; tweepy's
wait_on_rate_limit is never used: in 4.17 it calls request() again recursively, at once when X sends no
x-rate-limit-reset header, and sleeps with time.sleep.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypedDict, TypeVar

from bot.core.clock import Clock
from bot.core.errors import BotError, ConfigError, NoAnswer, RateLimited
from bot.core.settings import Secrets, Settings
from bot.networks.x.match import XPost, XUser

if TYPE_CHECKING:  # session.py imports requests: loaded when X is first called
    from bot.networks.x.session import RedirectSession

__all__ = ["XClient"]

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_RATE_WAIT = 15 * 60.0  # a longer 429 wait is handed back to the caller as RateLimited, to reschedule
MAX_RATE_WAITS = 3  # 429s waited out per call before giving up
DEFAULT_RATE_WAIT = 60.0  # when a 429 carries no x-rate-limit-reset
MAX_PAGES = 3  # pages of GET /2/users/:id/tweets read by the resume check (100 posts each)


# tweepy.Client (untyped) as the bot calls it, with return_type=dict: each answer is X's JSON
class Created(TypedDict, total=False):
    data: XPost  # POST /2/tweets: {"id", "text"}


class Me(TypedDict, total=False):
    data: XUser


class _Meta(TypedDict, total=False):
    next_token: str


class Page(TypedDict, total=False):
    data: list[XPost]
    meta: _Meta


class Tweepy(Protocol):
    def create_tweet(self, *, text: str, media_ids: list[str] | None, in_reply_to_tweet_id: str | None,
                     quote_tweet_id: str | None, user_auth: bool) -> Created: ...

    def _make_request(self, method: str, route: str, *, json: dict[str, object], user_auth: bool) -> Created: ...

    def get_me(self, *, user_auth: bool) -> Me: ...

    def get_users_tweets(self, user_id: str, /, *, start_time: datetime, max_results: int, pagination_token: str | None,
                         user_auth: bool, tweet_fields: list[str]) -> Page: ...


class XClient:
    """The X API with the bot's four OAuth 1.0a credentials; every failure comes out as a BotError."""

    def __init__(self, settings: Settings, secrets: Secrets, clock: Clock,
                 should_stop: Callable[[], bool] | None = None) -> None:
        self.base = settings.x.base_url.rstrip("/")
        self.timeout = float(settings.x.timeout)
        self.retries = int(settings.x.retries)
        self.secrets = secrets
        self.clock = clock
        self.should_stop = should_stop or (lambda: False)  # a shutdown ends a rate-limit wait
        self._client: Tweepy | None = None
        self._session: RedirectSession | None = None
        self._user_id = ""

    # plumbing
    def session(self) -> RedirectSession:
        """The shared RedirectSession (X's hosts → x.base_url, x.timeout on every request)."""
        if self._session is None:
            from bot.networks.x.session import RedirectSession

            self._session = RedirectSession(self.base, self.timeout)
        return self._session

    def tweepy(self) -> Tweepy:
        """The tweepy.Client, built on first use with the redirecting session."""
        if self._client is None:
            import tweepy

            s = self.secrets
            client = tweepy.Client(consumer_key=s.get("X_API_KEY"), consumer_secret=s.get("X_API_SECRET"),
                                   access_token=s.get("X_ACCESS_TOKEN"),
                                   access_token_secret=s.get("X_ACCESS_TOKEN_SECRET"),
                                   return_type=dict, wait_on_rate_limit=False)
            client.session = self.session()  # BaseClient.request sends through self.session.request(...)
            self._client = client
        return self._client

    def _call(self, what: str, fn: Callable[[], T], *, idempotent: bool = True, reply: bool = False,
              rate_waits: bool = True) -> T:
        """Run one request: wait out 429s through the clock (unless `rate_waits` is False: RateLimited at once, for
        the caller to wait and prove its claim again), retry NoAnswer when safe, convert the rest."""
        waits = failures = 0
        while True:
            try:
                return fn()
            except Exception as exc:  # converted below; anything unknown is re-raised as it is
                err, cause = self._convert(exc, what, reply), exc
            if isinstance(err, RateLimited):
                wait = (err.reset_at - self.clock.time() + 1) if err.reset_at else DEFAULT_RATE_WAIT
                if not rate_waits or waits >= MAX_RATE_WAITS or wait > MAX_RATE_WAIT:
                    raise err from cause
                waits += 1
                log.warning("X rate limit while %s: waiting %.0f s for the reset", what, max(wait, 0))
                if not self._wait(max(wait, 0.0)):
                    raise err from cause  # stopped: the entry waits for the reset, no attempt used
                continue
            if isinstance(err, NoAnswer) and idempotent and failures < self.retries:
                failures += 1
                log.warning("%s (attempt %d of %d)", err.message, failures, self.retries + 1)
                self.clock.sleep(backoff(failures))
                continue
            raise err from cause

    def _wait(self, seconds: float) -> bool:
        """Sleep through the clock in steps of at most a second; False as soon as a shutdown is asked for."""
        end = self.clock.time() + seconds
        while (left := end - self.clock.time()) > 0:
            if self.should_stop():
                return False
            self.clock.sleep(min(1.0, left))
        return not self.should_stop()

    def _convert(self, exc: Exception, what: str, reply: bool) -> BotError:
        import requests
        import tweepy

        from bot.networks.x import session as x_http

        if isinstance(exc, BotError):
            return exc
        if isinstance(exc, tweepy.errors.HTTPException) and getattr(exc, "response", None) is not None:
            return x_http.failure(exc.response, what, reply=reply)
        if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                            requests.exceptions.InvalidSchema)):
            return ConfigError(f"x.base_url is not a usable URL: {self.base!r}", "set X_API_BASE_URL to an http(s) URL")
        if isinstance(exc, requests.RequestException):
            return x_http.dropped(exc, what)
        raise exc

    # the calls
    def create_post(self, text: str, media_ids: Sequence[str] = (), reply_to: str | None = None,
                    quote_of: str | None = None, made_with_ai: bool = False) -> str:
        """POST /2/tweets; the new post's id. Not retried here: a lost answer may hide a created post; and a 429 is
        handed back at once (RateLimited): the publisher waits for the reset, then proves its claim before sending.

        `made_with_ai` sets X's disclosure of AI-generated media (the body's `made_with_ai`, docs.x.com "Create
        Posts"); tweepy 4.17's create_tweet has no such parameter, so that body goes through its own request path.
        """
        what = "posting" + (" a reply" if reply_to else " a quote" if quote_of else "")

        def send() -> Created:
            if not made_with_ai:
                return self.tweepy().create_tweet(text=text, media_ids=list(media_ids) or None,
                                                  in_reply_to_tweet_id=reply_to, quote_tweet_id=quote_of,
                                                  user_auth=True)
            body: dict[str, object] = {"text": text, "made_with_ai": True}
            if media_ids:
                body["media"] = {"media_ids": [str(m) for m in media_ids]}
            if reply_to:
                body["reply"] = {"in_reply_to_tweet_id": str(reply_to)}
            if quote_of:
                body["quote_tweet_id"] = str(quote_of)
            return self.tweepy()._make_request("POST", "/2/tweets", json=body, user_auth=True)

        answer = self._call(what, send, idempotent=False, reply=bool(reply_to), rate_waits=False)
        tweet_id = (answer.get("data") or {}).get("id") if isinstance(answer, dict) else None
        if not tweet_id:
            raise NoAnswer("X's answer to a post had no id", "the bot checks for the post before sending it again")
        return str(tweet_id)

    def upload_image(self, path: Path, mime: str, alt_text: str) -> str:
        """Upload one image (POST /2/media/upload) and set its alt text (POST /2/media/metadata); the media id."""
        from bot.networks.x import session as x_http

        auth = x_http.oauth1(self.secrets)
        media_id = self._call("uploading the image",
                              lambda: x_http.upload_image(self.session(), self.base, auth, Path(path), mime))
        if alt_text:
            self._call("adding the image's alt text",
                       lambda: x_http.set_alt_text(self.session(), self.base, auth, media_id, alt_text))
        return media_id

    def me(self) -> XUser:
        """GET /2/users/me: the account the credentials belong to ({"id", "username", ...})."""
        answer = self._call("checking the X credentials", lambda: self.tweepy().get_me(user_auth=True))
        data = answer.get("data") or {}
        self._user_id = str(data.get("id", ""))
        return data.copy()

    def user_id(self) -> str:
        """The account's id (one GET /2/users/me, then remembered)."""
        if not self._user_id:
            self.me()
        return self._user_id

    def recent_posts(self, user_id: str, since: datetime) -> list[XPost]:
        """GET /2/users/:id/tweets since `since`, newest first, at most MAX_PAGES pages of 100."""
        posts: list[XPost] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            def page(token: str | None = token) -> Page:
                return self.tweepy().get_users_tweets(
                    user_id, start_time=since, max_results=100, pagination_token=token, user_auth=True,
                    tweet_fields=["created_at", "referenced_tweets", "attachments", "entities"])

            answer = self._call("reading the account's recent posts", page)
            posts.extend(answer.get("data") or [])
            token = (answer.get("meta") or {}).get("next_token")
            if not token:
                break
        return posts


def backoff(attempt: int) -> float:
    """Seconds to wait before retry `attempt` (1-based): 2, 4, 8 … capped at 60."""
    return float(min(60, 2 ** attempt))
