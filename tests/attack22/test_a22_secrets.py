"""attack22: no secret (LINKEDIN_ACCESS_TOKEN, THREADS_ACCESS_TOKEN, the Threads token the bot refreshed itself) and
no live media token is ever printed, logged or written to disk: the real `bot` run with fake tokens against the
twins (DEBUG logs, a public URL so an image is shared), then every output and every file grepped."""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from helpers.botproc import ENTRY, bot_env, run_bot
from twins.linkedin import AUTHOR, LinkedInTwin
from twins.threads import USER_ID, ThreadsTwin

pytestmark = pytest.mark.slow  # child processes

LI = "liSECRETa7f3a9c1e5b2d4f60a8e9"
TH = "thSECRETb8c7d6e5f4a3b2c1d0e9f"
REFRESHED = "thREFRESHEDc1d2e3f4a5b6c7d8e9f0"  # what Meta answers a refresh with: a new, unrelated token


def _refresh_unrelated(th: ThreadsTwin) -> None:
    handler: Any = th._httpd.RequestHandlerClass

    def refresh(self: Any, params: dict[str, str], token: str) -> None:
        th.tokens.add(REFRESHED)
        return self.answer(200, {"access_token": REFRESHED, "token_type": "bearer", "expires_in": 5_184_000})

    handler.refresh = refresh


class _Echo(BaseHTTPRequestHandler):
    """An upstream (a proxy) that repeats the request's Authorization in its error, as some do."""

    def do_GET(self) -> None:
        auth = self.headers.get("Authorization", "")
        body = json.dumps({"error": {"message": f"bad request, Authorization: {auth}", "code": 100},
                           "message": f"bad request, Authorization: {auth}", "status": 400}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args: Any) -> None:
        pass


def _leaks(texts: dict[str, str], needles: list[str]) -> list[str]:
    return [f"{name}: {n[:8]}…" for name, text in texts.items() for n in needles if n and n in text]


def test_a22_no_token_in_any_output_or_file(feed_url: str, tmp_path: Path) -> None:
    echo = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    worker = threading.Thread(target=echo.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    worker.start()
    outputs: dict[str, str] = {}
    try:
        with LinkedInTwin(token=LI) as li, ThreadsTwin(token=TH, token_issued=0.0) as th:
            _refresh_unrelated(th)
            env = bot_env(tmp_path, "", {"LINKEDIN_ACCESS_TOKEN": LI, "LINKEDIN_AUTHOR": AUTHOR,
                                         "LINKEDIN_BASE_URL": li.base, "THREADS_ACCESS_TOKEN": TH,
                                         "THREADS_USER_ID": USER_ID, "THREADS_BASE_URL": th.base,
                                         "BOT_WEB_TOKEN": "webSECRETd4e5f6a7b8c9d0e1f2"},
                          BOT_NETWORKS="linkedin,threads", BOT_LOG_LEVEL="DEBUG",
                          BOT_WEB_PUBLIC_URL="http://127.0.0.1:9")
            out = ["--out", str(tmp_path / "out")]
            runs = {"check": ["check"], "dry": ["post", "--dry-run", "--feed", feed_url, "--entry", ENTRY, *out],
                    "post": ["post", "--feed", feed_url, "--entry", ENTRY, *out],
                    "again": ["post", "--feed", feed_url, "--entry", ENTRY, *out],
                    "history": ["history", "--json"], "check2": ["check"]}
            for name, args in runs.items():
                done = run_bot(args, env, tmp_path, timeout=180)
                outputs[f"{name}.stdout"], outputs[f"{name}.stderr"] = done.stdout, done.stderr
            assert len(li.posts) == 1 and len(th.posts) == 3
            shared = [c["image_url"] for c in th.containers.values() if c.get("image_url")]
            host, port = echo.server_address[:2]
            echoed = {**env, "LINKEDIN_BASE_URL": f"http://{host}:{port}", "THREADS_BASE_URL": f"http://{host}:{port}"}
            done = run_bot(["check"], echoed, tmp_path, timeout=120)
            outputs["echo-check.stdout"], outputs["echo-check.stderr"] = done.stdout, done.stderr
            for key, bad in {"THREADS_BASE_URL": "graph.threads.net", "LINKEDIN_BASE_URL": "api.linkedin.com"}.items():
                done = run_bot(["post", "--feed", feed_url, "--entry", ENTRY, "--out", str(tmp_path / "out2")],
                               {**env, key: bad}, tmp_path, timeout=120)
                outputs[f"bad-{key}.stdout"], outputs[f"bad-{key}.stderr"] = done.stdout, done.stderr
    finally:
        echo.shutdown()
        echo.server_close()
    if os.environ.get("A22_SHOW"):
        for name, text in outputs.items():
            print(f"== {name}\n{text[-700:]}")
    token_file = tmp_path / "threads-token.json"
    files: dict[str, str] = {}
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != token_file:
            files[str(path.relative_to(tmp_path))] = path.read_bytes().decode("utf-8", "replace")
    media_tokens = [u.rsplit("/", 1)[1] for u in shared]
    assert media_tokens, "no image was shared"
    leaks = _leaks({**outputs, **files}, [LI, TH, REFRESHED, "webSECRETd4e5f6a7b8c9d0e1f2", *media_tokens])
    if token_file.exists():
        assert token_file.stat().st_mode & 0o077 == 0
    assert not leaks, leaks
