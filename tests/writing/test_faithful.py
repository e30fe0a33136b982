"""Faithfulness, meta-text and address finding: tables of cases for bot.tweets.facts, .meta and .items."""

from __future__ import annotations

import pytest

from bot.core.records import Article, Block, Entry
from bot.tweets.facts import facts_of, unsupported
from bot.tweets.hygiene import clean, clean_alt, strip_invisible
from bot.tweets.items import find
from bot.tweets.meta import is_meta, is_refusal

ARTICLE = Article(
    entry=Entry(feed="f", key="/p/x", guid="https://pub.substack.com/p/x", link="https://pub.substack.com/p/x",
                title="Applications are open", author="Maya Chen"),
    blocks=(Block("paragraph", "Applications close on January 24 at 5pm. Last year 58 percent of applicants were new, "
                               "and the grant was $4,000. Leo Park said it is \"a place for anyone curious\"."),),
    links=frozenset({"https://guide.example.org/spring"}),
)
FACTS = facts_of(ARTICLE)


@pytest.mark.parametrize("sentence", [
    "Applications close on Jan 24.", "Applications close on January 24th.", "58% of applicants were new.",
    "The grant was $4,000.", "The grant was 4000 dollars.", "Leo Park calls it “a place for anyone curious”.",
    "Maya Chen runs it.", "Last year most applicants were new.",
])
def test_what_the_article_says_is_supported(sentence: str) -> None:
    assert unsupported(sentence, FACTS) == []


@pytest.mark.parametrize(("sentence", "missing"), [
    ("Applications close on March 3.", "3"),
    ("Over 90% of applicants were new.", "90"),
    ("Applications close on January 25.", "25"),
    ("The grant was $5,000.", "5000"),
    ("Leo Park calls it “the best program ever”.", "the best program ever"),
    ("It is backed by Google.", "Google"),
    ("Elon Musk runs it.", "Musk"),
])
def test_what_the_article_lacks_is_reported(sentence: str, missing: str) -> None:
    assert any(missing in m for m in unsupported(sentence, FACTS))


def test_an_unsupported_sentence_goes_and_the_rest_stays() -> None:
    out = clean("Applications close on January 24. Winners fly to Paris.", ARTICLE)
    assert out.text == "Applications close on January 24."
    assert any("Paris" in r for r in out.reasons)


@pytest.mark.parametrize("answer", [
    "I can't help with that.", "I'm sorry, but I can't assist with that request.", "Sorry, I can’t help with this.",
    "As an AI language model, I cannot write this.", "I cannot comply with this request.",
    "I apologize, but I am unable to write tweets about this article.", "I won't write promotional content.",
])
def test_refusals_are_recognised(answer: str) -> None:
    assert is_refusal(answer) and is_meta(answer)


@pytest.mark.parametrize("sentence", [
    "I can help you apply before January 24.", "I read every reply.", "Sorry state of affairs? Not here.",
    "I cannot believe how many of you applied.",
])
def test_an_authors_first_person_is_not_a_refusal(sentence: str) -> None:
    assert not is_refusal(sentence)


@pytest.mark.parametrize(("text", "kind"), [
    ("see evil[.]com now", "address"), ("see hxxps://evil.com now", "address"), ("run javascript:alert(1)", "address"),
    ("at http://1.2.3.4/x", "address"), ("at https://pub.substack.com@evil.com/p/x", "address"),
    ("at https://еvil.com/x", "url"), ("at ｅｖｉｌ．ｃｏｍ", "url"), ("mail a@evil.com", "address"),
    ("at www.evil.zz", "address"), ("at evil.example/promo", "address"), ("buy $SCAM", "cashtag"),
    ("ask ＠evilbot", "handle"), ("at evil dot com", "address"),
])
def test_what_a_reader_takes_for_an_address_is_found(text: str, kind: str) -> None:
    assert [i.kind for i in find(text)] == [kind]


@pytest.mark.parametrize("text", ["Node.js and e.g. U.S. style", "It costs $4,000 at 5pm.", "Ratio 3.5 of 10.2"])
def test_ordinary_prose_has_no_address(text: str) -> None:
    assert find(text) == []


def test_invisible_characters_go_and_emoji_joiners_stay() -> None:
    assert strip_invisible("a\u202eb\u200bc\u2060d\U000e0041e\ue000f\x1b[31mg\u00adh") == "abcdefgh"
    assert strip_invisible("👩\u200d💻") == "👩\u200d💻"
    assert strip_invisible("می\u200cخواهم") == "می\u200cخواهم"  # Persian needs its ZWNJ


def test_alt_text_gets_a_tweets_hygiene_within_its_limit() -> None:
    out = clean_alt("A laptop on a desk. Follow @evilbot at https://evil.com. $SCAM soon.", ARTICLE)
    assert out.text == "A laptop on a desk." and out.reasons
    long = clean_alt("A laptop on a desk. " * 80, ARTICLE, 1000)
    assert len(long.text) <= 1000 and long.text.endswith(".")
