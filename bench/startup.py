"""Cold start of `bot --help`, the in-process offline dry run of one entry, and the X cost of the sample thread."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchlib import Figure, Stopwatch, bot_command, child_env, load_settings, median, ms

HELP_RUNS = 7
DRY_RUNS = 9
HEAVY = ("huggingface_hub", "gradio_client", "tweepy", "PIL", "sqlalchemy", "feedparser", "jinja2", "rich",
         "apscheduler", "requests", "httpx", "httpx2", "psycopg", "emoji", "regex", "publicsuffixlist", "dotenv")
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def _timed_run(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    return time.perf_counter() - start, done


def parse_importtime(stderr: str) -> list[tuple[int, int, int, str]]:
    """(self µs, cumulative µs, depth, module) for each line of `python -X importtime`."""
    rows = []
    for line in stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match:
            rows.append((int(match.group(1)), int(match.group(2)), (len(match.group(3)) - 1) // 2, match.group(4)))
    return rows


def summarise_importtime(rows: list[tuple[int, int, int, str]]) -> dict[str, Any]:
    """Roots by cumulative time, packages by self time, the heaviest modules, and heavy libraries imported."""
    roots = sorted(((cum, name) for _, cum, depth, name in rows if depth == 0), reverse=True)
    by_package: dict[str, int] = defaultdict(int)
    # importtime prints children before their parent: walk backwards to know each module's root import.
    root_of: dict[int, str] = {}
    current_root = ""
    for index in range(len(rows) - 1, -1, -1):
        _, _, depth, name = rows[index]
        if depth == 0:
            current_root = name
        root_of[index] = current_root
    for own, _, _, name in rows:
        by_package[name.split(".")[0]] += own
    heaviest = sorted(((own, name, root_of[i]) for i, (own, _, _, name) in enumerate(rows)), reverse=True)[:10]
    imported = {name.split(".")[0] for *_, name in rows}
    return {
        "total_ms": round(sum(cum for cum, _ in roots) / 1000, 1),
        "roots_ms": [[name, round(cum / 1000, 1)] for cum, name in roots[:8]],
        "packages_self_ms": [[pkg, round(us / 1000, 1)] for pkg, us in sorted(by_package.items(), key=lambda kv: -kv[1])[:10]],
        "heaviest_modules_ms": [[name, round(own / 1000, 1), f"under {root}"] for own, name, root in heaviest],
        "heavy_libraries_imported": sorted(h for h in HEAVY if h in imported),
    }


def cold_start(tmp: Path, target_ms: float) -> Figure:
    """Median wall time of `bot --help` in a fresh process (after one warm-up run that fills the disk cache)."""
    cmd = bot_command() + ["--help"]
    env = child_env()
    _, first = _timed_run(cmd, tmp, env)
    if first.returncode != 0 or "Usage" not in first.stdout:
        raise RuntimeError(f"{' '.join(cmd)} exited {first.returncode}: {(first.stderr or first.stdout).strip()[:200]}")
    times: list[float] = []
    floor: list[float] = []
    for _ in range(HELP_RUNS):  # interleaved with a bare interpreter, so both see the same machine load
        times.append(_timed_run(cmd, tmp, env)[0])
        floor.append(_timed_run([sys.executable, "-c", "pass"], tmp, env)[0])
    script = cmd[0] if len(cmd) == 1 else None
    trace_cmd = [sys.executable, "-X", "importtime", *([script] if script else ["-m", "bot"]), "--help"]
    trace = subprocess.run(trace_cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=60)
    summary = summarise_importtime(parse_importtime(trace.stderr))
    value = ms(median(times))
    fig = Figure("help_cold_start_ms", "cold start of `bot --help` (median of %d)" % HELP_RUNS, value, "ms", target_ms)
    fig.details = {"command": " ".join(cmd), "runs_ms": [ms(t) for t in times], "min_ms": ms(min(times)),
                   "python_floor_ms": ms(median(floor)), "importtime": summary}
    fig.details["over_bare_python_ms"] = ms(median(times) - median(floor))
    fig.notes.append(f"min {ms(min(times))} ms; a bare `python -c pass` takes {ms(median(floor))} ms here, so "
                     f"{ms(median(times) - median(floor))} ms are the bot's imports and click; heavy libraries "
                     f"imported: {', '.join(summary['heavy_libraries_imported']) or 'none'}")
    if fig.status == "miss":
        fig.notes.append("importtime roots (cumulative ms): " +
                         ", ".join(f"{n} {t}" for n, t in summary["roots_ms"][:5]))
        fig.notes.append("importtime by package (self ms): " +
                         ", ".join(f"{n} {t}" for n, t in summary["packages_self_ms"][:8]))
    return fig


class _Timed:
    """Wraps a callable and adds its duration to a Stopwatch entry."""

    def __init__(self, func: Any, watch: Stopwatch, name: str) -> None:
        self.func, self.watch, self.name = func, watch, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self.watch(self.name):
            return self.func(*args, **kwargs)


def _dry_run_once(tmp: Path, out_dir: Path, watch: Stopwatch, env: dict[str, str]) -> Any:
    """One entry the way bot/cli/post.py dry_run_command runs `bot post --dry-run` (without the terminal output)."""
    import bot.images.normalise as image_norm
    from bot.feed import source as feed_stage
    from bot.output import record as output
    from bot.run import pipeline
    from bot.run import wiring as app

    with watch("config.load"):
        settings = load_settings(tmp, **env)
    source = str(feed_stage.SAMPLE_FEED)
    with watch("feed fetch + parse"):
        f = settings.feed
        result = feed_stage.fetch(source, timeout=f.timeout, user_agent=f.user_agent, max_bytes=f.max_bytes)
        entry = feed_stage.select(result.entries, "latest")
    with watch("output dir"):
        output.prepare_dir(out_dir)
    with watch("app.build"):
        deps = app.build(settings, dry_run=True)
    makers = getattr(deps.images, "makers", None)
    if isinstance(makers, dict) and "card" in makers:
        makers["card"].make = _Timed(makers["card"].make, watch, "title card (render + PNG)")
    original = image_norm.normalise
    image_norm.normalise = _Timed(original, watch, "image normalise (PNG -> JPEG)")
    try:
        with watch("pipeline.prepare"):
            thread = pipeline.prepare(entry, deps, out_dir)
    finally:
        image_norm.normalise = original
    with watch("output.write"):
        output.write(out_dir, thread, None, feed=source)
    return settings, thread


def dry_run(tmp: Path, target_ms: float) -> tuple[Figure, Any, Any]:
    """Median in-process time of one offline dry run (extractive writer, title card), after one warm-up."""
    env = {"BOT_WRITER_BACKEND": "extractive", "BOT_IMAGE_CHAIN": "card"}
    root = Path(tempfile.mkdtemp(prefix="dry-", dir=tmp))
    first = Stopwatch()
    start = time.perf_counter()
    _dry_run_once(tmp, root / "warm", first, env)
    first_ms = ms(time.perf_counter() - start)
    totals: list[float] = []
    stages: dict[str, list[float]] = defaultdict(list)
    settings = thread = None
    for run in range(DRY_RUNS):
        watch = Stopwatch()
        start = time.perf_counter()
        settings, thread = _dry_run_once(tmp, root / f"run{run}", watch, env)
        totals.append(time.perf_counter() - start)
        for name, seconds in watch.times.items():
            stages[name].append(seconds)
    value = ms(median(totals))
    stage_ms = {name: ms(median(values)) for name, values in stages.items()}
    fig = Figure("dry_run_ms", f"offline dry run of one entry, in process (median of {DRY_RUNS})", value, "ms", target_ms)
    card = stage_ms.get("title card (render + PNG)", 0.0) + stage_ms.get("image normalise (PNG -> JPEG)", 0.0)
    share = round(100 * card / value) if value else 0
    fig.details = {"first_run_ms (lazy imports included)": first_ms, "runs_ms": [ms(t) for t in totals],
                   "stages_ms (median; the card and normalise run inside pipeline.prepare)": stage_ms,
                   "image_share_percent": share, "image": {"source": thread.image.source, "bytes": thread.image.size,
                                                           "size": f"{thread.image.width}x{thread.image.height}"}}
    fig.notes.append(f"first run {first_ms} ms (lazy imports); title card + normalise = {round(card, 1)} ms, "
                     f"{share}% of the run; without them {round(value - card, 1)} ms")
    if share >= 20:
        fig.details["card_encoding_ms"] = card_encodings(thread)
        enc = fig.details["card_encoding_ms"]
        fig.notes.append("card encodings of the same 1600x900 image (ms): " + ", ".join(f"{k} {v}" for k, v in enc.items()))
    return fig, settings, thread


def card_encodings(thread: Any) -> dict[str, float]:
    """Time to encode the rendered card three ways; the bot posts it as JPEG q90 (image_norm), encoded once."""
    from PIL import Image

    from bot.images.card import title_card

    e = thread.article.entry
    image = Image.open(io.BytesIO(title_card(e.publication, e.title, e.subtitle, e.author)))
    image.load()
    out: dict[str, float] = {}
    for label, fmt, options in (("PNG optimize=True", "PNG", {"optimize": True}),
                                ("PNG compress_level=1", "PNG", {"compress_level": 1}),
                                ("JPEG q90 optimize (posted)", "JPEG", {"quality": 90, "optimize": True})):
        runs = []
        for _ in range(3):
            buffer = io.BytesIO()
            start = time.perf_counter()
            image.convert("RGB").save(buffer, fmt, **options)
            runs.append(time.perf_counter() - start)
        out[f"{label}, {len(buffer.getvalue()) // 1024} KB"] = ms(median(runs))
    return out


def x_cost(settings: Any, thread: Any) -> Figure:
    """The estimated pay-per-use X price of the sample thread, as bot/networks/base.py cost() computes it."""
    from bot.networks.base import cost, posts_needed

    value = cost(thread, settings)
    fig = Figure("x_cost_per_thread_usd", "estimated X cost per thread (sample thread, default settings)", value, "$")
    try:
        from bot.tweets.length import urls

        with_url = [i + 1 for i, t in enumerate(thread.tweets) if urls(t.text)]
    except ImportError:
        with_url = []
    posts = posts_needed(thread, settings)
    x = settings.x
    fig.details = {"posts": posts, "tweets_with_url": with_url, "price_post": x.price_post,
                   "price_post_url": x.price_post_url, "thread_mode": x.thread_mode, "thread_link": settings.thread.link,
                   "weighted_lengths": [t.weighted_length for t in thread.tweets]}
    fig.notes.append(f"{posts} posts; the link rides on tweet(s) {with_url or 'none'}: "
                     f"{len(with_url)} x ${x.price_post_url} + {posts - len(with_url)} x ${x.price_post}")
    return fig
