"""Independent judges of X's text rules for the tests — never the bot's own bot.tweets code.

Two implementations, both by other people:
- the official JS `twitter-text` 3.1.0 (tests/oracle, installed by `npm ci` there), run as one long-lived
  `node oracle.js` child that answers a JSON line per text;
- the Python port `twitter-text-parser` 3.0.0 (PyPI), in-process.

`judge()` is what the local X API (tests/twins/xserver.py) counts with: the JS package when node and the package are
present, else the Python port. Under BOT_TEST_REQUIRE_ALL=1 (.ci/run) a missing JS oracle is an error, not a
quiet fallback. A test of the fast tier (not marked slow) starts no child, so while it runs `judge()` is the
Python port (tests/conftest.py sets CHILD_FREE). Known faults of both, where X itself differs, are listed in
tests/oracle/README.md.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

ORACLE_DIR = Path(__file__).resolve().parents[1] / "oracle"
MAX_WEIGHT = 280


class Judge(Protocol):
    name: str

    def parse(self, text: str) -> dict[str, Any]:
        """{"weightedLength", "valid", "urls": [[start, end, url], ...] (code points, text NFC)}."""
        ...


def js_missing() -> str | None:
    """Why the JS oracle cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed: the twitter-text JS oracle needs node 20 (.ci/run has it)"
    if not (ORACLE_DIR / "node_modules" / "twitter-text" / "package.json").exists():
        return f"twitter-text is not installed in {ORACLE_DIR}: run `npm ci` there (.ci/run does)"
    return None


class JSTwitterText:
    """The official twitter-text 3.1.0 in a node child: one JSON line in, one out, under a lock (thread-safe)."""

    name = "twitter-text 3.1.0 (JS)"

    def __init__(self) -> None:
        reason = js_missing()
        if reason:
            raise RuntimeError(reason)
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(["node", str(ORACLE_DIR / "oracle.js")], cwd=ORACLE_DIR, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1)

    def raw(self, text: str) -> dict[str, Any]:
        """The oracle's answer for `text` exactly as given (no normalisation), indices in code points."""
        with self.lock:
            assert self.proc.stdin and self.proc.stdout
            self.proc.stdin.write(json.dumps(text) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the twitter-text oracle (node) exited")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"the twitter-text oracle failed: {answer['error']}")
        index = _code_points_of_units(text)
        for kind in ("urls", "cashtags", "mentions", "hashtags"):
            answer[kind] = [[index[s], index[e], value] for s, e, value in answer[kind]]
        return answer

    def parse(self, text: str) -> dict[str, Any]:
        # parseTweet normalises to NFC itself; the extractors do not, so they get the NFC text X counts.
        nfc = unicodedata.normalize("NFC", text)
        answer = self.raw(nfc)
        if nfc != text:
            answer.update({k: v for k, v in self.raw(text).items() if k in ("weightedLength", "valid")})
        return answer

    def close(self) -> None:
        """Stop the node child."""
        if self.proc.poll() is None:
            assert self.proc.stdin
            self.proc.stdin.close()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _code_points_of_units(text: str) -> list[int]:
    """For each UTF-16 unit index of `text` (and its end), the code-point index it falls in."""
    index = []
    for i, char in enumerate(text):
        index += [i, i] if ord(char) > 0xFFFF else [i]
    return index + [len(text)]


class PyTwitterText:
    """The Python port twitter-text-parser 3.0.0."""

    name = "twitter-text-parser 3.0.0 (Python)"

    def __init__(self) -> None:
        import twitter_text  # the PyPI package `twitter-text-parser`

        self.tt = twitter_text

    def parse(self, text: str) -> dict[str, Any]:
        parsed = self.tt.parse_tweet(text)
        nfc = unicodedata.normalize("NFC", text)
        found = [[u["indices"][0], u["indices"][1], u["url"]] for u in self.tt.extract_urls_with_indices(nfc)]
        return {"weightedLength": parsed.weightedLength, "valid": parsed.valid, "urls": found}


_judge: Judge | None = None
_judge_lock = threading.Lock()
_python: Judge | None = None
CHILD_FREE = False  # True while a fast-tier test runs: no node child, the Python port judges


def judge() -> Judge:
    """The process-wide independent judge: the JS oracle if it can run, else the Python port (see module doc)."""
    global _judge, _python
    with _judge_lock:
        if CHILD_FREE:
            _python = _python or PyTwitterText()
            return _python
        if _judge is None:
            reason = js_missing()
            if reason is None:
                js = JSTwitterText()
                atexit.register(js.close)
                _judge = js
            elif os.environ.get("BOT_TEST_REQUIRE_ALL", "") not in ("", "0"):
                raise RuntimeError(f"BOT_TEST_REQUIRE_ALL=1 but {reason}")
            else:
                _judge = PyTwitterText()
        return _judge


@pytest.fixture(scope="module")
def js() -> Iterator[JSTwitterText]:
    """The JS reference for one test module (skipped with the reason when node or the package is missing)."""
    reason = js_missing()
    if reason:
        from conftest import require_or_skip  # here, not at import: the local X API loads this module too

        require_or_skip(reason)
    oracle = JSTwitterText()
    yield oracle
    oracle.close()


def too_long(text: str) -> bool:
    """True when X would refuse `text` for its length, as the independent judge counts it."""
    return judge().parse(text)["weightedLength"] > MAX_WEIGHT


def x_length(text: str) -> int:
    """The weighted length X counts for `text`, by the independent judge."""
    return int(judge().parse(text)["weightedLength"])


def x_valid(text: str) -> bool:
    """True when X accepts `text` by the independent judge (some content, 1..280 weighted, no invalid character)."""
    return bool(text.strip()) and bool(judge().parse(text)["valid"])


def url_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the URLs X wraps in t.co, found by the independent judge in NFC `text`."""
    return [(s, e) for s, e, _ in judge().parse(text)["urls"]]
