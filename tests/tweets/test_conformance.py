"""bot.tweets against twitter-text's own published conformance cases (tests/conformance, v3.1.0): the oracle is
Twitter's expected output, not the bot's code. Every case of a section the bot implements runs; what is skipped
is listed below with the reason, and the totals are printed by `pytest tests/tweets/test_conformance.py -q -rs`."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.tweets import entities
from bot.tweets.length import is_valid, urls, weighted_length, weighted_length_v2

HERE = Path(__file__).resolve().parents[1] / "conformance"

# Sections of the suite that test an API the bot does not have (it only counts, validates and extracts).
SKIPPED_SECTIONS = {
    ("validate", "tweets"): "twitter-text v1 rules (140 characters, every code point 1): X has not used them since 2017",
    ("validate", "urls"): "isValidUrl (RFC 3986 validation of one URL string) is not an API the bot has or needs",
    ("validate", "urls_without_protocol"): "isValidUrl without a scheme: the same API, not the bot's",
}
# Fields of parseTweet's answer the bot does not compute: it never displays a partial tweet.
UNCHECKED_FIELDS = ("permillage", "displayRangeStart", "displayRangeEnd", "validRangeStart", "validRangeEnd")
# Individual cases where the bot means to differ from the published expectation, and why.
KNOWN_DIFFERENCES: dict[str, str] = {}


@cache
def _load(name: str) -> dict[str, list[dict[str, Any]]]:
    return yaml.safe_load((HERE / f"{name}.yml").read_text("utf-8"))["tests"]


def cases(name: str, *sections: str) -> list[Any]:
    """pytest params for every case of `sections` in `name`.yml, each with a readable id."""
    out = []
    for section in sections:
        for i, case in enumerate(_load(name)[section]):
            marks = []
            reason = SKIPPED_SECTIONS.get((name, section)) or KNOWN_DIFFERENCES.get(case["description"])
            if reason:
                marks.append(pytest.mark.skip(reason=reason))
            out.append(pytest.param(section, case, id=f"{section}-{i}", marks=marks))
    return out


def test_every_section_is_run_or_skipped_with_a_reason() -> None:
    run = {("validate", s) for s in ("usernames", "lists", "hashtags", "WeightedTweetsCounterTest",
                                      "WeightedTweetsWithDiscountedEmojiCounterTest",
                                      "UnicodeDirectionalMarkerCounterTest")}
    run |= {("extract", s) for s in _load("extract")} | {("tlds", s) for s in _load("tlds")}
    every = {(n, s) for n in ("validate", "extract", "tlds") for s in _load(n)}
    assert every == run | set(SKIPPED_SECTIONS)


@pytest.mark.parametrize(("section", "sample"), cases("validate", "WeightedTweetsWithDiscountedEmojiCounterTest",
                                                     "UnicodeDirectionalMarkerCounterTest"))
def test_weighted_length_and_validity_v3(section: str, sample: dict[str, Any]) -> None:
    expected = sample["expected"]
    assert weighted_length(sample["text"]) == expected["weightedLength"], sample["description"]
    assert is_valid(sample["text"]) == expected["valid"], sample["description"]


@pytest.mark.parametrize(("section", "sample"), cases("validate", "WeightedTweetsCounterTest"))
def test_weighted_length_v2(section: str, sample: dict[str, Any]) -> None:
    # Configuration v2 is v3 without emoji sequences (each code point weighed alone): the same counting code.
    assert weighted_length_v2(sample["text"]) == sample["expected"]["weightedLength"], sample["description"]


@pytest.mark.parametrize(("section", "sample"), cases("validate", "usernames", "lists", "hashtags"))
def test_validity_of_names_and_tags(section: str, sample: dict[str, Any]) -> None:
    text = sample["text"]
    if section == "usernames":  # isValidUsername: exactly one mention, the whole text
        got = [t for _, _, t in entities.mention_entities(text)] == [text[1:]]
    elif section == "lists":  # isValidList: the whole text is one @user/list
        found = entities.mention_or_list_entities(text)
        got = len(found) == 1 and found[0][0] == 0 and found[0][1] == len(text) and bool(found[0][3])
    else:  # isValidHashtag
        got = [t for _, _, t in entities.hashtag_entities(text)] == [text[1:]]
    assert got == sample["expected"], sample["description"]


@pytest.mark.parametrize(("section", "sample"), cases("extract", *_load("extract")))
def test_extraction(section: str, sample: dict[str, Any]) -> None:
    text, expected = sample["text"], sample["expected"]
    if section in ("urls", "tco_urls_with_params"):
        got: Any = [u for _, _, u in entities.url_entities(text)]
        assert urls(text) == got or text != _nfc(text)  # the bot's urls() is the same extractor on NFC text
    elif section in ("urls_with_indices", "urls_with_directional_markers"):
        got = [{"url": u, "indices": [s, e]} for s, e, u in entities.url_entities(text)]
    elif section == "mentions":
        got = [n for _, _, n in entities.mention_entities(text)]
    elif section == "mentions_with_indices":
        got = [{"screen_name": n, "indices": [s, e]} for s, e, n in entities.mention_entities(text)]
    elif section == "mentions_or_lists_with_indices":
        got = [{"screen_name": n, "list_slug": slug, "indices": [s, e]}
               for s, e, n, slug in entities.mention_or_list_entities(text)]
    elif section == "replies":
        got = entities.reply_to(text)
    elif section in ("hashtags", "hashtags_from_astral"):
        got = [t for _, _, t in entities.hashtag_entities(text)]
    elif section == "hashtags_with_indices":
        got = [{"hashtag": t, "indices": [s, e]} for s, e, t in entities.hashtag_entities(text)]
    elif section == "cashtags":
        got = [t for _, _, t in entities.cashtag_entities(text)]
    elif section == "cashtags_with_indices":
        got = [{"cashtag": t, "indices": [s, e]} for s, e, t in entities.cashtag_entities(text)]
    else:
        pytest.fail(f"extract.yml has a section this test does not know: {section}")
    assert got == expected, sample["description"]


@pytest.mark.parametrize(("section", "sample"), cases("tlds", "country", "generic"))
def test_every_twitter_text_tld_is_a_url(section: str, sample: dict[str, Any]) -> None:
    assert [u for _, _, u in entities.url_entities(sample["text"])] == sample["expected"], sample["description"]
    assert weighted_length(sample["text"]) == 23


def _nfc(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFC", text)


@pytest.mark.parametrize(("section", "sample"), [p for n, s in SKIPPED_SECTIONS for p in cases(n, s)])
def test_skipped_sections_are_reported(section: str, sample: dict[str, Any]) -> None:
    pytest.fail("a skipped section's case ran")  # never reached: every param carries its section's skip mark
