"""Logging: one line per event, as text or JSON; every secret value redacted, whatever logged it."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any


class Redact(logging.Filter):
    """Replaces secret values in the final message, its arguments and any exception text."""

    def __init__(self, secrets: Any) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.secrets.redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.secrets.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        data = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                "logger": record.name, "message": record.getMessage()}
        if record.exc_text:
            data["error"] = record.exc_text
        return json.dumps(data, ensure_ascii=False)


def setup(settings: Any, stream: Any = None) -> logging.Handler:
    """Send the bot's logs to stderr in the configured format, with secrets redacted."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(Redact(settings.secrets))
    if settings.log.format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log.level)
    for noisy in ("urllib3", "httpx", "httpcore", "apscheduler", "tweepy", "requests_oauthlib", "oauthlib", "gradio_client"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
