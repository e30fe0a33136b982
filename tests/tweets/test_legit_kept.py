"""Legitimate content the last gate keeps (issue 18, "keep what is legitimate"): the article's own hashtag under
the hashtag cap, a figure beside the article's own subject name (the title's), and, on the other side, a label
("Say hello to the team:") that goes with the handle it introduced. Articles and wordings differ from the blind
corpus's on purpose: these pin the rules, not its examples."""

from __future__ import annotations

from functools import partial

import pytest

from bot.core.records import Article, Block, Draft, Entry, ThreadSpec
from bot.feed.article import read_article
from bot.networks.x.length import COUNTER as X
from bot.tweets import shape
from bot.tweets.grounding import gate
from bot.tweets.hygiene import clean_tweet

check = partial(shape.check, counter=X)  # fitted to X, the default network

LINK = "https://garden.substack.com/p/week"


def _article(title: str, html: str, language: str = "en") -> Article:
    return read_article(Entry("f", "/p/week", LINK, LINK, title, html=html, language=language))


GARDEN = _article("Gardenfest in Ghent", "<p>Gardenfest opens on Saturday with a seed swap.</p>"
                  "<p>Seed orders for Gardenfest close on April 2.</p><p>The festival runs June 8-12 in Ghent.</p>"
                  "<p>Share your photos with #GardenWeek so we can find them.</p>")


def test_the_articles_own_hashtag_is_the_authors_word_and_passes_the_cap() -> None:
    draft = Draft(tweets=("Gardenfest opens on Saturday with a seed swap. #GardenWeek",
                          "Seed orders close on April 2. #SeedOrders", "The festival runs June 8-12."))
    tweets, notes = check(draft, GARDEN, ThreadSpec(tweets=3, hashtags=0, link="none"))
    texts = [t.text for t in tweets]
    assert texts[0].endswith("#GardenWeek")
    assert "#SeedOrders" not in " ".join(texts)  # a tag the model made of the article's words is still capped


def test_a_figure_beside_the_articles_title_name_is_not_moved() -> None:
    # "Gardenfest" stands beside April 2 in the article too (it is the title's name); the festival runs June 8-12.
    passed = gate.check("Gardenfest runs June 8-12 in Ghent.", GARDEN)
    assert passed.text == "Gardenfest runs June 8-12 in Ghent.", passed.reasons


def test_a_figure_moved_to_another_subject_is_still_removed() -> None:
    passed = gate.check("Seed orders close on June 8.", GARDEN)
    assert passed.text == "", passed.text


OSAKA = _article("Osaka Go読書会 5月のお知らせ",
                 "<p>次回のOsaka Go読書会は5月20日(水)18時から梅田で開催します。定員は25名です。</p>"
                 "<p>講師は佐藤一郎さんです。</p>", "ja")


def test_a_japanese_sentence_restated_around_the_title_name_is_kept() -> None:
    text = "5月20日(水)18時から、梅田でOsaka Go読書会！"
    assert gate.check(text, OSAKA).text == text


def test_a_japanese_time_moved_is_still_removed() -> None:
    assert gate.check("5月20日(水)21時から、梅田でOsaka Go読書会！", OSAKA).text == ""


PLAIN = Article(Entry("f", "/p/week", LINK, LINK, "Rates"), (Block("paragraph", "Rates fell for the third month."),))


@pytest.mark.parametrize("label", ["Say hello to the team: @randomperson", "Our account on X: @randomperson.",
                                   "Questions go to our team：@randomperson"])
def test_a_label_ending_in_a_colon_goes_with_its_handle(label: str) -> None:
    assert clean_tweet(f"Rates fell for the third month. {label}", PLAIN) == "Rates fell for the third month."


def test_an_attribution_with_a_colon_keeps_its_sentence() -> None:
    assert clean_tweet("Rates fell for the third month, via: @randomperson", PLAIN) == "Rates fell for the third month."
