"""BlueskyClient: the atproto calls the bot makes, through the `atproto` SDK, with every failure converted.

The session comes from com.atproto.server.createSession (the SDK's login with fetch_bsky_profile=False: the
plain login also calls app.bsky.actor.getProfile, which a PDS proxies to an AppView and which answers 502 where
there is none). Bluesky rate-limits sign-ins (30 per 5 minutes, 300 a day), so the session is kept (session.py:
in the bot's database where a store is wired, else in a file beside it, under its service and account) and reused by the next run; the SDK refreshes it
(refreshSession) when its access token expires, and every refresh is written back. A kept session is used only
when it is the configured account's (checked before use, and against com.atproto.server.getSession's answer);
one that is another account's, or no longer works, is dropped for a new sign-in, once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Protocol, TypeVar

from bot.core.clock import Clock
from bot.core.errors import AuthError, BotError, NoAnswer, PublishError, RateLimited, clip
from bot.core.settings import Settings
from bot.networks.bluesky.session import SessionFile, SessionKeeper, belongs, session_path

log = logging.getLogger(__name__)
T = TypeVar("T")
POST = "app.bsky.feed.post"


# What the bot uses of the `atproto` SDK (untyped): its Client and the answers it reads.
class Session(Protocol):
    """com.atproto.server.getSession's answer (its `email` is read where the PDS sends one)."""

    did: str
    handle: str


class Made(Protocol):
    """createRecord's answer; getRecord's has the record's `value` too."""

    uri: str
    cid: str


class Found(Made, Protocol):
    value: object


class Resolved(Protocol):
    did: str


class Uploaded(Protocol):
    blob: object


class _Server(Protocol):
    def get_session(self) -> Session: ...


class _Repo(Protocol):
    def create_record(self, data: object) -> Made: ...

    def get_record(self, params: dict[str, str]) -> Found: ...


class _Identity(Protocol):
    def resolve_handle(self, params: dict[str, str]) -> Resolved: ...


class _Atproto(Protocol):
    server: _Server
    repo: _Repo
    identity: _Identity


class _Com(Protocol):
    atproto: _Atproto


class AtprotoClient(Protocol):
    """atproto.Client, as far as the bot calls it."""

    com: _Com

    def login(self, login: str | None = None, password: str | None = None, session_string: str | None = None,
              fetch_bsky_profile: bool = True) -> object: ...

    def export_session_string(self) -> str: ...

    def on_session_change(self, callback: Callable[[object, object], None]) -> None: ...

    def upload_blob(self, data: bytes) -> Uploaded: ...


class BlueskyClient:
    """The account of BLUESKY_HANDLE on bluesky.service; every failure comes out as a BotError."""

    def __init__(self, settings: Settings, clock: Clock, keeper: SessionKeeper | None = None) -> None:
        """`keeper`: where sessions are kept (the store's, where one is wired); None: the file of bluesky.session_file."""
        self.service = settings.bluesky.service.rstrip("/")
        self.handle = settings.secrets.get("BLUESKY_HANDLE").lstrip("@")
        self.password = settings.secrets.get("BLUESKY_APP_PASSWORD")
        self.kept: SessionKeeper = keeper if keeper is not None else SessionFile(session_path(settings))
        # a session is kept for one service and one account, both as configured (the service's URL, lower case)
        self.name = (self.service.lower(), self.handle.lower())
        self.clock = clock
        self._client: AtprotoClient | None = None
        self.did = self.account = self.email = ""

    def client(self) -> AtprotoClient:
        """The signed-in atproto Client: the kept session when it is this account's and still works, else a new one."""
        if self._client is not None:
            return self._client
        kept = self._kept()
        found = self._resume(kept) if kept else None
        if found is None:
            client = self._new()
            self.call("signing in to Bluesky", lambda: client.login(login=self.handle, password=self.password,
                                                                   fetch_bsky_profile=False))
            found = client, self.call("reading the Bluesky session", lambda: client.com.atproto.server.get_session())
        client, me = found
        self.did, self.account, self.email = str(me.did), str(me.handle), str(getattr(me, "email", "") or "")
        self._client = client
        self._keep(client)
        return client

    def _kept(self) -> dict[str, str]:
        """The kept entry ({"session", "did", "handle", "email"}) for this service and account, or {}."""
        text = self.kept.load(*self.name)
        try:
            found = json.loads(text) if text else {}
        except ValueError:  # not an entry this bot wrote: none kept
            return {}
        if not isinstance(found, dict) or not isinstance(found.get("session"), str):
            return {}
        return {k: str(v) for k, v in found.items()}

    def _new(self) -> AtprotoClient:
        from atproto import Client

        client: AtprotoClient = Client(base_url=self.service)
        client.on_session_change(lambda _event, _session: self._keep(client))
        return client

    def _resume(self, kept: dict[str, str]) -> tuple[AtprotoClient, Session] | None:
        """(client, session) through the kept session, or None when it is not this account's, or the PDS refused it
        (expired and not refreshable, or revoked): the caller then signs in once. com.atproto.server.getSession proves
        it works and says whose it is; before it the SDK refreshes (refreshSession) an access token near or past its
        expiry, and the refresh is written back."""
        fields = kept["session"].split(":::")
        if len(fields) < 2 or not belongs(self.handle, fields[1], fields[0], kept.get("email", "")):
            self._drop("is another account's")  # checked before any request is made with it
            return None
        client = self._new()
        try:
            client.login(session_string=kept["session"], fetch_bsky_profile=False)  # reads the string: no request
            me = self.call("reading the kept Bluesky session", lambda: client.com.atproto.server.get_session())
        except (NoAnswer, RateLimited):
            raise  # the PDS did not judge the session: no new sign-in for that
        except Exception as exc:  # refused (AuthError, PublishError, BotError) or not a session string at all
            reason = exc.message if isinstance(exc, BotError) else type(exc).__name__
            log.info("the kept Bluesky session no longer works (%s); signing in again", reason)
            return None
        if not belongs(self.handle, str(me.did), str(me.handle), str(getattr(me, "email", "") or "")):
            self._drop("is another account's, by the PDS's answer")
            return None
        return client, me

    def _drop(self, why: str) -> None:
        log.info("the kept Bluesky session %s, not %s's; signing in again", why, self.handle)
        self.kept.forget(*self.name)
        return None

    def _keep(self, client: AtprotoClient) -> None:
        """Write the session under this service and account (its tokens are secrets: owner-only file, never logged)."""
        try:
            session = client.export_session_string()
        except Exception:  # no session yet (a sign-in that failed): nothing to keep
            return
        handle, did = (session.split(":::") + ["", ""])[:2]
        if self.did and did != self.did:  # never keep another account's session under this account's name
            return
        entry = {"session": session, "did": did, "handle": handle, "email": self.email}
        self.kept.save(*self.name, json.dumps(entry))

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one request, converting the SDK's errors (a dropped connection is NoAnswer, for the caller to resolve)."""
        from atproto_client import exceptions as atp

        try:
            return fn()
        except atp.UnauthorizedError as exc:
            raise AuthError(f"Bluesky refused the sign-in or session ({what}): {_message(exc)}",
                            "check BLUESKY_HANDLE and BLUESKY_APP_PASSWORD (an app password, from Settings → App passwords)") from None
        except atp.RateLimitExceededError as exc:
            reset = _header(exc, "ratelimit-reset")
            raise RateLimited(f"Bluesky's rate limit is used up ({what})", "the rest is posted after the reset",
                              reset_at=float(reset) if reset else None) from None
        except (atp.NetworkError, atp.InvokeTimeoutError) as exc:
            raise NoAnswer(f"no answer from Bluesky while {what} ({type(exc).__name__})",
                           "check BLUESKY_SERVICE and the network") from None
        except atp.BadRequestError as exc:
            raise PublishError(f"Bluesky refused {what}: {_message(exc)}", "fix what it names; the entry is not retried",
                               retryable=False) from None
        except atp.RequestException as exc:
            status = getattr(getattr(exc, "response", None), "status_code", 0)
            raise NoAnswer(f"Bluesky answered {status} while {what}", "the bot tries again later") from None
        except atp.AtProtocolError as exc:
            raise BotError(f"Bluesky: {what} failed ({type(exc).__name__})", "check BLUESKY_SERVICE") from None

    # the calls
    def whoami(self) -> str:
        """The signed-in account's handle and DID (a session is made, or the kept one reused)."""
        self.client()
        return f"{self.account} ({self.did})"

    def upload(self, data: bytes) -> object:
        """com.atproto.repo.uploadBlob: the blob reference to embed."""
        return self.call("uploading the image", lambda: self.client().upload_blob(data).blob)

    def create(self, rkey: str, record: object) -> tuple[str, str]:
        """com.atproto.repo.createRecord with the bot's own record key: (uri, cid)."""
        from atproto import models

        client = self.client()
        data = models.ComAtprotoRepoCreateRecord.Data(repo=self.did, collection=POST, rkey=rkey, record=record)
        made = self.call("posting", lambda: client.com.atproto.repo.create_record(data))
        return str(made.uri), str(made.cid)

    def get(self, rkey: str) -> tuple[str, str, object] | None:
        """com.atproto.repo.getRecord for one of the account's posts: (uri, cid, value), or None when it is not there."""
        from atproto_client import exceptions as atp

        client = self.client()
        params = {"repo": self.did, "collection": POST, "rkey": rkey}
        try:
            found = client.com.atproto.repo.get_record(params)
        except atp.BadRequestError:  # RecordNotFound
            return None
        except atp.AtProtocolError as exc:
            raise NoAnswer(f"could not read post {rkey} back from Bluesky ({type(exc).__name__})",
                           "the next run looks again before sending it") from None
        return str(found.uri), str(found.cid), found.value

    def resolve(self, handle: str) -> str:
        """The DID of a handle, or "" when it does not resolve."""
        if handle.lower() == self.handle.lower():
            self.client()
            return self.did
        try:
            return str(self.client().com.atproto.identity.resolve_handle({"handle": handle}).did)
        except Exception:  # an unknown handle stays plain text
            return ""


def _message(exc: Exception) -> str:
    content = getattr(getattr(exc, "response", None), "content", None)
    error, message = getattr(content, "error", ""), getattr(content, "message", "")
    return clip(f"{error}: {message}".strip(": "), 200) or type(exc).__name__


def _header(exc: Exception, name: str) -> str:
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    return str(headers.get(name, "")) if hasattr(headers, "get") else ""
