"""LinkedIn as ONE piece from the moment the thread is fitted: the saved thread holds the one post (within 3,000,
measured by its own counter) that the publisher then sends exactly as saved; a paragraph the gate would not pass
never reaches it; with the link in a first comment, the saved post has no link and the comment carries it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.json_ledger import JSONLedger
from helpers.xkit import png, settings_for
from twins.linkedin import AUTHOR, TOKEN, LinkedInTwin

from bot.core.clock import FakeClock
from bot.core.records import Article, Block, Draft, Entry, Image, Thread, ThreadSpec, WriterInfo
from bot.networks.linkedin.length import COUNTER, linkedin_length
from bot.networks.linkedin.post import LinkedInPublisher
from bot.networks.registry import compose
from bot.networks.x.length import COUNTER as X
from bot.run.pipeline import fit_networks

LINK = "https://quietindex.substack.com/p/why-small-newsletters-win"
PARAGRAPHS = ("Small newsletters win because readers trust a voice they know.",
              "Big outlets chase reach; small ones keep attention (open rates near 40%).",
              "A writer with eight hundred readers can read every reply.")


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def li() -> Iterator[LinkedInTwin]:
    with LinkedInTwin(clock=FakeClock().time) as twin:
        yield twin


def _article() -> Article:
    entry = Entry("https://quietindex.substack.com/feed", "/p/why-small-newsletters-win", LINK, LINK,
                  "Why small newsletters win")
    return Article(entry, tuple(Block("paragraph", p) for p in PARAGRAPHS))


def _settings(twin: LinkedInTwin | None = None, **options: object):  # type: ignore[no-untyped-def]
    base = twin.base if twin else "http://127.0.0.1:9"
    return settings_for("http://127.0.0.1:9", {"LINKEDIN_ACCESS_TOKEN": TOKEN, "LINKEDIN_AUTHOR": AUTHOR,
                                                "LINKEDIN_BASE_URL": base}, **options)


def _fit(settings, draft: tuple[str, ...] = PARAGRAPHS):  # type: ignore[no-untyped-def]
    fitted, notes = fit_networks(Draft(draft), _article(), ThreadSpec(tweets=3), (X, COUNTER), settings=settings)
    return {t.network: t for t in fitted}, notes


def test_the_fitted_linkedin_thread_is_the_one_post_with_its_own_count() -> None:
    fitted, _ = _fit(_settings())
    assert len(fitted["x"].tweets) == 3  # a thread stays a thread
    (post,) = fitted["linkedin"].tweets
    assert post.weighted_length == linkedin_length(post.text) <= 3000 and fitted["linkedin"].limit == 3000
    assert post.text.count("\n\n") >= 2 and "1/3" not in post.text and post.text.count(LINK) == 1
    assert all(p in post.text for p in PARAGRAPHS) and post.evidence  # what it stands on is kept


def test_a_sentence_the_article_does_not_say_never_reaches_the_composed_post() -> None:
    draft = (PARAGRAPHS[0], "Readers paid 90% more in 2031 than ever before.", PARAGRAPHS[2])
    fitted, _ = _fit(_settings(), draft)
    (post,) = fitted["linkedin"].tweets
    assert "2031" not in post.text and PARAGRAPHS[0] in post.text


def test_what_is_saved_is_what_linkedin_gets_link_in_comment_too(li: LinkedInTwin, tmp_path: Path) -> None:
    settings = _settings(li, linkedin__link_in_comment=True)
    fitted, _ = _fit(settings)
    (post,) = fitted["linkedin"].tweets
    assert LINK not in post.text
    thread = Thread(_article(), fitted["x"].tweets, Image(png(tmp_path / "c.png"), "A card", "", "card", "image/png"),
                    WriterInfo("extractive"), networks=tuple(fitted.values()))
    posted = LinkedInPublisher(settings, FakeClock()).publish(thread, JSONLedger(tmp_path / "l.json"))
    assert posted.complete and li.shown_posts() == [post.text]
    assert [c["message"]["text"] for c in li.comments] == [LINK]


def test_composing_again_changes_nothing_and_other_networks_are_not_composed() -> None:
    settings = _settings()
    fitted, _ = _fit(settings)
    one = fitted["linkedin"].tweets
    assert compose("linkedin", one, _article(), settings, COUNTER)[0][0].text == one[0].text
    assert compose("x", fitted["x"].tweets, _article(), settings, X)[0] is fitted["x"].tweets


def test_a_plan_saved_with_three_linkedin_posts_is_still_published_as_one(li: LinkedInTwin, tmp_path: Path) -> None:
    fitted, _ = _fit(_settings(li))
    composed = fitted["linkedin"].tweets[0].text
    old, _ = fit_networks(Draft(PARAGRAPHS), _article(), ThreadSpec(tweets=3), (COUNTER,))  # no settings: as fitted
    assert len(old[0].tweets) == 3
    thread = Thread(_article(), fitted["x"].tweets, Image(None), WriterInfo("extractive"), networks=old)
    LinkedInPublisher(_settings(li), FakeClock()).publish(thread, JSONLedger(tmp_path / "l.json"))
    assert li.shown_posts() == [composed]


def test_the_review_page_edits_the_linkedin_post_as_one_post_with_its_own_count() -> None:
    """The edit path (run.review.check_tweet, which the page and `bot drafts edit` use): the one post takes
    paragraphs and up to 3,000 characters, each reserved character counted twice (it is sent escaped)."""
    import json

    from bot.core.records import Plan
    from bot.run.review import EditRefused, check_tweet
    from bot.state.drafts import ReviewDraft, entry_from_json

    html = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    entry = {"feed": "F", "key": "/p/why-small-newsletters-win", "guid": LINK, "link": LINK,
             "title": "Why small newsletters win", "subtitle": "", "author": "A", "published": None, "html": html}
    body = "\n\n".join(PARAGRAPHS)
    plan = Plan.from_dict({"threads": {"linkedin": {"limit": 3000, "tweets": [
        {"text": body, "weighted_length": linkedin_length(body)}]}}})
    draft = ReviewDraft(7, "F", entry["key"], "draft", entry_from_json(json.dumps(entry)), "", "cli", "", 0.0, 0.0,
                        None, plan, {})
    long = "\n\n".join([*PARAGRAPHS] * 6) + f"\n\n{LINK}"  # well past 280 or 500, within 3,000
    assert 500 < linkedin_length(long) <= 3000 and check_tweet(long, 1, draft, "linkedin") == long
    with pytest.raises(EditRefused) as refused:
        check_tweet("\n\n".join([*PARAGRAPHS] * 20), 1, draft, "linkedin")
    assert "/3000" in refused.value.message and "escaped" in refused.value.message
