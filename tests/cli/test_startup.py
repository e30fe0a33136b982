"""A command imports only what it uses: `bot post --dry-run` loads no web stack, no store and no review code, and
the big tables load only for a text that needs them.

The oracle is Python's own import log (`python -X importtime`) of the real `bot` command in a child process, and
the kernel's count of its peak memory (wait4).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.botproc import RUN_TIMEOUT, SAMPLE_FEED, bot_env

pytestmark = pytest.mark.slow  # a child process

_IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)\s*$")
# The review page's stack and the state the dry run never touches.
NOT_FOR_A_DRY_RUN = ("uvicorn", "starlette", "prometheus_client", "jinja2", "anyio", "sqlalchemy", "bot.web",
                     "bot.state", "bot.run.publishing", "bot.run.daemon", "bot.cli.drafts",
                     # nor, piped and offline, a terminal's drawing, an HTTP client, a model writer or a network's
                     "rich", "ssl", "urllib.request", "http.client", "bot.writing.model", "requests",
                     "bot.networks.x.client", "bot.networks.bluesky.client", "bot.networks.mastodon.client")


def _imports(args: list[str], tmp: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "bot", *args], env=bot_env(tmp), cwd=tmp,
                          capture_output=True, text=True, timeout=RUN_TIMEOUT)
    names = {m.group(1) for line in done.stderr.splitlines() if (m := _IMPORTED.match(line))}
    return done, names


# Tables a text loads only when it needs them: the sample article has no emoji, no look-alike letters and no joiner.
NOT_FOR_THE_SAMPLE = ("emoji", "confusable_homoglyphs", "english_words", "regex", "anyascii")


def _loaded(names: set[str], prefix: str) -> list[str]:
    return sorted(n for n in names if n == prefix or n.startswith(prefix + "."))


def test_a_dry_run_loads_no_web_stack_and_no_store(tmp_path: Path) -> None:
    done, names = _imports(["post", "--dry-run", "--feed", str(SAMPLE_FEED), "--out", str(tmp_path / "out")], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads((tmp_path / "out" / "thread.json").read_text(encoding="utf-8"))["tweets"]
    assert "bot.feed.source" in names and "feedparser" in names  # the log is read right: what it uses is there
    loaded = {prefix: _loaded(names, prefix) for prefix in NOT_FOR_A_DRY_RUN}
    assert not any(loaded.values()), {k: v[:3] for k, v in loaded.items() if v}


def test_help_loads_no_command_at_all(tmp_path: Path) -> None:
    done, names = _imports(["--help"], tmp_path)
    assert done.returncode == 0 and "Usage" in done.stdout
    assert [n for n in names if n.startswith("bot.") and n not in ("bot.cli", "bot.cli.main", "bot.core",
                                                                   "bot.core.errors")] == []


def test_the_sample_dry_run_loads_no_big_table_it_does_not_need(tmp_path: Path) -> None:
    done, names = _imports(["post", "--dry-run", "--feed", str(SAMPLE_FEED), "--out", str(tmp_path / "out")], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "bot.tweets.grounding.wordlist" in names and "PIL.Image" in names  # grounding ran; the card was drawn
    loaded = {prefix: _loaded(names, prefix) for prefix in NOT_FOR_THE_SAMPLE}
    assert not any(loaded.values()), {k: v[:3] for k, v in loaded.items() if v}


def test_an_emoji_in_the_text_loads_the_emoji_table(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(SAMPLE_FEED.read_text(encoding="utf-8").replace("Why small newsletters win",
                                                                   "Why small newsletters win 🎉", 1), encoding="utf-8")
    done, names = _imports(["post", "--dry-run", "--feed", str(feed), "--out", str(tmp_path / "out")], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "🎉" in (tmp_path / "out" / "thread.json").read_text(encoding="utf-8")
    assert "emoji" in names


# A small launcher reads the child's peak RSS from wait4: a child forked straight from pytest (a big process by
# then) would count pytest's pages in its own ru_maxrss until it execs.
_LAUNCHER = """
import os, sys
null = os.open(os.devnull, os.O_WRONLY)
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ, file_actions=[
    (os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)])
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def test_the_dry_run_stays_small(tmp_path: Path) -> None:
    """Peak RSS of the whole `bot post --dry-run` (45.5 MB when measured; 53 MB before rich, ssl and the card's
    font faces left the dry run, 92 MB before the word list, the look-alike table and the emoji table became lazy
    and compact). The bound is the issue's: under 48 MB."""
    done = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, sys.executable, "-m", "bot", "post", "--dry-run",
                           "--feed", str(SAMPLE_FEED), "--out", str(tmp_path / "out")], env=bot_env(tmp_path),
                          cwd=tmp_path, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    peak_kb, code = done.stdout.split()
    assert code == "0"
    assert int(peak_kb) / 1024 < 48, f"peak RSS {int(peak_kb) / 1024:.1f} MB"
