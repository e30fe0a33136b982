"""Logs: one line per event, JSON by setting, secrets redacted wherever they appear."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.core import logs
from bot.core import settings as config

HF = "fake-hf-token-logs-test"
XS = "xsecret-9876"
DB_PASSWORD = "pg-pa55word"


@pytest.fixture(autouse=True)
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    root.setLevel(level)


def setup(**env: str) -> io.StringIO:
    s = config.load({"HF_TOKEN": HF, "X_API_SECRET": XS,
                     "DATABASE_URL": f"postgres://bot:{DB_PASSWORD}@db.example:5432/bot", **env}, dotenv=None)
    stream = io.StringIO()
    logs.setup(s, stream=stream)
    return stream


def test_json_lines_parse_and_secrets_are_redacted() -> None:
    stream = setup(BOT_LOG_FORMAT="json")
    log = logging.getLogger("bot.test")
    log.info("calling with %s", HF)
    try:
        raise RuntimeError(f"auth failed for {XS}")
    except RuntimeError:
        log.exception("request failed")
    log.warning("connecting to %s", f"postgresql+psycopg://bot:{DB_PASSWORD}@db.example/bot")  # reshaped URL
    records = [json.loads(line) for line in stream.getvalue().strip().splitlines()]
    assert len(records) == 3
    assert records[0]["message"] == "calling with ***" and records[0]["level"] == "INFO"
    assert records[0]["logger"] == "bot.test" and records[0]["time"].endswith("+00:00")
    assert records[1]["message"] == "request failed" and "auth failed for ***" in records[1]["error"]
    assert records[2]["message"] == "connecting to postgresql+psycopg://bot:***@db.example/bot"
    for secret in (HF, XS, DB_PASSWORD):
        assert secret not in stream.getvalue()


def test_text_format_is_one_line_per_event_in_utc() -> None:
    stream = setup()
    logging.getLogger("bot.test").warning("feed %s answered %d", "https://a.example/feed", 500)
    out = stream.getvalue()
    assert out.count("\n") == 1 and "Z WARNING bot.test: feed https://a.example/feed answered 500" in out


def test_library_loggers_are_redacted_and_quietened() -> None:
    stream = setup()
    logging.getLogger("urllib3.connectionpool").warning("retrying with token %s", HF)
    logging.getLogger("httpx").info("HTTP Request: POST https://api.x.com/2/tweets")
    logging.getLogger("apscheduler.scheduler").info("Added job")
    out = stream.getvalue()
    assert out.count("\n") == 1 and "retrying with token ***" in out and HF not in out


def test_setup_twice_does_not_double_lines() -> None:
    setup()
    stream = setup()
    logging.getLogger("bot.test").info("once")
    assert stream.getvalue().count("once") == 1
    assert sum(1 for h in logging.getLogger().handlers if h in logs._OURS) == 1


def test_a_bad_format_string_does_not_raise_and_is_still_redacted() -> None:
    record = logging.LogRecord("bot.test", logging.INFO, __file__, 1, "%d items", ("not a number " + HF,), None)
    assert logs.Redact(config.Secrets({"HF_TOKEN": HF})).filter(record)
    assert "items" in record.getMessage() and HF not in record.getMessage()


def test_secrets_can_be_given_apart_from_settings() -> None:
    s = config.load({}, dotenv=None)
    stream = io.StringIO()
    logs.setup(s, config.Secrets({"X_ACCESS_TOKEN": "tok-123456"}), stream=stream)
    logging.getLogger("bot.test").error("token tok-123456 refused")
    assert "token *** refused" in stream.getvalue()
