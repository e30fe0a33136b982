"""`bot run` (the daemon, with `--web` the review page beside it) and `bot serve` (the review page alone).

The only commands that load the web stack (uvicorn, starlette, prometheus_client)."""

from __future__ import annotations

from collections.abc import Callable

from bot.core import logs
from bot.core.clock import SystemClock
from bot.core.settings import Settings
from bot.run import daemon, service
from bot.web.server import serve, serve_in_thread


def run_command(settings: Settings, *, once: bool, web: bool = False) -> int:
    """`bot run`: the daemon (or one cycle with --once); with `web`, the review page in the same process."""
    logs.setup(settings)
    clock = SystemClock()
    store = service.open_store(settings)
    try:
        service.check_ready(settings, store, clock)  # a settings or credential problem stops us here

        def poll(url: str, should_stop: Callable[[], bool]) -> None:
            service.poll(settings, store, clock, url, should_stop)

        if web:
            page = serve_in_thread(settings, store, clock)

            def counted(url: str, should_stop: Callable[[], bool]) -> None:
                ok = False
                try:
                    poll(url, should_stop)
                    ok = True
                finally:
                    page.ops.count_poll(ok)  # /metrics counts the daemon's polls too

            try:
                return daemon.run(settings, counted, clock, once=once)
            finally:
                page.stop()
        return daemon.run(settings, poll, clock, once=once)
    finally:
        store.close()


def serve_command(settings: Settings, *, host: str | None, port: int | None) -> int:
    """`bot serve`: the review page alone (the daemon runs elsewhere, or use `bot run --web`)."""
    store = service.open_store(settings)
    try:
        return serve(settings, store, host, port)
    finally:
        store.close()
