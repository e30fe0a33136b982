"""The compact tables and lazily compiled patterns that keep start-up small read exactly what their sources read.

Each oracle is the package or source the table was made from (english-words, the JS-compatible twitter-text
patterns), never the compact form itself.
"""

from __future__ import annotations

import random

import pytest

from bot.tweets import entities
from bot.tweets.grounding import wordlist


def _variants(word: str) -> list[str]:
    """A TLD as written, upper-cased, title-cased, and with the letters Python's Unicode case folding confuses."""
    return [word, word.upper(), word.title(), word.replace("k", "\u212a"), word.replace("s", "\u017f"),
            word.replace("i", "\u0130"), word[:-1]]


def test_python_url_patterns_match_what_the_js_sources_match() -> None:
    generic, country = entities.tlds()
    texts = []
    for tld in (*generic, *country):
        for form in _variants(tld):
            texts += [f"see evil.{form} now", f"https://a.b.{form}/x?y=1", f"mail x.{form}-y.{form}.",
                      f"“x.{form}”", f"a.{form}2", f"xn--abc.{form}/p"]
    js = entities._patterns()
    for name in ("url", "ascii_domain"):
        fast = entities._pattern(name)
        for text in texts:
            want = [(m.span(), m.groups()) for m in js[name].finditer(text)]
            assert [(m.span(), m.groups()) for m in fast.finditer(text)] == want, (name, text)


def test_the_word_file_holds_exactly_the_english_words_list() -> None:
    pytest.importorskip("english_words")
    source = wordlist.source_words()
    assert wordlist.render(source) == wordlist.files("bot").joinpath(*wordlist._FILE).read_text("ascii"), \
        "bot/data/common_words.txt is stale: run python -m bot.tweets.grounding.wordlist"
    table = frozenset(source)
    rng = random.Random(7)
    probes = rng.sample(source, 3000) + [w + "s" for w in rng.sample(source, 3000)] + [w[:-1] for w in source[:3000]]
    probes += ["", "a", "A", "Apple", "a b", "naïve", "e-mail", "x" * 40, "aa aal", "un", "ß"]
    assert [wordlist.listed(w) for w in probes] == [w in table for w in probes]
