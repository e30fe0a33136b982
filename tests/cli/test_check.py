"""`bot check` as a user runs it (a child process) against the local X API and local model servers.

Ready → exit 0 and an ok line per thing that works; each problem → one `problem:` line on stderr and exit 1; a bad
settings value → exit 2 and one line naming it. Secrets are never printed, whatever goes wrong.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.botproc import SAMPLE_FEED, bot_env, run_bot
from pytest_httpserver import HTTPServer
from twins.llmserver import LLMServer
from twins.xserver import CREDENTIALS, XServer

from bot.core import settings as config
from bot.run.daemon import describe

pytestmark = pytest.mark.slow
WRONG_SECRET = "wrong-consumer-secret-7731"


@pytest.fixture
def x() -> Iterator[XServer]:
    with XServer() as server:
        yield server


@pytest.fixture
def models_api() -> Iterator[HTTPServer]:
    """A model server's /v1/models, scripted per test (pytest-httpserver on 127.0.0.1)."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


def check(tmp: Path, x_url: str = "", credentials: dict[str, str] | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """`bot check` with one feed configured (the bundled sample), so only what a test changes can be a problem."""
    return run_bot(["check"], bot_env(tmp, x_url, credentials, BOT_FEED_URL=str(SAMPLE_FEED), **env), tmp)


def problems(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("problem: ")]


def ok_line(result: subprocess.CompletedProcess[str], label: str) -> str:
    lines = [line for line in result.stdout.splitlines() if line.startswith(f"ok: {label}: ")]
    assert len(lines) == 1, result.stdout
    return lines[0]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def assert_no_secret(result: subprocess.CompletedProcess[str], *secrets: str) -> None:
    for secret in secrets:
        assert secret not in result.stdout and secret not in result.stderr


def test_good_credentials_ready_naming_the_account(x: XServer, tmp_path: Path) -> None:
    result = check(tmp_path, x.url, CREDENTIALS)
    assert result.returncode == 0, result.stderr
    assert ok_line(result, "x") == "ok: x: X account @quietindex (id 1000)"
    assert not problems(result)
    assert result.stdout.strip().splitlines()[-1] == "ready."
    assert x.hits("GET /2/users/me") == 1
    # the schedule line is the daemon's own description of what `bot run` will do
    expected = describe(config.load({"BOT_FEED_URL": str(SAMPLE_FEED)}, dotenv=None))
    assert ok_line(result, "schedule") == f"ok: schedule: {expected}"
    assert_no_secret(result, *CREDENTIALS.values())


def test_wrong_secret_is_one_line_about_x_credentials_without_the_secret(x: XServer, tmp_path: Path) -> None:
    result = check(tmp_path, x.url, {**CREDENTIALS, "X_API_SECRET": WRONG_SECRET})
    assert result.returncode == 1
    (line,) = problems(result)
    assert line.startswith("problem: x: X rejected the credentials") and "(401)" in line and "X_API_SECRET" in line
    assert "ok: x:" not in result.stdout
    assert x.hits("GET /2/users/me") == 1  # a 401 is final: not retried
    assert_no_secret(result, WRONG_SECRET, *CREDENTIALS.values())


def test_missing_credentials_are_one_line_naming_them(x: XServer, tmp_path: Path) -> None:
    result = check(tmp_path, x.url)
    assert result.returncode == 1
    (line,) = problems(result)
    assert all(name in line for name in CREDENTIALS)
    partial = {k: v for k, v in CREDENTIALS.items() if k != "X_ACCESS_TOKEN_SECRET"}
    result = check(tmp_path, x.url, partial)
    (line,) = problems(result)
    assert "missing X_ACCESS_TOKEN_SECRET " in line and "X_API_KEY" not in line
    assert x.hits("GET /2/users/me") == 0  # nothing is tried with half the credentials
    assert_no_secret(result, *partial.values())


def test_x_down_is_one_line_in_seconds(tmp_path: Path) -> None:
    started = time.monotonic()
    result = check(tmp_path, f"http://127.0.0.1:{closed_port()}", CREDENTIALS)
    assert time.monotonic() - started < 15  # one retry, not the publisher's 2 + 4 + 8 s of backoff
    assert result.returncode == 1
    (line,) = problems(result)
    assert line.startswith("problem: x: no answer from X while checking the X credentials")


def test_bad_settings_file_value_is_exit_2_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "bot.toml").write_text('[x]\nposts_per_day = "many"\n', encoding="utf-8")
    result = check(tmp_path, BOT_CONFIG=str(tmp_path / "bot.toml"))
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert "x.posts_per_day" in line and "bot.toml" in line


def test_model_server_up_is_reported_without_a_chat_request(x: XServer, tmp_path: Path) -> None:
    with LLMServer() as llm:  # answers 404 to GET /v1/models, like a server without that route
        result = check(tmp_path, x.url, CREDENTIALS, BOT_LLM_BASE_URL=llm.base_url)
    assert result.returncode == 0, result.stderr
    assert ok_line(result, "writer") == (f"ok: writer: OpenAI-compatible server at {llm.base_url} answers "
                                         "(HTTP 404 on GET /v1/models)")
    assert [r.path for r in llm.seen] == ["/v1/models"] and not llm.chats()  # cheap: no model call is spent


def test_model_server_listing_the_model_with_its_key(x: XServer, models_api: HTTPServer, tmp_path: Path) -> None:
    key = "local-llm-key-5512"
    models_api.expect_request("/v1/models", method="GET", headers={"Authorization": f"Bearer {key}"}).respond_with_json(
        {"object": "list", "data": [{"id": "Qwen/Qwen2.5-72B-Instruct", "object": "model"}]})
    base = models_api.url_for("/v1")  # a base ending in /v1 is not doubled
    result = check(tmp_path, x.url, CREDENTIALS, BOT_LLM_BASE_URL=base, BOT_LLM_API_KEY=key)
    assert result.returncode == 0, result.stderr
    assert ok_line(result, "writer") == f"ok: writer: OpenAI-compatible server at {base} serves Qwen/Qwen2.5-72B-Instruct"
    assert_no_secret(result, key, *CREDENTIALS.values())


def test_model_server_refusing_the_key_is_a_problem(x: XServer, models_api: HTTPServer, tmp_path: Path) -> None:
    models_api.expect_request("/v1/models").respond_with_data(json.dumps({"error": "bad key"}), status=401)
    result = check(tmp_path, x.url, CREDENTIALS, BOT_LLM_BASE_URL=models_api.url_for(""))
    assert result.returncode == 1
    (line,) = problems(result)
    assert line.startswith("problem: writer: the model server at") and "(401)" in line and "BOT_LLM_API_KEY" in line


def test_model_server_down_is_a_problem(x: XServer, tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    result = check(tmp_path, x.url, CREDENTIALS, BOT_LLM_BASE_URL=base)
    assert result.returncode == 1
    (line,) = problems(result)
    assert line == (f"problem: writer: cannot reach the model server at {base} (ConnectionError) — check "
                    "BOT_LLM_BASE_URL and that the server is running")
    assert "ok: x: X account @quietindex" in result.stdout  # the other checks still ran
