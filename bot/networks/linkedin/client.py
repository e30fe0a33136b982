"""LinkedInClient: the LinkedIn REST calls the bot makes, over requests, every failure converted to a BotError.

Checked against Microsoft's LinkedIn API docs (learn.microsoft.com/linkedin/marketing/community-management/shares/):
- posts-api: `POST /rest/posts` with `Authorization: Bearer`, `LinkedIn-Version: YYYYMM` and
  `X-Restli-Protocol-Version: 2.0.0`; body `author`, `commentary`, `visibility`, `distribution`, `lifecycleState`;
  answers 201 with the new post's URN in the `x-restli-id` header (no body). `GET /rest/posts?q=author&author=URN`
  reads an author's posts back, which needs `r_member_social` (restricted): an app with only `w_member_social`
  gets 403 there.
- images-api: `POST /rest/images?action=initializeUpload` with `{"initializeUploadRequest": {"owner": URN}}`
  answers `{"value": {"uploadUrl", "image"}}`; the bytes go up with a PUT to `uploadUrl`.
- comments-api: `POST /rest/socialActions/{post URN}/comments` with `{"actor", "object", "message": {"text"}}`.
Errors: 401 a bad or expired token (serviceErrorCode 65600), 403 a missing permission, 400/422 a refused body, 426 a
`LinkedIn-Version` that is not active (each is sunset about a year after its month), 429 with no rate-limit headers.
There is no idempotency key: the publisher (post.py) marks every send pending and never sends an unknown one again.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict
from urllib.parse import quote

from bot.core.errors import AuthError, BotError, ConfigError, NoAnswer, PublishError, RateLimited, clip
from bot.core.settings import Settings
from bot.networks.http import transport_error

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)
RESTLI = "2.0.0"
RATE_WAIT = 60.0  # LinkedIn's 429 says nothing of when to come back: the entry waits this long at least


# A post (GET /rest/posts) or a comment (GET /rest/socialActions/{post}/comments), as far as the bot reads it back.
class Message(TypedDict, total=False):
    text: str


class Media(TypedDict, total=False):
    id: str  # urn:li:image:…


class Content(TypedDict, total=False):
    media: Media


Item = TypedDict("Item", {"id": str, "$URN": str, "author": str, "actor": str, "commentary": str, "createdAt": int,
                          "message": Message, "content": Content}, total=False)


class LinkedInClient:
    """The LinkedIn member or page of LINKEDIN_ACCESS_TOKEN, posting as linkedin.author."""

    def __init__(self, settings: Settings) -> None:
        self.base = str(settings.linkedin.base_url).rstrip("/")
        self.author = str(settings.linkedin.author)
        self.version = str(settings.linkedin.api_version)
        self.timeout = float(settings.linkedin.timeout)
        self.token: str = settings.secrets.get("LINKEDIN_ACCESS_TOKEN") or ""
        self.session: requests.Session | None = None  # made on the first request: requests loads then

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "LinkedIn-Version": self.version,
                "X-Restli-Protocol-Version": RESTLI, **(extra or {})}

    def request(self, method: str, path: str, what: str, *, json: object = None, data: bytes | None = None,
                headers: dict[str, str] | None = None) -> requests.Response:
        """One request to the REST API (or, for an upload, to the URL LinkedIn gave); a BotError when not 2xx."""
        url = path if path.startswith(("http://", "https://")) else f"{self.base}{path}"
        import requests  # here, not at the top: `bot post --dry-run` imports this module and sends nothing

        if self.session is None:
            self.session = requests.Session()
        try:
            answer = self.session.request(method, url, timeout=self.timeout, headers=self._headers(headers),
                                          json=json, data=data)
        except requests.RequestException as exc:
            raise transport_error(exc, "LinkedIn", what, "LINKEDIN_BASE_URL", self.timeout) from exc
        if answer.status_code >= 400:
            raise self._error(answer, what)
        return answer

    def _error(self, answer: requests.Response, what: str) -> BotError:
        status, detail = answer.status_code, _detail(answer)
        if status == 401:
            return AuthError(f"LinkedIn refused LINKEDIN_ACCESS_TOKEN while {what} (401: {detail})",
                             "LinkedIn tokens last 60 days: authorise the app again and set the new token")
        if status == 403:
            return AuthError(f"LinkedIn forbade {what} (403: {detail})",
                             "the token needs w_member_social (a member) or w_organization_social (a page), and "
                             "LINKEDIN_AUTHOR must be the token's member or a page it manages (`bot check` says)")
        if status == 426:
            return ConfigError(f"LinkedIn no longer serves LinkedIn-Version {self.version} (426: {detail})",
                               "set linkedin.api_version (LINKEDIN_API_VERSION) to a recent month, YYYYMM")
        if status == 429:
            return RateLimited(f"LinkedIn's rate limit is used up ({what})",
                               "the entry is tried again later (LinkedIn gives no reset time)")
        if status >= 500:
            return NoAnswer(f"LinkedIn answered {status} while {what}",
                            "the bot looks for the post before it sends anything again")
        return PublishError(f"LinkedIn refused {what} ({status}: {detail})", "fix what it names; not retried",
                            retryable=False)

    # the calls
    def userinfo(self) -> dict[str, object]:
        """GET /v2/userinfo (Sign In with LinkedIn, OpenID): the member the token belongs to; `bot check` asks it."""
        return dict(self.request("GET", "/v2/userinfo", "checking the LinkedIn token").json())

    def upload_image(self, path: Path, mime: str) -> str:
        """initializeUpload for linkedin.author, then PUT the bytes to the upload URL: the `urn:li:image:…`."""
        init = self.request("POST", "/rest/images?action=initializeUpload", "starting the image upload",
                            json={"initializeUploadRequest": {"owner": self.author}}).json()
        value = init.get("value") if isinstance(init, dict) else None
        if not isinstance(value, dict) or not value.get("uploadUrl") or not value.get("image"):
            raise PublishError(f"LinkedIn's initializeUpload answer has no uploadUrl and image: {clip(str(init), 120)}")
        self.request("PUT", str(value["uploadUrl"]), "uploading the image", data=path.read_bytes(),
                     headers={"Content-Type": mime or "application/octet-stream"})
        return str(value["image"])

    def create_post(self, commentary: str, image: str = "", alt_text: str = "") -> str:
        """POST /rest/posts, public, in the main feed; the new post's URN (the `x-restli-id` answer header).
        `commentary` is sent as it is: the caller escapes it (length.escape)."""
        body: dict[str, object] = {
            "author": self.author, "commentary": commentary, "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": False}
        if image:
            body["content"] = {"media": {"id": image, "altText": alt_text[:4086]}}
        answer = self.request("POST", "/rest/posts", "publishing the post", json=body)
        urn = answer.headers.get("x-restli-id", "")
        if not urn:
            raise PublishError("LinkedIn accepted the post but named no x-restli-id",
                               "look at the profile; the bot does not send it again", retryable=False)
        return urn

    def comment(self, post: str, text: str) -> str:
        """POST /rest/socialActions/{post}/comments as linkedin.author; the comment's URN (or id)."""
        answer = self.request("POST", f"/rest/socialActions/{quote(post, safe='')}/comments",
                              "adding the first comment",
                              json={"actor": self.author, "object": post, "message": {"text": text}})
        header = answer.headers.get("x-restli-id", "")
        body = answer.json() if answer.content else {}
        return header or (str(body.get("$URN") or body.get("id") or "") if isinstance(body, dict) else "")

    def recent_posts(self, count: int = 20) -> list[Item]:
        """GET /rest/posts?q=author: linkedin.author's latest posts, newest first (needs r_member_social)."""
        answer = self.request("GET", f"/rest/posts?q=author&author={quote(self.author, safe='')}&count={count}"
                              "&sortBy=LAST_MODIFIED", "reading the author's posts back")
        items: list[Item] = answer.json().get("elements") or []
        return [e.copy() for e in items if isinstance(e, dict)]

    def comments(self, post: str) -> list[Item]:
        """GET /rest/socialActions/{post}/comments: the post's comments."""
        answer = self.request("GET", f"/rest/socialActions/{quote(post, safe='')}/comments",
                              "reading the post's comments back")
        items: list[Item] = answer.json().get("elements") or []
        return [e.copy() for e in items if isinstance(e, dict)]


def _detail(answer: requests.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return clip(answer.text or answer.reason or "", 160)
    if isinstance(body, dict):
        code = body.get("serviceErrorCode")
        return clip(str(body.get("message") or body) + (f", serviceErrorCode {code}" if code else ""), 160)
    return clip(str(body), 160)
