"""The offline extractive writer: faithful to the article, never empty, in any script."""

from __future__ import annotations

import pytest

from bot.core.records import Article, Block, Entry, ThreadSpec
from bot.writing.offline import ExtractiveWriter, split_sentences


def make_article(paragraphs: list[str], title: str = "Why small newsletters win", subtitle: str = "A field guide") -> Article:
    entry = Entry(feed="f", key="/p/x", guid="g", link="https://quiet.substack.com/p/x", title=title,
                  subtitle=subtitle, publication="The Quiet Index")
    return Article(entry, tuple(Block("paragraph", p) for p in paragraphs))


ESSAY = [
    "Small newsletters win because readers trust a single voice. Trust compounds slowly.",
    "A newsletter with two thousand readers can sustain a writer when one in ten pays. That is two hundred subscribers.",
    "Large publications chase reach, and reach rewards outrage. Small newsletters can afford nuance instead.",
    "The best small newsletters answer their readers. Replies become the next essay.",
]


def test_first_tweet_is_title_and_subtitle() -> None:
    draft = ExtractiveWriter().write(make_article(ESSAY), ThreadSpec(tweets=3))
    assert draft.tweets[0].startswith("Why small newsletters win\n\nA field guide\n\n")
    assert draft.tweets[0].endswith("Small newsletters win because readers trust a single voice.")  # the news
    assert draft.writer.backend == "extractive" and draft.writer.calls == 0


def test_every_sentence_comes_from_the_article() -> None:
    draft = ExtractiveWriter().write(make_article(ESSAY), ThreadSpec(tweets=4))
    source = " ".join(ESSAY)
    assert len(draft.tweets) == 4
    for tweet in draft.tweets[1:]:
        for sentence in split_sentences(tweet):
            assert sentence in source


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8])
def test_never_more_tweets_than_asked(count: int) -> None:
    draft = ExtractiveWriter().write(make_article(ESSAY), ThreadSpec(tweets=count))
    assert 1 <= len(draft.tweets) <= count
    assert all(t.strip() for t in draft.tweets)


def test_japanese_sentences_split_without_spaces() -> None:
    text = "小さなニュースレターは信頼で勝つ。読者は一人の声を信じる。信頼はゆっくり積み重なる。"
    assert split_sentences(text) == ["小さなニュースレターは信頼で勝つ。", "読者は一人の声を信じる。", "信頼はゆっくり積み重なる。"]
    draft = ExtractiveWriter().write(make_article([text], title="信頼の話", subtitle=""), ThreadSpec(tweets=3))
    assert draft.tweets[0].startswith("信頼の話") and len(draft.tweets) >= 2


def test_empty_article_still_gives_a_tweet() -> None:
    draft = ExtractiveWriter().write(make_article([], title="", subtitle=""), ThreadSpec(tweets=3))
    assert draft.tweets == ("New post",)


def test_rewrite_drops_trailing_sentences_or_gives_up() -> None:
    writer = ExtractiveWriter()
    article = make_article(ESSAY)
    long = "One short sentence here. " + "Another sentence that is rather longer than the first one. " * 5
    shorter = writer.rewrite(long.strip(), 60, article)
    assert shorter == "One short sentence here."
    assert writer.rewrite("x" * 300, 100, article) is None


def test_fragments_do_not_run_into_sentences() -> None:
    paragraphs = ["Blockchain Integration:", "- Single-transaction building graph minting",
                  "During design, architects mint the initial graph from BIM data.",
                  "Smart contracts enforce approval workflows and track design changes.",
                  "- On-chain graph traversal via adjacency lists", "Owners can sell individual rooms later on."]
    draft = ExtractiveWriter().write(make_article(paragraphs), ThreadSpec(tweets=3))
    body = " ".join(draft.tweets)
    assert "minting During" not in body and "adjacency lists" not in body
    assert "During design, architects mint the initial graph from BIM data." in body
