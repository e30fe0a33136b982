"""XClient against the local X API (tests/twins/xserver.py): real HTTP, real OAuth 1.0a signatures, scripted faults."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from helpers.xkit import png, settings_for
from twins.xserver import CREDENTIALS, XServer

from bot.core.clock import FakeClock
from bot.core.errors import AuthError, DuplicateContent, NoAnswer, PublishError, RateLimited, ReplyForbidden
from bot.networks.x.client import XClient


def client(x: XServer, clock: FakeClock, keys: dict[str, str] = CREDENTIALS, **options: object) -> XClient:
    settings = settings_for(x.url, keys, **options)
    return XClient(settings, settings.secrets, clock)


def test_me_names_the_account(x: XServer, clock: FakeClock) -> None:
    assert client(x, clock).me() == {"id": "1000", "name": "Quiet Index", "username": "quietindex"}
    assert x.requests == [("GET /2/users/me", 200)]


@pytest.mark.parametrize("wrong", ["X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET"])
def test_a_wrong_credential_is_one_line_naming_the_variables_never_the_values(
        x: XServer, clock: FakeClock, wrong: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    keys = {**CREDENTIALS, wrong: "wrong-Zq8kP0vXr7Lm-value"}
    with pytest.raises(AuthError) as err:
        client(x, clock, keys).me()
    line = str(err.value)
    assert "\n" not in line and "401" in line
    assert all(name in line for name in CREDENTIALS)
    ours_or_loud = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot") or r.levelno >= logging.INFO)
    for name, value in keys.items():
        assert value not in line and value not in ours_or_loud
        if name.endswith("SECRET"):  # even third-party DEBUG logs (requests_oauthlib) mask the two secrets
            assert value not in caplog.text
    assert x.requests == [("GET /2/users/me", 401)]  # a 401 is not retried


def test_every_request_goes_to_the_configured_base_with_the_timeout(x: XServer, clock: FakeClock) -> None:
    c = client(x, clock, x__timeout=7.5)
    session = c.tweepy().session
    assert session is c.session() and session.timeout == 7.5
    for host in ("https://api.x.com", "https://api.twitter.com"):
        assert session.get(f"{host}/2/users/me").status_code == 401  # reached the local server, unsigned
    assert c.tweepy().wait_on_rate_limit is False


def test_image_upload_sets_alt_text_and_the_post_carries_it(x: XServer, clock: FakeClock, tmp_path: Path) -> None:
    c = client(x, clock)
    media_id = c.upload_image(png(tmp_path / "card.png"), "image/png", "A blue title card")
    assert x.media[media_id]["alt_text"] == "A blue title card" and x.media[media_id]["mime"] == "image/png"
    first = c.create_post("With a picture", [media_id])
    reply = c.create_post("And a reply", reply_to=first)
    quote = c.create_post("And a quote", quote_of=reply)
    assert [(p["id"], p["media_ids"], p["reply_to"], p["quote_of"]) for p in x.posts] == [
        (first, [media_id], None, None), (reply, [], first, None), (quote, [], None, reply)]


@pytest.mark.parametrize("mime, size", [("image/bmp", 100), ("image/png", 5 * 1024 * 1024 + 1)])
def test_images_x_does_not_take_are_refused_before_any_request(
        x: XServer, clock: FakeClock, tmp_path: Path, mime: str, size: int) -> None:
    path = tmp_path / "big.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(size - 8))
    with pytest.raises(PublishError) as err:
        client(x, clock).upload_image(path, mime, "alt")
    assert not err.value.retryable and x.requests == []


def test_429_waits_until_the_reset_through_the_clock(x: XServer, clock: FakeClock) -> None:
    x.fault("GET /2/users/me", "429", reset_in=120)
    assert client(x, clock).me()["username"] == "quietindex"
    assert sum(clock.slept) == 121.0  # reset - now + 1 s (slept in steps, so a shutdown can end the wait)
    assert x.hits("GET /2/users/me") == 2


def test_a_429_on_a_post_goes_back_to_the_publisher_at_once(x: XServer, clock: FakeClock) -> None:
    # The publisher waits for the reset itself, so that the post's claim is proved again before it is sent (issue 19).
    x.fault("POST /2/tweets", "429", reset_in=120)
    with pytest.raises(RateLimited) as err:
        client(x, clock).create_post("After the wait")
    assert err.value.reset_at == int(clock.time() + 120) and clock.slept == [] and x.posts == []


def test_429_beyond_fifteen_minutes_goes_back_to_the_caller(x: XServer, clock: FakeClock) -> None:
    x.fault("POST /2/tweets", "429", reset_in=3600)
    with pytest.raises(RateLimited) as err:
        client(x, clock).create_post("Later")
    assert err.value.reset_at == int(clock.time() + 3600) and err.value.retryable
    assert clock.slept == [] and x.posts == []


@pytest.mark.parametrize("fault", ["500", "503", "drop"])
def test_reads_are_retried_with_backoff_after_5xx_and_dropped_connections(
        x: XServer, clock: FakeClock, fault: str) -> None:
    x.fault("GET /2/users/me", fault)
    x.fault("GET /2/users/me", fault)
    assert client(x, clock, x__retries=2).me()["id"] == "1000"
    assert clock.slept == [2.0, 4.0] and x.hits("GET /2/users/me") == 3


def test_retries_are_bounded(x: XServer, clock: FakeClock) -> None:
    for _ in range(3):
        x.fault("GET /2/users/me", "500")
    with pytest.raises(NoAnswer) as err:
        client(x, clock, x__retries=1).me()
    assert err.value.retryable and "500" in str(err.value)
    assert x.hits("GET /2/users/me") == 2


def test_a_slow_answer_times_out_and_is_retried(x: XServer, clock: FakeClock) -> None:
    x.fault("GET /2/users/me", "slow", delay=1.0)
    started = time.monotonic()
    assert client(x, clock, x__timeout=0.2, x__retries=1).me()["username"] == "quietindex"
    assert time.monotonic() - started < 1.0 and clock.slept == [2.0]


@pytest.mark.parametrize("fault", ["500", "drop", "created_drop"])
def test_a_post_whose_answer_is_lost_is_not_resent_by_the_client(x: XServer, clock: FakeClock, fault: str) -> None:
    x.fault("POST /2/tweets", fault)
    with pytest.raises(NoAnswer):
        client(x, clock, x__retries=3).create_post("Maybe posted")
    assert x.hits("POST /2/tweets") == 1  # the publisher decides, after looking for the post
    assert len(x.posts) == (1 if fault == "created_drop" else 0)


def test_duplicate_text_is_duplicate_content(x: XServer, clock: FakeClock) -> None:
    c = client(x, clock)
    c.create_post("Said once")
    with pytest.raises(DuplicateContent) as err:
        c.create_post("Said once")
    assert not err.value.retryable and "duplicate content" in str(err.value)


def test_a_refused_reply_is_reply_forbidden(x: XServer, clock: FakeClock) -> None:
    c = client(x, clock)
    first = c.create_post("First")
    x.forbid_replies = True
    with pytest.raises(ReplyForbidden) as err:
        c.create_post("Second", reply_to=first)
    assert not err.value.retryable and "not allowed" in str(err.value)


def test_other_refusals_carry_x_message_and_are_not_retried(x: XServer, clock: FakeClock) -> None:
    with pytest.raises(PublishError) as err:
        client(x, clock).create_post("x" * 281)
    assert type(err.value) is PublishError and not err.value.retryable
    assert "too long" in str(err.value) and x.hits("POST /2/tweets") == 1


def test_recent_posts_reads_pages_newest_first_since_a_time(x: XServer, clock: FakeClock) -> None:
    c = client(x, clock)
    old = c.create_post("Before the window")
    clock.sleep(3600)
    since = clock.now()
    ids = [c.create_post(f"Post {n}") for n in range(150)]
    posts = c.recent_posts("1000", since)
    assert [p["id"] for p in posts] == ids[::-1] and old not in {p["id"] for p in posts}
    assert x.hits("GET /2/users/:id/tweets") == 2


def test_every_answer_carries_rate_limit_headers(x: XServer, clock: FakeClock) -> None:
    c = client(x, clock)
    response = c.session().get(f"{x.url}/2/users/me")
    assert {"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"} <= set(response.headers)


def test_the_hand_written_upload_is_signed_with_the_same_credentials(x: XServer, clock: FakeClock, tmp_path: Path) -> None:
    image = png(tmp_path / "card.png")
    with pytest.raises(AuthError):
        client(x, clock, {**CREDENTIALS, "X_ACCESS_TOKEN_SECRET": "not-the-secret"}).upload_image(image, "image/png", "alt")
    assert x.media == {} and x.requests == [("POST /2/media/upload", 401)]


def test_a_403_that_is_neither_duplicate_nor_reply_is_final_with_x_message(x: XServer, clock: FakeClock) -> None:
    x.fault("POST /2/tweets", "403")
    with pytest.raises(PublishError) as err:
        client(x, clock).create_post("Hello")
    assert type(err.value) is PublishError and not err.value.retryable
    assert "not permitted to perform this action" in str(err.value) and x.hits("POST /2/tweets") == 1


def test_the_server_can_keep_its_account_across_restarts(clock: FakeClock, tmp_path: Path) -> None:
    state = tmp_path / "x.json"
    with XServer(clock=clock.time, state_file=state) as first:
        tweet_id = client(first, clock).create_post("Kept")
    with XServer(clock=clock.time, state_file=state) as second:
        assert [p["id"] for p in client(second, clock).recent_posts("1000", clock.now())] == [tweet_id]
