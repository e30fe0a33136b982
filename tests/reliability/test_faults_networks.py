"""Network account faults, through the real `bot` child against Bluesky's own PDS (helpers/pds.py): a kept session is
used only for the service and account it was made for, and it lives in (or, before one exists, beside) the bot's
database, not in whichever folder a command runs from. The oracles are the PDS's own request log (which sign-ins it
saw) and its repositories (whose account holds the posts), read over plain HTTP."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from dbs import fresh_postgres
from faults import fault
from helpers.botproc import ENTRY, bot_env, run_bot
from helpers.pds import pds, records, xrpc  # noqa: F401 - pds is the fixture
from helpers.tcpproxy import TcpProxy

CREATE = "com.atproto.server.createSession"
SECOND_ENTRY = "https://quietindex.substack.com/p/what-a-thousand-paying-readers-taught-me"


def sign_ins(pds: dict[str, Any]) -> int:
    """How many createSession requests the PDS received (its own log)."""
    path: Path = pds["requests"]
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return sum(1 for line in lines if json.loads(line)["xrpc"] == CREATE)


def second_account(pds: dict[str, Any]) -> dict[str, str]:
    """Another account on the same PDS (com.atproto.server.createAccount): its handle, password and DID."""
    account = {"handle": "second.test", "password": "second-pass-8d2k", "email": "second@example.com"}
    request = urllib.request.Request(f"{pds['url']}/xrpc/com.atproto.server.createAccount", method="POST",
                                     data=json.dumps(account).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        made = json.load(answer)
    return {**account, "did": made["did"]}


def posts_of(pds: dict[str, Any], did: str) -> list[dict[str, Any]]:
    out = xrpc(pds, "com.atproto.repo.listRecords", repo=did, collection="app.bsky.feed.post", limit="100")
    return list(out["records"])


def env_for(tmp: Path, handle: str, password: str, service: str, feed: str) -> dict[str, str]:
    """`bot` with Bluesky only, its database (and so its kept sessions) in tmp/state, whatever folder it runs in."""
    return bot_env(tmp, "", {"BLUESKY_HANDLE": handle, "BLUESKY_APP_PASSWORD": password}, BOT_NETWORKS="bluesky",
                   BLUESKY_SERVICE=service, BOT_STORE_SQLITE_PATH=str(tmp / "state" / "bot.db"),
                   BOT_FEED_URL=feed, BOT_WRITER_BACKEND="extractive")


def folder(tmp: Path, name: str) -> Path:
    (tmp / name).mkdir(exist_ok=True)
    return tmp / name


@fault("Security", "BLUESKY_HANDLE changed to another account while the first one's session is kept",
       "`bot check` names the new account, and `bot post` posts to it; the first account gets nothing")
@pytest.mark.slow
def test_a_kept_session_is_never_used_for_another_account(pds: dict[str, Any], tmp_path: Path,
                                                                      feed_url: str) -> None:
    other = second_account(pds)
    first = run_bot(["check"], env_for(tmp_path, pds["handle"], pds["password"], pds["url"], feed_url), folder(tmp_path, "run"))
    assert f"({pds['did']})" in first.stdout, first.stdout + first.stderr
    env = env_for(tmp_path, other["handle"], other["password"], pds["url"], feed_url)
    check = run_bot(["check"], env, folder(tmp_path, "run"))
    assert f"({other['did']})" in check.stdout and pds["did"] not in check.stdout + check.stderr, check.stdout
    posted = run_bot(["post", "--entry", ENTRY, "--out", str(tmp_path / "out")], env, folder(tmp_path, "run"))
    assert posted.returncode == 0, posted.stderr[-2000:]
    assert posts_of(pds, other["did"]) and posts_of(pds, pds["did"]) == []


@fault("Security", "the same bot run from two folders, then BLUESKY_SERVICE changed (the old address gone)",
       "one sign-in serves both folders (the session is kept beside the database, owner-only, none in either "
       "folder); the new service gets a sign-in of its own, and the post goes out")
@pytest.mark.slow
def test_a_kept_session_lives_with_the_state_and_belongs_to_its_service(pds: dict[str, Any], tmp_path: Path,
                                                                      feed_url: str) -> None:
    target = urlparse(pds["url"])
    with TcpProxy((target.hostname or "127.0.0.1", target.port or 80)) as proxy:
        old = f"http://127.0.0.1:{proxy.port}"
        for name in ("here", "there"):
            check = run_bot(["check"], env_for(tmp_path, pds["handle"], pds["password"], old, feed_url), folder(tmp_path, name))
            assert f"({pds['did']})" in check.stdout, check.stdout + check.stderr
    assert sign_ins(pds) == 1  # the second folder used the session the first one kept
    kept = [p for p in tmp_path.rglob("*session*") if p.is_file()]
    assert [p.parent for p in kept] == [tmp_path / "state"] and kept[0].stat().st_mode & 0o777 == 0o600, kept
    # The old address is gone (the proxy stopped); the new service must not be handed the old service's session.
    env = env_for(tmp_path, pds["handle"], pds["password"], pds["url"], feed_url)
    posted = run_bot(["post", "--entry", ENTRY, "--out", str(tmp_path / "out")], env, folder(tmp_path, "here"))
    assert posted.returncode == 0, posted.stderr[-2000:]
    assert sign_ins(pds) == 2 and len(records(pds)) >= 1


@fault("Security", "DATABASE_URL shared by two working folders (Heroku: dynos overlap, the disk is wiped daily)",
       "`bot post` from either folder signs in once between them: the session is kept in the database, and no "
       "session file is written into either folder")
@pytest.mark.slow
@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_a_kept_session_lives_in_the_database_shared_by_every_folder(pds: dict[str, Any], tmp_path: Path,
                                                                     feed_url: str, db: str) -> None:
    databases = fresh_postgres() if db == "postgres" else iter([f"sqlite:///{tmp_path / 'state' / 'bot.db'}"])
    url = next(databases)  # a fresh PostgreSQL database (skipped when BOT_TEST_DATABASE_URL is unset)
    try:
        env = {**env_for(tmp_path, pds["handle"], pds["password"], pds["url"], feed_url), "DATABASE_URL": url}
        del env["BOT_STORE_SQLITE_PATH"]  # the default (bot.db, relative): only DATABASE_URL says where state lives
        (tmp_path / "state").mkdir(exist_ok=True)
        for name, entry in (("here", ENTRY), ("there", SECOND_ENTRY)):
            posted = run_bot(["post", "--entry", entry, "--out", str(tmp_path / "out" / name)], env,
                             folder(tmp_path, name))
            assert posted.returncode == 0, posted.stderr[-2000:]
        assert len({r["value"]["text"] for r in records(pds)}) >= 2  # both runs posted, so both used a session
        assert sign_ins(pds) == 1  # the second folder used the session the first one kept in the database
        kept = [p for p in tmp_path.rglob("*session*") if p.is_file()]
        assert kept == [], kept
    finally:
        for _ in databases:  # drops the PostgreSQL database
            pass
