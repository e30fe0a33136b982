"""attack22: hostile content on LinkedIn and Threads, published to their twins (in-process servers on 127.0.0.1).
What a reader sees must be what was gated: no silent cut, no mention or hashtag made from text, no fact changed
when the thread is joined into one LinkedIn post, no post refused by the network after the bot said it fits."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.json_ledger import JSONLedger
from helpers.xkit import make_thread, settings_for
from twins.linkedin import AUTHOR, LinkedInTwin, utf16
from twins.linkedin import TOKEN as LI_TOKEN
from twins.threads import TOKEN as TH_TOKEN
from twins.threads import USER_ID, ThreadsTwin, count

from bot.core.clock import FakeClock
from bot.core.errors import BotError
from bot.core.records import NetworkThread, Tweet
from bot.networks.linkedin.length import COUNTER as LI_COUNTER
from bot.networks.linkedin.length import compose, escape, linkedin_length
from bot.networks.linkedin.post import LinkedInPublisher
from bot.networks.threads.length import COUNTER as TH_COUNTER
from bot.networks.threads.length import threads_length
from bot.networks.threads.thread import ThreadsPublisher

LINK = "https://quietindex.substack.com/p/why-small-newsletters-win"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def li(clock: FakeClock) -> Iterator[LinkedInTwin]:
    with LinkedInTwin(clock=clock.time) as twin:
        yield twin


@pytest.fixture
def th(clock: FakeClock) -> Iterator[ThreadsTwin]:
    with ThreadsTwin(clock=clock.time, token_issued=clock.time()) as twin:
        yield twin


def _li_publish(li: LinkedInTwin, clock: FakeClock, tmp: Path, body: str) -> object:
    settings = settings_for("http://127.0.0.1:9", {"LINKEDIN_ACCESS_TOKEN": LI_TOKEN, "LINKEDIN_AUTHOR": AUTHOR,
                                                   "LINKEDIN_BASE_URL": li.base},
                            store__sqlite_path=str(tmp / "bot.db"), thread__link="none")
    thread = dataclasses.replace(make_thread(), networks=(
        NetworkThread("linkedin", (Tweet(body, LI_COUNTER(body)),), LI_COUNTER.limit),))  # type: ignore[arg-type]
    return LinkedInPublisher(settings, clock).publish(thread, JSONLedger(tmp / "li.json"))  # type: ignore[arg-type]


def _th_publish(th: ThreadsTwin, clock: FakeClock, tmp: Path, texts: tuple[str, ...]) -> object:
    settings = settings_for("http://127.0.0.1:9", {"THREADS_ACCESS_TOKEN": TH_TOKEN, "THREADS_USER_ID": USER_ID,
                                                   "THREADS_BASE_URL": th.base},
                            store__sqlite_path=str(tmp / "bot.db"))
    posts = tuple(Tweet(t, TH_COUNTER(t)) for t in texts)  # type: ignore[arg-type]
    thread = dataclasses.replace(make_thread(), networks=(NetworkThread("threads", posts, TH_COUNTER.limit),))
    return ThreadsPublisher(settings, clock).publish(thread, JSONLedger(tmp / "th.json"))


HOSTILE = [
    "Thanks @[Satya Nadella](urn:li:person:123ABC) for the tip",
    "{hashtag|\\#|newsletters} and #growth and \\#already-escaped",
    "Template {{name}} <b>bold</b> *em* _u_ ~s~ a|b [x](y)",
    "A trailing backslash \\",
    "\\\\(double) \\@ \\\\#",
    "@[](urn:li:organization:1) ((( ### )))",
]


@pytest.mark.parametrize("body", HOSTILE)
def test_a22_linkedin_shows_reserved_characters_as_text_never_cut(li: LinkedInTwin, clock: FakeClock,
                                                                 tmp_path: Path, body: str) -> None:
    posted = _li_publish(li, clock, tmp_path, body)
    assert posted.complete  # type: ignore[attr-defined]
    assert li.shown_posts() == [body]  # nothing cut, nothing parsed as a mention or hashtag


def test_a22_linkedin_at_exactly_3000_with_emoji_and_cjk_is_accepted(li: LinkedInTwin, clock: FakeClock,
                                                                    tmp_path: Path) -> None:
    body = "界" * 1000 + "📬" * 500 + "(" * 500  # 1000 + 1000 UTF-16 units + 1000 escaped
    assert linkedin_length(body) == 3000 and utf16(escape(body)) == 3000
    assert _li_publish(li, clock, tmp_path, body).complete  # type: ignore[attr-defined]
    assert li.shown_posts() == [body]


def test_a22_joining_the_thread_into_one_post_keeps_a_fact_that_looks_like_numbering() -> None:
    """The compose step drops "1/3 " numbering with a regex that takes any 1-2 digit fraction at a paragraph's start:
    a gated post that STARTS with a ratio loses it ("3/4 readers open every issue" -> "readers open every issue")."""
    body, _comment, _notes = compose(["Small newsletters win.", "3/4 readers open every issue.",
                                      "12/25 is the day we publish."], link=LINK)
    assert "3/4 readers open every issue." in body and "12/25 is the day" in body, body


def test_a22_joining_paragraphs_creates_no_address_or_handle_across_the_seam() -> None:
    from bot.tweets.items import find

    parts = ["Read it at quietindex", ".substack.com or evil", ".com today", "Ask @", "evil_handle now", "see x", "y.io"]
    body, _c, _n = compose(parts, link="")
    found = {body[i.start:i.end] for i in find(body) if "\n" not in body[i.start:i.end]}  # no link crosses a blank line
    inside = {p[i.start:i.end] for p in parts for i in find(p)}
    assert found <= inside, found - inside


KEYCAPS = "the twin's oracle for keycaps is unconfirmed against Meta"


@pytest.mark.parametrize("unit", [*(pytest.param(k, marks=pytest.mark.xfail(reason=KEYCAPS, strict=True))
                                    for k in ("1️⃣", "#️⃣", "*️⃣")), "©", "™", "↔️", "🇺🇳", "👩🏽‍💻", "☺", "⌚", "🅰️", "〰️", "‼️"])
def test_a22_threads_counts_no_post_shorter_than_threads_does(unit: str) -> None:
    """A post the bot says fits 500 must not be refused by Threads (the twin's count is the oracle)."""
    text = unit * 10
    assert threads_length(text) >= count(text), (unit, threads_length(text), count(text))


@pytest.mark.xfail(reason=KEYCAPS, strict=True)
def test_a22_threads_post_of_500_by_the_bots_count_with_keycaps_goes_out(th: ThreadsTwin, clock: FakeClock,
                                                                         tmp_path: Path) -> None:
    text = "1️⃣ " * 125  # the bot: 125 * (3 + 1) = 500
    assert threads_length(text.strip()) <= 500
    try:
        posted = _th_publish(th, clock, tmp_path, (text.strip(),))
    except BotError as exc:
        pytest.fail(f"the bot fitted it ({threads_length(text.strip())}/500) but Threads refused: {exc}")
    assert posted.complete  # type: ignore[attr-defined]


def test_a22_threads_500_with_cjk_and_emoji_goes_out(th: ThreadsTwin, clock: FakeClock, tmp_path: Path) -> None:
    text = "界" * 300 + "📬" * 50  # 300 + 200
    assert threads_length(text) == 500
    assert _th_publish(th, clock, tmp_path, (text,)).complete  # type: ignore[attr-defined]


def test_a22_threads_a_post_with_6_links_never_leaves_a_half_thread(th: ThreadsTwin, clock: FakeClock,
                                                                    tmp_path: Path) -> None:
    """Threads refuses a post with more than 5 links (length.MAX_LINKS, which nothing uses): if the third post has 6,
    the first two must not go out alone (or the bot must fit the thread to 5 links before anything is sent)."""
    links = " ".join(f"{LINK}?p={i}" for i in range(6))
    texts = ("Small newsletters win.", "Readers trust a voice they know.", f"Sources: {links}")
    try:
        _th_publish(th, clock, tmp_path, texts)
    except BotError:
        pass
    assert len(th.posts) in (0, 3), f"{len(th.posts)} of 3 posts published: a half thread"
