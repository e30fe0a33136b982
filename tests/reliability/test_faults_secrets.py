"""Secrets and hostile URLs, through the real `bot` child: an upstream that echoes the request back never puts a
secret into preview.html, thread.json, a "note:" line, the database or `bot history --json`; a cover URL aimed
at the bot's own machine or the cloud's metadata address is never fetched."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from faults import fault
from helpers.echo import FORMS, leaks
from helpers.world import ESSAY, World, item, no_leaks, rss
from twins.feedserver import FeedServer
from twins.llmserver import LLMServer
from twins.xserver import CREDENTIALS, XServer

LLM_KEY = "fake-llm-key-echoed-4242"
HF_TOKEN = "fake-hf-token-echoed-4242"
DB_PASSWORD = "fake-db-pass-echoed-4242"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[World, LLMServer]]:
    with FeedServer() as feeds, XServer() as x, LLMServer(retry_after="0") as llm:
        feeds.route("/feed", rss(item("why-small-newsletters-win", "Why small newsletters win", ESSAY)))
        yield World(tmp_path, feeds, x, env={"BOT_LLM_BASE_URL": llm.base_url, "BOT_LLM_API_KEY": LLM_KEY,
                                             "HF_TOKEN": HF_TOKEN}), llm


def everything_written(world: World, *outputs: str) -> str:
    """Every byte the bot wrote: its output, every file under the test folder (database included)."""
    parts = list(outputs)
    for path in world.tmp.rglob("*"):
        if path.is_file():
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


@fault("Security", "a model server whose error echoes the request (Authorization: Bearer BOT_LLM_API_KEY)",
       "the thread is written offline; the key appears in no note line, preview.html, thread.json or log")
def test_an_echoed_model_key_is_never_written(world: tuple[World, LLMServer]) -> None:
    w, llm = world
    llm.default = lambda body: "echo"  # type: ignore[assignment]
    out = w.tmp / "out"
    result = w.cli(["post", "--dry-run", "--feed", w.feeds.url("/feed"), "--out", str(out)], [])
    assert result.returncode == 0, result.stderr[-2000:]
    assert any(LLM_KEY in r.headers.get("authorization", "") for r in llm.chats())  # the key was sent, and echoed
    notes = [line for line in result.stdout.splitlines() if line.startswith("note:")]
    assert any("400" in line for line in notes), result.stdout  # the echoing error is reported…
    written = everything_written(w, result.stdout, result.stderr)
    assert (out / "preview.html").is_file() and (out / "thread.json").is_file()
    assert "bad request" in written  # …and the echo reached the files, redacted
    assert LLM_KEY not in written and HF_TOKEN not in written
    no_leaks(result.stdout, result.stderr)


@fault("Security", "X answering 400 with the request's OAuth header (X_API_KEY, X_ACCESS_TOKEN) in its error",
       "the entry fails with X's message; no X credential in the database, `bot history --json` or the log")
def test_an_echoed_x_credential_never_reaches_the_database(world: tuple[World, LLMServer], tmp_path: Path) -> None:
    w, _llm = world
    for _ in range(3):
        w.x.fault("POST /2/tweets", "echo400")
    feeds = [w.feeds.url("/feed")]
    result = w.once(feeds, BOT_WRITER_BACKEND="extractive")
    rows = w.history(feeds)
    assert rows[0]["status"] == "rejected" and "bad request" in rows[0]["last_error"], rows
    history = w.cli(["history", "--json"], feeds)
    written = everything_written(w, result.stdout, result.stderr, history.stdout, history.stderr)
    for value in CREDENTIALS.values():
        assert value not in written
    no_leaks(result.stdout, result.stderr, history.stdout)


def test_the_database_password_is_redacted_wherever_a_message_is_made(tmp_path: Path) -> None:
    from bot.core import settings as config
    from bot.core.errors import BotError
    from bot.state.store import Store

    settings = config.load({"DATABASE_URL": f"postgresql://bot:{DB_PASSWORD}%21@127.0.0.1:1/x",
                            "BOT_STORE_SQLITE_PATH": str(tmp_path / "bot.db")}, dotenv=None)
    assert DB_PASSWORD not in str(BotError(f"server said: password {DB_PASSWORD}! is wrong", f"not {DB_PASSWORD}!"))
    store = Store.open(None, settings)
    try:
        from bot.core.records import Entry

        store.upsert_entries("f", [Entry(feed="f", key="/p/a", guid="a", link="https://x.substack.com/p/a",
                                         title="A")], "new", 1.0)
        assert store.claim("f", "/p/a", "me", 60, 1.0)
        store.release("f", "/p/a", "me", "failed", 2.0, error=f"upstream echoed {DB_PASSWORD}! and {DB_PASSWORD}%21")
        assert DB_PASSWORD not in json.dumps(store.history(10))
    finally:
        store.close()


@fault("Security", "a cover URL at the bot's own machine (127.0.0.1/admin), at 169.254.169.254, or redirecting there",
       "never requested: the guard refuses it after DNS and on every redirect hop; the thread is posted with the card")
@pytest.mark.parametrize("where", ["loopback", "metadata", "redirect"])
def test_a_cover_url_aimed_inside_is_never_fetched(world: tuple[World, LLMServer], where: str) -> None:
    w, _llm = world
    w.feeds.route("/admin", b"\x89PNG internal admin page", content_type="image/png")
    w.feeds.route("/go", status=302, headers={"Location": w.feeds.url("/admin")})
    cover = {"loopback": w.feeds.url("/admin"), "metadata": "http://169.254.169.254/latest/meta-data/iam",
             "redirect": f"http://localhost:{w.feeds.port}/go"}[where]
    html = ESSAY + f'<img src="{cover}">'
    body = rss(item("why-small-newsletters-win", "Why small newsletters win", html)).replace(
        b"</item>", f'<enclosure url="{cover}" type="image/jpeg" length="0"/></item>'.encode())
    w.feeds.route("/feed", body)
    feeds = [w.feeds.url("/feed")]
    allow = {"BOT_IMAGE_ALLOW_HOSTS": "localhost"} if where == "redirect" else {}
    result = w.once(feeds, BOT_WRITER_BACKEND="extractive", BOT_IMAGE_CHAIN="cover,card", **allow)
    assert result.returncode == 0, result.stderr[-2000:]
    assert w.feeds.hits("/admin") == 0
    refused = [line for line in result.stderr.splitlines() if "cover" in line and "address" in line]
    assert len(refused) == 1 and ("loopback" in refused[0] or "link-local" in refused[0]), result.stderr[-2000:]
    assert len(w.x.posts) == 3 and w.x.media, result.stderr[-3000:]  # posted once, with the title card
    no_leaks(result.stdout, result.stderr)


# Secrets with no word in them (a piece of "consumer" is ordinary text), the model key with characters every
# encoding changes, so each echoed shape of it differs from the others.
ECHO_KEY = "fk+LLM/key=echo&4242<ok>Zt9q"
X_KEYS = {"X_API_KEY": "Qv7mZp2KxR9tLw4NbE", "X_API_SECRET": "Hs8dJf3GkT6yUb1VcX5nMq0WeR2aZp",
          "X_ACCESS_TOKEN": "1000-Bn4Vc7Xz2Lk9Jh5Gf8DsYq", "X_ACCESS_TOKEN_SECRET": "Pq3Wr6Ty9Ui2Op5As8Df1Gh4Jk7Lz"}
MASTODON_TOKEN = "Mq7vR2xKp9LwT4zN8cYb3HfJ6dGs0Ae"


def _no_pieces(secrets: dict[str, str], *outputs: str) -> None:
    for name, value in secrets.items():
        assert leaks(value, *outputs) == [], f"pieces of {name} were written"


@fault("Security", "a model server whose error repeats the Authorization header many times over (as is, base64, "
       "HTML-escaped, lower-case percent-encoded, or cut short by the upstream itself with '...'), so the bot's 120-character cut of it falls inside the key",
       "no run of 6 characters of BOT_LLM_API_KEY, in any of those shapes, in stderr, stdout or any file written",
       cases=len(FORMS))
@pytest.mark.parametrize("form", FORMS)
def test_a_cut_model_echo_leaves_no_piece_of_the_key(world: tuple[World, LLMServer], form: str) -> None:
    w, llm = world
    llm.default = lambda body: f"echo:{form}"  # type: ignore[assignment]
    result = w.cli(["post", "--dry-run", "--feed", w.feeds.url("/feed"), "--out", str(w.tmp / "out")], [],
                   BOT_LLM_API_KEY=ECHO_KEY)
    assert result.returncode == 0, result.stderr[-2000:]
    assert any(ECHO_KEY in r.headers.get("authorization", "") for r in llm.chats())
    assert "bad request" in result.stdout + result.stderr  # the echo is reported…
    _no_pieces({"BOT_LLM_API_KEY": ECHO_KEY}, everything_written(w, result.stdout, result.stderr))  # …cut clean


@fault("Security", "X answering 400 with the request's OAuth header repeated (as is, base64, HTML-escaped, lower-case "
       "percent-encoded, or cut short by X itself with '...') to a post and to `bot check`'s GET /2/users/me, so the 300-character cut falls in a credential",
       "no run of 6 characters of an X credential in stderr, last_error, `bot history --json` or `bot check`",
       cases=len(FORMS))
@pytest.mark.parametrize("form", FORMS)
def test_a_cut_x_echo_leaves_no_piece_of_a_credential(world: tuple[World, LLMServer], form: str) -> None:
    feeds_server = world[0].feeds
    with XServer(keys=X_KEYS) as x:
        w = World(world[0].tmp, feeds_server, x, env={**world[0].env, **X_KEYS})
        for _ in range(3):
            w.x.fault("POST /2/tweets", f"echo400:{form}")
        feeds = [w.feeds.url("/feed")]
        result = w.once(feeds, BOT_WRITER_BACKEND="extractive")
        history = w.cli(["history", "--json"], feeds)
        rows = json.loads(history.stdout)
        assert "bad request" in rows[0]["last_error"], rows
        w.x.fault("GET /2/users/me", f"echo400:{form}")
        check = w.cli(["check"], feeds, BOT_WRITER_BACKEND="extractive")
    assert check.returncode == 1 and "bad request" in check.stdout + check.stderr, check.stdout + check.stderr
    _no_pieces(X_KEYS, everything_written(w, result.stdout, result.stderr, history.stdout, history.stderr,
                                               check.stdout, check.stderr))


@fault("Security", "Mastodon answering 422 with the Authorization header repeated (as is, base64, HTML-escaped, "
       "lower-case percent-encoded, or cut short by the upstream itself with '...'), so the 200-character cut of its error falls inside the token",
       "no run of 6 characters of MASTODON_ACCESS_TOKEN in stderr, last_error or `bot history --json`",
       cases=len(FORMS))
@pytest.mark.parametrize("form", FORMS)
def test_a_cut_mastodon_echo_leaves_no_piece_of_the_token(world: tuple[World, LLMServer], form: str) -> None:
    from twins.mastodonserver import MastodonServer

    w, _llm = world
    with MastodonServer(token=MASTODON_TOKEN) as masto:
        for _ in range(3):
            masto.fault("POST /api/v1/statuses", f"echo:{form}")
        feeds = [w.feeds.url("/feed")]
        env = dict(BOT_WRITER_BACKEND="extractive", BOT_NETWORKS="mastodon", MASTODON_BASE_URL=masto.url,
                   MASTODON_ACCESS_TOKEN=MASTODON_TOKEN)
        result = w.once(feeds, **env)
        history = w.cli(["history", "--json"], feeds, **env)
    assert "bad request" in result.stderr + history.stdout, result.stderr[-2000:]
    _no_pieces({"MASTODON_ACCESS_TOKEN": MASTODON_TOKEN},
               everything_written(w, result.stdout, result.stderr, history.stdout, history.stderr))


@fault("Security", "a model server whose 400 carries 1 MB of base64 with no space in it (an image or a request body "
       "echoed back), to every model request", "the thread is written offline within seconds, as for any refusal "
       "(redacting the whole answer before the cut took minutes of CPU per answer: the edge checks were quadratic)")
def test_a_huge_one_word_error_is_redacted_in_linear_time(world: tuple[World, LLMServer]) -> None:
    import base64
    import time

    w, llm = world
    blob = base64.b64encode(bytes(range(256)) * 3000).decode()  # 1 MB, one "word" of base64
    llm.default = lambda body: (400, "bad request, body was " + blob)  # type: ignore[assignment]
    started = time.monotonic()
    result = w.cli(["post", "--dry-run", "--feed", w.feeds.url("/feed"), "--out", str(w.tmp / "out")], [],
                   BOT_WRITER_RETRIES="0")
    took = time.monotonic() - started
    assert result.returncode == 0 and (w.tmp / "out" / "thread.json").is_file(), result.stderr[-2000:]
    assert any("400" in line for line in result.stdout.splitlines() if line.startswith("note:")), result.stdout[-2000:]
    assert took < 30, f"bot post --dry-run took {took:.0f} s on a 1 MB error"


@fault("Security", "a model server that echoes the request's Authorization header inside the answer it streams (the "
       "key split across chunks), in the tweets, the image prompt and the alt text",
       "no run of 6 characters of BOT_LLM_API_KEY in stderr, stdout or any file written (the streamed answer was "
       "printed to stderr as it came, unredacted)")
def test_a_key_echoed_inside_a_streamed_answer_is_never_printed(world: tuple[World, LLMServer]) -> None:
    from twins.llmserver import good_thread

    w, llm = world
    said = f"Authorization: Bearer {ECHO_KEY}"
    llm.default = lambda body: good_thread(  # type: ignore[assignment]
        [f"Small newsletters win ({said}).", f"x{said} Readers trust a voice they know.", "Read the post."],
        prompt=f"illustration, {said}", alt=f"alt {said}")
    result = w.cli(["post", "--dry-run", "--feed", w.feeds.url("/feed"), "--out", str(w.tmp / "out")], [],
                   BOT_LLM_API_KEY=ECHO_KEY)
    assert result.returncode == 0, result.stderr[-2000:]
    assert '{"tweets"' in result.stderr, result.stderr[-2000:]  # the answer was streamed to the terminal…
    _no_pieces({"BOT_LLM_API_KEY": ECHO_KEY}, everything_written(w, result.stdout, result.stderr))  # …redacted


@fault("Security", "Mastodon answering `bot check`'s verify_credentials with 200 and an account name that repeats the "
       "request's Authorization header", "the check's ok line names the account with the token hidden: no run of 6 "
       "characters of MASTODON_ACCESS_TOKEN on stdout or stderr (ok lines were printed unredacted)")
def test_a_check_ok_line_never_shows_an_echoed_token(world: tuple[World, LLMServer]) -> None:
    from twins.mastodonserver import MastodonServer

    w, _llm = world
    with MastodonServer(token=MASTODON_TOKEN) as masto:
        masto.fault("GET /api/v1/accounts/verify_credentials", "echo200")
        check = w.cli(["check"], [w.feeds.url("/feed")], BOT_WRITER_BACKEND="extractive", BOT_NETWORKS="mastodon",
                      MASTODON_BASE_URL=masto.url, MASTODON_ACCESS_TOKEN=MASTODON_TOKEN)
    assert "ok: mastodon: Mastodon account @writer (" in check.stdout, check.stdout + check.stderr
    _no_pieces({"MASTODON_ACCESS_TOKEN": MASTODON_TOKEN}, check.stdout, check.stderr)
