"""Bluesky against its own PDS: @atproto/dev-env's TestNetworkNoAppView (a real PDS and PLC on 127.0.0.1, from
npm, set up by tests/bluesky/setup.sh). Each thread is read back from the repository with
com.atproto.repo.listRecords over plain HTTP (not through the bot's client): reply refs, facets, embeds, alt text.
The PDS's own checks are the oracle for length (300 graphemes) and blob size (1,000,000 bytes)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers.botproc import ENTRY, SAMPLE_FEED, BotProcess, bot_env, run_bot, wait_until
from helpers.json_ledger import JSONLedger
from helpers.pds import LINK, TEXTS, pds, records, sky_settings, sky_thread  # noqa: F401 (pds is a fixture)

from bot.core.clock import FakeClock
from bot.core.records import Plan
from bot.networks.bluesky.thread import BlueskyPublisher, record_key
from bot.run.publishing import thread_from_plan


def test_a_thread_is_a_reply_chain_with_facets_an_image_and_a_link_card(pds: dict[str, Any], tmp_path: Path) -> None:
    thread = sky_thread(tmp_path)
    posted = BlueskyPublisher(sky_settings(pds, tmp_path), FakeClock()).publish(thread, JSONLedger(tmp_path / "l.json"))
    assert posted.complete
    got = records(pds)
    assert [r["value"]["text"] for r in got] == list(TEXTS)
    assert [p.tweet_id for p in posted.published] == [r["uri"] for r in got]
    assert [r["uri"].rsplit("/", 1)[1] for r in got] == [record_key(thread, n) for n in (1, 2, 3)]
    def ref(post: dict[str, Any]) -> tuple[str, str]:
        return post["uri"], post["cid"]

    def refs(post: dict[str, Any]) -> tuple[tuple[str, str], tuple[str, str]]:
        reply = post["value"]["reply"]
        return ref(reply["root"]), ref(reply["parent"])
    assert "reply" not in got[0]["value"]
    assert refs(got[1]) == (ref(got[0]), ref(got[0]))
    assert refs(got[2]) == (ref(got[0]), ref(got[1]))
    first = got[0]["value"]["embed"]
    assert first["$type"] == "app.bsky.embed.images" and first["images"][0]["alt"] == "A blue title card"
    card = got[2]["value"]["embed"]
    assert card["$type"] == "app.bsky.embed.external"
    assert card["external"]["uri"] == LINK and card["external"]["title"] == "Why small newsletters win"
    assert card["external"]["description"] == "Why the tiny, loyal audience wins"
    assert card["external"]["thumb"]["ref"]["$link"] == first["images"][0]["image"]["ref"]["$link"]
    assert "embed" not in got[1]["value"]
    # facets: byte ranges over the UTF-8 text select exactly the link, the handle and the tag
    def selected(value: dict[str, Any], kind: str) -> list[str]:
        raw = value["text"].encode("utf-8")
        return [raw[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode() for f in value.get("facets", [])
                if f["features"][0]["$type"] == f"app.bsky.richtext.facet#{kind}"]
    assert selected(got[2]["value"], "link") == [LINK]
    assert got[2]["value"]["facets"][0]["features"][0]["uri"] == LINK
    assert selected(got[0]["value"], "mention") == ["@writer.test"]
    assert got[0]["value"]["facets"][0]["features"][0]["did"] == pds["did"]
    assert selected(got[0]["value"], "tag") == ["#newsletters"]


def test_a_second_create_with_the_same_key_is_refused_and_a_resume_adopts_the_record(
        pds: dict[str, Any], tmp_path: Path) -> None:
    thread = sky_thread(tmp_path)
    ledger = JSONLedger(tmp_path / "l.json")
    publisher = BlueskyPublisher(sky_settings(pds, tmp_path), FakeClock())
    publisher.publish(thread, ledger)
    before = records(pds)
    # A run that died after sending post 2 and 3 but before recording them: the ledger says pending.
    lost = JSONLedger(tmp_path / "lost.json")
    lost.record(dataclasses.replace(ledger.done()[1]))
    lost.pending(2)
    again = BlueskyPublisher(sky_settings(pds, tmp_path), FakeClock()).publish(thread, lost)
    assert again.complete and records(pds) == before  # adopted, nothing created twice
    assert [p.tweet_id for p in again.published] == [r["uri"] for r in before]
    # Even without a pending mark, the same key cannot make a second record: the PDS refuses the create.
    fresh = BlueskyPublisher(sky_settings(pds, tmp_path), FakeClock()).publish(thread, JSONLedger(tmp_path / "none.json"))
    assert fresh.complete and records(pds) == before


def test_the_session_is_kept_and_reused_so_a_restart_does_not_sign_in_again(pds: dict[str, Any], tmp_path: Path) -> None:
    thread = sky_thread(tmp_path, TEXTS[:1])
    BlueskyPublisher(sky_settings(pds, tmp_path), FakeClock()).publish(thread, JSONLedger(tmp_path / "a.json"))
    kept = tmp_path / "session.json"
    assert kept.stat().st_mode & 0o777 == 0o600 and pds["password"] not in kept.read_text()
    # A wrong password would fail a sign-in: the next run posts through the kept session instead.
    other = sky_thread(tmp_path, ("A second thread, through the kept session.",))
    other = dataclasses.replace(other, article=dataclasses.replace(
        other.article, entry=dataclasses.replace(other.article.entry, key="/p/another")))
    posted = BlueskyPublisher(sky_settings(pds, tmp_path, password="wrong-password"), FakeClock()).publish(
        other, JSONLedger(tmp_path / "b.json"))
    assert posted.complete and len(records(pds)) == 2


def test_an_image_over_the_blob_limit_is_re_encoded_under_it(pds: dict[str, Any], tmp_path: Path) -> None:
    thread = sky_thread(tmp_path, TEXTS[:1], image_size=(1600, 1000))
    assert thread.image.path.stat().st_size > 1_000_000
    BlueskyPublisher(sky_settings(pds, tmp_path), FakeClock()).publish(thread, JSONLedger(tmp_path / "l.json"))
    blob = records(pds)[0]["value"]["embed"]["images"][0]["image"]
    assert blob["size"] <= 1_000_000 and blob["mimeType"] == "image/jpeg"


def test_a_post_over_300_graphemes_is_refused_by_the_pds_itself(pds: dict[str, Any], tmp_path: Path) -> None:
    from bot.core.errors import PublishError

    with pytest.raises(PublishError, match="Bluesky refused posting"):
        BlueskyPublisher(sky_settings(pds, tmp_path), FakeClock()).publish(
            sky_thread(tmp_path, ("é" * 301,)), JSONLedger(tmp_path / "l.json"))
    assert records(pds) == []


@pytest.mark.slow
def test_bot_post_killed_mid_thread_finishes_on_the_rerun_with_no_post_twice(pds: dict[str, Any], feed_url: str,
                                                                              tmp_path: Path) -> None:
    env = bot_env(tmp_path, "", {"BLUESKY_HANDLE": pds["handle"], "BLUESKY_APP_PASSWORD": pds["password"]},
                  BOT_NETWORKS="bluesky", BLUESKY_SERVICE=pds["url"],
                  BOT_BLUESKY_SESSION_FILE=str(tmp_path / "session.json"))
    args = ["post", "--feed", feed_url, "--entry", ENTRY, "--out", str(tmp_path / "out")]
    with BotProcess(args, env, tmp_path, name="run1") as bot:
        wait_until(lambda: len(records(pds)) >= 1, 60, "the first post", bot)
        bot.kill()
    done = run_bot(args, env, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    record = json.loads((tmp_path / "out" / "thread.json").read_text())
    texts = [t["text"] for t in record["threads"]["bluesky"]["tweets"]]
    got = records(pds)
    assert [r["value"]["text"] for r in got] == texts  # each once, in order
    assert [p["id"] for p in record["published"]] == [r["uri"] for r in got]
    assert all(p["network"] == "bluesky" and p["id"].startswith("at://") for p in record["published"])
    for post in got[1:]:
        assert post["value"]["reply"]["root"]["uri"] == got[0]["uri"]
    assert pds["password"] not in done.stdout + done.stderr + (tmp_path / "out" / "thread.json").read_text()
    check = run_bot(["check"], {**env, "BOT_FEED_URL": str(SAMPLE_FEED)}, tmp_path)
    assert f"ok: bluesky: Bluesky account {pds['handle']} ({pds['did']})" in check.stdout


class _Resolving:
    """A Bluesky client standing in for the network: every handle resolves (as any registered one would)."""

    handle = "writer.test"
    account = ""  # the signed-in handle BlueskyClient learns (none here)

    def __init__(self) -> None:
        self.made: list[Any] = []

    def resolve(self, handle: str) -> str:
        return "did:plc:own" if handle == self.handle else f"did:plc:{handle.replace('.', '-')}"

    def get(self, rkey: str) -> None:
        return None

    def create(self, rkey: str, record: Any) -> tuple[str, str]:
        self.made.append(record)
        return f"at://did:plc:own/app.bsky.feed.post/{rkey}", f"cid{len(self.made)}"


def test_a_mention_facet_names_only_the_account_itself(tmp_path: Path) -> None:
    # Hygiene keeps no foreign handle in a post, but the facets are what Bluesky makes clickable, so they hold
    # the rule too: "news!@evil.bsky.social" (no X handle, since X does not link after "!") links nobody.
    texts = ("Great news!@evil.bsky.social, says @writer.test today.", "More (@other.example) soon.")
    client = _Resolving()
    thread = dataclasses.replace(sky_thread(tmp_path), networks=(
        dataclasses.replace(sky_thread(tmp_path).networks[0],
                            tweets=tuple(dataclasses.replace(t, text=s) for t, s in zip(sky_thread(tmp_path).networks[0].tweets, texts))),))
    thread = dataclasses.replace(thread, image=dataclasses.replace(thread.image, path=None, source="none"))
    BlueskyPublisher(sky_settings({"handle": "writer.test", "password": "pw", "url": "http://127.0.0.1:9"}, tmp_path),
                     FakeClock(), client=client).publish(thread, JSONLedger(tmp_path / "l.json"))  # type: ignore[arg-type]
    mentioned = [f.features[0].did for r in client.made for f in (r.facets or []) if hasattr(f.features[0], "did")]
    assert mentioned == ["did:plc:own"]



def test_a_hashtag_longer_than_bluesky_allows_is_posted_as_plain_text(pds: dict[str, Any], tmp_path: Path) -> None:
    # The lexicon's tag is at most 64 graphemes: the PDS refuses a post whose tag facet is longer (and with it
    # the whole thread), so an article's overlong #tag stays text; the PDS is the oracle.
    long_tag, short = "#" + "a" * 65, "#b" + "é" * 63  # 66 graphemes with its sign; 64 graphemes of tag
    thread = sky_thread(tmp_path, (f"Tags {long_tag} and {short} here.",))
    posted = BlueskyPublisher(sky_settings(pds, tmp_path), FakeClock()).publish(thread, JSONLedger(tmp_path / "l.json"))
    assert posted.complete
    (got,) = records(pds)
    tags = [f["features"][0]["tag"] for f in got["value"].get("facets", [])]
    assert tags == [short[1:]]


@pytest.mark.parametrize(("language", "langs"), [("en_US", ["en-US"]), ("english", None), ("fr", ["fr"])])
def test_a_feed_language_bluesky_would_refuse_does_not_stop_the_thread(pds: dict[str, Any], tmp_path: Path,
                                                                      language: str, langs: list[str] | None) -> None:
    # The PDS refuses a post whose langs is not a BCP-47 tag (feeds write en_US, or a word): the PDS is the oracle.
    thread = sky_thread(tmp_path, ("Hello from the Quiet Index.",))
    entry = dataclasses.replace(thread.article.entry, language=language)
    thread = dataclasses.replace(thread, article=dataclasses.replace(thread.article, entry=entry))
    posted = BlueskyPublisher(sky_settings(pds, tmp_path), FakeClock()).publish(thread, JSONLedger(tmp_path / "l.json"))
    assert posted.complete
    (got,) = records(pds)
    assert got["value"].get("langs") == langs


@pytest.mark.parametrize("first", [datetime(2026, 11, 2, 9, 30, tzinfo=UTC), None])
def test_a_resumed_thread_keeps_its_record_keys_when_the_feed_redates_the_entry(tmp_path: Path,
                                                                                 first: datetime | None) -> None:
    # An Atom entry without <published> is dated by its <updated>, which an edit moves; a run killed with a
    # post in flight resumes from the saved plan, and must look for (and adopt) the record under the same key.
    thread = sky_thread(tmp_path)
    thread = dataclasses.replace(thread, article=dataclasses.replace(
        thread.article, entry=dataclasses.replace(thread.article.entry, published=first)))
    plan = Plan.of(thread)
    redated = dataclasses.replace(thread.article.entry, published=datetime(2026, 11, 5, 8, 0, tzinfo=UTC))
    resumed = thread_from_plan(plan, redated, None, tmp_path, need_image=False)
    assert [record_key(resumed, p) for p in (1, 2, 3)] == [record_key(thread, p) for p in (1, 2, 3)]
