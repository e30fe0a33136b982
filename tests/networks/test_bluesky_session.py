"""The kept Bluesky session against the real test PDS (the `pds` fixture of helpers/pds.py): an expired access token
is refreshed (com.atproto.server.refreshSession), not replaced by a new sign-in, and the refresh is written back;
a kept session whose refresh token is revoked leads to one new sign-in (createSession), never a loop. The oracle
for what was called is the PDS's own request log (PDS_REQUEST_LOG in pds.mjs), not the bot's log; the PDS itself
says which tokens are expired or revoked. And the test PDS listens on loopback only (the kernel's socket table)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from conftest import require_or_skip
from helpers.json_ledger import JSONLedger
from helpers.pds import pds, records, sky_settings, sky_thread  # noqa: F401 - pds is the fixture

from bot.core.clock import FakeClock
from bot.core.errors import AuthError
from bot.networks.bluesky.client import BlueskyClient
from bot.networks.bluesky.thread import BlueskyPublisher

CREATE, REFRESH, POSTING = ("com.atproto.server.createSession", "com.atproto.server.refreshSession",
                            "com.atproto.repo.createRecord")
TEXT = "One post through a session that had to be refreshed first."
NO_LONGER_WORKS = "the kept Bluesky session no longer works"


def calls(pds: dict[str, Any], since: int = 0) -> list[str]:
    """The XRPC methods the PDS received, in order, from request number `since` on (its own log)."""
    path: Path = pds["requests"]
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [json.loads(line)["xrpc"] for line in lines[since:]]


def ask(pds: dict[str, Any], method: str, token: str, post: bool = False) -> tuple[int, dict[str, Any]]:
    """One XRPC call over plain HTTP with `token` as the bearer: (status, answer)."""
    request = urllib.request.Request(f"{pds['url']}/xrpc/{method}", method="POST" if post else "GET",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            body = answer.read()
            return answer.status, json.loads(body) if body else {}
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"{}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def expired(token: str, secret: str) -> str:
    """The same access token with iat/exp an hour and more in the past, signed again (HS256) with the PDS's secret."""
    header, payload, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    now = int(time.time())
    claims.update(iat=now - 3 * 3600, exp=now - 3600)
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(secret.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(signature)}"


def read_kept(path: Path) -> str:
    """The one session string kept in the file ({"sessions": {"SERVICE IDENTIFIER": {"session": ...}}})."""
    (entry,) = json.loads(path.read_text(encoding="utf-8"))["sessions"].values()
    return str(entry["session"])


def write_kept(path: Path, session: str) -> None:
    """Replace the one kept session string, as a stale or revoked session would be found."""
    data = json.loads(path.read_text(encoding="utf-8"))
    (entry,) = data["sessions"].values()
    entry["session"] = session
    path.write_text(json.dumps(data), encoding="utf-8")


def kept_session(pds: dict[str, Any], tmp: Path) -> tuple[Path, list[str]]:
    """The bot signs in once (createSession) and keeps the session; its fields in the SDK's session-string format
    (handle:::did:::access:::refresh:::pds)."""
    BlueskyClient(sky_settings(pds, tmp), FakeClock()).whoami()
    assert calls(pds).count(CREATE) == 1
    kept = tmp / "session.json"
    return kept, read_kept(kept).split(":::")


def one_post(tmp: Path, name: str) -> Any:
    return sky_thread(tmp, (f"{TEXT} ({name})",))


def test_an_expired_access_token_is_refreshed_not_signed_in_again_and_the_refresh_is_kept(
        pds: dict[str, Any], tmp_path: Path) -> None:
    kept, fields = kept_session(pds, tmp_path)
    refresh = fields[3]
    stale = expired(fields[2], pds["jwt_secret"])
    status, answer = ask(pds, "com.atproto.server.getSession", stale)
    assert (status, answer.get("error")) == (400, "ExpiredToken")  # the PDS itself calls it expired
    write_kept(kept, ":::".join([*fields[:2], stale, *fields[3:]]))
    since = len(calls(pds))
    # A wrong password: a sign-in would fail, so only a refresh can make this post go out.
    thread = one_post(tmp_path, "refreshed")
    posted = BlueskyPublisher(sky_settings(pds, tmp_path, password="wrong-password"), FakeClock()).publish(
        thread, JSONLedger(tmp_path / "l.json"))
    made = calls(pds, since)
    assert made.count(REFRESH) == 1 and made.count(CREATE) == 0, made
    assert made.count(POSTING) == 1 and made.index(REFRESH) < made.index(POSTING)
    assert posted.complete and [r["value"]["text"] for r in records(pds)] == [thread.networks[0].tweets[0].text]
    # The refreshed session was written back (owner-only) and is the one the PDS now honours.
    assert kept.stat().st_mode & 0o777 == 0o600
    now = read_kept(kept).split(":::")
    assert now[2] != stale and now[3] != refresh  # (a new access token can equal the first: no jti, iat in seconds)
    status, me = ask(pds, "com.atproto.server.getSession", now[2])
    assert status == 200 and me["did"] == pds["did"]
    assert ask(pds, REFRESH, now[3], post=True)[0] == 200


def test_a_kept_session_whose_refresh_token_is_revoked_signs_in_once_not_in_a_loop(
        pds: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    kept, fields = kept_session(pds, tmp_path)
    assert ask(pds, "com.atproto.server.deleteSession", fields[3], post=True)[0] == 200  # revoked on the PDS
    assert ask(pds, REFRESH, fields[3], post=True)[0] in (400, 401)  # and the PDS refuses it now
    dead = ":::".join([*fields[:2], expired(fields[2], pds["jwt_secret"]), *fields[3:]])
    write_kept(kept, dead)
    # With a wrong password too: one refresh tried, one sign-in tried, then an AuthError, not a retry loop.
    since = len(calls(pds))
    with caplog.at_level(logging.INFO, logger="bot"), pytest.raises(AuthError, match="sign-in"):
        BlueskyPublisher(sky_settings(pds, tmp_path, password="wrong-password"), FakeClock()).publish(
            one_post(tmp_path, "refused"), JSONLedger(tmp_path / "a.json"))
    made = calls(pds, since)
    assert (made.count(REFRESH), made.count(CREATE), made.count(POSTING)) == (1, 1, 0), made
    assert records(pds) == []
    # With the right password: the one new sign-in replaces the dead session and the post goes out once.
    caplog.clear()
    since = len(calls(pds))
    with caplog.at_level(logging.INFO, logger="bot"):
        posted = BlueskyPublisher(sky_settings(pds, tmp_path), FakeClock()).publish(
            one_post(tmp_path, "signed in again"), JSONLedger(tmp_path / "b.json"))
    made = calls(pds, since)
    assert (made.count(REFRESH), made.count(CREATE), made.count(POSTING)) == (1, 1, 1), made
    assert posted.complete and len(records(pds)) == 1
    lines = [r.getMessage() for r in caplog.records if NO_LONGER_WORKS in r.getMessage()]
    assert len(lines) == 1 and "signing in again" in lines[0] and fields[3] not in caplog.text
    now = read_kept(kept).split(":::")
    assert kept.stat().st_mode & 0o777 == 0o600 and now[3] != fields[3]
    assert ask(pds, "com.atproto.server.getSession", now[2])[0] == 200


def listening(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket process `pid` listens on, from the kernel's /proc/net/tcp{,6}."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    found = []
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        for row in Path(table).read_text().splitlines()[1:]:
            cols = row.split()
            if cols[3] != "0A" or cols[9] not in inodes:  # 0A: LISTEN
                continue
            hexaddr, hexport = cols[1].split(":")
            raw = b"".join(bytes.fromhex(hexaddr[i:i + 8])[::-1] for i in range(0, len(hexaddr), 8))
            found.append((socket.inet_ntop(family, raw), int(hexport, 16)))
    return found


def test_the_test_pds_and_plc_listen_on_loopback_only(pds: dict[str, Any]) -> None:
    if not Path("/proc/net/tcp").exists():
        require_or_skip("no /proc/net/tcp (not Linux): the listening sockets cannot be read")
    sockets = listening(pds["pid"])
    ports = {port for _, port in sockets}
    assert urlparse(pds["url"]).port in ports and len(ports) >= 2, sockets  # the PDS and the PLC directory
    loopback = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}
    assert [s for s in sockets if s[0] not in loopback] == [], f"listening beyond loopback: {sockets}"
