"""Database and output-folder faults: a database that is unreachable at start or lost mid-run, an output folder
that cannot be written. The CLI says so in one line; the daemon keeps polling and loses nothing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from dbs import fresh_postgres
from faults import fault
from helpers.daemon import FAST_RUN, Proc, bot_env, wait_for
from helpers.quiet_index import OLD
from helpers.quiet_index import item as old_item
from helpers.quiet_index import rss as old_rss
from helpers.tcpproxy import TcpProxy
from helpers.world import ESSAY, World, item, no_leaks, rss
from twins.feedserver import FeedServer
from twins.xserver import XServer

UNREACHABLE = "postgresql://bot:SeCrEt-pass-4321@127.0.0.1:9/bot"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with FeedServer() as feeds, XServer() as x:
        feeds.route("/feed", rss(item("why-small-newsletters-win", "Why small newsletters win", ESSAY)))
        yield World(tmp_path, feeds, x)


START = [
    (["run", "--once"], {"DATABASE_URL": UNREACHABLE}),
    (["history"], {"DATABASE_URL": UNREACHABLE}),
    (["post"], {"DATABASE_URL": UNREACHABLE}),
    (["run", "--once"], {"DATABASE_URL": "mysql://root@127.0.0.1/bot"}),
    (["run", "--once"], {"BOT_STORE_SQLITE_PATH": "/proc/no-such-place/bot.db"}),
]


@fault("Database", "unreachable at start (nothing listens), a database URL of an unsupported kind, a SQLite file "
       "that cannot be created", "one line that names the database (password masked) and what to check; non-zero "
       "exit; nothing posted; `bot post --dry-run` still works", cases=len(START))
@pytest.mark.parametrize(("args", "env"), START, ids=["run", "history", "post", "mysql", "sqlite"])
def test_a_database_that_cannot_be_opened(world: World, args: list[str], env: dict[str, str]) -> None:
    result = world.cli(args, [world.feeds.url("/feed")], **env)
    no_leaks(result.stdout, result.stderr)
    assert result.returncode != 0 and "SeCrEt-pass-4321" not in result.stdout + result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("bot: error:") and ("database" in line.lower() or "sqlite" in line.lower()), result.stderr
    assert world.x.posts == []
    dry = world.cli(["post", "--dry-run"], [world.feeds.url("/feed")], **env)
    assert dry.returncode == 0, dry.stderr


@fault("Database", "PostgreSQL lost mid-run (every connection cut, new ones refused) while `bot run` polls, then back",
       "each poll in the outage fails with one log line and the daemon keeps running; once the database is back the "
       "new entry is posted once; SIGTERM exits 0")
def test_the_database_goes_away_and_comes_back(tmp_path: Path) -> None:
    database = fresh_postgres()  # skips with its reason when BOT_TEST_DATABASE_URL is unset
    url = next(database)
    procs: list[Proc] = []
    try:
        from sqlalchemy.engine import make_url

        real = make_url(url)
        with FeedServer() as feeds, XServer() as x, TcpProxy((real.host or "127.0.0.1", real.port or 5432)) as proxy:
            feeds.route("/feed", old_rss(*OLD), etag='"v0"')
            proxied = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
            env = bot_env(tmp_path, feeds.url("/feed"), x.url, "daemon", DATABASE_URL=proxied)
            daemon = Proc(["-c", FAST_RUN], env, tmp_path, "daemon")
            procs.append(daemon)
            wait_for("the first poll", lambda: daemon.heartbeats() >= 1, [daemon])
            proxy.cut()
            before = daemon.heartbeats()
            wait_for("two polls during the outage", lambda: daemon.heartbeats() >= before + 2, [daemon], timeout=60)
            feeds.set_body("/feed", old_rss(old_item("back-online", 0), *OLD))
            proxy.restore()
            wait_for("the new entry's thread", lambda: "posted Back Online" in daemon.text(), [daemon], timeout=60)
            assert daemon.stop() == 0, daemon.text()[-3000:]
            log = daemon.text()
            assert len(x.posts) == 3 and len({p["text"] for p in x.posts}) == 3
            assert "Traceback" not in log and "SeCrEt" not in log
            failed = [line for line in log.splitlines() if "(failed)" in line or "ERROR" in line]
            assert failed, log[-3000:]  # the outage was reported, one line per failed poll
    finally:
        for proc in procs:
            proc.kill()
        next(database, None)


@fault("Output folder", "`bot post --dry-run --out` naming a file; the daemon's output.dir not writable",
       "the CLI exits 1 with one line naming the folder; the daemon reports the entry, posts nothing, and posts it "
       "once the folder is fixed", cases=2)
def test_an_output_folder_that_cannot_be_written(world: World) -> None:
    blocker = world.tmp / "not-a-folder"
    blocker.write_text("a file where the output folder should be", encoding="utf-8")
    feeds = [world.feeds.url("/feed")]
    cli = world.cli(["post", "--dry-run", "--out", str(blocker / "out")], feeds)
    assert cli.returncode == 1 and "not-a-folder" in cli.stderr.strip().splitlines()[-1], cli.stderr
    first = world.once(feeds, BOT_OUTPUT_DIR=str(blocker / "out"))
    no_leaks(first.stdout, first.stderr)
    assert world.x.posts == [] and "not-a-folder" in first.stderr, first.stderr[-2000:]
    blocker.unlink()
    os.sync()
    world.advance(2)  # daemon.retry_backoff is 1 s here: the bot's clock moves on, no real sleep
    second = world.once(feeds, BOT_OUTPUT_DIR=str(blocker / "out"))
    assert second.returncode == 0, second.stderr[-2000:]
    assert len(world.x.posts) == 3


READ_ONLY = [["check"], ["history"], ["history", "--json"], ["drafts"], ["drafts", "--json"]]


@fault("Database", "read-only commands (`bot check`, `bot history`, `bot drafts`) before anything was recorded, on "
       "SQLite and on an empty PostgreSQL",
       "each says nothing is recorded yet and creates nothing: no SQLite file, no table on PostgreSQL (only `bot post` "
       "and `bot run` create the schema)", cases=2)
@pytest.mark.parametrize("db", ["sqlite", "postgres"])
def test_read_only_commands_create_no_state(world: World, db: str) -> None:
    import json

    from sqlalchemy import create_engine, inspect

    databases = fresh_postgres() if db == "postgres" else iter([""])
    url = next(databases)
    extra = {"DATABASE_URL": url} if url else {}
    try:
        for args in READ_ONLY:
            result = world.cli(args, [world.feeds.url("/feed")], **extra)
            no_leaks(result.stdout, result.stderr)
            if args[-1] == "--json":
                assert result.returncode == 0 and json.loads(result.stdout) == [], result.stderr[-2000:]
            else:
                assert "nothing recorded yet" in result.stdout + result.stderr, (args, result.stdout, result.stderr)
        assert not list(world.tmp.glob("*.db*")) and not list(world.tmp.rglob("bot.db"))
        if url:
            engine = create_engine(url)
            try:
                assert inspect(engine).get_table_names() == []
            finally:
                engine.dispose()
    finally:
        for _ in databases:
            pass


@fault("Database", "the SQLite file deleted while `bot run` polls (an operator's rm, a cleaned volume)",
       "the next poll notices (the file's inode is gone) and the daemon stops, exit 1, with one line naming the file; "
       "nothing is written into the unlinked file and no new empty one is created")
def test_a_deleted_sqlite_file_stops_the_daemon(tmp_path: Path) -> None:
    with FeedServer() as feeds, XServer() as x:
        feeds.route("/feed", old_rss(*OLD), etag='"v0"')
        env = bot_env(tmp_path, feeds.url("/feed"), x.url, "daemon")
        daemon = Proc(["-c", FAST_RUN], env, tmp_path, "daemon")
        try:
            wait_for("the first poll", lambda: daemon.heartbeats() >= 1, [daemon])
            for path in tmp_path.glob("bot.db*"):
                path.unlink()
            try:
                code = daemon.popen.wait(20)
            except Exception:
                raise AssertionError("the daemon did not stop after its database was deleted:\n"
                                     + daemon.text()[-3000:]) from None
        finally:
            daemon.kill()
        log = daemon.err.read_text()
        assert code == 1, log[-3000:]
        lines = [line for line in log.splitlines() if "deleted" in line]
        assert len(lines) == 1 and str(tmp_path / "bot.db") in lines[0], log[-3000:]
        assert "Traceback" not in log
        assert not (tmp_path / "bot.db").exists()  # nothing re-created an empty database


def _small_files() -> None:
    """In the child: files may grow to 100 KB at most (`ulimit -f 100`): the database soon cannot grow."""
    import resource

    resource.setrlimit(resource.RLIMIT_FSIZE, (100 * 1024, 100 * 1024))


@fault("Database", "the disk fills while a thread is prepared (`ulimit -f 100`: the database cannot grow), with "
       "daemon.max_attempts = 1",
       "the run fails with one line and exit 1, but a local failure is not the entry's fault: no attempt is used, "
       "and once there is room the thread is posted once")
def test_a_full_disk_uses_no_attempts(world: World) -> None:
    import json
    import subprocess
    import sys

    feeds = [world.feeds.url("/feed")]
    env = world.base_env(feeds, BOT_DAEMON_MAX_ATTEMPTS="1", BOT_DAEMON_BACKLOG="latest")
    full = subprocess.run([sys.executable, "-m", "bot", "run", "--once"], env=env, cwd=world.tmp, text=True,
                          capture_output=True, timeout=60, preexec_fn=_small_files)
    assert full.returncode == 1 and "Traceback" not in full.stderr, full.stderr[-2000:]
    assert world.x.posts == [], full.stderr[-2000:]
    world.advance(2)  # daemon.retry_backoff = 1 s in the fault world: the bot's clock, no real sleep
    done = world.once(feeds, BOT_DAEMON_MAX_ATTEMPTS="1", BOT_DAEMON_BACKLOG="latest")
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(world.x.posts) == 3 and len({p["text"] for p in world.x.posts}) == 3, done.stderr[-2000:]
    (row,) = json.loads(world.cli(["history", "--json"], feeds).stdout)
    assert row["status"] == "posted" and row["attempts"] == 0, row
