"""Shared helpers of the benchmark: paths, a scrubbed environment, settings, timing, and the Figure record."""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
TESTS = REPO / "tests"
FIXTURES = TESTS / "fixtures"
SHARED_FEEDS = REPO.parent / "shared" / "feeds"  # real Substack feeds beside the repo; absent in a user's clone

# Anything that could carry a real credential, a real endpoint or a real database into the benchmark.
_SCRUB_PREFIXES = ("BOT_", "X_API", "X_ACCESS", "HF_", "HUGGING", "GRADIO_")
_SCRUB_NAMES = ("DATABASE_URL",)
LOCAL = "127.0.0.1,localhost"
FAKE_X = {"X_API_KEY": "bench-consumer-key-0001", "X_API_SECRET": "bench-consumer-secret-0001",
          "X_ACCESS_TOKEN": "1000-bench-access-token", "X_ACCESS_TOKEN_SECRET": "bench-token-secret-0001"}


def _keep(name: str) -> bool:
    return not (name.startswith(_SCRUB_PREFIXES) or name in _SCRUB_NAMES)


def scrub_process_env() -> None:
    """Drop credentials and endpoints from this process's own environment (huggingface_hub reads it directly),
    and keep every request to 127.0.0.1 away from any proxy."""
    for name in [n for n in os.environ if not _keep(n)]:
        del os.environ[name]
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = LOCAL
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"


def child_env(**settings: Any) -> dict[str, str]:
    """The environment of a `bot` subprocess: the user's, scrubbed, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if _keep(k)}
    env.update({"NO_PROXY": LOCAL, "no_proxy": LOCAL})
    env.update({k: str(v) for k, v in settings.items()})
    return env


def empty_config(tmp: Path) -> Path:
    """An empty settings file: every option at its default, whatever config/bot.toml in the cwd says."""
    path = tmp / "bench-empty.toml"
    if not path.exists():
        path.write_text("# benchmark: defaults only\n", encoding="utf-8")
    return path


def load_settings(tmp: Path, **env: Any) -> Any:
    """bot settings from the defaults plus `env` only (no .env file, no config/bot.toml, no user environment)."""
    from bot.core import settings as config

    base = {"BOT_CONFIG": str(empty_config(tmp)), "BOT_STORE_SQLITE_PATH": str(tmp / "bench.db"),
            "BOT_DAEMON_HEARTBEAT_FILE": str(tmp / "bench.heartbeat"), "BOT_OUTPUT_DIR": str(tmp / "out")}
    base.update({k: str(v) for k, v in env.items()})
    return config.load(base, dotenv=None)


def bot_command() -> list[str]:
    """How a user starts the bot: the `bot` console script beside this Python, else `python -m bot`."""
    script = shutil.which("bot", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "bot"]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


class Stopwatch:
    """Accumulates named durations: `with sw("stage"): ...`."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - start


@dataclass
class Figure:
    """One printed figure: its value beside its target (target None: reported for information)."""

    key: str
    label: str
    value: float | None
    unit: str
    target: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def status(self) -> str:
        if self.error or self.value is None:
            return "error"
        if self.target is None:
            return "info"
        return "pass" if self.value <= self.target else "miss"

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "value": self.value, "unit": self.unit, "target": self.target,
                "status": self.status, "error": self.error, "notes": self.notes, "details": self.details}


def failed(key: str, label: str, unit: str, target: float | None, exc: BaseException) -> Figure:
    """A figure that could not be measured: the table says why instead of the run stopping."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return Figure(key, label, None, unit, target, error=f"{type(exc).__name__}: {text}"[:300])


def feed_bodies() -> tuple[list[tuple[str, bytes]], str]:
    """Feeds to serve: the real Substack feeds beside the repo when present, else the sample feed and fixtures."""
    real = sorted(SHARED_FEEDS.glob("*.xml")) if SHARED_FEEDS.is_dir() else []
    if real:
        return [(p.name, p.read_bytes()) for p in real], f"real feeds in {SHARED_FEEDS}"
    return [(p.name, p.read_bytes()) for p in fixture_feeds()], "bundled sample feed and tests/fixtures"


def fixture_feeds() -> list[Path]:
    """The bundled sample feed and every tests/fixtures/*.xml that parses with at least one entry."""
    from bot.feed import source as feed

    found = [feed.SAMPLE_FEED]
    for path in sorted(FIXTURES.glob("*.xml")):
        try:
            if feed.parse(path.read_bytes(), str(path)).entries:
                found.append(path)
        except Exception:  # noqa: BLE001 - a fixture that is not a feed on purpose
            continue
    return found


def read_status(pid: int) -> dict[str, str]:
    """/proc/PID/status as a dict (Linux)."""
    out: dict[str, str] = {}
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
        for line in handle:
            name, _, value = line.partition(":")
            out[name] = value.strip()
    return out


def kb_field(status: dict[str, str], name: str) -> float | None:
    """A `NNN kB` field of /proc/PID/status, in MB."""
    value = status.get(name, "")
    return round(int(value.split()[0]) / 1024, 1) if value else None
