"""The passages a model names as each tweet's evidence (bot.writing.evidence), read from its thread answer."""

from __future__ import annotations

import json

from bot.writing.evidence import evidence_of


def test_a_top_level_evidence_list_goes_with_the_tweets_in_order() -> None:
    answer = json.dumps({"tweets": ["a", "b"], "evidence": ["quote a", ["b1", "b2"]], "image_prompt": "", "alt_text": ""})
    assert evidence_of(answer, 2) == (("quote a",), ("b1", "b2"))


def test_tweets_written_as_objects_carry_their_own_evidence() -> None:
    answer = '```json\n{"tweets": [{"text": "a", "evidence": "qa"}, {"text": "b"}]}\n```'
    assert evidence_of(answer, 2) == (("qa",), ())


def test_the_final_answer_wins_over_a_draft_and_reasoning() -> None:
    answer = ('<think>{"tweets": ["x"], "evidence": ["thought"]}</think> Draft: {"tweets": ["d"], "evidence": ["draft"]}'
              ' Final answer: {"tweets": ["f"], "evidence": ["final"]}')
    assert evidence_of(answer, 1) == (("final",),)


def test_no_evidence_is_nothing() -> None:
    assert evidence_of('{"tweets": ["a"]}', 1) == ()
    assert evidence_of("not json at all", 3) == ()
