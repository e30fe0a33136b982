"""Logging: one line per event, as text or JSON lines; every secret value redacted, whatever logged it.

The redaction is a filter on the handler that writes the logs, so it covers every logger that
propagates to the root (ours and the libraries'), the message, its arguments and exception text.
"""

from __future__ import annotations

import json
import logging
import sys
import weakref
from collections.abc import Iterable
from datetime import UTC
from typing import TextIO

from bot.core import errors
from bot.core.settings import Secrets, Settings

NOISY = ("urllib3", "httpx", "httpx2", "httpcore", "apscheduler", "tweepy", "requests_oauthlib", "oauthlib",
         "gradio_client", "huggingface_hub", "filelock", "PIL", "sqlalchemy")
_OURS: weakref.WeakSet[logging.Handler] = weakref.WeakSet()  # the handlers setup() installed: it replaces only its own


class Redact(logging.Filter):
    """Replaces secret values in the final message (arguments included) and in any exception text."""

    def __init__(self, secrets: Secrets) -> None:
        super().__init__()
        self.values = secrets.hidden()  # each secret, and the DATABASE_URL password on its own

    def redact(self, text: str) -> str:
        """`text` with every secret value replaced by ***."""
        for value in self.values:
            text = text.replace(value, "***")
        return errors.redact(text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not raise inside the caller's log call
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, and error when there was an exception."""

    def format(self, record: logging.LogRecord) -> str:
        data = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
                "message": record.getMessage()}
        if record.exc_text:
            data["error"] = record.exc_text
        return json.dumps(data, ensure_ascii=False)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        from datetime import datetime

        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    """`2026-11-23T10:00:00Z INFO bot.run.daemon: message`, times in UTC."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%SZ")
        import time

        self.converter = time.gmtime


def setup(settings: Settings, secrets: Secrets | None = None, *, stream: TextIO | None = None,
          quiet: Iterable[str] = NOISY,
          handler: logging.Handler | None = None) -> logging.Handler:
    """Send all logs to stderr (or `stream`, or `handler`) in log.format at log.level, secrets redacted; return the handler."""
    handler = handler or logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(Redact(secrets if secrets is not None else settings.secrets))
    handler.setFormatter(JsonFormatter() if settings.log.format == "json" else TextFormatter())
    _OURS.add(handler)
    root = logging.getLogger()
    for old in list(root.handlers):
        if old in _OURS:
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log.level)
    for name in quiet:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)  # library warnings go through the same redacting handler
    return handler
