"""Who may use the review page: BOT_WEB_TOKEN as the password, signed session cookies, a CSRF token on every form.

Sessions are Starlette's signed cookies (itsdangerous), HttpOnly and SameSite=Lax, Secure when the public
address is https, carrying a random session id that the store keeps (state/sessions.py): signing out deletes it,
so a copied cookie is worthless afterwards. The signing key is derived from BOT_WEB_TOKEN, so sessions survive a
restart and work across dynos; changing the token signs everyone out. Without a token the page serves loopback
only (the server refuses anything else); gate.py checks the Host header of every request, so a web page
elsewhere cannot reach it through DNS rebinding.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Mapping

from starlette.requests import Request

from bot.core.errors import ConfigError
from bot.core.settings import Settings
from bot.state.sessions import Sessions

SESSION_COOKIE = "bot_session"
SESSION_AGE = 7 * 24 * 3600  # a week, then sign in again


def web_token(settings: Settings) -> str:
    """BOT_WEB_TOKEN, or "" when none is set."""
    return settings.secrets.get("BOT_WEB_TOKEN") or ""


def session_key(settings: Settings) -> str:
    """The key that signs session cookies: derived from the token, random (per process) without one."""
    token = web_token(settings)
    if not token:
        return secrets.token_hex(32)
    return hmac.new(token.encode(), b"bot-review-session-v1", hashlib.sha256).hexdigest()


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_bind(settings: Settings, host: str) -> None:
    """Refuse to serve beyond loopback without BOT_WEB_TOKEN: anyone who reaches the page could post."""
    if not web_token(settings) and not is_loopback(host):
        raise ConfigError(f"BOT_WEB_TOKEN is not set, so the review page may only listen on a loopback address, "
                          f"not {host}",
                          "set BOT_WEB_TOKEN (the page's password) in the environment, or use --host 127.0.0.1")


def token_ok(settings: Settings, given: str) -> bool:
    """Whether `given` is the page's password (compared in constant time); with no token set, only empty is."""
    return hmac.compare_digest(given.encode(), web_token(settings).encode())


def bearer_ok(settings: Settings, request: Request) -> bool:
    """Whether the request carries `Authorization: Bearer <BOT_WEB_TOKEN>` (never true without a token set)."""
    token = web_token(settings)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def signed_in(request: Request, sessions: Sessions, now: float) -> bool:
    """Whether the request's cookie names a session that is still live on the server (not signed out, not expired)."""
    session_id = request.session.get("sid")
    return isinstance(session_id, str) and bool(session_id) and sessions.live(session_id, now)


def sign_in(request: Request, sessions: Sessions, now: float) -> None:
    """Start a new server-side session for this browser (any old cookie content is dropped)."""
    request.session.clear()
    request.session["sid"] = sessions.start(now, SESSION_AGE)
    csrf_token(request)  # a fresh CSRF token for the signed-in session


def sign_out(request: Request, sessions: Sessions) -> None:
    """End this browser's session on the server, so a copy of its cookie signs nobody in, and clear the cookie."""
    session_id = request.session.get("sid")
    if isinstance(session_id, str) and session_id:
        sessions.end(session_id)
    request.session.clear()


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 20:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, form: Mapping[str, object] | None) -> bool:
    """Whether the form's csrf field matches the session's token."""
    expected = request.session.get("csrf")
    given = form.get("csrf") if form is not None else None
    return isinstance(expected, str) and isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def client(request: Request) -> str:
    """Who made a change from the web: the client's address (the token names no person)."""
    return f"web {request.client.host}" if request.client else "web"
