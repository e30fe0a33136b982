"""What the local X API (tests/twins/xserver.py) answers with: X's error bodies, the OAuth 1.0a validator, X's copy of a text."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from oauthlib.oauth1 import RequestValidator

DUPLICATE = "You are not allowed to create a Tweet with duplicate content."  # X's detail, seen in the wild
FORBIDDEN = "You are not permitted to perform this action."
# X's 400 message for an over-long text (the API's own words, as reported by its users).
TOO_LONG = ("Your Tweet text is too long. For more information on how Twitter determines text length see "
            "https://github.com/twitter/twitter-text.")
REPLY_LIMITED = ("Reply to this conversation is not allowed because you have not been mentioned or otherwise "
                 "engaged by the author of the post you are replying to.")


def problem(status: int, title: str, detail: str) -> dict[str, Any]:
    """X's v2 error body (RFC 7807 problem), as answered for 403 duplicate content."""
    return {"title": title, "detail": detail, "type": "about:blank", "status": status}


def invalid(message: str, parameter: str, value: Any) -> dict[str, Any]:
    """X's v2 400 body for an invalid request parameter."""
    return {"errors": [{"parameters": {parameter: [value]}, "message": message}], "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": "https://api.twitter.com/2/problems/invalid-request"}


def sniff(data: bytes) -> str:
    """The image type from its first bytes: image/jpeg, png, gif, webp, or ""."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"GIF8":
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return ""


class Validator(RequestValidator):
    """Accepts exactly the server's one consumer key and access token, each nonce once."""

    def __init__(self, server: Any) -> None:
        super().__init__()
        self.x = server  # the XServer: its keys and lock
        self.nonces: set[tuple[str, str, str]] = set()

    enforce_ssl = False  # type: ignore[assignment]
    dummy_client = "dummy-client"  # type: ignore[assignment]
    dummy_access_token = "dummy-token"  # type: ignore[assignment]

    def check_client_key(self, client_key: str) -> bool:
        return True

    def check_access_token(self, request_token: str) -> bool:
        return True

    def check_nonce(self, nonce: str) -> bool:
        return bool(nonce)

    def validate_client_key(self, client_key: str, request: Any) -> bool:
        return client_key == self.x.keys["X_API_KEY"]

    def validate_access_token(self, client_key: str, token: str, request: Any) -> bool:
        return token == self.x.keys["X_ACCESS_TOKEN"]

    def get_client_secret(self, client_key: str, request: Any) -> str:
        return self.x.keys["X_API_SECRET"]

    def get_access_token_secret(self, client_key: str, token: str, request: Any) -> str:
        return self.x.keys["X_ACCESS_TOKEN_SECRET"]

    def validate_timestamp_and_nonce(self, client_key: str, timestamp: str, nonce: str, request: Any,
                                     request_token: str | None = None, access_token: str | None = None) -> bool:
        with self.x.lock:
            key = (client_key, timestamp, nonce)
            if key in self.nonces:
                return False
            self.nonces.add(key)
            return True

    def validate_realms(self, *args: Any, **kwargs: Any) -> bool:
        return True


def x_copy(text: str, media_of: str = "") -> str:
    """Text as X answers it: URLs as t.co links, & < > escaped, a t.co link appended when it carries media."""
    return x_copy_with_entities(text, media_of)[0]


def x_copy_with_entities(text: str, media_of: str = "") -> tuple[str, list[dict[str, Any]]]:
    """X's copy of a text and its entities.urls: each t.co link with the URL it stands for (expanded_url, a bare
    domain given X's http:// scheme) and, for the appended media link, the media_key and the photo's page."""
    import unicodedata

    from helpers.twitter_text import url_spans  # X finds the URLs with twitter-text, not with the bot's code

    text = unicodedata.normalize("NFC", text)
    wrapped: list[tuple[str, str]] = []  # (t.co link, expanded_url), in text order
    for start, end in reversed(url_spans(text)):
        url = text[start:end]
        expanded = url if re.match(r"(?i)https?://", url) else "http://" + url
        wrapped.insert(0, (_tco(url), expanded))
        text = text[:start] + _tco(url) + text[end:]
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    entities: list[dict[str, Any]] = []
    at = 0
    for link, expanded in wrapped:
        start = text.index(link, at)
        at = start + len(link)
        entities.append({"start": start, "end": at, "url": link, "expanded_url": expanded,
                         "display_url": re.sub(r"(?i)^https?://", "", expanded)[:26]})
    if media_of:
        link = _tco("media:" + media_of)
        text = text + " " + link
        entities.append({"start": len(text) - len(link), "end": len(text), "url": link,
                         "expanded_url": f"https://x.com/quietindex/status/{media_of}/photo/1",
                         "display_url": "pic.x.com/" + link[-10:], "media_key": f"3_{media_of}"})
    return text, entities


def _tco(url: str) -> str:
    return "https://t.co/" + hashlib.sha1(url.encode()).hexdigest()[:10]
