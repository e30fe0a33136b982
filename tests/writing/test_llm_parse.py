"""Reading model answers: JSON wherever it hides, numbered lists and `Tweet 1:` headers; None for garbage."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.writing.answers import parse_rewrite, parse_thread

THREE = ["Small newsletters win on trust.", "Two hundred paying readers can sustain a writer.", "Replies become essays."]
JSON = json.dumps({"tweets": THREE, "image_prompt": "a lighthouse at dusk", "alt_text": "A lighthouse"})


@pytest.mark.parametrize(("name", "answer"), [
    ("plain JSON", JSON),
    ("JSON in a code fence", f"```json\n{JSON}\n```"),
    ("JSON in a bare fence", f"```\n{JSON}\n```"),
    ("JSON after prose", f"Here is your thread:\n\n{JSON}\n\nLet me know if you want changes!"),
    ("JSON after a reasoning block", f"<think>The user wants {{\"tweets\": []}} maybe.</think>\n{JSON}"),
    ("objects with text keys", json.dumps({"thread": [{"text": t} for t in THREE], "imagePrompt": "a lighthouse at dusk",
                                           "altText": "A lighthouse"})),
    ("upper-case keys", json.dumps({"Tweets": THREE, "Image_Prompt": "a lighthouse at dusk", "Alt_Text": "A lighthouse"})),
])
def test_json_answers(name: str, answer: str) -> None:
    parsed = parse_thread(answer)
    assert parsed is not None, name
    assert list(parsed.tweets) == THREE and parsed.form == "json"
    assert parsed.image_prompt == "a lighthouse at dusk" and parsed.alt_text == "A lighthouse"


def test_a_bare_list_of_tweets() -> None:
    parsed = parse_thread(json.dumps(THREE))
    assert parsed is not None and list(parsed.tweets) == THREE and parsed.image_prompt == ""


@pytest.mark.parametrize(("name", "answer"), [
    ("numbered with dots", "1. Small newsletters win on trust.\n2. Two hundred paying readers can sustain a writer.\n3. Replies become essays."),
    ("numbered with parens", "1) Small newsletters win on trust.\n2) Two hundred paying readers can sustain a writer.\n3) Replies become essays."),
    ("x/n numbering", "1/3 Small newsletters win on trust.\n2/3 Two hundred paying readers can sustain a writer.\n3/3 Replies become essays."),
    ("Tweet n: headers", "Tweet 1: Small newsletters win on trust.\nTweet 2: Two hundred paying readers can sustain a writer.\n"
                         "Tweet 3: Replies become essays."),
    ("bold markdown headers on their own lines", "Here's a thread:\n\n**Tweet 1:**\nSmall newsletters win on trust.\n\n"
                                                 "**Tweet 2:**\nTwo hundred paying readers can sustain a writer.\n\n"
                                                 "**Tweet 3:**\nReplies become essays."),
    ("markdown headings", "### Tweet 1\nSmall newsletters win on trust.\n### Tweet 2\nTwo hundred paying readers can sustain a writer.\n"
                          "### Tweet 3\nReplies become essays."),
])
def test_list_answers(name: str, answer: str) -> None:
    parsed = parse_thread(answer)
    assert parsed is not None, name
    assert list(parsed.tweets) == THREE and parsed.form == "list"


def test_list_with_image_prompt_and_alt_text_fields() -> None:
    answer = ("1. Small newsletters win on trust.\n2. Replies become essays.\n\n"
              "Image prompt: a lighthouse at dusk\n**Alt text:** A lighthouse")
    parsed = parse_thread(answer)
    assert parsed is not None and parsed.tweets == ("Small newsletters win on trust.", "Replies become essays.")
    assert (parsed.image_prompt, parsed.alt_text) == ("a lighthouse at dusk", "A lighthouse")


def test_a_tweet_that_says_1_colon_is_not_split() -> None:
    """The tutorial's split('1:') cut tweets that mention a ratio or a time; a JSON answer keeps them whole."""
    tweets = ["The ratio is 1:10 and the meeting is at 11:30.", "Second: fine."]
    parsed = parse_thread(json.dumps({"tweets": tweets}))
    assert parsed is not None and list(parsed.tweets) == tweets


def test_continuation_lines_join_their_item() -> None:
    parsed = parse_thread("1. First line\ncontinues here.\n2. Second.")
    assert parsed is not None and parsed.tweets == ("First line\ncontinues here.", "Second.")


@pytest.mark.parametrize("answer", [
    "", "   ", "I'm sorry, I can't help with that.", "<html><body>502 Bad Gateway</body></html>",
    '{"error": "model overloaded"}', '{"tweets": []}', '{"tweets": ["", "  "]}', "1. Only one numbered line.",
    "In 2024. things changed.\n2025. More.", "\x00\x01\x02 garbage \ufffd\ufffd", "{" * 500,
    "<think>thinking forever and never answering",
])
def test_garbage_is_none(answer: str) -> None:
    assert parse_thread(answer) is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gives_none_or_non_empty_tweets(answer: str) -> None:
    parsed = parse_thread(answer)
    assert parsed is None or (parsed.tweets and all(t.strip() for t in parsed.tweets))


@pytest.mark.parametrize(("answer", "expected"), [
    ("Trust compounds.", "Trust compounds."),
    ('"Trust compounds."', "Trust compounds."),
    ("“Trust compounds.”", "Trust compounds."),
    ("Here is the shortened tweet: Trust compounds.", "Trust compounds."),
    ("Shortened tweet: Trust compounds.", "Trust compounds."),
    ("```\nTrust compounds.\n```", "Trust compounds."),
    ('{"tweet": "Trust compounds."}', "Trust compounds."),
    ("<think>hmm</think>Trust compounds.", "Trust compounds."),
    ('"A" and "B" both matter', '"A" and "B" both matter'),
])
def test_parse_rewrite(answer: str, expected: str) -> None:
    assert parse_rewrite(answer) == expected


def test_reasoning_without_its_opening_tag_is_ignored() -> None:
    answer = ('Okay, the user wants JSON, maybe like {"tweets": ["Newsletters are over?"]} but longer.\n</think>\n' + JSON)
    parsed = parse_thread(answer)
    assert parsed is not None and list(parsed.tweets) == THREE


@pytest.mark.parametrize("answer", [
    "**Shortened version (98 characters):** Trust compounds.\n\nI removed the examples to save space.",
    "Revised tweet: Trust compounds.\n\n(Character count: 16)",
    "Trust compounds.\n\nThis version keeps the main idea.",
])
def test_a_rewrite_loses_the_models_notes(answer: str) -> None:
    assert parse_rewrite(answer) == "Trust compounds."
