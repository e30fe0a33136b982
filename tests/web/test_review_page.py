"""The review page in a real browser: Debian's chromium driven by Playwright against a running `bot serve` child
process, drafts prepared by `bot run --once` in approve mode, and the local X API counting what reaches X."""

from __future__ import annotations

import json
import os
import random
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.botproc import SAMPLE_FEED, run_bot
from helpers.site import TOKEN, Site, browser  # noqa: F401 (browser is a fixture)
from twins.xserver import CREDENTIALS, XServer

from bot.tweet import weighted_length

pytestmark = pytest.mark.slow
COUNT = int(os.environ.get("BOT_TEST_COUNTER_CASES", "600"))  # random strings the counter is checked on


@pytest.fixture
def site(tmp_path: Path, feed_server: Any) -> Iterator[Site]:
    feed_server.route("/feed", SAMPLE_FEED)
    with XServer() as x:
        s = Site(tmp_path, x, str(feed_server.url("/feed")))
        try:
            yield s
        finally:
            s.proc.kill()
            assert TOKEN not in s.proc.stderr() + s.proc.stdout()  # the token is never logged


def test_sign_in_edit_refused_then_approve_posts_once_and_reject_posts_nothing(site: Site, browser: Any) -> None:
    page = browser.new_page()
    page.goto(site.url("/login"))
    page.get_by_label("Token").fill("not-the-token")
    page.get_by_role("button", name="Sign in").click()
    assert "/login" in page.url and page.get_by_role("alert").is_visible()
    page.goto(site.url("/"))
    assert page.url.endswith("/login")  # a wrong token gets no session

    site.sign_in(page)
    waiting = site.drafts()
    assert len(waiting) == 2 and site.x.posts == []
    for d in waiting:  # the queue links each draft by its title
        assert page.get_by_role("link", name=d["title"]).get_attribute("href") == f"/drafts/{d['id']}"
    first, second = waiting
    page.get_by_role("link", name=first["title"]).click()
    page.wait_for_url(site.url(f"/drafts/{first['id']}"))
    assert page.get_by_label("Alt text").input_value() == first["alt_text"]
    for n, tweet in enumerate(first["tweets"], 1):
        assert page.get_by_label(f"Tweet {n}").input_value() == tweet["text"]
        assert page.locator(f"#count-{n}").text_content() == f"{tweet['weighted_length']}/280"
    assert page.locator("article").count() == 3 and page.locator("figure img").count() == 1  # drawn as on X

    box = page.get_by_label("Tweet 2")
    box.fill("")
    for char in f"Long 界 😀 {first['link']} ":  # every keystroke counts, the article's own link as 23
        box.press_sequentially(char)
        assert page.locator("#count-2").text_content() == f"{weighted_length(box.input_value())}/280"
    box.fill(box.input_value() + "word " * 50)
    over = box.input_value()
    assert weighted_length(over) > 280
    assert page.locator("#count-2").text_content() == f"{weighted_length(over)}/280"
    page.get_by_role("button", name="Save").click()
    reason = page.locator("#error-2")
    assert reason.is_visible() and f"{weighted_length(over.strip())}/280" in reason.text_content()
    assert page.get_by_label("Tweet 2").input_value().strip() == over.strip()  # the text is kept to fix it
    assert site.drafts()[0]["tweets"] == first["tweets"]  # nothing was saved

    edited = "Small lists win: a thousand readers who would miss you beat a hundred thousand who would not."
    page.get_by_label("Tweet 2").fill(edited)
    page.get_by_label("Alt text").fill("A title card: Why small newsletters win")
    page.get_by_role("button", name="Approve").click()
    published = page.locator("#published li")
    published.first.wait_for()
    texts = [t["text"] for t in first["tweets"]]
    texts[1] = edited
    assert [p["text"] for p in site.x.posts] == texts  # the thread on X, with the edit
    assert site.x.media[site.x.posts[0]["media_ids"][0]]["alt_text"] == "A title card: Why small newsletters win"
    assert published.count() == 3
    for post in site.x.posts:
        link = page.get_by_role("link", name=post["id"])
        assert link.get_attribute("href").endswith(f"/status/{post['id']}")

    csrf = page.locator("input[name=csrf]").first.input_value()  # a replayed Approve (a resubmitted form)
    replay = page.request.post(site.url(f"/drafts/{first['id']}"), form={"action": "approve", "csrf": csrf})
    assert replay.status == 200
    assert len(site.x.posts) == 3 and site.x.hits("POST /2/tweets") == 3

    page.goto(site.url(f"/drafts/{second['id']}"))
    page.get_by_role("button", name="Reject").click()
    page.get_by_text("Rejected: this draft will not be posted.").wait_for()
    assert {d["id"]: d["state"] for d in site.drafts("--all")} == {first["id"]: "posted", second["id"]: "rejected"}
    again = run_bot(["run", "--once"], site.env, site.tmp)
    assert again.returncode == 0, again.stderr[-2000:]
    assert len(site.x.posts) == 3 and site.x.hits("POST /2/tweets") == 3  # the rejected draft never goes out
    history = run_bot(["history", "--json"], site.env, site.tmp)
    reviews = {r["link"]: r["review"] for r in json.loads(history.stdout)}
    assert reviews[first["link"]]["via"] == "web" and reviews[second["link"]]["state"] == "rejected"

    page.goto(site.url("/history"))
    assert "14 of 17" in page.locator("#budget").text_content()  # x.posts_per_day 17, three used
    assert page.get_by_role("link", name=site.x.posts[0]["id"]).count() == 1


def test_no_session_or_a_forged_csrf_token_changes_nothing(site: Site, browser: Any) -> None:
    d = site.drafts()[0]
    form = b"action=approve&tweet-1=hacked&csrf=anything"
    request = urllib.request.Request(site.url(f"/drafts/{d['id']}"), data=form, method="POST")
    try:
        answer = urllib.request.urlopen(request, timeout=10)
        assert answer.url.endswith("/login")  # redirected to sign in
    except urllib.error.HTTPError as exc:
        assert exc.code in (401, 403)

    context = browser.new_context()
    page = context.new_page()
    site.sign_in(page)
    for action in ("approve", "reject", "save"):
        forged = page.request.post(site.url(f"/drafts/{d['id']}"), form={
            "action": action, "csrf": "forged-token-" + "x" * 30, "tweet-1": "hacked", "alt_text": "hacked"})
        assert forged.status == 403
        missing = page.request.post(site.url(f"/drafts/{d['id']}"), form={"action": action, "tweet-1": "hacked"})
        assert missing.status == 403
    assert site.x.posts == [] and site.drafts()[0] == d  # nothing posted, nothing changed

    poll = page.request.post(site.url("/api/poll"))
    assert poll.status == 401  # a session is not the API's Bearer token
    wrong = page.request.post(site.url("/api/poll"), headers={"Authorization": "Bearer wrong"})
    assert wrong.status == 401
    right = page.request.post(site.url("/api/poll"), headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status == 200 and right.json()["ok"] is True and right.json()["drafts_waiting"] == 2
    assert site.x.posts == []  # approve mode: a poll prepares, never publishes
    health = page.request.get(site.url("/healthz"))
    assert health.status == 200 and health.json()["last_poll_age_seconds"] < 60
    metrics = page.request.get(site.url("/metrics")).text()
    assert 'bot_drafts{state="draft"} 2.0' in metrics and "bot_posts_total 0.0" in metrics
    assert d["title"] not in metrics and TOKEN not in metrics and CREDENTIALS["X_API_SECRET"] not in metrics
    context.close()


def _corpus() -> list[str]:
    cases = [
        "", "hello", "a" * 280, "界" * 140, "界" * 141, "😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇯🇵", "1️⃣", "🐦‍🔥", "©", "©️", "®", "™",
        "https://example.com", "http://example.com/path?q=1&r=2#frag", "example.com", "example.jp", "example.jp/path",
        "t.co/abc", "https://t.co/abcdefghij", "www.example.co.uk/a_b-c", "“https://evil.com”", "https://evil.com。",
        "evil.com’s", "mail me at a@example.com", "#hashtag @handle $CASH", "Read https://a.example.org/x.", "é" * 10,
        "e\u0301" * 10, "ｆｕｌｌｗｉｄｔｈ", "한국어 텍스트", "日本語のテキストとhttps://example.com/日本", "emoji😀after.com",
        "https://例え.jp/パス", "xn--fsqu00a.xn--3lr804guic", "line one\nline two\n\nhttps://example.com/x",
        "(https://example.com/foo_(bar))", "https://example.com/" + "a" * 300, "ßtraße.de", "foo.bar.baz.qux.com/?",
        "http://localhost:8080", "https://192.168.0.1/x", "go to example.com, then example.org!", "\u200d\u200d", "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
    ]
    pieces = ["a", "B", " ", "\n", ".", "界", "😀", "👍🏽", "\u200d", "\ufe0f", "©", "https://", "example", ".com", "/path",
              "?q=1", "t.co", "é", "e\u0301", "#tag", "@user", "—", "…", "「", "」", "😀\u200d🔥", "🇫🇷", "www.", ".jp", ":"]
    rng = random.Random(20261201)
    cases += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 40))) for _ in range(COUNT)]
    return cases


def test_the_live_counter_agrees_with_weighted_length(site: Site, browser: Any) -> None:
    page = browser.new_page()
    site.sign_in(page)
    page.goto(site.url(f"/drafts/{site.drafts()[0]['id']}"))
    page.wait_for_load_state("load")  # the counter scripts are deferred: ready at load (the CSP forbids polling by eval)
    corpus = _corpus()
    counted = page.evaluate("texts => texts.map(t => window.weightedLength(t))", corpus)
    wrong = [(text, js, weighted_length(text)) for text, js in zip(corpus, counted) if js != weighted_length(text)]
    assert not wrong, wrong[:10]


# Tags written as text in the feed (entities inside CDATA) come out of the feed stage as these characters.
HOSTILE = "Why <script>window.pwned=1</script> & <img src=x onerror=window.pwned=2> win"
ESCAPED = "Why &lt;script&gt;window.pwned=1&lt;/script&gt; &amp; &lt;img src=x onerror=window.pwned=2&gt; win"


def test_nothing_from_an_article_is_live_markup(tmp_path: Path, feed_server: Any, browser: Any) -> None:
    feed = SAMPLE_FEED.read_text(encoding="utf-8").replace(
        "<![CDATA[Why small newsletters win]]>", f"<![CDATA[{ESCAPED}]]>", 1).replace(
        "<link>https://quietindex.substack.com/p/why-small-newsletters-win</link>",
        "<link>javascript:window.pwned=3//quietindex.substack.com/p/why-small-newsletters-win</link>", 1)
    feed_server.route("/feed", feed)
    with XServer() as x:
        s = Site(tmp_path, x, str(feed_server.url("/feed")))
        try:
            page = browser.new_page()
            s.sign_in(page)
            link = page.get_by_role("link", name=HOSTILE)
            assert link.count() == 1  # the title is shown as text, markup and all
            link.click()
            page.wait_for_load_state("load")
            assert page.locator("h1").text_content() == HOSTILE
            assert page.evaluate("typeof window.pwned") == "undefined"
            assert page.locator("img[src=x]").count() == 0 and page.locator("main script").count() == 0
            assert page.locator("a[href^='javascript:' i]").count() == 0  # a feed's javascript: link is not a link
            previews = list(tmp_path.rglob("preview.html"))
            assert previews and not any('href="javascript:' in f.read_text() for f in previews)
        finally:
            s.proc.kill()


def test_approving_at_once_from_many_tabs_posts_the_thread_once(site: Site, browser: Any) -> None:
    import re
    import threading

    context = browser.new_context()
    page = context.new_page()
    site.sign_in(page)
    d = site.drafts()[0]
    page.goto(site.url(f"/drafts/{d['id']}"))
    csrf = page.locator("input[name=csrf]").first.input_value()
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())
    start, answers = threading.Barrier(8), []

    def approve() -> None:  # eight tabs press Approve at the same moment (the requests race in one `bot serve`)
        body = f"action=approve&csrf={csrf}".encode()
        request = urllib.request.Request(site.url(f"/drafts/{d['id']}"), data=body, method="POST",
                                         headers={"Cookie": cookie})
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                answers.append((answer.status, answer.read().decode()))
        except urllib.error.HTTPError as exc:
            answers.append((exc.code, exc.read().decode()))

    threads = [threading.Thread(target=approve) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert site.x.hits("POST /2/tweets") == len(d["tweets"]) == len(site.x.posts)  # each tweet sent once, no retry
    ids = [p["id"] for p in site.x.posts]
    for status, html in answers:  # every tab ends on the published thread, none on an error
        assert status == 200, re.findall(r'role="status">([^<]*)', html)
        assert all(f">{i}</a>" in html for i in ids)
    context.close()
