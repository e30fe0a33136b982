"""The review page with every network, in a real browser: each network's thread in its own fieldset with its own
live counter (/280, /300, /500), checked and saved per network, and Approve publishing each edited thread exactly
once onto the local X API, the local Mastodon-shaped server and Bluesky's own PDS (read back from each server).
Expected lengths are known by construction; the counters are also compared over a corpus with the server's
count (a second implementation: Intl.Segmenter against `regex`'s grapheme clusters)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.botproc import ENTRY, SAMPLE_FEED
from helpers.pds import posts, running_pds
from helpers.site import Site, browser  # noqa: F401 (browser is a fixture)
from twins.mastodonserver import TOKEN as MASTODON_TOKEN
from twins.mastodonserver import MastodonServer
from twins.xserver import XServer

from bot.networks.bluesky.length import bluesky_length
from bot.networks.mastodon.length import mastodon_length

pytestmark = pytest.mark.slow
PER_URL = 30  # the instance's characters_reserved_per_url: not the default, so the page must take it from the draft


class Networks:
    """A review site publishing to all three networks, and the servers behind them."""

    def __init__(self, site: Site, masto: MastodonServer, pds: dict[str, Any]) -> None:
        self.site, self.masto, self.pds = site, masto, pds


@pytest.fixture
def world(tmp_path: Path, feed_server: Any) -> Iterator[Networks]:
    feed_server.route("/feed", SAMPLE_FEED)
    with XServer() as x, MastodonServer(max_characters=700, per_url=PER_URL) as masto, running_pds(tmp_path) as pds:
        site = Site(tmp_path, x, str(feed_server.url("/feed")),
                    {"MASTODON_ACCESS_TOKEN": MASTODON_TOKEN, "BLUESKY_HANDLE": pds["handle"],
                     "BLUESKY_APP_PASSWORD": pds["password"]},
                    BOT_NETWORKS="x,bluesky,mastodon", MASTODON_BASE_URL=masto.url, BLUESKY_SERVICE=pds["url"],
                    BOT_BLUESKY_SESSION_FILE=str(tmp_path / "session.json"))
        try:
            yield Networks(site, masto, pds)
        finally:
            site.proc.kill()


CASES = ["", "a" * 300, "a" * 301, "界" * 300, "é" * 10, "e\u0301" * 10, "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇯🇵🇫🇷", "1️⃣", "🐦‍🔥",
         "한국어 텍스트", "क्षि", "நி", "ก็", "\r\n", "a\u200db", "https://example.com/" + "a" * 80,
         f"Read it: {ENTRY}", f"{ENTRY}. and example.com", "“https://evil.com”", "http://a.co/x?y=1#z 😀",
         "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "\U0001f9d1\u200d\U0001f91d\u200d\U0001f9d1" * 3, "𝕳𝖊𝖑𝖑𝖔", "😀" * 120 + "a" * 10]


def test_every_networks_thread_is_shown_counted_edited_and_published_once(world: Networks, browser: Any) -> None:
    site = world.site
    page = browser.new_page()
    site.sign_in(page)
    draft = site.drafts()[0]
    threads = draft["threads"]
    link = draft["link"]  # the article's own link: any other is refused
    page.goto(site.url(f"/drafts/{draft['id']}"))
    page.wait_for_load_state("load")
    limits = {"x": 280, "bluesky": 300, "mastodon": 700}
    labels = {"x": "Tweet", "bluesky": "Bluesky post", "mastodon": "Mastodon post"}
    keys = {"x": "{n}", "bluesky": "bluesky-{n}", "mastodon": "mastodon-{n}"}
    for network, posts_ in threads.items():
        assert page.locator(f"fieldset#edit-{network} legend").text_content().endswith(f"at most {limits[network]} each")
        for n, post in enumerate(posts_, 1):
            assert page.get_by_label(f"{labels[network]} {n}", exact=True).input_value() == post["text"]
            key = keys[network].format(n=n)
            assert page.locator(f"#count-{key}").text_content() == f"{post['weighted_length']}/{limits[network]}"
    assert page.locator("article[data-network=bluesky]").count() == len(threads["bluesky"])  # drawn per network

    # The live counters count as each network does.
    sky = page.get_by_label("Bluesky post 2", exact=True)
    sky.fill("界" * 200)  # 200 graphemes on Bluesky; X would weigh it 400
    assert page.locator("#count-bluesky-2").text_content() == "200/300"
    sky.fill("a" * 301)
    assert page.locator("#count-bluesky-2").text_content() == "301/300"
    assert "over" in (page.locator("#count-bluesky-2").get_attribute("class") or "")
    masto = page.get_by_label("Mastodon post 1", exact=True)
    masto.fill(f"{link}\n" + "b" * (700 - PER_URL - 1))  # the link counts PER_URL, whatever its length
    assert page.locator("#count-mastodon-1").text_content() == "700/700"
    masto.press("Control+End")
    masto.press_sequentially("b")
    assert page.locator("#count-mastodon-1").text_content() == "701/700"
    counted = page.evaluate("cases => cases.map(t => [networkLength(t, 'bluesky', 0), networkLength(t, 'mastodon', 30)])",
                            CASES)
    wrong = [(t, js, (bluesky_length(t), mastodon_length(t, PER_URL))) for t, js in zip(CASES, counted)
             if tuple(js) != (bluesky_length(t), mastodon_length(t, PER_URL))]
    assert not wrong, wrong

    # Saving refuses the Bluesky post over 300 beside it and saves nothing (the Mastodon post over 700 too).
    page.get_by_role("button", name="Save").click()
    assert "Bluesky post 2 is 301/300" in page.locator("#error-bluesky-2").text_content()
    assert "Mastodon post 1 is 701/700" in page.locator("#error-mastodon-1").text_content()
    assert site.drafts()[0]["threads"] == threads
    edited_sky = "界" * 200
    edited_masto = f"Read the whole essay: {link}\n" + "b" * 200
    page.get_by_label("Bluesky post 2", exact=True).fill(edited_sky)
    page.get_by_label("Mastodon post 1", exact=True).fill(edited_masto)
    page.get_by_role("button", name="Approve").click()
    page.locator("#published li").first.wait_for()

    want = {n: [t["text"] for t in ts] for n, ts in threads.items()}
    want["bluesky"][1], want["mastodon"][0] = edited_sky, edited_masto
    assert [p["text"] for p in site.x.posts] == want["x"]
    assert [s["text"] for s in world.masto.statuses] == want["mastodon"]
    assert [r["value"]["text"] for r in posts(world.pds)] == want["bluesky"]
    assert page.locator("#published li").count() == sum(len(v) for v in want.values())
    assert "Published on X, Bluesky, Mastodon." in page.locator("[role=status]").text_content()
    page.reload()
    csrf = page.locator("input[name=csrf]").first.input_value()
    replay = page.request.post(site.url(f"/drafts/{draft['id']}"), form={"action": "approve", "csrf": csrf})
    assert replay.status == 200  # a replayed Approve posts nothing more anywhere
    assert len(site.x.posts) == len(want["x"]) and len(world.masto.statuses) == len(want["mastodon"])
    assert len(posts(world.pds)) == len(want["bluesky"])
