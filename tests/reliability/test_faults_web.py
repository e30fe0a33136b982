"""The review page under attack, probed from outside a real `bot serve` child: a sign-in brute force is throttled
per client without locking the owner out, sign-out revokes the session on the server, forged X-Forwarded-For
headers name nobody, a foreign Host header reaches no route, and an impossible draft id is a 404."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from faults import fault
from helpers.webchild import TOKEN, Page, csrf, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with Page(tmp_path) as served:
        yield served


def throttled(statuses: list[int], seconds: float) -> bool:
    """Whether a burst that took `seconds` was let through no more than the throttle allows (10 at once, then one
    per 6 s: the oracle is the documented rate, not the code), and refused with 429 otherwise."""
    allowed = 10 + int(seconds / 6) + 1
    return set(statuses) <= {401, 429} and statuses.count(401) <= allowed and statuses[-1] == 429


def brute_force(page: Page, source: str, tries: int = 60, **headers: str) -> list[int]:
    """`tries` wrong tokens as fast as one client sends them; the status of each answer."""
    with page.client(source) as web:
        form = csrf(web)
        return [web.post("/login", data={"csrf": form, "token": f"wrong-{n}"}, headers=headers).status_code
                for n in range(tries)]


@fault("Review page", "60 wrong sign-in tokens and 60 wrong `/api/poll` bearer tokens in a burst from one address",
       "after a few 401s every try is 429 with Retry-After; the owner signs in from another address at once, and "
       "from the same one after Retry-After")
def test_a_sign_in_brute_force_is_throttled_without_locking_the_owner_out(page: Page) -> None:
    started = time.monotonic()
    statuses = brute_force(page, "127.0.0.1")
    assert throttled(statuses, time.monotonic() - started), statuses
    with page.client("127.0.0.1") as web:
        refused = sign_in(web)  # the right token, but from the throttled address: not even checked
        assert refused.status_code == 429
        wait = int(refused.headers["retry-after"])
        assert 1 <= wait <= 60
        started = time.monotonic()
        polls = [web.post("/api/poll", headers={"Authorization": f"Bearer wrong-{n}"}).status_code for n in range(60)]
        assert throttled(polls, time.monotonic() - started + wait), polls  # (the same client: its bucket is empty)
    with page.client("127.0.0.2") as owner:  # the owner, elsewhere, is not locked out by someone else's burst
        assert sign_in(owner).status_code == 303
        assert owner.get("/").status_code == 200
    time.sleep(wait + 0.5)
    with page.client("127.0.0.1") as same:  # …and, from the throttled address, after Retry-After
        assert sign_in(same).status_code == 303
    assert page.proc.stderr().count("wrong token") <= 3  # the burst is logged once, not per try


@fault("Review page", "a session cookie copied before `POST /logout`, and one from before BOT_WEB_TOKEN changed",
       "both are sent back to /login: sign-out ends that session on the server, a new token ends every session")
def test_sign_out_revokes_the_session_and_a_new_token_revokes_all(tmp_path: Path) -> None:
    with Page(tmp_path) as page:
        with page.client() as web, page.client() as other:
            assert sign_in(web).status_code == 303
            assert sign_in(other).status_code == 303  # a second session, from another browser
            copied = dict(web.cookies)
            assert web.get("/").status_code == 200
            form = csrf(web)
            assert web.post("/logout", data={"csrf": form}).status_code == 303
        with page.client() as thief:
            thief.cookies.update(copied)
            answer = thief.get("/")
            assert answer.status_code == 303 and answer.headers["location"] == "/login"
        kept = dict(other.cookies)
        with page.client() as back:
            back.cookies.update(kept)
            assert back.get("/").status_code == 200  # signing out one session leaves the others
    with Page(tmp_path, BOT_WEB_TOKEN="a-new-token-0002") as page:
        with page.client() as back:
            back.cookies.update(kept)
            answer = back.get("/")
            assert answer.status_code == 303 and answer.headers["location"] == "/login"


@fault("Review page", "forged X-Forwarded-For headers from a client that is no named proxy (loopback, or DYNO set)",
       "the sign-in log and the throttle use the real peer; only proxies in web.trusted_proxies are believed", 2)
@pytest.mark.parametrize("dyno", ["", "web.1"])
def test_forged_forwarded_headers_are_not_believed(tmp_path: Path, dyno: str) -> None:
    env = {"DYNO": dyno} if dyno else {}
    with Page(tmp_path, **env) as page:
        started = time.monotonic()
        statuses = [s for n in range(30)
                    for s in brute_force(page, "127.0.0.1", 2, **{"X-Forwarded-For": f"198.51.100.{n}"})]
        assert throttled(statuses, time.monotonic() - started), statuses  # a forged address per try does not help
        assert "198.51.100." not in page.proc.stderr() and "127.0.0.1" in page.proc.stderr()


@fault("Review page", "X-Forwarded-For from a proxy named in web.trusted_proxies (a list with a forged entry first)",
       "the address the proxy appended is the client: logged, and throttled apart from the proxy's other clients")
def test_a_named_proxy_is_believed_for_the_address_it_appended(tmp_path: Path) -> None:
    with Page(tmp_path, BOT_WEB_TRUSTED_PROXIES="127.0.0.1") as page:
        started = time.monotonic()
        statuses = brute_force(page, "127.0.0.1", 40, **{"X-Forwarded-For": "10.9.9.9, 198.51.100.7"})
        assert throttled(statuses, time.monotonic() - started), statuses
        with page.client() as owner:  # the same proxy, another client behind it
            assert sign_in(owner, **{"X-Forwarded-For": "192.0.2.44"}).status_code == 303
        err = page.proc.stderr()
        assert "198.51.100.7" in err and "10.9.9.9" not in err


@fault("Review page", "requests with a foreign Host header (DNS rebinding) to every route, with and without a token",
       "421 from /healthz, /metrics, /api/poll, /login, /static and the pages; loopback and IP hosts still work", 2)
@pytest.mark.parametrize("token", [TOKEN, ""])
def test_a_foreign_host_reaches_no_route(tmp_path: Path, token: str) -> None:
    with Page(tmp_path, BOT_WEB_TOKEN=token) as page, page.client() as web:
        for method, path in [("GET", "/healthz"), ("GET", "/metrics"), ("POST", "/api/poll"), ("GET", "/login"),
                             ("GET", "/"), ("GET", "/static/counter.js"), ("GET", "/assets/length-data.js"),
                             ("GET", "/drafts/1"), ("GET", "/nowhere")]:
            for host in ("evil.example.com", f"evil.example.com:{page.port}", "localhost.evil.example"):
                answer = web.request(method, path, headers={"Host": host})
                assert answer.status_code == 421, (method, path, host, answer.status_code)
                assert "bot_" not in answer.text and "last_poll" not in answer.text
        for host in (f"127.0.0.1:{page.port}", f"localhost:{page.port}", "localhost"):
            assert web.get("/healthz", headers={"Host": host}).status_code == 200, host
            assert web.get("/metrics", headers={"Host": host}).status_code == 200, host


@fault("Review page", "impossible draft ids: 99999999999999999999999, 2^63, 0, -1, 1e3, abc, ٣ (an Arabic-Indic digit)",
       "404 on the draft's page, its image and its form, no traceback")
def test_an_impossible_draft_id_is_a_404(page: Page) -> None:
    with page.client() as web:
        assert sign_in(web).status_code == 303
        form = csrf(web)
        for draft in ("99999999999999999999999", str(2**63), str(2**63 - 1), "0", "-1", "1e3", "abc", "%D9%A3", "1"):
            assert web.get(f"/drafts/{draft}").status_code == 404, draft
            assert web.get(f"/drafts/{draft}/image").status_code == 404, draft
            assert web.post(f"/drafts/{draft}", data={"csrf": form, "action": "reject"}).status_code == 404, draft
    assert "Traceback" not in page.proc.stderr(), page.proc.stderr()[-3000:]


@fault("Review page", "25 clients (web.max_connections = 20, web.request_timeout = 5) each pipelining 400 requests "
       "for /static/counter.js (4.4 MB of answers) and never reading them",
       "a client that stops reading its answer is on the request deadline too: past it, it is cut off (and it is "
       "the first dropped at the cap), so /healthz answers 200 again")
def test_clients_that_never_read_their_answers_do_not_hold_the_page(tmp_path: Path) -> None:
    import socket

    with Page(tmp_path, BOT_WEB_MAX_CONNECTIONS="20", BOT_WEB_REQUEST_TIMEOUT="5") as page:
        asks = b"GET /static/counter.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 400
        readers: list[socket.socket] = []
        try:
            for _ in range(25):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.connect(("127.0.0.1", page.port))
                s.setblocking(False)
                try:
                    s.send(asks)
                except BlockingIOError:
                    pass
                readers.append(s)
            time.sleep(5 + 4)  # past web.request_timeout
            answers = []
            for _ in range(3):
                with socket.create_connection(("127.0.0.1", page.port), timeout=3) as c:
                    c.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    answers.append(c.recv(64)[:12])
        finally:
            for s in readers:
                s.close()
    assert answers == [b"HTTP/1.1 200"] * 3, answers
