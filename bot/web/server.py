"""Serving the review page with uvicorn: `bot serve` (the page alone) and `bot run --web` (beside the daemon).

Where it listens: --host/--port, else web.host/web.port; on Heroku (PORT set) the port comes from PORT and the
host is 0.0.0.0, so `web: bot run --web` runs the daemon and the page on one dyno.
"""

from __future__ import annotations

import logging
import os
import threading

import uvicorn

from bot.core import logs
from bot.core.clock import Clock, SystemClock
from bot.core.settings import Settings
from bot.state.store import Store
from bot.web import guard
from bot.web.app import create_app
from bot.web.ops import Ops
from bot.web.security import check_bind, web_token

log = logging.getLogger(__name__)


def address(settings: Settings, host: str | None, port: int | None) -> tuple[str, int]:
    """Where to listen: explicit values, else PORT (Heroku: all interfaces), else the settings."""
    env_port = os.environ.get("PORT", "").strip()
    if port is None and env_port.isdigit():
        return host or "0.0.0.0", int(env_port)
    return host or settings.web.host, port or settings.web.port


def _config(settings: Settings, store: Store, clock: Clock, ops: Ops, host: str, port: int) -> uvicorn.Config:
    check_bind(settings, host)
    app = create_app(settings, store, clock, ops)
    most = guard.cap(settings.web.max_connections, guard.raise_fd_limit())
    limits = guard.Limits(most, settings.web.request_timeout)
    # access_log off: request lines would repeat client addresses in the logs for every asset. proxy_headers off:
    # X-Forwarded-For is read by create_app's gate, from web.trusted_proxies only. A small backlog: asyncio accepts
    # that many sockets at once before the cap can drop any (guard.py).
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, server_header=False,
                            proxy_headers=False, http=guard.protocol_for(limits), backlog=min(128, max(8, most // 2)),
                            timeout_keep_alive=5, ws="none")  # no websockets: the deadline is HTTP's
    guard.quiet_logs()
    if os.environ.get("DYNO") and not settings.web.trusted_proxies:
        log.warning("on Heroku, set BOT_WEB_TRUSTED_PROXIES=* so the page sees its clients' addresses through the "
                    "router (sign-in throttle, \"via web by\" in the audit trail)")
    return config


def _say_where(settings: Settings, host: str, port: int) -> None:
    shown = f"[{host}]" if ":" in host else host
    guard = "sign in with BOT_WEB_TOKEN" if web_token(settings) else "no BOT_WEB_TOKEN: loopback only, empty token"
    log.info("review page on http://%s:%d/ (%s)", shown, port, guard)


class Background:
    """The page served from a thread of the daemon's process; stop() ends it."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, ops: Ops) -> None:
        self.server, self.thread, self.ops = server, thread, ops

    def stop(self) -> None:
        """Stop serving and wait (a few seconds at most) for the thread to end."""
        self.server.should_exit = True
        self.thread.join(5)


def serve_in_thread(settings: Settings, store: Store, clock: Clock, host: str | None = None,
                    port: int | None = None) -> Background:
    """Start the page in a background thread (uvicorn leaves signals to the daemon there) and return at once."""
    host, port = address(settings, host, port)
    ops = Ops(settings, store, clock)
    server = uvicorn.Server(_config(settings, store, clock, ops, host, port))
    thread = threading.Thread(target=server.run, name="review-page", daemon=True)
    thread.start()
    _say_where(settings, host, port)
    return Background(server, thread, ops)


def serve(settings: Settings, store: Store, host: str | None = None, port: int | None = None) -> int:
    """Serve the page in this thread until SIGTERM or Ctrl-C; 0 on a clean stop."""
    logs.setup(settings)
    clock: Clock = SystemClock()
    host, port = address(settings, host, port)
    ops = Ops(settings, store, clock)
    server = uvicorn.Server(_config(settings, store, clock, ops, host, port))
    _say_where(settings, host, port)
    server.run()
    return 0

