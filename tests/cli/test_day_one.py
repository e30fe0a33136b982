"""Day one as a new user, through the real `bot` child: the bundled sample is never published, `bot check` tries
each feed and says where the settings came from, an unsupported database is named, and piped output is not
wrapped at 80 columns."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.botproc import ROOT, SAMPLE_FEED, bot_env, run_bot
from twins.feedserver import FeedServer
from twins.xserver import CREDENTIALS, XServer

pytestmark = pytest.mark.slow


@pytest.fixture
def x() -> Iterator[XServer]:
    with XServer() as server:
        yield server


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("bot: error:")]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_post_without_a_feed_refuses_to_publish_the_sample(x: XServer, tmp_path: Path) -> None:
    result = run_bot(["post"], bot_env(tmp_path, x.url, CREDENTIALS), tmp_path)
    assert result.returncode == 2
    line = one_error_line(result)
    assert "sample" in line and "BOT_FEED_URL" in line and "--dry-run" in line
    assert x.posts == [] and x.hits("POST /2/tweets") == 0 and x.hits("POST /2/media/upload") == 0
    assert not (tmp_path / "bot.db").exists()  # refused before anything was written


def test_a_dry_run_on_the_sample_still_works(tmp_path: Path) -> None:
    result = run_bot(["post", "--dry-run"], bot_env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "sample" in result.stderr and "dry run" in result.stdout


def test_check_fetches_each_feed_and_says_what_it_found(tmp_path: Path) -> None:
    with FeedServer() as feeds:
        feeds.route("/feed", SAMPLE_FEED, etag='"v1"')
        env = bot_env(tmp_path, BOT_FEED_URL=feeds.url("/feed"))
        result = run_bot(["check"], env, tmp_path)
        assert feeds.hits("/feed") == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith("ok: feed ")]
    assert len(lines) == 1, result.stdout
    assert feeds.url("/feed") in lines[0] and "The Quiet Index" in lines[0] and "4 entries" in lines[0]
    assert "newest" in lines[0] and "Why small newsletters win" in lines[0]


@pytest.mark.parametrize("given", ["garbage", "http://127.0.0.1:9/feed", "{sample}page"])
def test_check_names_each_broken_feed_on_one_problem_line(tmp_path: Path, given: str) -> None:
    with FeedServer() as feeds:
        feeds.route("/page", b"<!doctype html><html><body>hello</body></html>", content_type="text/html")
        url = given.replace("{sample}", feeds.url("/"))
        result = run_bot(["check"], bot_env(tmp_path, BOT_FEED_URL=f"{url},{SAMPLE_FEED}"), tmp_path)
    assert result.returncode == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith("problem: ")]
    feed_problems = [line for line in problems if url in line]
    assert len(feed_problems) == 1, result.stderr
    assert any(word in feed_problems[0] for word in ("no feed file", "could not reach", "web page")), feed_problems
    assert any(line.startswith("ok: feed ") and str(SAMPLE_FEED) in line for line in result.stdout.splitlines())
    assert "ok: feeds:" not in result.stdout


def test_check_says_where_the_settings_came_from(tmp_path: Path) -> None:
    env = bot_env(tmp_path, BOT_FEED_URL=str(SAMPLE_FEED))
    result = run_bot(["check"], env, tmp_path)
    assert "ok: settings: valid (no settings file: defaults and the environment" in result.stdout, result.stdout
    installed = tmp_path / "opt" / "config" / "bot.toml"
    installed.parent.mkdir(parents=True)
    installed.write_text('[thread]\ntweets = 4\n', encoding="utf-8")
    elsewhere = tmp_path / "var-lib"
    elsewhere.mkdir()
    result = run_bot(["check"], {**env, "BOT_CONFIG": str(installed)}, elsewhere)
    assert f"ok: settings: valid ({installed})" in result.stdout, result.stdout


def test_the_vps_recipe_points_the_service_at_the_installed_settings_file() -> None:
    unit = (ROOT / "deploy" / "bot.service").read_text(encoding="utf-8")
    config_lines = [line for line in unit.splitlines() if "BOT_CONFIG=" in line]
    assert len(config_lines) == 1 and config_lines[0].split("BOT_CONFIG=", 1)[1].strip('"').endswith("config/bot.toml")
    docs = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "BOT_CONFIG" in docs and "bot check" in docs


def test_an_unsupported_database_names_the_supported_ones(tmp_path: Path) -> None:
    env = bot_env(tmp_path, DATABASE_URL="mysql://bot:pw-not-shown-1234@127.0.0.1/bot")
    result = run_bot(["history"], env, tmp_path)
    assert result.returncode != 0
    line = one_error_line(result)
    assert "mysql" in line and "sqlite" in line and "postgres" in line
    assert "MySQLdb" not in result.stderr and "pw-not-shown-1234" not in result.stderr


def test_long_lines_piped_to_a_log_are_not_wrapped(tmp_path: Path) -> None:
    env = bot_env(tmp_path)
    env.pop("COLUMNS", None)
    result = run_bot(["post", "--dry-run"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    long_out = [line for line in result.stdout.splitlines() if len(line) > 80]
    assert long_out, result.stdout  # the tweets and the file lines are longer than 80 characters
    offline = [line for line in result.stderr.splitlines() if line.startswith("writer: offline")]
    assert len(offline) == 1 and offline[0].endswith("for a model-written thread"), result.stderr
