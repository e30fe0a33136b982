"""The image sources the chain tries: a model on Hugging Face (or a self-hosted server), a Gradio app, the
post's cover image, and the offline title card. Each is an `ImageMaker`; library errors become one ImageError line.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar
from urllib.parse import urlsplit

from bot import __version__
from bot.core import download
from bot.core.clock import Clock
from bot.core.errors import AuthError, BotError, ImageError, clip
from bot.core.options import FeedSettings, ImageSettings
from bot.core.records import Article, ModelCall
from bot.core.settings import Secrets
from bot.images.card import title_card_image

if TYPE_CHECKING:  # the libraries are imported by the source that uses them, not with this module
    from gradio_client import Client
    from huggingface_hub import InferenceClient
    from PIL.Image import Image as PILImage

MAX_COVER_BYTES = 15_000_000
RETRIES = 1  # one more request after a 429 or 503: image models are slow, and the card is a fine fallback
MAX_RETRY_WAIT = 30.0


class ImageSkipped(ImageError):
    """A source that does not apply here (no token, no cover URL): not a failure, just not this one."""


class ImageMaker(Protocol):
    """One image source: image bytes in any format (or a Pillow image), None for nothing to offer, or a BotError."""

    source: str

    def make(self, article: Article, prompt: str) -> bytes | PILImage | None: ...


Record = Callable[[ModelCall], None]


def _host(url: str) -> str:
    """scheme://host[:port]/path without any user:password."""
    p = urlsplit(url)
    return f"{p.scheme}://{p.hostname or ''}{f':{p.port}' if p.port else ''}{p.path}"


T = TypeVar("T")


def _within(seconds: float, call: Callable[[], T]) -> T:
    """`call()`, or TimeoutError once `seconds` have passed in all.

    huggingface_hub's timeout bounds each read, so a server trickling a byte at a time never trips it; the call
    runs in a worker thread that is left to end on its own (its per-read timeout still bounds it)."""
    from concurrent.futures import ThreadPoolExecutor  # only a model-made image needs a worker thread
    from concurrent.futures import TimeoutError as FutureTimeout

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hf-image")
    future = pool.submit(call)
    try:
        return future.result(timeout=seconds)
    except FutureTimeout:
        raise TimeoutError(f"no image within {seconds:g} s") from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _short(exc: BaseException | str, secrets: Secrets | None = None, limit: int = 160) -> str:
    text = " ".join(str(exc).split()) or ("" if isinstance(exc, str) else type(exc).__name__)
    text = secrets.redact(text) if secrets is not None else text
    return clip(text, limit - 1) + "…" if len(text) > limit else clip(text, limit)


class HFImageMaker:
    """Hugging Face text_to_image, or a self-hosted server speaking HF's task API (image.base_url)."""

    source = "hf"

    def __init__(self, image: ImageSettings, secrets: Secrets, clock: Clock, record: Record,
                 say: Callable[[str], None]) -> None:
        self.image, self.secrets, self.clock, self.record, self.say = image, secrets, clock, record, say

    def make(self, article: Article, prompt: str) -> bytes | None:
        """PNG (or whatever the server sent) bytes for the prompt."""
        cfg = self.image
        if not cfg.base_url and not self.secrets.get("HF_TOKEN"):
            raise ImageSkipped("no HF_TOKEN and no BOT_IMAGE_BASE_URL", "set one of them to make images with a model")
        client, backend, model = self._client()
        for attempt in range(RETRIES + 1):
            started = time.perf_counter()
            try:
                picture = _within(cfg.timeout, lambda: client.text_to_image(
                    prompt, negative_prompt=cfg.negative_prompt or None, guidance_scale=cfg.guidance_scale,
                    width=cfg.width, height=cfg.height, num_inference_steps=cfg.steps,
                    seed=None if cfg.seed < 0 else cfg.seed, model=None if cfg.base_url else cfg.model))
            except Exception as exc:  # converted below: every library error becomes one line
                outcome, error, wait = self._classify(exc)
                self.record(ModelCall(backend, model, "image", outcome, _ms(started)))
                if wait is not None and attempt < RETRIES:
                    self.say(f"image: hf {outcome}, retrying in {wait:g} s")
                    self.clock.sleep(wait)
                    continue
                raise error from exc
            self.record(ModelCall(backend, model, "image", "ok", _ms(started)))
            return _picture_bytes(picture)
        return None  # not reached: the loop returns or raises

    def _client(self) -> tuple[InferenceClient, str, str]:
        download.quiet_hub()  # never a call home to huggingface.co of its own
        from huggingface_hub import InferenceClient

        cfg = self.image
        if cfg.base_url:
            key = self.secrets.get("BOT_IMAGE_API_KEY")
            # the design notes: with a custom base_url, huggingface_hub sends HF_TOKEN from the environment to that
            # server as a bearer token. Our own authorization header wins over the library's, and a None
            # value makes it drop the header, so the HF token never leaves for a host that is not HF.
            drop_hf_token = {"authorization": f"Bearer {key}" if key else None}  # None drops the header
            client = InferenceClient(base_url=cfg.base_url, token=key or None, timeout=cfg.timeout,
                                     headers=drop_hf_token)  # type: ignore[arg-type]  # the stubs admit no None
            return client, "image-server", _host(cfg.base_url)
        # the design notes: timeout=None means no limit, so the timeout is always explicit.
        client = InferenceClient(provider=cfg.provider or None,  # type: ignore[arg-type]  # the library checks the name
                                 token=self.secrets.get("HF_TOKEN"), timeout=cfg.timeout)
        return client, "hf", cfg.model

    def _classify(self, exc: Exception) -> tuple[str, BotError, float | None]:
        """(outcome for the record, the error to raise, seconds to wait before a retry or None)."""
        from huggingface_hub.errors import HfHubHTTPError, InferenceTimeoutError, OfflineModeIsEnabled

        cfg = self.image
        where = f"the image server {_host(cfg.base_url)}" if cfg.base_url else f"Hugging Face ({cfg.model})"
        key = "BOT_IMAGE_API_KEY" if cfg.base_url else "HF_TOKEN"
        if isinstance(exc, (InferenceTimeoutError, TimeoutError)):
            return "timeout", ImageError(f"{where} gave no image within {cfg.timeout:g} s", "raise image.timeout or try later"), None
        if isinstance(exc, OfflineModeIsEnabled):
            return "offline", ImageError(f"HF_HUB_OFFLINE is set, which blocks {where}", "unset HF_HUB_OFFLINE"), None
        if isinstance(exc, HfHubHTTPError) and exc.response is not None:
            status = exc.response.status_code
            outcome = f"http {status}"
            if status in (401, 403):
                return outcome, AuthError(f"{where} refused the credentials ({status})", f"check {key}"), None
            if status == 402:
                return outcome, ImageError(f"{where}: the account's credits are spent (402)", "add credits, or let the chain use another source"), None
            if status in (429, 503):
                wait = _retry_after(exc.response.headers.get("retry-after"), 10.0 if status == 429 else 5.0)
                return outcome, ImageError(f"{where} is busy ({status})", "try again later"), wait
            if status == 404:
                return outcome, ImageError(f"{where} does not serve this model (404)", "check image.model and image.provider"), None
            try:
                said = _short(exc.response.text, self.secrets, 120)
            except Exception:  # a streamed body that was never read
                said = ""
            return outcome, ImageError(f"{where} answered HTTP {status}" + (f": {said}" if said else ""), "check the image settings"), None
        name = type(exc).__name__
        if name == "UnidentifiedImageError":
            return "not an image", ImageError(f"{where} answered something that is not an image", "check image.base_url"), None
        if "Connect" in name or isinstance(exc, ConnectionError):
            return "unreachable", ImageError(f"cannot reach {where}", "check the URL and the network"), None
        return "error", ImageError(f"{where} failed: {name}: {_short(exc, self.secrets)}", "check the image settings"), None


class GradioImageMaker:
    """A Gradio app (a Space id or any URL) with an SD-3.5-like endpoint, through gradio_client."""

    source = "gradio"

    def __init__(self, image: ImageSettings, secrets: Secrets, record: Record) -> None:
        self.image, self.secrets, self.record = image, secrets, record

    def make(self, article: Article, prompt: str) -> bytes | None:
        """The image file the app returns (WEBP by default), as bytes."""
        cfg = self.image
        src = cfg.gradio_space.strip()
        if not src:
            raise ImageSkipped("no Gradio Space or URL set", "set BOT_GRADIO_SPACE")
        os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # read when gradio_client is imported
        download.quiet_hub()  # gradio_client builds its headers with huggingface_hub
        from gradio_client import Client

        is_url = src.startswith(("http://", "https://"))
        # The HF token goes only to a Space named by its id (served by HF); never to an arbitrary URL.
        # False, not None: None makes huggingface_hub send the machine's saved token anyway.
        token: str | bool = False if is_url else (self.secrets.get("HF_TOKEN") or False)
        where = f"the Gradio app {_host(src) if is_url else src}"
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="bot-gradio-") as folder:
            try:
                # analytics_enabled must be passed: its default True wins over the environment variable.
                client = Client(src, token=token, httpx_kwargs={"timeout": cfg.timeout}, download_files=folder,
                                verbose=False, analytics_enabled=False)
            except Exception as exc:
                self.record(ModelCall("gradio", src, "image", "unreachable", _ms(started)))
                raise ImageError(f"cannot open {where}: {_short(exc, self.secrets)}", "check BOT_GRADIO_SPACE") from exc
            try:
                result = self._predict(client, prompt, where, started)
                file = result[0] if isinstance(result, (tuple, list)) else result
                if not isinstance(file, (str, os.PathLike)):
                    raise TypeError(f"not a file path: {type(file).__name__}")
                path = Path(file)
                return path.read_bytes()
            except (OSError, TypeError, KeyError, IndexError) as exc:
                raise ImageError(f"{where} returned no image file", f"check that {cfg.gradio_api_name} returns (image, seed)") from exc
            finally:
                client.close()

    def _predict(self, client: Client, prompt: str, where: str, started: float) -> object:
        from gradio_client.exceptions import AppError
        from gradio_client.utils import QueueError

        cfg = self.image
        src = cfg.gradio_space.strip()
        ours = {"prompt": prompt, "negative_prompt": cfg.negative_prompt, "seed": max(0, cfg.seed),
                "randomize_seed": cfg.seed < 0, "width": cfg.width, "height": cfg.height,
                "guidance_scale": cfg.guidance_scale, "num_inference_steps": cfg.steps}
        try:
            job = client.submit(**space_inputs(client, cfg.gradio_api_name, ours, cfg.gradio_inputs),
                                api_name=cfg.gradio_api_name)
        except (ValueError, TypeError) as exc:  # unknown api_name, or parameters the endpoint does not take
            self.record(ModelCall("gradio", src, "image", "bad endpoint", _ms(started)))
            raise ImageError(f"{where} cannot run {cfg.gradio_api_name}: {_short(exc)}",
                             "check image.gradio_api_name and that the endpoint takes SD-3.5's /infer inputs") from exc
        outcome = "ok"
        try:
            result = job.result(timeout=cfg.timeout)
        except AppError as exc:
            outcome = "app error"
            raise ImageError(f"{where} raised an error: {_short(exc, self.secrets)}", "try later, or use another image source") from exc
        except QueueError as exc:
            outcome = "queue full"
            raise ImageError(f"{where} has a full queue", "try later") from exc
        except TimeoutError as exc:
            outcome = "timeout"
            job.cancel()
            raise ImageError(f"{where} gave no image within {cfg.timeout:g} s", "raise image.timeout or try later") from exc
        except Exception as exc:
            outcome = "error"
            raise ImageError(f"{where} failed: {type(exc).__name__}: {_short(exc, self.secrets)}", "try later") from exc
        finally:
            self.record(ModelCall("gradio", src, "image", outcome, _ms(started)))
        return result


def space_inputs(client: Client, api_name: str, ours: dict[str, object], renames: list[str]) -> dict[str, object]:
    """Our parameters under the names the endpoint takes (image.gradio_inputs renames), without those it lacks.

    Spaces differ: SD 3.5's /infer takes all eight, FLUX Spaces have no negative prompt or guidance and call the
    steps num_steps. The endpoint's own parameter list (client.view_api) decides what is sent.
    """
    mapping = {}
    for pair in renames:
        theirs, _, our = pair.partition("=")
        if not theirs.strip() or our.strip() not in ours:
            raise ImageError(f"image.gradio_inputs has {pair!r}", f"write space_name=our_name; our names: {', '.join(ours)}")
        mapping[our.strip()] = theirs.strip()
    named = {mapping.get(name, name): value for name, value in ours.items()}
    try:
        info = client.view_api(print_info=False, return_format="dict") or {}
        params = info.get("named_endpoints", {}).get(api_name, {}).get("parameters", [])
        accepted = {p.get("parameter_name") for p in params if isinstance(p, dict)}
    except Exception:  # an app that does not describe its API: send everything and let it say what it refuses
        accepted = set()
    if not accepted:
        return named
    if mapping.get("prompt", "prompt") not in accepted:
        raise ImageError(f"the endpoint {api_name} has no input named {mapping.get('prompt', 'prompt')!r} "
                         f"(it takes {', '.join(sorted(a for a in accepted if a))})",
                         "map it with image.gradio_inputs, e.g. text=prompt")
    return {name: value for name, value in named.items() if name in accepted}


class CoverImageMaker:
    """The article's cover image from the feed (declared image/jpeg, whatever it is: the bytes decide)."""

    source = "cover"

    def __init__(self, image: ImageSettings, feed: FeedSettings) -> None:
        self.image, self.feed = image, feed

    def make(self, article: Article, prompt: str) -> bytes | None:
        """The cover's bytes, at most 15 MB, fetched only from a public address (or a host in image.allow_hosts)."""
        url = article.entry.cover_url.strip()
        if not url:
            raise ImageSkipped("the article has no cover image")
        if not url.startswith(("http://", "https://")):
            raise ImageSkipped(f"the cover {clip(url, 80)!r} is not a web address")
        host = (urlsplit(url).hostname or "").rstrip(".")
        if host.endswith((".invalid", ".example")) or host in ("invalid", "example"):
            # RFC 2606 reserves these names: they never resolve, so asking DNS is only a wait (the sample feed uses them).
            raise ImageSkipped(f"the cover's host {host} is a reserved name that never resolves")
        feed, nxt = self.feed, "the next source will be tried"
        agent = feed.user_agent or f"substack-thread-bot/{__version__}"
        try:
            got = download.get(url, timeout=feed.timeout, max_bytes=MAX_COVER_BYTES,
                               guard=download.guard_for(self.image.allow_hosts),
                          headers={"User-Agent": agent, "Accept": "image/*"})
        except download.WebError as exc:
            if exc.kind == "too_big":
                raise ImageError(f"the cover image is over {MAX_COVER_BYTES:,} bytes", nxt) from exc
            if exc.kind == "blocked":
                raise ImageError(f"the cover image was not fetched: {exc.message}", exc.hint) from exc
            raise ImageError(f"the cover image: {exc.message}", nxt) from exc
        if got.status != 200:
            raise ImageError(f"the cover image answered HTTP {got.status}", nxt)
        return got.body


class CardImageMaker:
    """The offline title card (bot.images.card)."""

    source = "card"

    def make(self, article: Article, prompt: str) -> PILImage:
        """A 1600x900 image with the publication, title, subtitle and author (a Pillow image: encoded once, later)."""
        entry = article.entry
        return title_card_image(entry.publication, entry.title, entry.subtitle, entry.author)


def _retry_after(value: str | None, default: float) -> float:
    # Retry-After may also be an HTTP date: rare from these servers, and the default is close enough then.
    seconds = float(value) if value and value.strip().replace(".", "", 1).isdigit() else default
    return max(0.0, min(MAX_RETRY_WAIT, seconds))


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _picture_bytes(picture: PILImage) -> bytes:
    """The bytes the server sent (huggingface_hub opens them lazily from a BytesIO), else a PNG of the image."""
    import io

    source = getattr(picture, "fp", None)
    if isinstance(source, io.BytesIO):
        return source.getvalue()
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()
