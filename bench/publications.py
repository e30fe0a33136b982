"""Many publications on one PostgreSQL, several workers (issue 21). Printed, never asserted.

    BOT_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python bench/publications.py [--publications 1000]

Everything is local: a feed server (tests/twins/feedserver.py) with one feed per publication, one local X
(tests/twins/xserver.py; every account's credentials are the twin's keys, so the account a post went to is read from
the bot's ledger, not from X), and a fresh database that is dropped at the end. Figures:

1. one poll cycle of N unchanged feeds (every feed answers 304) by 3 `bot run --once` workers: wall time (process
   start-up included) and peak RSS of each worker (VmHWM);
2. a burst of 100 new entries across 100 publications (100 accounts), 3 workers of which a random one is SIGKILLed
   every few seconds and started again: every thread on its own account exactly once, no account over its daily cap
   (daemon.daily_cap = 1 in each publication) — checked here and printed;
3. `bot check` with N publications (each account probed against the local X): wall time, and per publication;
4. the review page's queue (GET / and GET /?publication=NAME) with N drafts, one per publication: p50 and p99.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from benchlib import FAKE_X, child_env, kb_field, read_status, scrub_process_env  # noqa: E402

BURST = 100
KILLS = 10  # random SIGKILLs during the burst (a restarted `--once` worker starts again from the first feed)


def _database(base: str) -> tuple[str, object]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(base.replace("postgres://", "postgresql://", 1)).set(drivername="postgresql+psycopg")
    name = f"bench_pubs_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return url.set(database=name).render_as_string(hide_password=False), (admin, name)


def _drop(handle: object) -> None:
    from sqlalchemy import text

    admin, name = handle  # type: ignore[misc]
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _feed(i: int, extra: bool = False) -> bytes:
    from helpers.world import ESSAY, item, rss

    items = [item(f"p{i}-first", f"Publication {i} first note", ESSAY, days_ago=2, host=f"p{i}.substack.com")]
    if extra:
        items.insert(0, item(f"p{i}-burst", f"Publication {i} burst note", ESSAY, host=f"p{i}.substack.com"))
    return rss(*items, title=f"Publication {i}")


class Worker:
    """One `bot run --once` child, its peak RSS sampled from /proc while it runs."""

    def __init__(self, env: dict[str, str], cwd: Path, name: str) -> None:
        self.log = open(cwd / f"{name}.log", "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--once"], env=env, cwd=cwd,
                                     stdout=self.log, stderr=self.log)
        self.peak = 0.0
        self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.sampler.start()

    def _sample(self) -> None:
        while self.proc.poll() is None:
            try:
                self.peak = max(self.peak, kb_field(read_status(self.proc.pid), "VmHWM") or 0.0)
            except OSError:
                break
            time.sleep(0.05)

    def wait(self, timeout: float = 600) -> int:
        code = self.proc.wait(timeout)
        self.sampler.join(1)
        self.log.close()
        return code

    def kill(self) -> None:
        self.proc.kill()
        self.wait()


def cycle(env: dict[str, str], cwd: Path, workers: int = 3) -> tuple[float, list[float], list[int]]:
    start = time.perf_counter()
    running = [Worker(env, cwd, f"w{i}") for i in range(workers)]
    codes = [w.wait() for w in running]
    return time.perf_counter() - start, [w.peak for w in running], codes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publications", type=int, default=1000)
    parser.add_argument("--skip-check", action="store_true", help="leave out figure 3 (bot check)")
    parser.add_argument("--review-only", action="store_true", help="figure 4 alone")
    parser.add_argument("--cycles-only", action="store_true", help="figure 1 alone")
    args = parser.parse_args()
    base = os.environ.get("BOT_TEST_DATABASE_URL")
    if not base:
        print("set BOT_TEST_DATABASE_URL to a local PostgreSQL (the benchmark makes and drops its own database)")
        return 2
    scrub_process_env()
    from twins import xserver
    from twins.feedserver import FeedServer
    from twins.xserver import XServer

    xserver.LIMITS["POST /2/tweets"] = 1_000_000  # the twin's rate limit is X's per user; here 100 users share it

    n = args.publications
    url, handle = _database(base)
    tmp = Path(tempfile.mkdtemp(prefix="bench-pubs-"))
    try:
        with FeedServer() as feeds, XServer(keys=FAKE_X) as x:
            x.filter_duplicates = False  # a post made twice would be counted twice
            for i in range(n):
                feeds.route(f"/f{i}", _feed(i))
            config = tmp / "bot.toml"
            config.write_text("".join(f'[publications.p{i}]\nfeeds = ["{feeds.url(f"/f{i}")}"]\n'
                                      f"[publications.p{i}.daemon]\ndaily_cap = 1\n" for i in range(n)))
            accounts = {f"{k}__P{i}": v for i in range(n) for k, v in FAKE_X.items()}
            env = child_env(DATABASE_URL=url, BOT_CONFIG=str(config), BOT_IMAGE_CHAIN="card", BOT_LOG_LEVEL="WARNING",
                            BOT_FEED_TIMEOUT="10", X_API_BASE_URL=x.url,
                            BOT_STORE_LEASE_SECONDS="20", PYTHONPATH=str(REPO), **accounts)
            if args.review_only:
                _review_page(env, tmp, feeds, n)
                return 0
            seconds, _, codes = cycle(env, tmp)
            print(f"first poll cycle of {n} feeds (backlog recorded, nothing posted), 3 workers: {seconds:.2f} s "
                  f"(exit codes {codes})")
            seconds, peaks, codes = cycle(env, tmp)
            print(f"poll cycle of {n} unchanged feeds (304), 3 workers: {seconds:.2f} s wall, process start-up "
                  f"included (target <= 2 s); peak RSS per worker: {', '.join(f'{p:.0f} MB' for p in peaks)} "
                  f"(target <= 80 MB); exit codes {codes}")
            if args.cycles_only:
                return 0
            _burst(env, tmp, feeds, x, url, n)
            if not args.skip_check:
                start = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "bot", "check"], env=env, cwd=tmp, capture_output=True,
                                      text=True, timeout=1800)
                took = time.perf_counter() - start
                print(f"bot check with {n} publications: {took:.1f} s ({1000 * took / n:.1f} ms per publication; "
                      f"exit {done.returncode}, {done.stdout.count('ok: publication')} accounts ok)")
            _review_page(env, tmp, feeds, n)
    finally:
        _drop(handle)
    print(f"logs: {tmp}")
    return 0


def _burst(env: dict[str, str], tmp: Path, feeds: Any, x: Any, url: str, n: int) -> None:
    from sqlalchemy import create_engine, text

    chosen = random.Random(21).sample(range(n), min(BURST, n))
    for i in chosen:
        feeds.set_body(f"/f{i}", _feed(i, extra=True))
    engine = create_engine(url)
    rng = random.Random(7)
    start, kills = time.perf_counter(), 0
    running = [Worker(env, tmp, f"b{i}") for i in range(3)]
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        time.sleep(rng.uniform(3.0, 8.0))
        for index, worker in enumerate(running):
            if worker.proc.poll() is not None:
                running[index] = Worker(env, tmp, f"b{index}")  # a finished cycle: start the next one
        with engine.connect() as conn:
            posted = conn.execute(text("SELECT COUNT(*) FROM entries WHERE key LIKE '%-burst' AND status = 'posted'")).scalar()
        if posted == len(chosen):
            break
        if kills >= KILLS:
            continue  # then let the workers finish what the killed ones left
        victim = rng.randrange(3)
        running[victim].kill()  # SIGKILL: mid-poll, mid-claim, mid-post
        kills += 1
        running[victim] = Worker(env, tmp, f"b{victim}")
    for worker in running:
        worker.kill()
    took = time.perf_counter() - start
    with engine.connect() as conn:
        posted = conn.execute(text("SELECT COUNT(*) FROM entries WHERE key LIKE '%-burst' AND status = 'posted'")).scalar()
        wrong = conn.execute(text("""SELECT COUNT(*) FROM tweets t JOIN entries e ON e.feed = t.feed AND e.key = t.entry_key
                                     WHERE t.account <> e.publication""")).scalar()
        over = conn.execute(text("""SELECT COUNT(*) FROM (SELECT account FROM tweets WHERE position = 1 AND tweet_id IS NOT NULL
                                    GROUP BY network, account HAVING COUNT(*) > 1) AS o""")).scalar()
        rows = conn.execute(text("SELECT COUNT(*) FROM tweets WHERE tweet_id IS NOT NULL")).scalar()
    engine.dispose()
    made = len(x.posts)
    print(f"burst of {len(chosen)} new entries on {len(chosen)} accounts, 3 workers, {kills} SIGKILLs: {posted}/{len(chosen)} threads "
          f"posted in {took:.1f} s; posts on X {made}, in the ledger {rows} (equal: nothing posted twice); posts on "
          f"another publication's account: {wrong}; accounts over their daily cap of 1: {over}")


def _review_page(env: dict[str, str], tmp: Path, feeds: Any, n: int) -> None:
    """N drafts (one made by `bot post --draft`, copied to every publication's feed), then the queue timed."""

    from sqlalchemy import create_engine, text

    from bot.core import settings as config
    from bot.run import service

    first = feeds.url("/f0")
    made = subprocess.run([sys.executable, "-m", "bot", "post", "--draft", "--feed", first, "--out", str(tmp / "d")],
                          env=env, cwd=tmp, capture_output=True, text=True, timeout=300)
    if made.returncode != 0:
        print(f"review page: no draft made ({made.stderr.strip()[-300:]})")
        return
    engine = create_engine(env["DATABASE_URL"])
    with engine.begin() as conn:
        draft = conn.execute(text("SELECT * FROM drafts ORDER BY id LIMIT 1")).mappings().one()
        for i in range(1, n):
            feed = feeds.url(f"/f{i}")
            conn.execute(text("""INSERT INTO entries (feed, key, guid, link, title, status, plan, created_at, updated_at,
                                 publication) SELECT :f, key, guid, link, title, status, plan, created_at, updated_at, :p
                                 FROM entries WHERE feed = :f0 AND key = :k ON CONFLICT (feed, key) DO NOTHING"""),
                         {"f": feed, "p": f"p{i}", "f0": first, "k": draft["entry_key"]})
            conn.execute(text("""INSERT INTO drafts (id, feed, entry_key, state, entry, out_dir, created_at, updated_at)
                                 VALUES (:id, :f, :k, 'draft', :e, :o, :n, :n) ON CONFLICT DO NOTHING"""),
                         {"id": draft["id"] + i, "f": feed, "k": draft["entry_key"], "e": draft["entry"],
                          "o": draft["out_dir"], "n": draft["created_at"] + i})
    engine.dispose()
    settings = config.load(env, dotenv=None)
    store = service.open_store(settings)
    try:
        for name in ("", f"p{n - 1}"):
            feeds_of = set(settings.of_publication(name).feed.urls) if name else None
            times = []
            for _ in range(20):
                start = time.perf_counter()
                rows = service.drafts(store, feeds=feeds_of)
                times.append(time.perf_counter() - start)
            times.sort()
            print(f"review queue ({'every publication' if not name else 'publication ' + name}, {len(rows)} of {n} "
                  f"drafts; the page's data, read as GET / reads it, without HTTP or the sign-in): p50 "
                  f"{1000 * times[len(times) // 2]:.0f} ms, max of 20 {1000 * times[-1]:.0f} ms (target p99 <= 100 ms)")
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
