"""Prompts: the article fitted to the context budget, the language chosen, templates a user can replace."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.errors import ConfigError
from bot.core.records import Article, Block, Entry, ThreadSpec
from bot.writing.prompts import BUNDLED, TEMPLATES, TRIMMED, Prompts, budget_body, estimate_tokens, language_of


def article(blocks: list[Block], language: str = "en") -> Article:
    entry = Entry(feed="f", key="/p/x", guid="g", link="https://quiet.substack.com/p/x", title="Why small newsletters win",
                  subtitle="A field guide", language=language)
    return Article(entry, tuple(blocks))


def test_estimate_counts_cjk_characters_as_tokens() -> None:
    assert estimate_tokens("word " * 100) == 125
    assert estimate_tokens("信頼" * 50) == 100


def test_a_short_article_goes_in_whole() -> None:
    blocks = [Block("heading", "Trust"), Block("paragraph", "Readers trust one voice."), Block("quote", "Small is fine.")]
    assert budget_body(article(blocks), 1000) == "## Trust\n\nReaders trust one voice.\n\n> Small is fine."


def test_a_long_article_keeps_every_heading_and_trims_the_body() -> None:
    blocks = [Block("heading", "Part one")] + [Block("paragraph", f"Paragraph {i} " + "word " * 200) for i in range(20)]
    blocks += [Block("heading", "Part two"), Block("paragraph", "The end " + "word " * 200)]
    body = budget_body(article(blocks), 800)
    assert estimate_tokens(body) <= 800 + 20
    assert "## Part one" in body and "## Part two" in body and TRIMMED in body
    assert "Paragraph 0" in body and "The end" not in body


@pytest.mark.parametrize(("setting", "declared", "expected"), [
    ("", "en", "English"), ("", "ja", "Japanese"), ("", "es-ES", "Spanish"),
    ("", "", "the same language as the article"), ("French", "en", "French"),
])
def test_language(setting: str, declared: str, expected: str) -> None:
    assert language_of(article([], declared), ThreadSpec(language=setting)) == expected


def test_the_bundled_templates_render() -> None:
    prompts = Prompts()
    messages = prompts.thread(article([Block("paragraph", "Readers trust one voice.")]), ThreadSpec(tweets=4), 1000)
    system, user = messages.as_list()
    assert "Write exactly 4 tweets" in system["content"] and "Use no hashtags" in system["content"]
    assert "Title: Why small newsletters win" in user["content"] and "Subtitle: A field guide" in user["content"]
    assert '"tweet 1", "tweet 2", "tweet 3", "tweet 4"' in prompts.repair(ThreadSpec(tweets=4))


def test_a_users_own_templates_are_used(tmp_path: Path) -> None:
    for name in TEMPLATES:
        (tmp_path / name).write_text((BUNDLED / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "system.j2").write_text("Write like a pirate, {{ spec.tweets }} tweets, in {{ language }}.", encoding="utf-8")
    system = Prompts(str(tmp_path)).thread(article([]), ThreadSpec(tweets=2), 1000).as_list()[0]["content"]
    assert system == "Write like a pirate, 2 tweets, in English."


def test_a_templates_folder_missing_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "system.j2").write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        Prompts(str(tmp_path))
    assert "lacks thread.j2, rewrite.j2, repair.j2" in str(caught.value) and "copy the bundled templates" in str(caught.value)


def test_a_broken_template_is_one_line(tmp_path: Path) -> None:
    for name in TEMPLATES:
        (tmp_path / name).write_text("{{ spec.tweets }}", encoding="utf-8")
    (tmp_path / "thread.j2").write_text("{% if %}", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        Prompts(str(tmp_path))
    assert "does not parse" in str(caught.value)


def test_a_template_naming_an_unknown_variable_is_one_line(tmp_path: Path) -> None:
    for name in TEMPLATES:
        (tmp_path / name).write_text("{{ spec.tweets }}", encoding="utf-8")
    (tmp_path / "system.j2").write_text("{{ nonsense.value }}", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        Prompts(str(tmp_path)).thread(article([]), ThreadSpec(), 1000)
    assert "system.j2 failed" in str(caught.value)


def test_japanese_asks_for_half_the_characters_since_x_counts_them_double() -> None:
    japanese = Article(Entry(feed="f", key="/p/j", guid="g", link="https://kobu.substack.com/p/j", title="信頼の話",
                             language="ja"), (Block("paragraph", "小さなニュースレターは信頼で勝つ。" * 20),))
    system = Prompts().thread(japanese, ThreadSpec(), 1000).as_list()[0]["content"]
    assert "at most 120 characters" in system
    english = Prompts().thread(article([Block("paragraph", "Readers trust one voice.")]), ThreadSpec(), 1000)
    assert "at most 240 characters" in english.as_list()[0]["content"]
    ask = Prompts().rewrite("小さなニュースレターは信頼で勝つ。" * 10, 280, japanese, ThreadSpec()).as_list()[0]["content"]
    assert "at most 140 characters" in ask
