"""100 feeds on a local server polled when nothing changed (conditional GET, 304) beside the same feeds fetched in full."""

from __future__ import annotations

import threading
import time
from email.utils import formatdate
from pathlib import Path
from typing import Any

from benchlib import Figure, feed_bodies, load_settings, median

FEEDS = 100
FULL_CYCLES = 1  # a full cycle parses 100 feeds (~10 s): one is enough for an information figure
CONDITIONAL_CYCLES = 5


class _Counter:
    def __init__(self) -> None:
        self.total = 0
        self.lock = threading.Lock()

    def add(self, n: int) -> None:
        with self.lock:
            self.total += n


class _CountingWriter:
    """Wraps a handler's wfile: every byte the server writes (status line, headers, body) is counted."""

    def __init__(self, raw: Any, counter: _Counter) -> None:
        self._raw, self._counter = raw, counter

    def write(self, data: bytes) -> Any:
        result = self._raw.write(data)
        self._counter.add(len(data))
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


def _count_wire_bytes(server: Any, counter: _Counter) -> bool:
    """Count the bytes on the wire from tests/twins/feedserver.py (its own counter sees only bodies). False if it cannot."""
    httpd = getattr(server, "_httpd", None)
    if httpd is None:
        return False
    base = httpd.RequestHandlerClass

    class Counting(base):  # type: ignore[misc, valid-type]
        def setup(self) -> None:
            super().setup()
            self.wfile = _CountingWriter(self.wfile, counter)

    httpd.RequestHandlerClass = Counting
    return True


def poll_100(tmp: Path, target_bytes: float, target_seconds: float) -> list[Figure]:
    from twins.feedserver import FeedServer

    from bot.feed import source as feed_stage

    f = load_settings(tmp).feed
    bodies, origin = feed_bodies()
    counter = _Counter()
    validators: dict[str, tuple[str, str]] = {}

    def cycle(urls: list[str], conditional: bool) -> dict[str, float]:
        wire_before, body, not_modified = counter.total, 0, 0
        start = time.perf_counter()
        for url in urls:
            etag, modified = validators.get(url, ("", "")) if conditional else ("", "")
            result = feed_stage.fetch(url, timeout=f.timeout, user_agent=f.user_agent, max_bytes=f.max_bytes,
                                      etag=etag, last_modified=modified)
            if not conditional:
                validators[url] = (result.etag, result.last_modified)
            body += result.bytes_received
            not_modified += bool(result.not_modified)
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "wire": counter.total - wire_before, "body": body, "not_modified": not_modified}

    with FeedServer() as server:
        counted = _count_wire_bytes(server, counter)
        for i in range(FEEDS):
            _, body = bodies[i % len(bodies)]
            server.route(f"/feed/{i:03d}", body, etag=f'"bench-{i}-{len(body)}"',
                         last_modified=formatdate(1_767_225_600 + i, usegmt=True))
        urls = [server.url(f"/feed/{i:03d}") for i in range(FEEDS)]
        full = [cycle(urls, conditional=False) for _ in range(FULL_CYCLES)]
        cond = [cycle(urls, conditional=True) for _ in range(CONDITIONAL_CYCLES)]

    def per_feed(runs: list[dict[str, float]], key: str) -> float:
        return round(median([r[key] for r in runs]) / FEEDS, 1)

    wire_key = "wire" if counted else "body"
    served = ", ".join(f"{n} ({len(b) // 1024} KB)" for n, b in bodies)
    common = {"feeds": FEEDS, "served": f"{origin}: {served}, cycled over {FEEDS} routes with ETag + Last-Modified",
              "how": "bot.feed.fetch, one feed after another, a new connection each (as the poller does)",
              "bytes": "on the wire (status line + headers + body, counted at the server)" if counted
              else "body bytes only (the server's wire counter could not be attached)"}
    c_bytes = per_feed(cond, wire_key)
    c_fig = Figure("unchanged_poll_bytes_per_feed", "unchanged poll: bytes received per feed (304)", c_bytes, "B",
                   target_bytes)
    c_fig.details = {**common, "cycles": CONDITIONAL_CYCLES, "not_modified_per_cycle": [r["not_modified"] for r in cond],
                     "body_bytes_per_feed (bot's count)": per_feed(cond, "body")}
    c_fig.notes.append(f"{int(median([r['not_modified'] for r in cond]))}/{FEEDS} answered 304; "
                       f"body {per_feed(cond, 'body')} B per feed")
    c_time = round(median([r["seconds"] for r in cond]), 3)
    t_fig = Figure("unchanged_cycle_seconds", f"{FEEDS} unchanged feeds: seconds per cycle", c_time, "s", target_seconds)
    t_fig.details = {**common, "cycles_s": [round(r["seconds"], 3) for r in cond],
                     "per_feed_ms": round(1000 * c_time / FEEDS, 2)}
    t_fig.notes.append(f"{round(1000 * c_time / FEEDS, 2)} ms per feed, sequential (the daemon runs up to 8 feeds at once)")
    f_bytes = per_feed(full, wire_key)
    fb_fig = Figure("full_fetch_bytes_per_feed", "same feeds without conditional GET: bytes per feed", f_bytes, "B")
    fb_fig.details = {**common, "cycles": FULL_CYCLES}
    f_time = round(median([r["seconds"] for r in full]), 3)
    ft_fig = Figure("full_fetch_cycle_seconds", f"same {FEEDS} feeds without conditional GET: seconds per cycle",
                    f_time, "s")
    ft_fig.details = {**common, "cycles_s": [round(r["seconds"], 3) for r in full]}
    ft_fig.notes.append(f"conditional GET receives {round(f_bytes / c_bytes) if c_bytes else '-'}x fewer bytes and is "
                        f"{round(f_time / c_time, 1) if c_time else '-'}x faster (a full fetch also parses the feed)")
    return [c_fig, t_fig, fb_fig, ft_fig]
