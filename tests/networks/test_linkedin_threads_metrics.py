"""/metrics tells when LinkedIn's and Threads' tokens end: `bot_token_expiry_seconds{network=...}`, seconds left as
far as the bot knows (LinkedIn: 60 days from the token's first use; Threads: the expiry of the token it refreshed),
so an alert can fire well before a post fails. A scrape writes nothing, and an unknown end is no sample, not 0."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.xkit import settings_for
from starlette.testclient import TestClient

from bot.core.clock import FakeClock
from bot.networks.linkedin.token import TokenAge
from bot.networks.threads.token import TokenKeeper
from bot.state.store import Store
from bot.web.app import create_app

DAY = 86400


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _settings(tmp: Path):  # type: ignore[no-untyped-def]
    keys = {"LINKEDIN_ACCESS_TOKEN": "li-token", "LINKEDIN_AUTHOR": "urn:li:person:1",
            "THREADS_ACCESS_TOKEN": "th-token", "THREADS_USER_ID": "1"}
    return settings_for("http://127.0.0.1:9", keys,
                        networks=["x", "linkedin", "threads"], store__sqlite_path=str(tmp / "bot.db"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(None, _settings(tmp_path))
    yield s
    s.close()


def _gauges(text: str) -> dict[str, float]:
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r'^bot_token_expiry_seconds\{network="(\w+)"\} (\S+)$', text, flags=re.M)}


def test_metrics_count_down_to_each_tokens_end(tmp_path: Path, store: Store) -> None:
    clock = FakeClock()
    settings = _settings(tmp_path)
    web = TestClient(create_app(settings, store, clock), base_url="http://127.0.0.1")
    assert _gauges(web.get("/metrics").text) == {}  # nothing known yet: no sample (not "0 seconds left")
    assert not (tmp_path / str(settings.linkedin.token_file)).exists()  # the scrape recorded no first use
    TokenAge(settings).first_used(clock.time() - 50 * DAY)  # first used 50 days ago: 10 days left at most
    TokenKeeper(settings, clock).refreshed("th-token-2", 20 * DAY)
    gauges = _gauges(web.get("/metrics").text)
    assert gauges == {"linkedin": pytest.approx(10 * DAY, abs=2), "threads": pytest.approx(20 * DAY, abs=2)}
    clock.t += 11 * DAY
    assert _gauges(web.get("/metrics").text)["linkedin"] == pytest.approx(-DAY, abs=2)  # ended: negative
