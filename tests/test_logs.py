"""Logs: one line per event, JSON by setting, secrets redacted wherever they appear."""

from __future__ import annotations

import io
import json
import logging

from bot import config, logs


def test_json_lines_and_redaction() -> None:
    s = config.load({"BOT_LOG_FORMAT": "json", "HF_TOKEN": "hf_abcdefghijklmnop", "X_API_SECRET": "xsecret-9876"}, dotenv=None)
    stream = io.StringIO()
    logs.setup(s, stream)
    log = logging.getLogger("bot.test")
    log.info("calling with %s", "hf_abcdefghijklmnop")
    try:
        raise RuntimeError("auth failed for xsecret-9876")
    except RuntimeError:
        log.exception("request failed")
    lines = stream.getvalue().strip().splitlines()
    records = [json.loads(line) for line in lines]
    assert records[0]["message"] == "calling with ***"
    assert records[1]["message"] == "request failed" and "auth failed for ***" in records[1]["error"]
    assert "hf_abcdefghijklmnop" not in stream.getvalue() and "xsecret-9876" not in stream.getvalue()


def test_text_format_is_one_line_per_event() -> None:
    s = config.load({}, dotenv=None)
    stream = io.StringIO()
    logs.setup(s, stream)
    logging.getLogger("bot.test").warning("feed %s answered %d", "https://a.example/feed", 500)
    out = stream.getvalue()
    assert out.count("\n") == 1 and "WARNING bot.test: feed https://a.example/feed answered 500" in out
