"""ThreadsClient: the Threads Graph API calls the bot makes, over requests, every failure converted to a BotError.

Checked against Meta's Threads docs (developers.facebook.com/documentation/threads: reference/publishing,
troubleshooting, get-started/long-lived-tokens) and its sample app fbsamples/threads_api (src/index.js, postman/):
- `POST /v1.0/{user-id}/threads` (`media_type` TEXT or IMAGE, `text`, `image_url`, `alt_text`, `reply_to_id`)
  answers `{"id"}`: a container, not a post; `GET /v1.0/{container-id}?fields=status,error_message` answers
  IN_PROGRESS, FINISHED, PUBLISHED, ERROR or EXPIRED (Meta: check about once a minute, at most 5 minutes);
  `POST /v1.0/{user-id}/threads_publish` with `creation_id` publishes a FINISHED one and answers the post's `{"id"}`.
- `GET /v1.0/{user-id}/threads_publishing_limit?fields=quota_usage,config,reply_quota_usage,reply_config` answers
  `{"data": [{"quota_usage": 1, "config": {"quota_total": 250, "quota_duration": 86400}, "reply_quota_usage": 0,
  "reply_config": {"quota_total": 1000, ...}}]}` (the sample app's Postman collection).
- `GET /v1.0/{user-id}/threads` and `GET /v1.0/{media-id}/replies` read posts back (a PUBLISHED container does not
  name its post). `GET /refresh_access_token?grant_type=th_refresh_token` answers `{"access_token", "token_type",
  "expires_in"}` for a long-lived token at least 24 hours old.
Errors are Graph errors `{"error": {"message", "type", "code", "error_subcode"}}`: 190 a bad or expired token, 4/17/613
throttling (no Retry-After), 10/200 a missing permission, 24 with subcode 4279009 a container not ready yet.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, TypedDict

from bot.core.clock import Clock
from bot.core.errors import AuthError, BotError, NoAnswer, PublishError, RateLimited, clip, hide
from bot.core.settings import Settings
from bot.networks.http import transport_error
from bot.networks.threads.token import TokenKeeper

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)
VERSION = "v1.0"
THROTTLED = {4, 17, 32, 613}
NOT_READY = 4279009  # code 24: the container is not FINISHED yet


class NotReady(PublishError):
    """threads_publish was asked for a container that is not FINISHED (code 24, subcode 4279009): nothing made."""


class QuotaConfig(TypedDict, total=False):
    quota_total: int


class GraphItem(TypedDict, total=False):
    """One item of a Graph list: a post or reply (the `fields` asked for), or the publishing quota."""

    id: str
    text: str
    username: str
    timestamp: str
    permalink: str
    media_type: str
    quota_usage: int  # threads_publishing_limit: posts (and below, replies) in the last 24 hours, and the limits
    config: QuotaConfig
    reply_quota_usage: int
    reply_config: QuotaConfig


class GraphAnswer(TypedDict, total=False):
    """A Graph API answer, as far as the bot reads one (each request asks for some of these `fields`)."""

    id: str
    username: str
    data: list[GraphItem]  # a list's items: posts, replies, or the publishing quota
    status: str
    error_message: str
    access_token: str
    expires_in: int


class ThreadsClient:
    """The Threads profile threads.user_id, with THREADS_ACCESS_TOKEN (refreshed through TokenKeeper)."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.base = str(settings.threads.base_url).rstrip("/")
        self.user_id = str(settings.threads.user_id)
        self.timeout = float(settings.threads.timeout)
        self.clock = clock
        self.keeper = TokenKeeper(settings, clock)
        self.session: requests.Session | None = None  # made on the first request: requests loads then
        self.published_count = 0  # posts this client published (the kill test's child names its pause by it)

    def request(self, method: str, path: str, what: str, params: dict[str, str] | None = None,
                token: str | None = None) -> GraphAnswer:
        """One Graph request with the token as a Bearer header; the JSON answer, or a BotError."""
        url = path if path.startswith("/refresh") else f"/{VERSION}{path}"
        headers = {"Authorization": f"Bearer {token or self.keeper.token()}"}
        import requests  # here, not at the top: `bot post --dry-run` imports this module and sends nothing

        if self.session is None:
            self.session = requests.Session()
        try:
            answer = self.session.request(method, self.base + url, timeout=self.timeout, headers=headers,
                                          data=params if method == "POST" else None,
                                          params=None if method == "POST" else params)
        except requests.RequestException as exc:
            raise transport_error(exc, "Threads", what, "THREADS_BASE_URL", self.timeout) from exc
        try:
            body: GraphAnswer | None = answer.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("access_token"), str):
            hide([body["access_token"]])  # a refreshed token is a secret the moment it is received
        if answer.status_code >= 400 or not isinstance(body, dict) or "error" in body:
            raise self._error(answer.status_code, body, what)
        return body

    def _error(self, status: int, body: object, what: str) -> BotError:
        err = body.get("error") if isinstance(body, dict) else None
        if not isinstance(err, dict):
            if status >= 500 or status < 400:
                return NoAnswer(f"Threads answered {status} with no Graph answer while {what}",
                                "the bot looks for the post before it sends anything again")
            return PublishError(f"Threads refused {what} ({status})", "check THREADS_BASE_URL", retryable=False)
        code, sub = err.get("code"), err.get("error_subcode")
        detail = clip(f"{err.get('message', '')} (code {code}{f', subcode {sub}' if sub else ''})", 200)
        if code == 190:
            return AuthError(f"Threads refused THREADS_ACCESS_TOKEN while {what}: {detail}",
                             "long-lived tokens last 60 days: sign in again and set the new token")
        if code in (10, 200) or (isinstance(code, int) and 200 <= code <= 299):
            return AuthError(f"Threads forbade {what}: {detail}",
                             "the token needs threads_basic, threads_content_publish and threads_manage_replies")
        if code in THROTTLED:
            return RateLimited(f"Threads' rate limit is used up ({what}: {detail})", "the entry is tried again later")
        if code == 24 and sub == NOT_READY:
            return NotReady(f"the Threads container is not ready ({what})", "published once it is FINISHED")
        if status >= 500 or code in (1, 2):
            return NoAnswer(f"Threads failed while {what}: {detail}", "the bot tries again later")
        return PublishError(f"Threads refused {what}: {detail}", "fix what it names; not retried", retryable=False)

    # the calls
    def me(self) -> GraphAnswer:
        """GET /me: the profile the token belongs to (`bot check`)."""
        return self.request("GET", "/me", "checking the Threads token", {"fields": "id,username"})

    def quota(self) -> GraphItem:
        """The publishing quota: quota_usage/config (posts) and reply_quota_usage/reply_config (replies), 24 h."""
        body = self.request("GET", f"/{self.user_id}/threads_publishing_limit", "reading the publishing quota",
                            {"fields": "quota_usage,config,reply_quota_usage,reply_config"})
        data = body.get("data") or [{}]
        return data[0].copy() if isinstance(data, list) and data and isinstance(data[0], dict) else {}

    def create(self, text: str, reply_to: str | None = None, image_url: str = "", alt_text: str = "") -> str:
        """A media container for one post (TEXT, or IMAGE from a public URL); its id."""
        params = {"media_type": "IMAGE" if image_url else "TEXT", "text": text}
        if image_url:
            params.update(image_url=image_url, alt_text=alt_text[:1000])
        if reply_to:
            params["reply_to_id"] = reply_to
        return str(self.request("POST", f"/{self.user_id}/threads", "making a Threads container", params)["id"])

    def status(self, container: str) -> tuple[str, str]:
        """(status, error_message) of a container."""
        body = self.request("GET", f"/{container}", "reading a container's status", {"fields": "status,error_message"})
        return str(body.get("status", "")), str(body.get("error_message", ""))

    def publish(self, creation_id: str) -> str:
        """POST threads_publish: the published post's id."""
        body = self.request("POST", f"/{self.user_id}/threads_publish", "publishing a Threads post",
                            {"creation_id": creation_id})
        self.published_count += 1
        return str(body["id"])

    def recent(self, limit: int = 25) -> list[GraphItem]:
        """The profile's latest posts (not replies), newest first."""
        body = self.request("GET", f"/{self.user_id}/threads", "reading the profile's posts back",
                            {"fields": "id,text,timestamp,permalink,media_type", "limit": str(limit)})
        return [p.copy() for p in body.get("data") or [] if isinstance(p, dict)]

    def replies(self, media_id: str) -> list[GraphItem]:
        """The direct replies to a post."""
        body = self.request("GET", f"/{media_id}/replies", "reading a post's replies back",
                            {"fields": "id,text,username,timestamp,permalink"})
        return [p.copy() for p in body.get("data") or [] if isinstance(p, dict)]

    def refresh_token(self) -> None:
        """Refresh the long-lived token when TokenKeeper says it is due (a failure is logged, never fatal here)."""
        if not self.keeper.due():
            return
        try:
            body = self.request("GET", "/refresh_access_token", "refreshing the Threads token",
                                {"grant_type": "th_refresh_token", "access_token": self.keeper.token()})
        except BotError as exc:
            log.warning("could not refresh the Threads token (%s); it is tried again tomorrow", exc.message)
            self.keeper.tried()
            return
        self.keeper.refreshed(str(body.get("access_token", "")), int(body.get("expires_in") or 0))
