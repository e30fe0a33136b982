"""The review page as a real child process for the fault suite: `bot serve` (or `bot run --web`) on a free loopback
port, and an HTTP client that signs in through the form as a browser would (the CSRF token read from the page),
from a chosen loopback source address (127.0.0.1, 127.0.0.2, …: Linux routes all of 127/8 to lo)."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from helpers.botproc import BotProcess, bot_env

TOKEN = "test-web-token-0001"


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Page:
    """A `bot serve` (or `bot run --web`) child on a free loopback port; a context manager that kills it."""

    def __init__(self, tmp: Path, args: list[str] | None = None, preexec: Callable[[], Any] | None = None,
                 name: str = "serve", **env: str) -> None:
        self.tmp, self.port = tmp, free_port()
        base = {"BOT_WEB_TOKEN": TOKEN, **env}
        self.env = bot_env(tmp, "http://127.0.0.1:9", None, **{k: v for k, v in base.items() if v is not None})
        if not env.get("PORT"):
            self.env.pop("PORT", None)
        command = args or ["serve", "--port", str(self.port)]
        if args and "PORT" not in env:
            self.env["PORT"] = str(self.port)
        self.proc = BotProcess(command, self.env, tmp, name=name, preexec=preexec)
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(self.url("/healthz"), timeout=2)
                break
            except httpx.HTTPError:
                assert self.proc.alive(), self.proc.stderr()[-2000:]
                assert time.monotonic() < deadline, "the page did not answer within 30 s"
                time.sleep(0.2)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def client(self, source: str = "127.0.0.1") -> httpx.Client:
        """An HTTP client to the page whose connections come from `source` (a loopback address)."""
        return httpx.Client(base_url=self.url(""), transport=httpx.HTTPTransport(local_address=source),
                            follow_redirects=False, timeout=10)

    def __enter__(self) -> Page:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.kill()


def csrf(web: httpx.Client) -> str:
    """The CSRF token of the sign-in form (its session cookie lands in the client)."""
    form = web.get("/login")
    assert form.status_code == 200, form.text
    found = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert found, form.text
    return found.group(1)


def sign_in(web: httpx.Client, token: str = TOKEN, **headers: str) -> httpx.Response:
    """POST the sign-in form with `token`; the answer (303 to / when signed in)."""
    return web.post("/login", data={"csrf": csrf(web), "token": token}, headers=headers)
