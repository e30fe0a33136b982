"""Legitimate content the last gate keeps (issue 18, "keep what is legitimate"): the article's own hashtag under
the hashtag cap, a figure beside the article's own subject name (the title's), and, on the other side, a label
("Say hello to the team:") that goes with the handle it introduced. Articles and wordings differ from the blind
corpus's on purpose: these pin the rules, not its examples."""

from __future__ import annotations

import pytest

from bot.core.records import Article, Block, Entry
from bot.tweets.hygiene import clean_tweet

LINK = "https://garden.substack.com/p/week"
PLAIN = Article(Entry("f", "/p/week", LINK, LINK, "Rates"), (Block("paragraph", "Rates fell for the third month."),))


@pytest.mark.parametrize("label", ["Say hello to the team: @randomperson", "Our account on X: @randomperson.",
                                   "Questions go to our team：@randomperson"])
def test_a_label_ending_in_a_colon_goes_with_its_handle(label: str) -> None:
    assert clean_tweet(f"Rates fell for the third month. {label}", PLAIN) == "Rates fell for the third month."


def test_an_attribution_with_a_colon_keeps_its_sentence() -> None:
    assert clean_tweet("Rates fell for the third month, via: @randomperson", PLAIN) == "Rates fell for the third month."
