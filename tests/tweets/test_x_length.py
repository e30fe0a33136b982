"""The local X API judges length the way X does, with twitter-text itself (tests/helpers/twitter_text.py), so a
bot that miscounts is refused end to end — a fake X that counted with the bot's own code could never catch it.

The texts and their counts come from twitter-text's conformance cases and the issue's report, not from bot.tweets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.json_ledger import JSONLedger
from helpers.twitter_text import JSTwitterText, PyTwitterText, judge
from helpers.x_shapes import TOO_LONG
from helpers.xkit import make_thread, settings_for
from twins.xserver import CREDENTIALS, XServer

from bot.core.clock import FakeClock
from bot.core.errors import BotError
from bot.networks.x.client import XClient
from bot.networks.x.thread import XPublisher
from bot.tweets import length
from bot.tweets.length import fit, is_valid, weighted_length

HOSTS = "“https://a.co”" * 16  # 16 × (1 + 23 + 1) = 400 for twitter-text; the old bot counted 224
MASKS_280 = "😷" * 140  # conformance: "160 emoji char, overflow at char index 140" — 140 of them weigh 280


def publish(x: XServer, clock: FakeClock, tmp: Path, texts: tuple[str, ...]) -> Any:
    settings = settings_for(x.url, CREDENTIALS)
    ledger = JSONLedger(tmp / "ledger.json")
    return XPublisher(XClient(settings, settings.secrets, clock), settings, clock).publish(make_thread(texts), ledger)


def test_the_judge_is_an_independent_twitter_text() -> None:
    assert isinstance(judge(), (JSTwitterText, PyTwitterText))
    assert "bot" not in type(judge()).__module__.split(".")[0]
    assert judge().parse(HOSTS)["weightedLength"] == 400
    assert judge().parse(MASKS_280)["weightedLength"] == 280


def test_the_local_x_refuses_an_over_long_post_with_xs_400_body(x: XServer, clock: FakeClock, tmp_path: Path) -> None:
    with pytest.raises(BotError):
        publish(x, clock, tmp_path, (MASKS_280 + "😷", "Second.", "Third."))
    assert x.posts == []
    assert ("POST /2/tweets", 400) in x.requests


def test_the_local_x_accepts_exactly_280(x: XServer, clock: FakeClock, tmp_path: Path) -> None:
    posted = publish(x, clock, tmp_path, (MASKS_280, "Second.", "Third."))
    assert posted.complete and [p["text"] for p in x.posts][0] == MASKS_280


def test_xs_refusal_body_has_xs_shape(x: XServer) -> None:
    status, body = x.create({"text": HOSTS})
    assert status == 400
    assert body["title"] == "Invalid Request" and body["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert body["errors"][0]["message"] == TOO_LONG and body["errors"][0]["parameters"] == {"text": [HOSTS]}


def test_a_bot_that_weighs_a_url_13_is_caught_by_the_local_x(
        monkeypatch: pytest.MonkeyPatch, x: XServer, clock: FakeClock, tmp_path: Path) -> None:
    """The sabotage the issue describes: with every URL counted 13, not 23, the bot fits a tweet of links and
    words to what it believes is 280; the local X, counting with twitter-text, refuses it and nothing is posted."""
    links = " ".join(f"https://quietindex.substack.com/p/{n}" for n in range(8))
    words = " ".join(["Small newsletters win because readers trust one voice."] * 6)
    monkeypatch.setattr(length, "URL_WEIGHT", 13)
    sabotaged, _ = fit(f"{links} {words}")
    assert is_valid(sabotaged) and weighted_length(sabotaged) <= 280  # the broken bot believes it fits
    assert judge().parse(sabotaged)["weightedLength"] > 280  # it does not
    with pytest.raises(BotError):
        publish(x, clock, tmp_path, (sabotaged, "Second.", "Third."))
    assert x.posts == [] and ("POST /2/tweets", 400) in x.requests

    monkeypatch.undo()  # the real count: the same text is fitted to what X accepts, and goes out
    honest, _ = fit(f"{links} {words}")
    assert judge().parse(honest)["weightedLength"] <= 280
    (tmp_path / "again").mkdir()
    assert publish(x, clock, tmp_path / "again", (honest, "Second.", "Third.")).complete


def test_under_require_all_a_missing_js_oracle_is_an_error_not_a_quiet_fallback(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import helpers.twitter_text as tt

    monkeypatch.setattr(tt, "_judge", None)
    monkeypatch.setattr(tt, "CHILD_FREE", False)  # as in a slow test: the JS oracle is the judge when it can run
    monkeypatch.setattr(tt, "js_missing", lambda: "node is not installed")
    monkeypatch.setenv("BOT_TEST_REQUIRE_ALL", "1")
    with pytest.raises(RuntimeError, match="BOT_TEST_REQUIRE_ALL=1 but node is not installed"):
        tt.judge()
    monkeypatch.delenv("BOT_TEST_REQUIRE_ALL")
    assert isinstance(tt.judge(), PyTwitterText)  # without the switch, the Python port stands in
