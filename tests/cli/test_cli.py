"""`bot` as a user runs it: a subprocess in a clean folder, no settings, no tokens; one line for every mistake."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers.botproc import SAMPLE_FEED
from helpers.twitter_text import x_length, x_valid
from twins.llmserver import LLMServer, good_thread

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FAKE_HF = "fake-hf-token-cli-test-9876"


def bot(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` in `cwd` with only the given BOT_/HF_/X_ variables set."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "HF_", "X_", "DATABASE_URL"))}
    clean.update({"BOT_STORE_SQLITE_PATH": str(cwd / "bot.db"), "COLUMNS": "100", **(env or {})})
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=clean, capture_output=True, text=True,
                          timeout=timeout)


def one_line_error(result: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    """The last stderr line, checked: the exit code, no traceback, and the words a user needs."""
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("bot: "), line
    for word in words:
        assert word in line, (word, line)
    return line


def thread_json(out: Path) -> dict[str, Any]:
    return json.loads((out / "thread.json").read_text(encoding="utf-8"))


def test_the_readme_first_command_works_with_nothing_set(tmp_path: Path) -> None:
    result = bot("post", "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "using the sample Substack feed bundled with the bot" in result.stderr
    assert "offline (extractive)" in result.stderr
    data = thread_json(tmp_path / "out")
    # The design notes' keys, plus only the documented additions (notes: what hygiene changed; review: a draft's state)
    assert {"entry", "tweets", "image", "writer", "published"} <= set(data) <= {
        "entry", "tweets", "image", "writer", "published", "notes", "review", "threads"}
    assert data["entry"]["title"] == "Why small newsletters win" and data["published"] == []
    assert len(data["tweets"]) == 3 and data["writer"] == {"backend": "extractive", "model": "", "calls": 0}
    for tweet in data["tweets"]:
        assert x_valid(tweet["text"]) and tweet["weighted_length"] == x_length(tweet["text"])  # twitter-text's count
        assert f"{tweet['weighted_length']}/280" in result.stdout  # each tweet's length is shown
    links = [t["text"].count(data["entry"]["link"]) for t in data["tweets"]]
    assert sum(links) == 1  # the article link, once
    image = tmp_path / "out" / data["image"]["path"]
    assert data["image"]["source"] == "card" and image.stat().st_size > 10_000
    preview = (tmp_path / "out" / "preview.html").read_text(encoding="utf-8")
    assert "data:image/" in preview and "Why small newsletters win" in preview  # self-contained, image included
    assert "nothing was published" in result.stdout
    assert not (tmp_path / "bot.db").exists()  # a dry run touches no state


def test_python_m_bot_help_lists_the_commands(tmp_path: Path) -> None:
    result = bot("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("post", "run", "check", "history", "retry"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.M), command


@pytest.mark.parametrize("fixture", ["japanese.xml", "emoji_links.xml", "atom.xml", "malformed.xml", "cp1252.xml"])
def test_dry_run_on_hard_scripts_shows_only_valid_tweets(tmp_path: Path, fixture: str) -> None:
    result = bot("post", "--dry-run", "--feed", str(FIXTURES / fixture), "--out", str(tmp_path / "o"), cwd=tmp_path,
                 env={"BOT_IMAGE_CHAIN": "card"})
    assert result.returncode == 0, result.stderr
    data = thread_json(tmp_path / "o")
    assert 1 <= len(data["tweets"]) <= 3
    for tweet in data["tweets"]:
        assert x_valid(tweet["text"]) and tweet["weighted_length"] == x_length(tweet["text"]) <= 280
        assert f"{tweet['weighted_length']}/280" in result.stdout


def test_entry_can_be_chosen_by_link(tmp_path: Path) -> None:
    link = "https://quietindex.substack.com/p/por-que-los-boletines-pequenos-duran-mas"
    result = bot("post", "--dry-run", "--entry", link, "--out", "o", cwd=tmp_path, env={"BOT_IMAGE_CHAIN": "card"})
    assert result.returncode == 0, result.stderr
    assert thread_json(tmp_path / "o")["entry"]["link"] == link


# --- one clear line for each mistake ---------------------------------------------------------------------


def test_missing_feed_file(tmp_path: Path) -> None:
    one_line_error(bot("post", "--dry-run", "--feed", str(tmp_path / "nope.xml"), cwd=tmp_path), 1, "nope.xml")


def test_unreachable_feed_url(tmp_path: Path, feed_server: Any) -> None:
    port = feed_server.port
    feed_server.stop()  # nothing listens there any more
    one_line_error(bot("post", "--dry-run", "--feed", f"http://127.0.0.1:{port}/feed", cwd=tmp_path,
                       env={"BOT_FEED_TIMEOUT": "2"}), 1, f"127.0.0.1:{port}")


def test_a_page_that_is_not_a_feed(tmp_path: Path, feed_server: Any) -> None:
    feed_server.route("/page", FIXTURES / "not_a_feed.html", content_type="text/html; charset=utf-8")
    line = one_line_error(bot("post", "--dry-run", "--feed", feed_server.url("/page"), cwd=tmp_path), 1)
    assert "feed" in line.lower()


def test_a_feed_with_no_entries(tmp_path: Path) -> None:
    line = one_line_error(bot("post", "--dry-run", "--feed", str(FIXTURES / "empty.xml"), cwd=tmp_path), 1)
    assert "no entries" in line.lower()


def test_an_unknown_entry(tmp_path: Path) -> None:
    one_line_error(bot("post", "--dry-run", "--entry", "https://quietindex.substack.com/p/nope", cwd=tmp_path), 1,
                   "/p/nope")


@pytest.mark.parametrize(("env", "words"), [
    ({"BOT_THREAD_TWEETS": "many"}, ("BOT_THREAD_TWEETS",)),
    ({"BOT_THREAD_TWEETS": "0"}, ("BOT_THREAD_TWEETS",)),
    ({"BOT_THREAD_LINK": "middle"}, ("BOT_THREAD_LINK", "first")),
    ({"BOT_IMAGE_CHAIN": "hf,dalle"}, ("dalle",)),
    ({"BOT_WRITER_BACKEND": "hf"}, ("HF_TOKEN",)),
])
def test_a_bad_setting_in_the_environment(tmp_path: Path, env: dict[str, str], words: tuple[str, ...]) -> None:
    one_line_error(bot("post", "--dry-run", cwd=tmp_path, env=env), 2, *words)


def test_a_bad_settings_file(tmp_path: Path) -> None:
    (tmp_path / "bot.toml").write_text('[thread]\ntweets = 3\nlnk = "last"\n', encoding="utf-8")
    one_line_error(bot("post", "--dry-run", cwd=tmp_path, env={"BOT_CONFIG": str(tmp_path / "bot.toml")}), 2, "lnk")


def test_a_settings_file_that_does_not_parse(tmp_path: Path) -> None:
    (tmp_path / "bot.toml").write_text("[thread\ntweets = 3\n", encoding="utf-8")
    one_line_error(bot("post", "--dry-run", cwd=tmp_path, env={"BOT_CONFIG": str(tmp_path / "bot.toml")}), 2, "bot.toml")


def test_an_output_folder_that_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder", encoding="utf-8")
    one_line_error(bot("post", "--dry-run", "--out", str(tmp_path / "taken" / "out"), cwd=tmp_path), 1, "--out")


def test_posting_without_x_credentials_says_which_are_missing(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"  # the user's own feed: the bundled sample is never published
    feed.write_bytes(SAMPLE_FEED.read_bytes())
    one_line_error(bot("post", cwd=tmp_path, env={"BOT_FEED_URL": str(feed)}), 2, "X_API_KEY", "X_ACCESS_TOKEN_SECRET",
                   "--dry-run")


# --- with a model ------------------------------------------------------------------------------------------


def test_dry_run_with_a_model_server_streams_and_records_the_writer(tmp_path: Path) -> None:
    tweets = ["Small newsletters win because readers chose them on purpose.",
              "Lists under two thousand readers open at 58 percent; big ones at 31.",
              "A thousand readers who would miss you beat a hundred thousand who would not."]
    with LLMServer(script=[good_thread(tweets, "a corner bookshop at dusk", "A small bookshop lit at dusk")]) as server:
        result = bot("post", "--dry-run", "--out", "o", cwd=tmp_path,
                     env={"BOT_LLM_BASE_URL": server.base_url, "BOT_IMAGE_CHAIN": "card", "HF_TOKEN": FAKE_HF})
        requests = server.chats()
    assert result.returncode == 0, result.stderr
    data = thread_json(tmp_path / "o")
    assert data["writer"] == {"backend": "hf", "model": "Qwen/Qwen2.5-72B-Instruct", "calls": 1}
    assert [t["text"] for t in data["tweets"]][:2] == tweets[:2] and data["tweets"][2]["text"].startswith(tweets[2])
    assert data["image"]["alt_text"] != ""
    assert "corner bookshop" in result.stderr  # the model's answer, shown as it streamed
    assert len(requests) == 1 and all(FAKE_HF not in v for v in requests[0].headers.values())
    for text in (result.stdout, result.stderr, (tmp_path / "o" / "thread.json").read_text(), (tmp_path / "o" / "preview.html").read_text()):
        assert FAKE_HF not in text


def test_when_the_model_has_no_credits_the_thread_is_written_offline_and_the_user_told(tmp_path: Path) -> None:
    with LLMServer(script=[402]) as server:
        result = bot("post", "--dry-run", "--out", "o", cwd=tmp_path,
                     env={"BOT_LLM_BASE_URL": server.base_url, "BOT_IMAGE_CHAIN": "card"})
    assert result.returncode == 0, result.stderr
    assert thread_json(tmp_path / "o")["writer"]["backend"] == "extractive"
    assert "credits are spent" in result.stderr and "offline" in result.stderr


def test_a_refused_model_key_is_one_line(tmp_path: Path) -> None:
    with LLMServer(script=[401]) as server:
        result = bot("post", "--dry-run", cwd=tmp_path,
                     env={"BOT_LLM_BASE_URL": server.base_url, "BOT_LLM_API_KEY": "fake-llm-key-cli-1234", "BOT_IMAGE_CHAIN": "card"})
    line = one_line_error(result, 1, "refused the credentials (401)", "BOT_LLM_API_KEY")
    assert "fake-llm-key-cli-1234" not in result.stderr + result.stdout and line
