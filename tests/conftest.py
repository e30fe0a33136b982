"""Shared test fixtures: every test stays on 127.0.0.1."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

# CI (CI=true) runs the property tests on a fixed seed, so a landing never hangs on a new random draw; on a
# developer's machine they explore new examples each run, and what they find is pinned with @example.
from hypothesis import settings as _hypothesis  # noqa: E402

_hypothesis.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    _hypothesis.load_profile("ci")

# The network guard (tests/netguard/sitecustomize.py): on in this process and, through PYTHONPATH and
# TEST_NETGUARD, in every Python child; each refused attempt is also written to TEST_NETLOG.
NETGUARD = Path(__file__).resolve().parent / "netguard"
os.environ["TEST_NETGUARD"] = "1"
os.environ.setdefault("TEST_NETLOG", str(Path(tempfile.mkdtemp(prefix="bot-netguard-")) / "refused.log"))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(NETGUARD), os.environ.get("PYTHONPATH", "")]))
sys.path.insert(0, str(NETGUARD))
import sitecustomize as netguard  # noqa: E402 - ours (the folder above is first on sys.path)

netguard.install()

REQUIRE_ALL = "BOT_TEST_REQUIRE_ALL"


def require_or_skip(reason: str) -> None:
    """Skip the calling test with `reason`, or fail it when BOT_TEST_REQUIRE_ALL=1 (.ci/run) says nothing may be missing.

    Use it wherever a real component (node, chromium, Postgres, an npm package) is absent:
        from conftest import require_or_skip
        if shutil.which("node") is None:
            require_or_skip("node is not installed: .ci/run installs it")
    """
    if os.environ.get(REQUIRE_ALL, "") not in ("", "0"):
        pytest.fail(f"{REQUIRE_ALL}=1 but a required component is missing: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def stays_on_loopback() -> Iterator[None]:
    """Fails the test when it, or any child it started, tried to reach anything but 127.0.0.1 (even if the code
    that tried swallowed the error)."""
    log = Path(os.environ["TEST_NETLOG"])
    before = log.stat().st_size if log.exists() else 0
    yield
    if log.exists() and log.stat().st_size > before:
        with open(log, encoding="utf-8") as lines:
            lines.seek(before)
            refused = lines.read().strip()
        pytest.fail(f"the test tried to leave 127.0.0.1:\n{refused}", pytrace=False)


@pytest.fixture(autouse=True)
def no_real_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never see the developer's own tokens, settings file or .env."""
    for name in ("HF_TOKEN", "BOT_LLM_API_KEY", "BOT_IMAGE_API_KEY", "X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN",
                 "X_ACCESS_TOKEN_SECRET", "DATABASE_URL", "BOT_CONFIG", "BOT_FEED_URL", "BOT_LLM_BASE_URL",
                 "BOT_IMAGE_BASE_URL", "BOT_GRADIO_SPACE", "X_API_BASE_URL", "HF_HUB_OFFLINE",
                 "BOT_NETWORKS", "BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD", "BLUESKY_SERVICE", "MASTODON_BASE_URL",
                 "MASTODON_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    """The fake clock (bot.core.clock.FakeClock): sleeps advance it at once, so no test waits for real."""
    from bot.core.clock import FakeClock

    return FakeClock()


@pytest.fixture
def x(clock):  # type: ignore[no-untyped-def]
    """The local X API (tests/xserver.py) on 127.0.0.1, on the test's clock; tests of a child process that
    lives in real time override it with their own."""
    from xserver import XServer

    with XServer(clock=clock.time) as server:
        yield server


@pytest.fixture
def feed_url(feed_server) -> str:  # type: ignore[no-untyped-def]
    """The bundled sample feed served over HTTP by the local feed server (a feed as a user points at one)."""
    from helpers.botproc import SAMPLE_FEED

    feed_server.route("/feed", SAMPLE_FEED)
    return str(feed_server.url("/feed"))


@pytest.fixture
def feed_server():  # type: ignore[no-untyped-def]
    """A real feed server on 127.0.0.1 (tests/feedserver.py), stopped when the test ends."""
    from feedserver import FeedServer

    with FeedServer() as server:
        yield server
