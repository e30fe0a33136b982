"""Whatever X would link or tag in a tweet — each URL, @mention and $cashtag the official twitter-text (JS)
extracts — is one of the items hygiene asks permission for (bot.tweets.items.find): nothing X turns into a link
or a tag can slip past the allowlist. The oracle is twitter-text, not the bot."""

from __future__ import annotations

import unicodedata

from helpers.twitter_text import JSTwitterText, js  # noqa: F401 (js is a fixture)
from hypothesis import HealthCheck, example, given, settings
from test_oracle import TEXTS

from bot.tweets.items import find


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(TEXTS)
@example("$ab_cdexample.com")  # found by this test: X links $ab; hygiene saw no item
def test_every_entity_x_links_is_an_item_hygiene_checks(js: JSTwitterText, text: str) -> None:
    text = unicodedata.normalize("NFC", text)
    theirs = js.parse(text)
    items = find(text)
    for kind in ("urls", "mentions", "cashtags"):
        for start, end, _value in theirs[kind]:
            covered = any(i.start <= start and end <= i.end for i in items)
            assert covered, (kind, text[start:end], text, [(i.kind, i.text) for i in items])
