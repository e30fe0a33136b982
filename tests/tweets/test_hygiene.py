"""Output hygiene: scaffolding and markdown off, foreign URLs and @mentions out, the article's own kept."""

from __future__ import annotations

import pytest

from bot.core.records import Article, Block, Entry
from bot.tweets.hygiene import clean_tweet, normalize_url

ARTICLE = Article(
    entry=Entry(feed="f", key="/p/post", guid="https://pub.substack.com/p/post",
                link="https://pub.substack.com/p/post", title="A post"),
    blocks=(Block("paragraph", "The figures are at stats.example.org/rates today. 2024 was a year of change. "
                               "Rates fell, again. Data at the bureau, and more in the full report."),),
    links=frozenset({"https://www.Example.com/report/", "https://data.gov.uk/set?id=7"}),
    mentions=frozenset({"alice", "@Carol_X"}),
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("**Tweet 1:** Rates **fell** again", "Rates fell again"),
        ("### Tweet 2/3\nSecond point", "Second point"),
        ("Here is your thread:\n\n1/3 The first point", "The first point"),
        ("Sure! Here's a thread about rates:\nTweet 1: Rates fell", "Rates fell"),
        ("Thread: 1. Rates fell", "Rates fell"),
        ("1) Rates fell", "Rates fell"),
        ("1\ufe0f\u20e3 Rates fell", "Rates fell"),
        ('"Rates fell, again."', "Rates fell, again."),
        ("“Rates fell”", "Rates fell"),
        ("Rates fell (2/3)", "Rates fell"),
        ("Use `pip install` and __care__", "Use pip install and care"),
        ("Line one\n\n\n   line   two", "Line one\nline two"),
        ("bad\x00control\x07chars\ufeff\ufffe", "badcontrolchars"),
        ("crlf\r\nlines", "crlf\nlines"),
        ("#AI is a hashtag, not a heading", "#AI is a hashtag, not a heading"),
        ("2024 was a year of change.", "2024 was a year of change."),
        ("'Tis the season and 'quotes'", "'Tis the season and 'quotes'"),
    ],
)
def test_scaffolding_and_markdown_removed(raw: str, clean: str) -> None:
    assert clean_tweet(raw, ARTICLE) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Full report: https://evil.example.net/x", ""),  # what pointed at an invented link goes with it
        ("Read more: https://evil.example.net/x", ""),
        ("Data at http://example.com/report and more", "Data at http://example.com/report and more"),
        ("Data at example.com/report.", "Data at example.com/report."),  # schemeless, www-less, no slash
        ("Data at https://data.gov.uk/set?id=7 and more.", "Data at https://data.gov.uk/set?id=7 and more."),
        ("Data at https://data.gov.uk/set?id=8 and more.", ""),  # another query is another page: no "Data at" left
        ("Post: https://pub.substack.com/p/post", "Post: https://pub.substack.com/p/post"),  # shape places it
        ("Rates fell, again, see https://evil.example.net. Yes", "Rates fell, again. Yes"),
        # Issue 18: what the article's visible text writes is the author's word, anchor or not (it used to go).
        ("Figures: https://stats.example.org/rates", "Figures: https://stats.example.org/rates"),
        ("[the report](https://evil.example.net) says so", ""),
        ("Rates fell (see https://evil.example.net) again.", "Rates fell again."),
    ],
)
def test_urls_the_article_does_not_contain_are_removed(raw: str, clean: str) -> None:
    assert clean_tweet(raw, ARTICLE) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Thanks @alice for this", "Thanks @alice for this"),
        ("Thanks @Alice for this", "Thanks @Alice for this"),  # handles compare case-insensitively
        ("Thanks @carol_x!", "Thanks @carol_x!"),  # the article's set may carry the sigil
        ("Thanks @bob, and @alice", ""),  # "And @alice." is no sentence: the whole goes
        ("Rates fell, again, thanks to @bob.", "Rates fell, again."),  # the clause that carried it goes
        ("@elonmusk rates fell, again.", "Rates fell, again."),  # a leading mention would also change who sees it
        ("RT @bob: rates fell, again.", "Rates fell, again."),
        ("Rates fell, again cc @bob @eve", "Rates fell, again."),
        ("Mail me@example.org", ""),  # not a mention, but an address the article does not have
        ("Follow us at ＠bob for more.", ""),  # a fullwidth sign is still a mention
        # An article's X handle with a domain after it is another account: Bluesky makes a mention facet of
        # @alice.evil.example, and Mastodon delivers @alice@evil.social to that instance's alice.
        ("Rates fell, again, thanks to @alice.evil.example today.", "Rates fell, again."),
        ("Rates fell, again, thanks to @alice.bsky.social.", "Rates fell, again."),
        ("Rates fell, again, thanks to @alice@evil.social.", "Rates fell, again."),
        ("Rates fell, again, thanks to @alice.", "Rates fell, again, thanks to @alice."),
    ],
)
def test_mentions_the_article_does_not_contain_are_removed(raw: str, clean: str) -> None:
    assert clean_tweet(raw, ARTICLE) == clean


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://www.Example.com/report/", "http://example.com/report"),
        ("example.com/report", "HTTPS://EXAMPLE.COM/report/#section"),
        ("https://example.com:443/x", "https://example.com/x"),
    ],
)
def test_normalize_url_ignores_scheme_host_case_www_and_trailing_slash(a: str, b: str) -> None:
    assert normalize_url(a) == normalize_url(b)


def test_normalize_url_keeps_path_case_and_query() -> None:
    assert normalize_url("https://example.com/Report") != normalize_url("https://example.com/report")
    assert normalize_url("https://example.com/r?a=1") != normalize_url("https://example.com/r?a=2")


def test_an_atom_id_is_not_a_url_and_does_not_crash() -> None:
    from bot.tweets.hygiene import normalize_url

    assert normalize_url("tag:atom.example.org,2026:newest") == normalize_url("tag:atom.example.org,2026:newest")


@pytest.mark.parametrize("sign", list("!#$%&*"))
def test_a_bluesky_handle_after_a_sign_x_would_not_link_is_still_a_handle(sign: str) -> None:
    # X links no mention after these signs, but a reader (and Bluesky's facets) still see @eve.bsky.social.
    assert "eve" not in clean_tweet(f"Rates fell, again, news{sign}@eve.bsky.social today.", ARTICLE)


@pytest.mark.parametrize("sign", list("!$%&*"))
def test_a_handle_after_a_sign_x_would_not_link_is_still_a_handle(sign: str) -> None:
    # Mastodon links "news!@bob" as a mention of its own account bob (only a word character, "=" or "/" stops it).
    assert "bob" not in clean_tweet(f"Rates fell, again, news{sign}@bob today.", ARTICLE)
