"""A local OpenAI-compatible chat server on 127.0.0.1 (as TGI, vLLM, llama.cpp or Ollama serve it), in a thread.

POST …/chat/completions answers from a script, one reply per request:
  a str         the assistant's content (streamed as SSE chunks when the request says "stream": true)
  an int        that HTTP status, with a JSON error and a Retry-After header (`retry_after`)
  (int, str)    that HTTP status with that error message
  "hang"        no answer for `hang_seconds` (the client's timeout fires first), then 503
  "not-json"    a 200 whose body is an HTML page, not a chat completion
  "echo"        a 400 whose error message repeats the request's headers (as some proxies do): secrets in it
  "echo:FORM"   a 400 repeating the Authorization header many times, shaped (helpers/echo.py: raw, base64, ...)
  a callable    called with the request's JSON body; returns one of the above
When the script runs out, `default` answers: by default a model stand-in that writes a valid thread
from the article in the prompt (and shortens a tweet when asked to), so the bot can run end to end.
With `reject_response_format`, a request carrying response_format gets 400, as some servers answer.
Every request's path, headers and JSON body are recorded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from twins.localhttp import QuietHandler, Served


@dataclass
class Request:
    """One request the server received."""

    path: str
    headers: dict[str, str]
    body: Any


def good_thread(tweets: list[str], prompt: str = "A quiet editorial illustration", alt: str = "An illustration") -> str:
    """A well-formed JSON answer."""
    return json.dumps({"tweets": tweets, "image_prompt": prompt, "alt_text": alt}, ensure_ascii=False)


def stand_in(body: dict[str, Any]) -> str:
    """What a cooperative model would answer: a thread drawn from the prompt's article, or a shortened tweet."""
    messages = body.get("messages") or [{}]
    last = str(messages[-1].get("content", ""))
    if last.startswith("Rewrite this tweet"):  # without what hygiene removed: its first sentence, as a model might
        tweet = last.split("Tweet:\n", 1)[-1].strip()
        return re.split(r"(?<=[.!?])\s+", tweet)[0]
    if last.startswith("Shorten this tweet"):
        tweet = last.split("Tweet:\n", 1)[-1].strip()
        budget = int(re.search(r"at most (\d+) characters", last).group(1))  # type: ignore[union-attr]
        return tweet[: max(1, budget - 1)].rsplit(" ", 1)[0]
    text = "\n".join(str(m.get("content", "")) for m in messages)
    title = re.search(r"^Title: (.*)$", text, re.M)
    name = title.group(1).strip() if title else "this article"
    count_match = re.search(r"Write exactly (\d+) tweet", text)
    count = int(count_match.group(1)) if count_match else 3
    body_text = str(messages[-1].get("content", "")).split("<article>", 1)[-1]
    sentences = [s.strip() for s in re.split(r"(?<=[.!?。])\s*", body_text) if len(s.strip()) > 30][: count + 2]
    tweets = [f"New essay: {name}"] + [s[:200] for s in sentences[1 : count]]
    while len(tweets) < count:
        tweets.append(f"Part {len(tweets) + 1} of the argument in {name}, in the author's words.")
    return good_thread(tweets, f"An editorial illustration about {name}", f"Illustration for {name}")


@dataclass
class LLMServer(Served):
    """Start with `with LLMServer() as server:`; `server.base_url` is what BOT_LLM_BASE_URL takes."""

    script: list[Any] = field(default_factory=list)
    default: Callable[[dict[str, Any]], Any] = stand_in
    seen: list[Request] = field(default_factory=list)
    hang_seconds: float = 5.0
    retry_after: str | None = "2"
    reject_response_format: bool = False
    finish_reason: str = "stop"  # "length": as if every answer stopped at max_tokens

    def __post_init__(self) -> None:
        self._serve(_handler(self))

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT (the client adds /v1/chat/completions)."""
        return self.base

    def chats(self) -> list[Request]:
        """The chat requests received so far."""
        return [r for r in self.seen if r.path.endswith("/chat/completions")]

    def next_reply(self, body: Any) -> Any:
        with self._lock:
            reply = self.script.pop(0) if self.script else self.default
        while callable(reply):
            reply = reply(body if isinstance(body, dict) else {})
        return reply


def _completion(content: str, model: str, finish: str = "stop") -> dict[str, Any]:
    return {"id": "chatcmpl-local", "object": "chat.completion", "created": 1_800_000_000, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
            "usage": {"prompt_tokens": 900, "completion_tokens": max(1, len(content) // 4), "total_tokens": 900 + len(content) // 4}}


def _chunks(content: str, model: str) -> list[bytes]:
    out = []
    pieces = [content[i : i + 24] for i in range(0, len(content), 24)] or [""]
    for piece in pieces:
        event = {"id": "chatcmpl-local", "object": "chat.completion.chunk", "created": 1_800_000_000, "model": model,
                 "choices": [{"index": 0, "delta": {"role": "assistant", "content": piece}, "finish_reason": None}]}
        out.append(b"data: " + json.dumps(event).encode() + b"\n\n")
    out.append(b"data: [DONE]\n\n")
    return out


def _handler(server: LLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        def _stream(self, parts: list[bytes]) -> None:
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for part in parts:
                    self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def do_POST(self) -> None:  # noqa: N802
            body = self.read_json()
            server.seen.append(Request(self.path, self.header_map(), body))
            if not self.path.endswith("/chat/completions"):
                self.send(404, b'{"error": "not found"}', "application/json")
                return
            data = body if isinstance(body, dict) else {}
            if server.reject_response_format and data.get("response_format"):
                self.send(400, b'{"error": "response_format is not supported"}', "application/json")
                return
            reply = server.next_reply(data)
            model = str(data.get("model", "local"))
            if reply == "hang":
                server._stop.wait(server.hang_seconds)
                reply = 503
            if isinstance(reply, str) and reply.startswith("echo:"):  # "echo:FORM": the Authorization header, shaped
                from helpers.echo import echo

                said = echo(f"Authorization: {self.headers.get('Authorization', '')}", reply[len("echo:"):])
                self.send(400, json.dumps({"error": said}).encode(), "application/json")
            elif reply == "echo":
                said = "; ".join(f"{k}: {v}" for k, v in self.headers.items())
                self.send(400, json.dumps({"error": f"bad request ({said})"}).encode(), "application/json")
            elif reply == "not-json":
                self.send(200, b"<html><body>Welcome to nginx!</body></html>", "text/html")
            elif isinstance(reply, (int, tuple)):
                status, message = reply if isinstance(reply, tuple) else (reply, f"scripted {reply}")
                extra = {"Retry-After": server.retry_after} if server.retry_after is not None else {}
                self.send(status, json.dumps({"error": message}).encode(), "application/json", extra)
            elif data.get("stream"):
                self._stream(_chunks(str(reply), model))
            else:
                self.send(200, json.dumps(_completion(str(reply), model, server.finish_reason)).encode(), "application/json")

        def do_GET(self) -> None:  # noqa: N802
            server.seen.append(Request(self.path, self.header_map(), None))
            self.send(404, b'{"error": "not found"}', "application/json")

    return Handler
