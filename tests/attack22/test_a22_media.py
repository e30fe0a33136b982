"""attack22: the /media/<token> route as a hostile caller sees it. The share must hand out the ONE image the publisher
gave, while it lives, and nothing else; the token must not be findable from the outside."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.xkit import png, settings_for
from starlette.testclient import TestClient
from twins.threads import TOKEN, USER_ID

from bot.core.clock import FakeClock
from bot.networks.media import LIFETIME, share, shares_dir
from bot.state.store import Store
from bot.web.app import create_app

SECRET = b"root:x:0:0:not-for-meta\n"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _settings(tmp: Path, public: str = "https://bot.example"):  # type: ignore[no-untyped-def]
    return settings_for("http://127.0.0.1:9", {"THREADS_ACCESS_TOKEN": TOKEN, "THREADS_USER_ID": USER_ID,
                                               "BOT_WEB_TOKEN": "t0k3n-for-tests"},
                        web__public_url=public, store__sqlite_path=str(tmp / "bot.db"))


@pytest.fixture
def web(tmp_path: Path, clock: FakeClock) -> Iterator[TestClient]:
    settings = _settings(tmp_path)
    store = Store.open(None, settings)
    yield TestClient(create_app(settings, store, clock), base_url="http://127.0.0.1")
    store.close()


def _shared(tmp: Path, clock: FakeClock, name: str = "image.jpg") -> tuple[Path, str]:
    out = tmp / "out"
    out.mkdir(exist_ok=True)
    image = png(out / name)
    url = share(_settings(tmp), image, clock.time())
    assert url, "nothing shared"
    return image, url.rsplit("/", 1)[1]


def test_a22_head_range_and_a_changed_case_token_give_nothing_more(tmp_path: Path, clock: FakeClock,
                                                                   web: TestClient) -> None:
    image, token = _shared(tmp_path, clock)
    head = web.head(f"/media/{token}")
    assert head.status_code in (200, 405) and not head.content
    part = web.get(f"/media/{token}", headers={"Range": "bytes=0-3"})
    assert part.status_code in (200, 206) and image.read_bytes().startswith(part.content)
    for other in (token.swapcase(), token.upper(), token.lower()):
        if other != token:
            assert web.get(f"/media/{other}").status_code == 404, other
    for path in (f"/media/{token}%00", f"/media/{token}%2F", f"/media/{token}/", f"/media/{token}?x=../../etc",
                 f"/media/%2F{token[1:]}", f"/media/{token[:-1]}%{ord(token[-1]):02X}"):
        got = web.get(path, follow_redirects=False)
        assert got.status_code in (200, 404, 307) and SECRET not in got.content, path


def test_a22_a_share_serves_only_the_shared_image_not_what_replaced_it_later(tmp_path: Path, clock: FakeClock,
                                                                            web: TestClient) -> None:
    """The share names a PATH (out/image.jpg), not the image: the next `bot post --out out` (another entry, or a dry
    run) writes its image to the same path, and the first entry's token, still live for 30 minutes, serves it."""
    image, token = _shared(tmp_path, clock)
    first = image.read_bytes()
    image.write_bytes(first[:-1] + b"\x00" + b"another entry's image")  # the next post's image.jpg
    got = web.get(f"/media/{token}")
    assert got.status_code == 404 or got.content == first, "the token serves a file written after it was shared"


def test_a22_a_symlink_put_where_the_shared_image_was_is_not_followed(tmp_path: Path, clock: FakeClock,
                                                                      web: TestClient) -> None:
    """'only that file is served, and only while it is a file': the shared path replaced by a symlink (anyone who can
    write the output folder, e.g. a shared deploy volume) must not turn the public route into a file reader."""
    secret = tmp_path / "secret.env"
    secret.write_bytes(SECRET)
    image, token = _shared(tmp_path, clock)
    image.unlink()
    os.symlink(secret, image)
    got = web.get(f"/media/{token}")
    assert SECRET not in got.content and got.status_code == 404


def test_a22_a_share_made_through_a_symlink_is_refused(tmp_path: Path, clock: FakeClock, web: TestClient) -> None:
    secret = tmp_path / "secret.env"
    secret.write_bytes(SECRET)
    (tmp_path / "out").mkdir()
    os.symlink(secret, tmp_path / "out" / "image.png")
    url = share(_settings(tmp_path), tmp_path / "out" / "image.png", clock.time())
    if url:
        assert SECRET not in web.get(f"/media/{url.rsplit('/', 1)[1]}").content


def test_a22_a_forged_share_file_in_the_folder_cannot_name_an_outside_file(tmp_path: Path, clock: FakeClock,
                                                                           web: TestClient) -> None:
    """Expired just now and hand-made records: an expired share is 404 to the second, and its record is removed."""
    _image, token = _shared(tmp_path, clock)
    clock.t += LIFETIME
    assert web.get(f"/media/{token}").status_code == 404
    assert not list(shares_dir(_settings(tmp_path)).glob("*.json"))


def test_a22_the_shares_folder_is_not_readable_by_others(tmp_path: Path, clock: FakeClock) -> None:
    _image, _token = _shared(tmp_path, clock)
    folder = shares_dir(_settings(tmp_path))
    for record in folder.glob("*.json"):
        assert record.stat().st_mode & 0o077 == 0, oct(record.stat().st_mode)


def test_a22_the_public_address_answers_meta_when_web_public_url_is_set(tmp_path: Path, clock: FakeClock) -> None:
    """With web.public_url set and no BOT_WEB_TOKEN, the page answers loopback only (421 for its public host): Meta
    cannot fetch the shared image, and the thread goes out without it — silently unless something says so."""
    settings = settings_for("http://127.0.0.1:9", {"THREADS_ACCESS_TOKEN": TOKEN, "THREADS_USER_ID": USER_ID},
                            web__public_url="https://bot.example", store__sqlite_path=str(tmp_path / "bot.db"))
    store = Store.open(None, settings)
    try:
        card = png(tmp_path / "card.png")
        url = share(settings, card, clock.time())
        assert url.startswith("https://bot.example/media/")
        web = TestClient(create_app(settings, store, clock), base_url="https://bot.example")
        got = web.get(url.removeprefix("https://bot.example"))
        assert got.status_code == 200, f"{got.status_code}: {got.text.strip()}"
    finally:
        store.close()
