"""Shared test fixtures: every test stays on 127.0.0.1."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

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
def no_hub_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    """huggingface_hub 2.4 fetches an 'agent harness' list from huggingface.co the first time it builds
    headers; an empty registry keeps every test on 127.0.0.1."""
    from huggingface_hub.utils import _detect_agent

    monkeypatch.setattr(_detect_agent, "_registry", {"standardEnvVars": [], "harnesses": {}})


@pytest.fixture(autouse=True)
def no_real_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never see the developer's own tokens, settings file or .env."""
    for name in ("HF_TOKEN", "BOT_LLM_API_KEY", "BOT_IMAGE_API_KEY", "X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN",
                 "X_ACCESS_TOKEN_SECRET", "DATABASE_URL", "BOT_CONFIG", "BOT_FEED_URL", "BOT_LLM_BASE_URL",
                 "BOT_IMAGE_BASE_URL", "BOT_GRADIO_SPACE", "X_API_BASE_URL", "HF_HUB_OFFLINE"):
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
def feed_server():  # type: ignore[no-untyped-def]
    """A real feed server on 127.0.0.1 (tests/feedserver.py), stopped when the test ends."""
    from feedserver import FeedServer

    with FeedServer() as server:
        yield server
