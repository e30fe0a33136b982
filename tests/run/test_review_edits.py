"""A reviewer's edit is held to what the article says, on every network: anything a reader takes for an address,
handle or cashtag that the article does not have is refused with one line, as hygiene would remove it from a
model's post. The hostile strings here are foreign by construction: the article below names one link
(https://quietindex.org/p/fellowship), one X handle (@quietindex) and no cashtag."""

from __future__ import annotations

import json

import pytest

from bot.core.records import Plan
from bot.run.review import EditRefused, alt_problem, check_tweet
from bot.state.drafts import ReviewDraft, entry_from_json

ARTICLE = ("<p>Applications are open for the Quiet Index fellowship. Follow @quietindex on X for news. "
           "Read <a href='https://quietindex.org/p/fellowship'>the call</a>.</p>")
ENTRY = {"feed": "F", "key": "/p/fellowship", "guid": "https://quietindex.org/p/fellowship",
         "link": "https://quietindex.org/p/fellowship", "title": "Fellowship", "subtitle": "", "author": "A",
         "published": None, "html": ARTICLE}


def draft() -> ReviewDraft:
    one = [{"text": "Applications are open.", "weighted_length": 22}]
    plan = Plan.from_dict({"threads": {"x": {"limit": 280, "url_weight": 23, "tweets": one},
                                       "bluesky": {"limit": 300, "tweets": one},
                                       "mastodon": {"limit": 500, "url_weight": 23, "tweets": one}}})
    return ReviewDraft(7, "F", ENTRY["key"], "draft", entry_from_json(json.dumps(ENTRY)), "", "cli", "", 0.0, 0.0,
                       None, plan, {})


NETWORKS = ["x", "bluesky", "mastodon"]
FOREIGN = [
    "See evil[.]com for the details.",            # defanged
    "See hxxps://evil.example/win for the details.",  # defanged scheme
    "Write to bob@evil.example for the details.",  # an e-mail
    "Follow @quietindex@evil.social for the details.",  # a Mastodon account on another instance
    "Follow @someone@mastodon.social for the details.",
    "See http://203.0.113.9/x for the details.",  # an IP address
    "Buy $EVIL before the deadline.",             # a cashtag the article lacks
    "Follow @quietindex.evil.example for the details.",  # a Bluesky handle built on the article's X handle
    "Great news!@someone, and more details.",  # no mention on X, but one on Mastodon (and to a reader)
]


@pytest.mark.parametrize("network", NETWORKS)
@pytest.mark.parametrize("text", FOREIGN)
def test_an_edit_with_anything_the_article_does_not_have_is_refused(network: str, text: str) -> None:
    with pytest.raises(EditRefused) as refused:
        check_tweet(f"Applications are open. {text}", 1, draft(), network)
    assert "the article does not" in refused.value.message and "\n" not in refused.value.message


@pytest.mark.parametrize("network", NETWORKS)
def test_an_edit_with_only_what_the_article_has_is_kept(network: str) -> None:
    handle = "" if network == "mastodon" else "Follow @quietindex for news: "  # see the last test
    text = f"Applications are open. {handle}https://quietindex.org/p/fellowship"
    assert check_tweet(text, 1, draft(), network) == text


def test_an_x_handle_is_refused_on_mastodon_where_it_would_mention_an_account_of_that_name() -> None:
    with pytest.raises(EditRefused, match="Mastodon post 1 mentions @quietindex"):
        check_tweet("Applications are open. Follow @quietindex for news.", 1, draft(), "mastodon")


@pytest.mark.parametrize("alt", ["A blue card. See https://evil.com/win for more.", "A card by @someone today.",
                                 "A card. Write to bob@evil.example today."])
def test_an_alt_text_edit_is_held_to_the_article_too(alt: str) -> None:
    # The alt text goes out on every network (X's media metadata, Bluesky's alt, Mastodon's description).
    assert "the article does not" in alt_problem(alt, draft())
    assert alt_problem("A blue title card with the post's title.", draft()) == ""
