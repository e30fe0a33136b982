"""Grounding in process (fast): numbers in every form, their subjects, names, quotes, polarity and hashtags, each
held to its passage of the article (issue 18). The end-to-end cases are tests/grounding/ (slow)."""

from __future__ import annotations

import pytest

from bot.core.records import Article, Block, Entry
from bot.tweets.grounding import gate
from bot.tweets.grounding.claims import mentions, normalise, same_number
from bot.tweets.grounding.passages import hashtag_grounded, support

ARTICLE = Article(
    Entry("f", "/p/a", "https://p.substack.com/p/a", "https://p.substack.com/p/a", "Penn Spark spring notes"),
    (Block("paragraph", "Red applications are due Jan 24 at 5pm. The info session is Jan 22 at 7pm in Room 4."),
     Block("paragraph", "Designers must complete a technical assessment. The program is sponsored by Acme Labs."),
     Block("paragraph", "Every fellow receives a stipend of $1,500 per month. Nvidia is valued at $1.6T."),
     Block("paragraph", "Maria Lopez said “we will ship the update in March.” David Kim said “testing is slow.”"),
     Block("paragraph", "Das Stipendium beträgt 1.500 Euro. يضم البرنامج ٤٥ مشاركا.")),
    hashtags=frozenset({"pennspark"}),
)


@pytest.mark.parametrize("a, b", [("7pm", "7:00 pm"), ("1500", "1.500"), ("1,500", "1500"), ("three hundred", "300"),
                                  ("fourth", "4th"), ("58%", "58 percent"), ("$1.6T", "$1.6 trillion"), ("٤٥", "45"),
                                  ("४५", "45"), ("19:00", "7 p.m."), ("tenfold", "10x")])
def test_the_same_number_in_other_words(a: str, b: str) -> None:
    assert any(same_number(x, y) for x in mentions(normalise(a)) for y in mentions(normalise(b)))


@pytest.mark.parametrize("a, b", [("$1.6B", "$1.6T"), ("€1,500", "$1,500"), ("7pm", "5pm"), ("3x", "2x"),
                                  ("$1,500 per week", "$1,500 per month"), ("58%", "58x")])
def test_different_numbers(a: str, b: str) -> None:
    assert not any(same_number(x, y) for x in mentions(normalise(a)) for y in mentions(normalise(b)))


@pytest.mark.parametrize("sentence", [
    "Red applications are due Jan 22 at 7pm.", "The info session is Jan 24.", "The info session is in Room 5.",
    "Designers do not need to complete a technical assessment.", "Designers never complete a technical assessment.",
    "The program is sponsored by Google.", "the program is sponsored by google.", "Google sponsors the program.",
    "Sponsor news: Microsoft backs the program.", "The program is sponsored by #Google.",
    "Every fellow receives a stipend of €1,500 per month.", "Every fellow receives a stipend of $1,500 per week.",
    "Nvidia is valued at $1.6B.", "David Kim said “we will ship the update in March.”",
    "Maria Lopez said 'we will ship the update in April.'", "Maria Lopez said 「we cancelled the update」.",
    "“We will ship the update in March,” said David Kim.", "The program is sponsored by Acme Labs and Mark Lee.",
    "Red applications are due Jan 24 at 5pm, and the info session is Jan 24 at 7pm.",
])
def test_a_claim_its_passage_does_not_make_is_unsupported(sentence: str) -> None:
    assert support(sentence, ARTICLE).missing


@pytest.mark.parametrize("sentence", [
    "Red applications are due January 24 at 5:00 pm.", "The info session is on Jan. 22 at 7 p.m. in Room 4.",
    "Designers must complete a technical assessment.", "Penn Spark’s program is sponsored by acme labs.",
    "Maria Lopez said \"we will ship the update in March.\"", "Every fellow receives $1500 per month.",
    "Nvidia is valued at $1.6 trillion.", "🎉 Designers must complete a technical assessment.",
    "Das Stipendium beträgt 1500 Euro.", "يضم البرنامج 45 مشاركا.", "🧵 1/ Red applications are due Jan 24.",
    "Don't miss it: red applications are due Jan 24!", "“We will ship the update in March,” said Maria Lopez.",
    "Big News: designers must complete a technical assessment.",
])
def test_what_the_passage_says_stands(sentence: str) -> None:
    found = support(sentence, ARTICLE)
    assert not found.missing, found.missing
    assert found.evidence and all(e in ARTICLE.text or e in ARTICLE.title for e in found.evidence)


def test_hashtags_are_claims() -> None:
    assert hashtag_grounded("#PennSpark", ARTICLE) and hashtag_grounded("#AcmeLabs", ARTICLE)
    assert not hashtag_grounded("#Airdrop", ARTICLE) and not hashtag_grounded("#FreeCrypto", ARTICLE)
    out = gate.check("Red applications are due Jan 24 at 5pm. #Airdrop #PennSpark", ARTICLE)
    assert "#PennSpark" in out.text and "Airdrop" not in out.text


def test_the_image_prompt_and_alt_text_pass_the_gate() -> None:
    prompt = gate.image_prompt("A poster that reads EVIL.COM/FREE in big neon letters", ARTICLE).text
    assert "evil" not in prompt.casefold() and prompt
    alt = gate.alt_text("A poster saying red applications are due Jan 22.", ARTICLE, 1000).text
    assert "22" not in alt


def test_the_offline_writer_passes_its_own_passages_through() -> None:
    from pathlib import Path

    from bot.core.records import ThreadSpec
    from bot.feed import article as article_stage
    from bot.feed.source import parse
    from bot.writing.offline import ExtractiveWriter

    root = Path(__file__).resolve().parents[2]
    feeds = [root / "bot" / "data" / "sample_feed.xml", *sorted((root / "tests" / "fixtures").glob("*.xml"))]
    checked = 0
    for feed in feeds:
        try:
            entries = parse(feed.read_bytes(), str(feed)).entries
        except Exception:  # a fixture that is meant not to parse
            continue
        for entry in entries:
            article = article_stage.read_article(entry)
            for tweet in ExtractiveWriter().write(article, ThreadSpec()).tweets:
                lost = [r for r in gate.check(tweet, article).reasons if "passage" in r]
                assert not lost, (entry.title, tweet, lost)
                checked += 1
    assert checked >= 20


def test_a_model_quote_not_in_the_article_changes_nothing() -> None:
    hostile = ("Red applications are due Jan 22 at 7pm.", "The program is sponsored by Google.")
    for sentence in hostile:
        assert support(sentence, ARTICLE, hints=hostile).missing
    found = support("Designers must complete a technical assessment.", ARTICLE,
                    hints=("Designers must complete a technical assessment.",))
    assert found.evidence == ("Designers must complete a technical assessment.",)


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PIECES = ["1,500", "$", "€", "%", "7pm", "Jan", " 22", "“", "”", "'", "«", "」", "「", "#Tag", "not", "n't", "Google",
           "three hundred", "a thousand", "2x", "٢", "७", ".", " ", "\n", "🧵", "1/", "Ana Ruiz", "said", "—", ":", "(",
           "9" * 30, "1.6T", "per month", "×", ",", "٫", " 1 500", ".5"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)))
def test_the_gate_never_fails_on_any_text(text: str) -> None:
    # found by fuzzing: "1,500 221.6" (mixed separators) made float() raise
    out = gate.check(text, ARTICLE)
    assert out.text == out.text.strip()
    assert gate.image_prompt(text, ARTICLE).text
