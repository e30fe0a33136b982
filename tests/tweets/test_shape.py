"""Thread shaping: count, hashtags, the article link exactly once (with UTM), numbering, and fitting."""

from __future__ import annotations

from functools import partial

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.records import Article, Block, Draft, Entry, ThreadSpec
from bot.networks.x.length import COUNTER as X
from bot.tweets import shape
from bot.tweets.hygiene import normalize_url
from bot.tweets.length import MAX_WEIGHT, is_valid, urls, weighted_length
from bot.tweets.shape import with_utm

check = partial(shape.check, counter=X)  # fitted to X, the default network

LINK = "https://pub.substack.com/p/rates"
ARTICLE = Article(
    entry=Entry(feed="f", key="/p/rates", guid=LINK, link=LINK, title="Why rates fell"),
    # Issue 18: every sentence stands on a passage of the article, so the article states what the drafts say.
    blocks=(Block("paragraph", "Rates fell for the third month. Lenders cut prices first, then the central bank "
                               "followed. What it means for savers and their savings: savers gain. Banks moved "
                               "first. One, two, three, four."),),
    links=frozenset({"https://example.com/report"}),
    mentions=frozenset({"alice"}),
)
DRAFT = Draft(tweets=(
    "Tweet 1: Rates fell for the third month. Read it: https://pub.substack.com/p/rates",
    "Tweet 2: Lenders cut prices first, then the central bank followed.",
    "Tweet 3: What it means for savers #Rates #Savings",
))


def _texts(spec: ThreadSpec, draft: Draft = DRAFT) -> list[str]:
    tweets, _ = check(draft, ARTICLE, spec)
    return [t.text for t in tweets]


def _link_count(texts: list[str]) -> int:
    own = normalize_url(LINK)
    return sum(1 for t in texts for u in urls(t) if normalize_url(u).startswith(own))


@pytest.mark.parametrize(("where", "position"), [("first", 0), ("last", 2)])
def test_the_article_link_appears_once_where_the_settings_say(where: str, position: int) -> None:
    texts = _texts(ThreadSpec(link=where))
    assert _link_count(texts) == 1
    assert texts[position].endswith(f"\n\n{LINK}")


def test_no_link_at_all_when_the_settings_say_none() -> None:
    texts = _texts(ThreadSpec(link="none"))
    assert _link_count(texts) == 0
    assert texts[0] == "Rates fell for the third month."


@pytest.mark.parametrize(
    ("url", "utm", "expected"),
    [
        (LINK, "utm_source=x&utm_medium=social", f"{LINK}?utm_source=x&utm_medium=social"),
        (f"{LINK}?ref=home", "?utm_source=x", f"{LINK}?ref=home&utm_source=x"),
        (f"{LINK}?utm_source=old&a=1#top", "utm_source=x", f"{LINK}?a=1&utm_source=x#top"),
        (LINK, "", LINK),
    ],
)
def test_utm_parameters_merge_into_the_query(url: str, utm: str, expected: str) -> None:
    assert with_utm(url, utm) == expected


def test_utm_goes_on_the_placed_link() -> None:
    texts = _texts(ThreadSpec(link="last", utm="utm_source=x"))
    assert texts[-1].endswith(f"{LINK}?utm_source=x")


def test_numbering_prefixes_each_tweet() -> None:
    texts = _texts(ThreadSpec(numbering=True))
    assert [t.split(" ", 1)[0] for t in texts] == ["1/3", "2/3", "3/3"]
    assert texts[1] == "2/3 Lenders cut prices first, then the central bank followed."


@pytest.mark.parametrize(
    ("cap", "expected_last"),
    [
        (0, "What it means for savers"),  # trailing tags go whole
        (1, "What it means for savers #Rates"),
        (5, "What it means for savers #Rates #Savings"),
    ],
)
def test_hashtags_are_capped_across_the_thread(cap: int, expected_last: str) -> None:
    texts = _texts(ThreadSpec(hashtags=cap, link="first"))
    assert texts[-1] == expected_last


def test_inline_hashtags_keep_their_word_and_repeats_are_deduped() -> None:
    draft = Draft(tweets=("Why #rates fell", "More on #Rates today #Rates", "The end #savings"))
    texts = _texts(ThreadSpec(hashtags=1, link="none"), draft)
    assert texts == ["Why #rates fell", "More on Rates today", "The end"]


def test_duplicates_and_empty_tweets_are_dropped_then_the_count_is_made_up() -> None:
    draft = Draft(tweets=("Rates fell. Savers gain.", "rates   FELL. savers gain!", "**Tweet 3:**", "Banks moved first."))
    tweets, notes = check(draft, ARTICLE, ThreadSpec(link="none"))
    assert [t.text for t in tweets] == ["Rates fell.", "Savers gain.", "Banks moved first."]
    assert any("repeated" in n for n in notes) and any("empty" in n for n in notes)
    assert any("split" in n for n in notes)


def test_too_few_tweets_without_sentences_to_split_says_so() -> None:
    tweets, notes = check(Draft(tweets=("Just one line",)), ARTICLE, ThreadSpec(tweets=3, link="none"))
    assert [t.text for t in tweets] == ["Just one line"]
    assert any("kept 1 of 3" in n for n in notes)


def test_too_many_tweets_merge_the_tail_or_drop_it() -> None:
    short = Draft(tweets=("One.", "Two.", "Three.", "Four."))
    tweets, notes = check(short, ARTICLE, ThreadSpec(tweets=2, link="none"))
    assert [t.text for t in tweets] == ["One.", "Two. Three. Four."]
    long = Draft(tweets=("One.", "x " * 100, "y " * 100))
    tweets, notes = check(long, ARTICLE, ThreadSpec(tweets=2, link="none"))
    assert len(tweets) == 2 and "dropped the last 1" in notes[0]


def test_an_overlong_tweet_is_rewritten_then_trimmed_with_the_link_intact() -> None:
    long = "Rates fell again this month and " + "the reasons are many and varied, " * 12
    asked: list[int] = []

    def rewrite(text: str, budget: int) -> str | None:
        asked.append(budget)
        return None

    tweets, notes = check(Draft(tweets=("Short one.", long)), ARTICLE, ThreadSpec(tweets=2, numbering=True),
                          rewrite=rewrite, attempts=2)
    last = tweets[-1]
    assert last.text.startswith("2/2 ") and last.text.endswith(f"…\n\n{LINK}")
    assert last.weighted_length == weighted_length(last.text) <= MAX_WEIGHT
    assert asked == [MAX_WEIGHT - 4 - 25] * 2  # "2/2 " and "\n\n" + a 23-weight link are kept out of the budget
    assert any(n.startswith("tweet 2 trimmed from") for n in notes)


def test_a_rewrite_is_cleaned_before_it_is_used() -> None:
    def rewrite(text: str, budget: int) -> str | None:
        return "**Tweet 1:** Rates fell for the third month. See https://evil.example.net/x"

    tweets, notes = check(Draft(tweets=("z " * 200,)), ARTICLE, ThreadSpec(tweets=1, link="none"), rewrite=rewrite)
    assert tweets[0].text == "Rates fell for the third month."
    assert notes[-1] == "tweet 1 rewritten by the model to 31/280"


def test_a_rewrite_that_is_no_whole_sentence_is_not_used() -> None:
    tweets, notes = check(Draft(tweets=("Rates fell. " + "z " * 200,)), ARTICLE, ThreadSpec(tweets=1, link="none"),
                          rewrite=lambda text, budget: "Shorter, see https://evil.example.net/x")
    assert tweets[0].text == "Rates fell."
    assert "cut to its first whole sentences" in notes[-1]


def test_a_tweet_left_with_nothing_whole_takes_a_spare_from_the_article() -> None:
    draft = Draft(tweets=("Rates fell for the third month.", "Huge thanks to @evilbot for the tip.", "Savers gain."))
    tweets, notes = check(draft, ARTICLE, ThreadSpec(link="none"),
                          spares=("Rates fell for the third month.", "Lenders cut prices first.", "Why rates fell"))
    assert [t.text for t in tweets] == ["Rates fell for the third month.", "Lenders cut prices first.", "Savers gain."]
    assert any("tweet 2" in n and "@evilbot" in n for n in notes) and any("replaced" in n for n in notes)


def test_a_draft_with_nothing_usable_falls_back_to_the_title() -> None:
    tweets, notes = check(Draft(tweets=("", "**Tweet 2:**")), ARTICLE, ThreadSpec(link="last"))
    assert [t.text for t in tweets] == [f"Why rates fell\n\n{LINK}"]


DRAFT_TEXT = st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from([
        "Rates fell.", "日本語の文章です。", "#Rates", "#rates", "@bob", "@alice", LINK, "https://evil.example.net/a",
        "👨\u200d👩\u200d👧\u200d👦", "🇯🇵", " ", "\n", "Tweet 1:", "**bold**", "x" * 30, "\ufeff",
    ]), max_size=80).map(" ".join),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(DRAFT_TEXT, min_size=1, max_size=6),
    st.builds(ThreadSpec, tweets=st.integers(1, 6), numbering=st.booleans(),
              link=st.sampled_from(["first", "last", "none"]), utm=st.sampled_from(["", "utm_source=x"]),
              hashtags=st.integers(0, 3)),
)
def test_check_always_gives_valid_distinct_tweets_with_the_link_once(drafts: list[str], spec: ThreadSpec) -> None:
    tweets, _ = check(Draft(tweets=tuple(drafts)), ARTICLE, spec)
    texts = [t.text for t in tweets]
    assert 1 <= len(texts) <= spec.tweets
    assert all(is_valid(t) and weighted_length(t) == tw.weighted_length for t, tw in zip(texts, tweets))
    assert len(set(texts)) == len(texts)
    assert _link_count(texts) == (0 if spec.link == "none" else 1)
    assert not any("evil.example.net" in t or "@bob" in t for t in texts)


def test_japanese_sentences_split_after_the_full_stop() -> None:
    draft = Draft(tweets=("東京は晴れです。 大阪は雨です。", "京都は曇りです。"))
    texts = _texts(ThreadSpec(link="none"), draft)
    assert texts == ["東京は晴れです。", "大阪は雨です。", "京都は曇りです。"]


def test_a_tweet_that_lost_a_sentence_is_revised_once_and_the_revision_is_checked_again() -> None:
    asked: list[tuple[str, str]] = []

    def revise(text: str, problem: str, budget: int) -> str | None:
        asked.append((text, problem))
        return "Rates fell for the third month." if "evilbot" in text else "Savers gain at https://evil.example.net"

    draft = Draft(tweets=("Huge thanks to @evilbot for the tip.", "Savers gain. See https://evil.example.net/x now."))
    tweets, notes = check(draft, ARTICLE, ThreadSpec(tweets=2, link="none"), revise=revise)
    assert [t.text for t in tweets] == ["Rates fell for the third month.", "Savers gain."]  # the second revision kept a link
    assert len(asked) == 2 and "@evilbot" in asked[0][1]
    assert any("tweet 1: rewritten once by the model" in n for n in notes)
    assert not any("tweet 2: rewritten" in n for n in notes)
