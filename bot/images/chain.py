"""The image stage: sources tried in the order `image.chain` gives (hf, gradio, cover, card, none).

Each source is an `ImageMaker` (bot.images.sources); the chain logs one line per source that is skipped or
fails, keeps the first image that normalises (bot.images.normalise), writes it into the output folder and says
where it came from. Model requests are recorded as ModelCall entries for `bot history` and the benchmark.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

from bot.core.clock import Clock
from bot.core.errors import BotError, ImageError, OutputError
from bot.core.files import write_atomic
from bot.core.records import Article, Gated, Image, ImageSource, ModelCall
from bot.core.settings import Secrets, Settings
from bot.images.normalise import normalise
from bot.images.sources import CardImageMaker, CoverImageMaker, GradioImageMaker, HFImageMaker, ImageMaker, ImageSkipped

log = logging.getLogger(__name__)

MAX_ALT_TEXT = 1000  # X: alt text through POST /2/media/metadata is at most 1000 characters (the design notes)
SOURCES: tuple[ImageSource, ...] = ("hf", "gradio", "cover", "card", "none")  # what image.chain may name
_FORBIDDEN = {"\ufffe", "\ufeff", "\uffff"}  # X refuses text containing these (the design notes, tweet length)


class Illustrator(Protocol):
    """The image stage as the pipeline sees it: one image (or none) for an article, and the model calls it made."""

    calls: list[ModelCall]  # model requests of the last make()

    def make(self, article: Article, prompt: Gated, alt_text: str, out_dir: Path) -> Image:
        """The thread's image, written into out_dir (or an Image with no path, source "none"). The prompt is
        `Gated`: it passed bot.tweets.grounding.gate, so nothing reaches the image model that skipped it."""
        ...


class ImageChain:
    """Tries each source of `settings.image.chain` in order and keeps the first image that works."""

    def __init__(self, settings: Settings, secrets: Secrets, clock: Clock,
                 on_status: Callable[[str], None] | None = None,
                 makers: Mapping[str, ImageMaker] | None = None) -> None:
        self.image = settings.image
        self.on_status = on_status or (lambda line: None)
        self.calls: list[ModelCall] = []  # model requests of the last make()
        self.notes: list[str] = []  # one line per source skipped or failed in the last make()
        self.makers: dict[str, ImageMaker] = {
            "hf": HFImageMaker(settings.image, secrets, clock, self.calls.append, self._say),
            "gradio": GradioImageMaker(settings.image, secrets, self.calls.append),
            "cover": CoverImageMaker(settings.image, settings.feed),
            "card": CardImageMaker(),
            **(makers or {}),
        }

    def make(self, article: Article, prompt: Gated, alt_text: str, out_dir: Path) -> Image:
        """The first image the chain's sources give, normalised and written to out_dir as image.jpg or image.png."""
        self.calls.clear()
        self.notes.clear()
        for name in self.image.chain:
            source = next((s for s in SOURCES if s == name), None)  # the loader allowed only these
            if source == "none":
                self._say("image: none, as image.chain says")
                return Image(None, clean_alt_text(alt_text), prompt, "none")
            maker = self.makers.get(name)
            if maker is None or source is None:
                raise ImageError(f"image.chain names {name!r}", "allowed: hf, gradio, cover, card, none")
            self._say(f"image: trying {name}")
            try:
                data = maker.make(article, prompt)
                if data is None:
                    raise ImageSkipped("nothing to offer")
                encoded, mime, width, height = normalise(data, fmt=self.image.format)
            except ImageSkipped as exc:  # expected (no token, no cover): said, but not as a warning
                self.notes.append(f"image: {name} skipped: {exc}")
                self._say(f"image: {name} skipped: {exc}")
                continue
            except BotError as exc:
                self._note(f"image: {name} failed: {exc}")
                continue
            path = write_image(out_dir, encoded, mime)
            self._say(f"image: {name} ({width}x{height}, {len(encoded) // 1024} KB) → {path.name}")
            return Image(path, alt_for(name, article, alt_text), prompt if name in ("hf", "gradio") else "",
                         source, mime, width, height, len(encoded))
        hint = ("the thread can go out without an image; fix a source named above" if "card" in self.image.chain
                else "the thread can go out without an image; fix a source or add card to image.chain")
        raise ImageError("no image source worked (" + "; ".join(self.notes) + ")", hint)

    def _say(self, line: str) -> None:
        log.info(line)
        self.on_status(line)

    def _note(self, line: str) -> None:
        log.warning(line)
        self.notes.append(line)
        self.on_status(line)



def default_prompt(article: Article) -> str:
    """An image prompt from the article alone, for writers that gave none."""
    about = article.title + (f": {article.entry.subtitle}" if article.entry.subtitle else "")
    return f"An editorial illustration for an article titled {about}. Calm colours, no text."


def clean_alt_text(text: str) -> str:
    """Alt text X accepts: no control characters, whitespace collapsed, at most 1000 characters."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(" " if unicodedata.category(c) == "Cc" or c in _FORBIDDEN else c for c in text)
    text = " ".join(text.split())
    if len(text) <= MAX_ALT_TEXT:
        return text
    cut = text[: MAX_ALT_TEXT - 1]
    if " " in cut[-80:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-") + "…"


def alt_for(source: str, article: Article, given: str) -> str:
    """Alt text that describes the image actually posted (the writer's describes the model's picture)."""
    entry = article.entry
    about = entry.title + (f": {entry.subtitle}" if entry.subtitle else "")
    if source in ("hf", "gradio"):
        return clean_alt_text(given or f"Illustration for the article {about}")
    if source == "cover":
        return clean_alt_text(f"Cover image of the article {about}")
    parts = (f"Title card: {entry.title}", entry.subtitle, f"By {entry.author}" if entry.author else "", entry.publication)
    return clean_alt_text(". ".join(p.strip().rstrip(".") for p in parts if p) + ".")


def write_image(out_dir: Path, data: bytes, mime: str) -> Path:
    """Write image.jpg or image.png atomically and remove the other, stale one."""
    name, stale = ("image.png", "image.jpg") if mime == "image/png" else ("image.jpg", "image.png")
    path = out_dir / name
    write_atomic(path, data)
    try:
        (out_dir / stale).unlink(missing_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot remove {out_dir / stale}: {exc.strerror or exc}", "check the output folder's permissions") from None
    return path
