"""The HTTP layer under XClient: the redirecting session, the v2 media upload, and X's answers as BotErrors.

Imported only by x_api.py, inside its functions: it imports requests (and oauthlib) at the top.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from bot.core.errors import (
    AuthError,
    BotError,
    DuplicateContent,
    NoAnswer,
    PublishError,
    RateLimited,
    ReplyForbidden,
    clip,
)
from bot.core.settings import Secrets

if TYPE_CHECKING:
    from requests_oauthlib import OAuth1

# tweepy 4.17 hard-codes this host in BaseClient.request (client.py: `host = "https://api.twitter.com"`);
# api.x.com is the same service under its new name.
X_HOSTS = ("https://api.twitter.com", "https://api.x.com")
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")  # the design notes: JPG, PNG, GIF, WEBP
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # the design notes: images <= 5 MB
MAX_ALT_TEXT = 1000  # POST /2/media/metadata: alt text <= 1000 characters
CREDENTIALS_HINT = ("check X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET "
                    "(the app needs Read and Write permission; regenerate the access token after changing it)")


class RedirectSession(requests.Session):
    """A requests.Session that sends X's hosts to `base` and applies a timeout to every request.

    tweepy passes no timeout and no host setting, but its Client.session may be replaced. The URL is rewritten
    in request(), before prepare_request() runs the OAuth1 auth, so the signature covers the URL really used.
    """

    def __init__(self, base: str, timeout: float) -> None:
        super().__init__()
        self.base = base.rstrip("/")
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        """Rewrite X's host to the configured base, then send with the configured timeout."""
        url = url.decode() if isinstance(url, bytes) else url
        for host in X_HOSTS:
            if url.startswith(host + "/"):
                url = self.base + url[len(host):]
                break
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)


def oauth1(secrets: Secrets) -> OAuth1:
    """OAuth 1.0a user-context signing with the four X_* credentials (the same call tweepy makes)."""
    from requests_oauthlib import OAuth1

    return OAuth1(secrets.get("X_API_KEY"), client_secret=secrets.get("X_API_SECRET"),
                  resource_owner_key=secrets.get("X_ACCESS_TOKEN"),
                  resource_owner_secret=secrets.get("X_ACCESS_TOKEN_SECRET"), decoding=None)


def messages(response: requests.Response) -> list[str]:
    """X's error messages from a v2 answer: `errors[].message`, else the problem's `detail`, else the reason."""
    try:
        body = response.json()
    except ValueError:
        body = None
    found: list[str] = []
    if isinstance(body, dict):
        for err in body.get("errors") or []:
            if isinstance(err, dict) and err.get("message"):
                found.append(str(err["message"]))
            elif isinstance(err, str):
                found.append(err)
        if not found and body.get("detail"):
            found.append(str(body["detail"]))
    return found or [f"{response.status_code} {response.reason or ''}".strip()]


def failure(response: requests.Response, what: str, *, reply: bool = False) -> BotError:
    """The BotError for one of X's non-2xx answers to `what` (e.g. "posting tweet 2")."""
    status = response.status_code
    text = clip("; ".join(messages(response)), 300)
    if status == 401:
        return AuthError(f"X rejected the credentials while {what} (401)", CREDENTIALS_HINT)
    if status == 403 and "duplicate" in text.lower():
        # X: 403 {"detail": "You are not allowed to create a Tweet with duplicate content.", ...}
        return DuplicateContent(f"X refused {what}: {text}", "this text is already on the account")
    if status == 403 and reply:
        return ReplyForbidden(f"X refused {what} as a reply: {text}",
                              "X limits programmatic replies; see x.reply_fallback")
    if status == 429:
        reset = response.headers.get("x-rate-limit-reset", "")
        return RateLimited(f"X rate limit reached while {what} (429)", "the bot waits for the reset and tries again",
                           reset_at=float(reset) if reset.strip().isdigit() else None)
    if status >= 500:
        return NoAnswer(f"X failed while {what} ({status}): {text}", "X had trouble; a later attempt may work")
    return PublishError(f"X refused {what} ({status}): {text}", "fix what X names; retrying as is will not help",
                        retryable=False)


def dropped(exc: Exception, what: str) -> NoAnswer:
    """A connection that failed or timed out: the request may or may not have reached X."""
    kind = "timed out" if isinstance(exc, requests.Timeout) else "the connection failed"
    return NoAnswer(f"no answer from X while {what}: {kind} ({type(exc).__name__})",
                    "check the network and x.base_url; the bot checks for the post before sending it again")


def upload_image(session: requests.Session, base: str, auth: OAuth1, path: Path, mime: str) -> str:
    """POST /2/media/upload in one shot; the media id.

    Hand-written because tweepy 4.17 only has the deprecated v1.1 upload (API.media_upload). Fields per
    docs.x.com MediaUploadRequestOneShot: `media` (the bytes, multipart) and `media_category`; the answer is
    {"data": {"id": "...", "media_key": "3_...", ...}}. Multipart bodies are not part of the OAuth1 signature.
    """
    mime = media_type(mime)
    if mime not in IMAGE_TYPES:
        raise PublishError(f"X does not take {mime or 'this kind of'} images", "use JPG, PNG, GIF or WEBP",
                           retryable=False)
    data = path.read_bytes()
    if len(data) > MAX_IMAGE_BYTES:
        raise PublishError(f"the image is {len(data)} bytes; X takes at most {MAX_IMAGE_BYTES}",
                           "make it smaller (imagery normalises images to fit)", retryable=False)
    response = session.post(f"{base}/2/media/upload", auth=auth,
                             files={"media": (path.name, data, mime)}, data={"media_category": "tweet_image"})
    if not 200 <= response.status_code < 300:
        raise failure(response, "uploading the image")
    answer = _json(response).get("data")
    media_id = answer.get("id") if isinstance(answer, dict) else None
    if not media_id:
        raise NoAnswer("X's answer to the image upload had no media id", "a later attempt may work")
    return str(media_id)


def media_type(mime: str) -> str:
    """A MIME type as X expects it: lower case (types are case-insensitive, RFC 2045), image/jpg as image/jpeg."""
    mime = (mime or "").strip().lower()
    return "image/jpeg" if mime in ("image/jpg", "image/pjpeg") else mime


def set_alt_text(session: requests.Session, base: str, auth: OAuth1, media_id: str, alt_text: str) -> None:
    """POST /2/media/metadata {"id": media_id, "metadata": {"alt_text": {"text": ...}}} (docs.x.com)."""
    body = {"id": media_id, "metadata": {"alt_text": {"text": alt_text[:MAX_ALT_TEXT]}}}
    response = session.post(f"{base}/2/media/metadata", auth=auth, json=body)
    if not 200 <= response.status_code < 300:
        raise failure(response, "adding the image's alt text")


def _json(response: requests.Response) -> dict[str, object]:
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        return {}
    return body if isinstance(body, dict) else {}
