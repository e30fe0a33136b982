"""The model writer: one chat_completion call on huggingface_hub's InferenceClient returns the whole thread as JSON.

Models are tried in order (writer.model, then writer.fallback_models). Per model: 429, 503, other 5xx and
timeouts are retried with backoff honouring Retry-After (waits come from the injected clock); 402 (credits
spent), 404 and an unreachable server move on to the next model; an answer that cannot be read is asked
for once more, then the next model; 401/403 stops at once with one line about the token. Every request
is recorded as a ModelCall. When every model fails, WriterError carries the calls and the reasons, and
the pipeline may write offline instead (writer.offline_fallback).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypedDict, cast
from urllib.parse import urlsplit

from bot.core import download
from bot.core.clock import Clock
from bot.core.errors import AuthError, BotError, ConfigError, CreditsExhausted, WriterError, clip
from bot.core.records import Article, Draft, ModelCall, ThreadSpec, WriterInfo
from bot.core.settings import Secrets, Settings
from bot.writing.answers import Parsed, parse_rewrite, parse_thread, refused
from bot.writing.evidence import evidence_of
from bot.writing.prompts import THREAD_SCHEMA, Messages, Prompts

if TYPE_CHECKING:  # huggingface_hub is imported by the first request, not with this module
    from huggingface_hub import ChatCompletionInputGrammarType, InferenceClient
    from huggingface_hub.errors import HfHubHTTPError

log = logging.getLogger(__name__)

# How TGI, vLLM, llama.cpp and OpenAI word "the prompt is over the context window" (400/422).
_CONTEXT = re.compile(r"context|too (?:many|long)|maximum|max_?(?:new_)?tokens|inputs? (?:length|tokens)|tokens? limit",
                      re.IGNORECASE)
MAX_RETRY_WAIT = 60.0  # a longer Retry-After is not worth holding a poll for: the next model, or offline
BACKOFF = 2.0  # seconds before the first retry without Retry-After; doubles each time


class _Params(TypedDict):
    """The keyword arguments of InferenceClient.chat_completion the writer sets."""

    model: str
    temperature: float
    top_p: float
    max_tokens: int
    stop: list[str] | None
    seed: int | None
    response_format: ChatCompletionInputGrammarType | None


class _Retry(WriterError):
    """This request may work if sent again after `wait` seconds (429, 503, 5xx, timeout)."""

    def __init__(self, message: str, wait: float) -> None:
        super().__init__(message)
        self.wait = wait


class _NextModel(WriterError):
    """This model will not answer (402, 404, unreachable, refused request): try the next one."""


class _Rejected(WriterError):
    """The server refused the request as malformed (400): perhaps the response_format."""


class _TooLong(WriterError):
    """The prompt is over what the model takes (413, or a 400/422 about tokens or context length)."""


class HFWriter:
    """Writes threads with a chat model on Hugging Face or any OpenAI-compatible server (writer.base_url)."""

    name = "hf"

    def __init__(self, settings: Settings, secrets: Secrets, clock: Clock, on_text: Callable[[str], None] | None = None) -> None:
        self.cfg = settings.writer
        self.secrets = secrets
        self.clock = clock
        self.on_text = on_text
        self.calls: list[ModelCall] = []  # every request this writer made, in order
        self.prompts = Prompts(self.cfg.templates_dir)
        self.models = [m for m in dict.fromkeys([self.cfg.model, *self.cfg.fallback_models]) if m.strip()]
        if not self.models:
            raise ConfigError("writer.model is empty", "name a chat model, e.g. Qwen/Qwen2.5-72B-Instruct")
        self.backend = "openai-compatible" if self.cfg.base_url else "hf"
        self.json_mode = self.cfg.json_mode
        self.max_tokens = self.cfg.max_tokens
        self.context_tokens = self.cfg.context_tokens
        self._cut_off = False  # the last answer stopped at max_tokens
        self._streams = 0
        self._client: InferenceClient | None = None
        self._spec = ThreadSpec()
        self._answered_by = ""
        self._answer = ""  # the last thread answer read

    # --- the Writer protocol -------------------------------------------------------------------------

    def write(self, article: Article, spec: ThreadSpec) -> Draft:
        """The thread, image prompt and alt text from the first model that gives a readable answer."""
        self._spec = spec
        start = len(self.calls)
        reasons: list[str] = []
        spent = 0  # models that answered 402
        messages = self.prompts.thread(article, spec, self.context_tokens)
        for model in self.models:
            try:
                parsed = self._thread_from(model, messages, spec, article)
            except (_NextModel, CreditsExhausted, _Retry, _Rejected, _TooLong) as exc:
                spent += isinstance(exc, CreditsExhausted)
                reasons.append(f"{model}: {exc}")
                log.warning("writer: %s: %s", model, exc)
                continue
            if parsed is None:
                reasons.append(f"{model}: answered no readable thread, even when asked again")
                log.warning("writer: %s gave no readable thread", model)
                continue
            self._answered_by = model
            made = tuple(self.calls[start:])
            info = WriterInfo("hf", model, len(made), tuple(reasons))
            return Draft(parsed.tweets, parsed.image_prompt, parsed.alt_text, info, made,
                         evidence_of(self._answer, len(parsed.tweets)))
        error_type = CreditsExhausted if spent == len(self.models) else WriterError
        error = error_type("no model wrote the thread (" + "; ".join(reasons) + ")",
                           "check writer.model and writer.fallback_models, or try later")
        error.calls = tuple(self.calls[start:])
        error.fallbacks = tuple(reasons)
        raise error

    def rewrite(self, text: str, budget: int, article: Article) -> str | None:
        """The tweet shortened by the model to at most `budget` weighted characters (fitting checks it), or None."""
        model = self._answered_by or self.models[0]
        messages = self.prompts.rewrite(text, budget, article, self._spec)
        try:
            answer = self._request(model, messages, "rewrite", json_form=None)
        except BotError as exc:  # fitting trims instead; a rewrite is never worth failing the thread
            log.warning("writer: rewrite by %s failed: %s", model, exc)
            return None
        return parse_rewrite(answer) or None

    def revise(self, text: str, problem: str, budget: int, article: Article) -> str | None:
        """The tweet written again by the model without what hygiene removed (hygiene checks it again), or None."""
        model = self._answered_by or self.models[0]
        messages = self.prompts.revise(text, problem, budget, article, self._spec)
        try:
            answer = self._request(model, messages, "revise", json_form=None)
        except BotError as exc:  # the mended tweet or the article's passage stands in; never worth failing for
            log.warning("writer: revision by %s failed: %s", model, exc)
            return None
        return parse_rewrite(answer) or None

    # --- one model -------------------------------------------------------------------------------------

    def _thread_from(self, model: str, messages: Messages, spec: ThreadSpec, article: Article) -> Parsed | None:
        """Ask `model` for the thread; ask once more when the answer cannot be read."""
        try:
            answer = self._ask_json(model, messages, "thread")
        except _TooLong:
            # The prompt is over the model's context: the article again, with half the budget, once.
            self.context_tokens = max(500, self.context_tokens // 2)
            log.warning("writer: %s: the prompt is over the model's context; retrying with writer.context_tokens = %d",
                        model, self.context_tokens)
            messages = self.prompts.thread(article, spec, self.context_tokens)
            answer = self._ask_json(model, messages, "thread")
        parsed = parse_thread(answer)
        self._answer = answer  # the passages each tweet rests on are read from it (bot.writing.evidence)
        if parsed is not None and not refused(answer, parsed):
            return parsed
        if refused(answer, parsed):  # a refusal is a failed answer: asked once more, then the next model
            self._mark_last("refused")
            log.warning("writer: %s declined to write the thread; asking once more", model)
            answer = self._ask_json(model, messages.then(answer[:4000], self.prompts.repair(spec)), "repair")
            parsed = parse_thread(answer)
            self._answer = answer
            if parsed is None or refused(answer, parsed):
                self._mark_last("refused" if refused(answer, parsed) else "unparseable")
                return None
            return parsed
        self._mark_last("cut off" if self._cut_off else "unparseable")
        if self._cut_off:
            log.warning("writer: %s stopped at writer.max_tokens (%d) mid-answer; asking again with room for more",
                        model, self.max_tokens)
            self.max_tokens = min(32768, self.max_tokens * 2)
        repair = messages.then(answer[:4000], self.prompts.repair(spec))
        answer = self._ask_json(model, repair, "repair")
        parsed = parse_thread(answer)
        self._answer = answer
        if parsed is None or refused(answer, parsed):
            self._mark_last("refused" if refused(answer, parsed) else "unparseable")
            return None
        return parsed

    def _ask_json(self, model: str, messages: Messages, purpose: str) -> str:
        """A request with the response_format the settings ask for; in auto mode, without it if refused."""
        form: dict[str, object] | None = None
        if self.json_mode in ("auto", "schema"):
            form = {"type": "json_schema", "json_schema": {"name": "thread", "schema": THREAD_SCHEMA, "strict": True}}
        elif self.json_mode == "object":
            form = {"type": "json_object"}
        try:
            return self._request(model, messages, purpose, json_form=form)
        except _Rejected as exc:
            if self.json_mode != "auto" or form is None:
                raise _NextModel(str(exc)) from exc
            # Some servers refuse response_format they do not know; the prompt alone asks for JSON too.
            log.info("writer: %s refused response_format (%s); asking without it from now on", model, exc)
            self.json_mode = "off"
            return self._request(model, messages, purpose, json_form=None)

    def _request(self, model: str, messages: Messages, purpose: str, json_form: dict[str, object] | None) -> str:
        """One chat completion with bounded retries; the answer's text."""
        attempts = self.cfg.retries + 1
        for attempt in range(attempts):
            try:
                return self._once(model, messages, purpose, json_form)
            except _Retry as exc:
                if attempt + 1 >= attempts:
                    raise
                if exc.wait > MAX_RETRY_WAIT:  # not worth holding the poll for: the next model, or offline
                    raise _NextModel(f"{exc.message}; it asks to wait {exc.wait:g} s") from exc
                wait = exc.wait if exc.wait >= 0 else min(MAX_RETRY_WAIT, BACKOFF * 2 ** attempt)
                log.warning("writer: %s %s; retry %d/%d in %g s", model, exc, attempt + 1, attempts - 1, wait)
                self.clock.sleep(wait)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _once(self, model: str, messages: Messages, purpose: str, json_form: dict[str, object] | None) -> str:
        client = self._get_client()
        params: _Params = {  # response_format as JSON: the library's own classes are dicts too
            "model": model, "temperature": self.cfg.temperature, "top_p": self.cfg.top_p,
            "max_tokens": self.max_tokens, "stop": list(self.cfg.stop) or None,
            "seed": self.cfg.seed if self.cfg.seed >= 0 else None,
            "response_format": cast("ChatCompletionInputGrammarType | None", json_form),
        }
        stream = self.on_text is not None
        started = time.perf_counter()
        usage: object = None
        finish = ""
        try:
            if stream:
                if self._streams:
                    self.on_text("\n")  # type: ignore[misc]  # each answer on its own line
                self._streams += 1
                pieces: list[str] = []
                for chunk in client.chat_completion(messages.as_list(), stream=True, **params):
                    usage = getattr(chunk, "usage", None) or usage
                    choice = chunk.choices[0] if chunk.choices else None
                    finish = (getattr(choice, "finish_reason", None) or finish) if choice else finish
                    delta = choice.delta.content if choice else None
                    if delta:
                        pieces.append(delta)
                        self.on_text(delta)  # type: ignore[misc]
                text = "".join(pieces)
            else:
                out = client.chat_completion(messages.as_list(), stream=False, **params)
                usage = out.usage
                complete = out.choices[0] if out.choices else None
                finish = (getattr(complete, "finish_reason", None) or "") if complete else ""
                text = (complete.message.content or "") if complete else ""
        except Exception as exc:  # every library error becomes one of ours, below
            outcome, error = self._classify(exc, model)
            self._record(model, purpose, outcome, started, None)
            raise error from exc
        self._cut_off = finish == "length"
        self._record(model, purpose, "ok", started, usage)
        return text

    # --- plumbing --------------------------------------------------------------------------------------

    def _get_client(self) -> InferenceClient:
        if self._client is not None:
            return self._client
        download.quiet_hub()  # never a call home to huggingface.co of its own
        from huggingface_hub import InferenceClient

        headers: dict[str, str | None] = {}  # None drops a header the library would add
        if self.cfg.no_cache:
            headers["x-use-cache"] = "0"  # as the tutorial did: ask HF not to serve a cached answer
        if self.cfg.base_url:
            key = self.secrets.get("BOT_LLM_API_KEY")
            # the design notes: with a custom base_url, huggingface_hub sends HF_TOKEN from the environment to that
            # server as a bearer token. Our own authorization header wins over the library's, and a None
            # value makes it drop the header, so the HF token never leaves for a host that is not HF.
            headers["authorization"] = f"Bearer {key}" if key else None
            self._client = InferenceClient(base_url=self.cfg.base_url, token=key or None,
                                           timeout=self.cfg.timeout, headers=headers)  # type: ignore[arg-type]
        else:
            # the design notes: timeout=None means no limit, and there are no built-in retries: both are ours.
            self._client = InferenceClient(provider=self.cfg.provider or None,  # type: ignore[arg-type]  # free text
                                           token=self.secrets.get("HF_TOKEN") or None,
                                           timeout=self.cfg.timeout, headers=headers or None)  # type: ignore[arg-type]
        return self._client

    def _where(self) -> str:
        if not self.cfg.base_url:
            return "Hugging Face"
        p = urlsplit(self.cfg.base_url)  # never the user:password a URL may carry
        return f"the model server {p.scheme}://{p.hostname or ''}{f':{p.port}' if p.port else ''}{p.path}"

    def _classify(self, exc: Exception, model: str) -> tuple[str, BotError]:
        """(outcome for the record, the error to raise) for a library exception."""
        from huggingface_hub.errors import HfHubHTTPError, InferenceTimeoutError, OfflineModeIsEnabled

        where, key = self._where(), ("BOT_LLM_API_KEY" if self.cfg.base_url else "HF_TOKEN")
        name = type(exc).__name__
        if isinstance(exc, InferenceTimeoutError) or "Timeout" in name:
            return "timeout", _Retry(f"no answer within {self.cfg.timeout:g} s", -1)
        if isinstance(exc, OfflineModeIsEnabled):
            return "offline", WriterError(f"HF_HUB_OFFLINE is set, which blocks {where}", "unset HF_HUB_OFFLINE")
        if isinstance(exc, HfHubHTTPError) and exc.response is not None:
            status = exc.response.status_code
            outcome = f"http {status}"
            if status in (401, 403):
                return outcome, AuthError(f"{where} refused the credentials ({status})",
                                          f"check {key}" + ("" if self.cfg.base_url else " (a token with Inference permission)"))
            if status == 402:
                return outcome, CreditsExhausted("the account's credits are spent (402)",
                                                 "add credits" + ("" if self.cfg.fallback_models else " or set writer.fallback_models"))
            if status in (429, 503) or status >= 500:
                wait = _retry_after(exc.response.headers.get("retry-after"))
                return outcome, _Retry(f"busy ({status})", wait)
            if status == 404:
                return outcome, _NextModel(f"{where} does not serve {model} (404)",
                                           "check writer.model" + ("" if self.cfg.base_url else " and writer.provider"))
            said = _said(exc)
            if status == 413 or (status in (400, 422) and _CONTEXT.search(said)):
                return outcome, _TooLong(f"the prompt is too long for the model ({status}): {said}")
            if status in (400, 422):
                return outcome, _Rejected(f"refused the request ({status}): {said}")
            return outcome, _NextModel(f"{where} answered HTTP {status}: {said}")
        if name in ("OverloadedError", "IncompleteGenerationError"):  # TGI, inside a stream: busy, worth a retry
            return "busy", _Retry(f"busy ({name})", -1)
        if name in ("ValidationError", "GenerationError"):
            return "refused", _NextModel(f"{where} refused the request: {clip(self.secrets.redact(str(exc)), 160)}")
        if "Connect" in name or isinstance(exc, ConnectionError):
            return "unreachable", _NextModel(f"cannot reach {where}", "check BOT_LLM_BASE_URL and the network")
        if isinstance(exc, (ValueError, KeyError, TypeError, AttributeError)):  # a body that is not a chat answer
            return "bad answer", _NextModel(f"{where} sent an answer that is not a chat completion ({name})")
        return "error", _NextModel(f"{where} failed: {name}: {clip(self.secrets.redact(str(exc)), 160)}")

    def _record(self, model: str, purpose: str, outcome: str, started: float, usage: object) -> None:
        self.calls.append(ModelCall(self.backend, model, purpose, outcome, round((time.perf_counter() - started) * 1000),
                                    getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None)))

    def _mark_last(self, outcome: str) -> None:
        """The last request answered, but with nothing readable: say so in its record."""
        last = self.calls[-1]
        self.calls[-1] = ModelCall(last.backend, last.model, last.purpose, outcome, last.latency_ms,
                                   last.prompt_tokens, last.completion_tokens)


def _retry_after(value: str | None) -> float:
    """Seconds from a Retry-After header; -1 when absent (the caller backs off on its own)."""
    try:
        return max(0.0, float(value)) if value else -1.0
    except ValueError:  # an HTTP date: rare from model servers; our own backoff is close enough
        return -1.0


def _said(exc: HfHubHTTPError) -> str:
    try:
        text = " ".join(exc.response.text.split())
    except Exception:  # a streamed body that was never read
        return ""
    return clip(text, 120)
