"""The benchmark of issue 7: prints each figure beside its target and writes them all to bench/results.json.

    python bench/run.py            # from the repo root, after `pip install -e '.[test]'`
    python bench/run.py startup    # only the start-up figures (--help, dry run in process, dry run vs feed2toot)

Everything runs on 127.0.0.1 (local feed, X and model servers from tests/); no token, no internet.
Figures are printed, never asserted: the exit code is 0 unless the benchmark itself could not run.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent / "tests")]  # benchlib & co., and the test servers

from benchlib import REPO, Figure, failed, scrub_process_env  # noqa: E402

# Targets from issue 7.
TARGETS = {"help_ms": 150.0, "dry_run_ms": 150.0, "rss_mb": 80.0, "unchanged_bytes": 1024.0, "cycle_s": 2.0,
           "hostile_rss_mb": 256.0}  # the last from issue 11: Heroku's dyno has 512 MB
RESULTS = BENCH / "results.json"


def _measure(figures: list[Figure], key: str, label: str, unit: str, target: float | None,
             step: Callable[[], Figure | list[Figure]]) -> Any:
    """Run one measurement; an exception becomes an error row, and the other figures still run."""
    started = time.perf_counter()
    print(f"  measuring: {label} ...", file=sys.stderr, flush=True)
    try:
        got = step()
    except Exception as exc:  # noqa: BLE001 - the table reports it
        got = failed(key, label, unit, target, exc)
    batch = got if isinstance(got, list) else [got]
    for fig in batch:
        fig.details.setdefault("measured_in_s", round(time.perf_counter() - started, 1))
    figures.extend(batch)
    return got


def _value(fig: Figure) -> str:
    if fig.value is None:
        return "-"
    if fig.unit == "$":
        return f"${fig.value:.3f}"
    if fig.unit == "B" and fig.value >= 10_000:
        return f"{fig.value / 1024:,.1f} KB"
    text = f"{fig.value:,.3f}".rstrip("0").rstrip(".") if isinstance(fig.value, float) else str(fig.value)
    return f"{text} {fig.unit}"


def _target(fig: Figure) -> str:
    if fig.target is None:
        return "-"
    if fig.unit == "B" and fig.target >= 1024:
        return f"<= {fig.target / 1024:g} KB"
    return f"<= {fig.target:g} {fig.unit}"


def print_table(figures: list[Figure]) -> None:
    rows = [("figure", "value", "target", "result")]
    rows += [(f.label, _value(f), _target(f), f.status.upper() if f.status in ("pass", "miss") else f.status)
             for f in figures]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    print(line)
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) if i < 3 else cell for i, (cell, w) in
                        enumerate(zip(row, widths))).rstrip())
        if n == 0:
            print(line)
    print(line)
    print()
    for fig in figures:
        for note in ([f"error: {fig.error}"] if fig.error else []) + fig.notes:
            print(f"- {fig.label}: {note}")


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _stop(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds like an error: every server and subprocess is stopped on the way out


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # started in the background by a shell
        signal.signal(signal.SIGINT, _stop)
    scrub_process_env()
    logging.disable(logging.WARNING)  # the bot's own warnings (no image from one source, ...) are not the table
    try:
        import bot  # noqa: F401
    except ImportError:
        print("bench: the bot is not installed; run `pip install -e '.[test]'` in the repo first", file=sys.stderr)
        return 2
    import daemon_rss
    import hostile
    import model_calls
    import peer
    import polling
    import startup

    only_startup = sys.argv[1:] == ["startup"]

    started = time.perf_counter()
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="bot-bench-") as name:
        tmp = Path(name)
        _measure(figures, "help_cold_start_ms", "cold start of `bot --help`", "ms", TARGETS["help_ms"],
                 lambda: startup.cold_start(tmp, TARGETS["help_ms"]))
        dry: dict[str, Any] = {}

        def dry_run() -> Figure:
            fig, dry["settings"], dry["thread"] = startup.dry_run(tmp, TARGETS["dry_run_ms"])
            return fig

        _measure(figures, "dry_run_ms", "offline dry run of one entry", "ms", TARGETS["dry_run_ms"], dry_run)
        _measure(figures, "dry_run_process_ms", "`bot post --dry-run` beside feed2toot -n", "ms", None,
                 lambda: peer.versus_peer(tmp))
        if not only_startup:
            _measure(figures, "daemon_idle_rss_mb", "`bot run` idle RSS after 10 polls", "MB", TARGETS["rss_mb"],
                     lambda: daemon_rss.idle_rss(tmp, TARGETS["rss_mb"]))
            _measure(figures, "hostile_peak_rss_mb", "`bot run --once` peak RSS over 15 hostile feeds", "MB",
                     TARGETS["hostile_rss_mb"], lambda: hostile.peak_rss(tmp, TARGETS["hostile_rss_mb"]))
            _measure(figures, "unchanged_poll", "100 feeds polled, unchanged and in full", "B", TARGETS["unchanged_bytes"],
                     lambda: polling.poll_100(tmp, TARGETS["unchanged_bytes"], TARGETS["cycle_s"]))
            _measure(figures, "model_calls_per_thread", "model calls per thread", "calls", None,
                     lambda: model_calls.calls_per_thread(tmp))

        def cost() -> Figure:
            if "thread" not in dry:
                raise RuntimeError("the dry run failed, so there is no sample thread to price")
            return startup.x_cost(dry["settings"], dry["thread"])

        _measure(figures, "x_cost_per_thread_usd", "estimated X cost per thread", "$", None, cost)
    duration = round(time.perf_counter() - started, 1)
    print()
    print_table(figures)
    load = os.getloadavg() if hasattr(os, "getloadavg") else ()
    record = {"generated": datetime.now(UTC).isoformat(timespec="seconds"), "commit": _commit(),
              "python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
              "load_average": [round(x, 2) for x in load], "duration_s": duration, "targets": TARGETS,
              "figures": [f.as_json() for f in figures]}
    RESULTS.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    misses = [f.label for f in figures if f.status == "miss"]
    errors = [f.label for f in figures if f.status == "error"]
    print(f"\n{len(figures)} figures in {duration} s (load average {', '.join(f'{x:.2f}' for x in load) or '-'}); "
          f"{len(misses)} over target, {len(errors)} not measured; written to {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
