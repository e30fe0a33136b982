"""Threads' image from the bot's own address: with web.public_url the publisher shares the entry's image at
/media/<random token> on the review page's server, and the Threads twin fetches it from there over loopback as Meta
would; the address needs no session, expires, names only that file, and no token, path or listing reaches anything
else (404 alike)."""

from __future__ import annotations

import dataclasses
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.json_ledger import JSONLedger
from helpers.webchild import free_port
from helpers.xkit import make_thread, png, settings_for
from starlette.testclient import TestClient
from twins.threads import TOKEN, USER_ID, ThreadsTwin

from bot.core.clock import FakeClock
from bot.core.records import NetworkThread, Tweet
from bot.networks.media import LIFETIME, lookup, share, shares_dir
from bot.networks.threads.length import COUNTER
from bot.networks.threads.thread import NO_IMAGE, ThreadsPublisher
from bot.state.store import Store
from bot.web.app import create_app
from bot.web.server import serve_in_thread

TEXTS = ("Small newsletters win: readers trust a voice they know.",
         "Read the whole post: https://quietindex.substack.com/p/why-small-newsletters-win")


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _settings(tmp: Path, public: str = "", base: str = "http://127.0.0.1:9",  # type: ignore[no-untyped-def]
              **env: str):
    return settings_for("http://127.0.0.1:9", {"THREADS_ACCESS_TOKEN": TOKEN, "THREADS_USER_ID": USER_ID,
                                               "THREADS_BASE_URL": base, "BOT_WEB_TOKEN": "t0k3n-for-tests", **env},
                        web__public_url=public, store__sqlite_path=str(tmp / "bot.db"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(None, _settings(tmp_path))
    yield s
    s.close()


def test_the_twin_fetches_the_shared_image_from_the_bots_page(tmp_path: Path, clock: FakeClock,
                                                              store: Store) -> None:
    port = free_port()
    card = png(tmp_path / "card.png")
    with ThreadsTwin(clock=clock.time, token_issued=clock.time()) as th:
        settings = _settings(tmp_path, f"http://127.0.0.1:{port}", th.base)
        page = serve_in_thread(settings, store, clock, host="127.0.0.1", port=port)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:  # until it listens
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
                    break
                except OSError as exc:
                    if getattr(exc, "code", None):  # an HTTP answer: it listens
                        break
                    time.sleep(0.1)
            posts = tuple(Tweet(t, COUNTER(t)) for t in TEXTS)  # type: ignore[arg-type]
            thread = dataclasses.replace(make_thread(image=card),
                                         networks=(NetworkThread("threads", posts, COUNTER.limit),))
            posted = ThreadsPublisher(settings, clock).publish(thread, JSONLedger(tmp_path / "l.json"))
        finally:
            page.stop()
    assert posted.complete and NO_IMAGE not in posted.notes
    assert [p["media_type"] for p in th.posts] == ["IMAGE", "TEXT"]
    url = th.posts[0]["image_url"]
    assert url.startswith(f"http://127.0.0.1:{port}/media/") and len(url.rsplit("/", 1)[1]) == 43
    assert not [c for c in th.containers.values() if c["error"]]  # fetched and read as a PNG, as Meta would
    assert th.posts[0]["alt_text"] == "A blue title card"


def test_a_share_is_404_when_wrong_expired_or_a_path_and_needs_no_session(tmp_path: Path, clock: FakeClock,
                                                                          store: Store) -> None:
    settings = _settings(tmp_path, "https://bot.example")
    card = png(tmp_path / "card.png")
    (tmp_path / "secret.txt").write_text("not for Meta")
    url = share(settings, card, clock.time())
    token = url.rsplit("/", 1)[1]
    web = TestClient(create_app(settings, store, clock), base_url="http://127.0.0.1")
    got = web.get(f"/media/{token}", follow_redirects=False)  # no session: Meta signs in to nothing
    assert got.status_code == 200 and got.content == card.read_bytes() and got.headers["content-type"] == "image/png"
    assert web.get("/drafts/1", follow_redirects=False).status_code == 303  # the rest still needs one
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    for path in (f"/media/{wrong}", "/media/", "/media", f"/media/{token}x", "/media/..%2Fsecret.txt",
                 "/media/../secret.txt", "/media/%2e%2e/%2e%2e/etc/passwd", f"/media/{token}/../../secret.txt",
                 "/media/" + "A" * 43):
        answer = web.get(path, follow_redirects=False)
        assert answer.status_code == 404 and b"not for Meta" not in answer.content, path
    assert not any(token in p.name for p in shares_dir(settings).iterdir())  # a listing gives no address away
    clock.t += LIFETIME + 1
    assert web.get(f"/media/{token}").status_code == 404 and lookup(settings, token, clock.time()) is None
    assert not list(shares_dir(settings).glob("*.json"))  # the expired share is gone


def test_only_an_image_is_shared_and_only_with_a_public_address(tmp_path: Path, clock: FakeClock) -> None:
    card = png(tmp_path / "card.png")
    assert share(_settings(tmp_path), card, clock.time()) == ""  # no web.public_url: nothing to fetch from
    (tmp_path / "notes.txt").write_text("x")
    assert share(_settings(tmp_path, "https://bot.example"), tmp_path / "notes.txt", clock.time()) == ""
    assert ThreadsPublisher(_settings(tmp_path), clock).image_url is None
