"""X's weighted length, validity, trim and fit: tables derived from the twitter-text v3 rules, and properties."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.errors import WriterError
from bot.tweets.length import ELLIPSIS, MAX_WEIGHT, fit, is_valid, trim, urls, weighted_length

# Light ranges: 0-4351, 8192-8205, 8208-8223, 8242-8247 weigh 1; every other code point 2;
# a URL 23; an emoji sequence 2.
LENGTHS = [
    ("Hello, world", 12),  # Latin, all light
    ("Привет", 6),  # Cyrillic U+0400-04FF < 4352: light
    ("مرحبا", 5),  # Arabic U+0600-06FF: light
    ("नमस्ते", 6),  # Devanagari U+0900-097F: light, six code points (virama and vowel sign count)
    ("日本語", 6),  # CJK ideographs: heavy
    ("こんにちは", 10),  # hiragana U+3040-309F: heavy
    ("カタカナ", 8),  # katakana: heavy
    ("안녕하세요", 10),  # Hangul syllables U+AC00-D7AF: heavy
    ("\u10ff", 1),  # U+10FF = 4351, the last light code point of the first range
    ("\u1100", 2),  # U+1100 = 4352, the first Hangul jamo: heavy
    ("\u1112\u1161", 2),  # jamo that NFC composes into the syllable 하 U+D558: one heavy code point
    ("e\u0301", 1),  # NFC composes e + combining acute into é U+00E9
    ("\u0301", 1),  # a lone combining mark: one light code point
    ("Aשּׁ", 4),  # Hebrew is light; NFC keeps shin + dagesh + shin dot as 3 code points (conformance suite)
    ("\u200e", 2),  # LEFT-TO-RIGHT MARK is 8206: just outside 8192-8205, heavy
    ("\u200f", 2),  # RIGHT-TO-LEFT MARK 8207: heavy
    ("\u200b", 1),  # ZERO WIDTH SPACE 8203: light
    ("\u2014", 1),  # EM DASH 8212: in 8208-8223, light
    ("\u2032", 1),  # PRIME 8242: light
    ("…", 2),  # HORIZONTAL ELLIPSIS 8230: between the ranges, heavy
    ("a\nb", 3),
    ("a\r\nb", 4),  # \r and \n are two code points, as the reference JS and Java count them
    ("😀", 2),
    ("😀😀😀", 6),
    ("👨\u200d👩\u200d👧\u200d👦", 2),  # ZWJ family: one sequence of 7 code points
    ("👍🏽", 2),  # skin tone modifier
    ("🇯🇵", 2),  # flag: two regional indicators
    ("🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", 2),  # England: tag sequence
    ("1\ufe0f\u20e3", 2),  # keycap
    ("❤\ufe0f", 2),  # variation selector
    ("🐦\u200d🔥", 2),  # phoenix (Unicode 15.1), a recent ZWJ sequence
    ("H🐱☺", 5),  # 1 + 2 + 2 (U+263A is heavy)
    ("\U00010000", 2),  # outside the BMP: one code point, not two UTF-16 units
    ("https://example.com", 23),
    ("http://example.com/a/very/long/path/that/goes/on/and/on?with=query&and=more", 23),
    ("example.com", 23),  # no scheme, valid gTLD
    ("www.example.co.uk/page", 23),
    ("t.co", 23),
    ("example.jp", 23),  # a short ccTLD domain without a path is a URL too (conformance: "twitter.jp日本語it.so…")
    ("example.jp/x", 23),
    ("foo.notatld", 11),  # not a TLD: counted character by character
    ("http://localhost:8000", 21),  # no TLD: not a URL even with a scheme
    ("user@example.com", 16),  # preceded by @: an e-mail, not a URL
    ("#example.com", 12),  # preceded by #: not a URL
    ("see example.com.", 28),  # "see " 4 + URL 23 + "." 1
    ("http://☃.net/", 23),  # Unicode host with a scheme
    ("日本語 https://example.com/記事", 7 + 23 + 4),  # a URL's path stops at CJK: 記事 is text again
    ("Test https://test.com test https://test.com test.com test", 86),  # twitter-text conformance
    ("😷" * 140, 280),
]


@pytest.mark.parametrize(("text", "expected"), LENGTHS)
def test_weighted_length(text: str, expected: int) -> None:
    assert weighted_length(text) == expected


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("I am a Tweet", True),
        ("", False),
        ("   \n ", False),
        ("x" * 280, True),
        ("x" * 281, False),
        ("の" * 140, True),
        ("の" * 141, False),
        ("😷" * 141, False),
        ("ok\ufffe", False),
        ("ok\ufeff", False),
        ("ok\uffff", False),
        ("ok\ud800", False),  # a lone surrogate cannot be sent at all
        ("https://example.com/" + "a" * 300, True),  # one long URL is still 23
    ],
)
def test_is_valid(text: str, valid: bool) -> None:
    assert is_valid(text) is valid


def test_urls_found_as_x_finds_them() -> None:
    text = "Read https://example.com/p/post?ref=x, or example.org/a. Not foo.notatld or me@site.com"
    assert urls(text) == ["https://example.com/p/post?ref=x", "example.org/a"]


@pytest.mark.parametrize(
    ("text", "budget", "expected"),
    [
        # a sentence end close to the budget: no ellipsis needed
        ("First sentence here. Second sentence is longer than the budget allows.", 25, "First sentence here."),
        # a sentence end far back loses to a word cut that keeps much more
        ("First one. Then a long second sentence without an end in sight", 40,
         "First one. Then a long second sentence…"),
        # no sentence end in reach: the last whole word, then …
        ("one two three four five six seven", 20, "one two three four…"),
        # CJK breaks after 。 without a space
        ("日本語の文です。次の文はとても長いのでここで切れるはずです。", 20, "日本語の文です。"),
        # a URL is never cut: it goes whole
        ("Start https://example.com/a/long/path end", 10, "Start…"),
        # an emoji sequence is never cut
        ("ab 👨\u200d👩\u200d👧\u200d👦 cd", 5, "ab…"),
        # a single giant word: a hard cut at a grapheme boundary
        ("x" * 50, 10, "x" * 8 + "…"),
    ],
)
def test_trim(text: str, budget: int, expected: str) -> None:
    out = trim(text, budget)
    assert out == expected
    assert weighted_length(out) <= budget


def test_trim_keeps_handles_and_hashtags_whole() -> None:
    out = trim("Thanks to @averylonghandle and #SomeHashtag for all of this", 24)
    assert "@averylonghandle" in out or "@" not in out
    assert "#SomeHashtag" in out or "#" not in out
    assert out.endswith(ELLIPSIS) and weighted_length(out) <= 24


def test_fit_leaves_a_fitting_tweet_alone() -> None:
    assert fit("short and sweet", 280) == ("short and sweet", "")


def test_fit_prefers_the_models_rewrite() -> None:
    calls: list[int] = []

    def rewrite(text: str, budget: int) -> str | None:
        calls.append(budget)
        return "A shorter version."

    out, note = fit("word " * 80, 100, rewrite, label="tweet 2")
    assert out == "A shorter version."
    assert note == "tweet 2 rewritten by the model to 18/100"
    assert calls == [100]


def test_fit_rejects_bad_rewrites_then_trims() -> None:
    answers = iter([None, "still far too long " * 20, "\ufeff", "never asked"])
    out, note = fit("word " * 80, 100, lambda t, b: next(answers), attempts=3, label="tweet 1")
    assert note == f"tweet 1 trimmed from 399 to {weighted_length(out)}"
    assert out.startswith("word word") and out.endswith(ELLIPSIS) and weighted_length(out) <= 100
    assert next(answers) == "never asked"  # attempts are bounded


def test_fit_survives_a_writer_that_gives_up() -> None:
    def rewrite(text: str, budget: int) -> str | None:
        raise WriterError("model down")

    out, note = fit("word " * 80, 50, rewrite)
    assert "trimmed" in note and weighted_length(out) <= 50


# Pieces that stress the counter: URLs, emoji sequences, CJK, RTL, combining marks, tags.
PIECES = st.sampled_from([
    "https://example.com/p/a-post?x=1", "example.org", "foo.notatld", "t.co/abc", "日本語の文章です。", "한국어 문장",
    "👨\u200d👩\u200d👧\u200d👦", "👍🏽", "🇯🇵", "1\ufe0f\u20e3", "e\u0301", "\u200f", "مرحبا", "नमस्ते", "@handle",
    "#hashtag", "Hello world.", "\r\n", "\n", " ", "…", "\ufeff", "x" * 40,
])
MIXED = st.lists(st.one_of(PIECES, st.text(max_size=30)), max_size=60).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=600), MIXED)


def _visible(c: str) -> bool:
    # Not a space, control, format, private-use or surrogate character, noncharacter, Hangul filler or a
    # variation selector: what the sanitizer must leave (tests/tweets/test_invisible.py checks it strips the rest).
    code = ord(c)
    return (not c.isspace() and unicodedata.category(c) not in ("Cc", "Cf", "Co", "Cs")
            and not (0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE) and c not in "\u115f\u1160\u3164\uffa0"
            and not (0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF))


# ECMA-48 escape sequences (what a terminal consumes): a control string (OSC, DCS, SOS, PM, APC) up to its
# terminator, CSI with parameters and a final byte, else ESC, its intermediate bytes and one final byte.
_ESCAPES = re.compile(r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
                      r"|(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]|\x1b[\x20-\x2f]*[\x30-\x7e]")


def _has_content(text: str) -> bool:
    return any(_visible(c) for c in _ESCAPES.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_TEXT, st.integers(min_value=2, max_value=MAX_WEIGHT))
def test_trim_always_gives_a_valid_tweet_within_budget(text: str, budget: int) -> None:
    out = trim(text, budget)
    if _has_content(text):
        assert out and is_valid(out)
        assert weighted_length(out) <= budget
    else:
        assert out == ""


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_TEXT, st.integers(min_value=2, max_value=MAX_WEIGHT), st.sampled_from([None, "", "junk " * 100, "ok"]))
def test_fit_always_gives_a_valid_tweet_within_budget(text: str, budget: int, answer: str | None) -> None:
    out, note = fit(text, budget, lambda t, b: answer)
    if _has_content(text):
        assert out and is_valid(out) and weighted_length(out) <= budget
        assert note == "" or ("trimmed" in note or out == answer)
