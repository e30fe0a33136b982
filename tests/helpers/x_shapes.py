"""What the local X API (tests/xserver.py) answers with: X's error bodies, the OAuth 1.0a validator, X's copy of a text."""

from __future__ import annotations

import hashlib
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
    import unicodedata

    from helpers.twitter_text import url_spans  # X finds the URLs with twitter-text, not with the bot's code

    text = unicodedata.normalize("NFC", text)
    for start, end in reversed(url_spans(text)):
        text = text[:start] + _tco(text[start:end]) + text[end:]
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text + " " + _tco("media:" + media_of) if media_of else text


def _tco(url: str) -> str:
    return "https://t.co/" + hashlib.sha1(url.encode()).hexdigest()[:10]
