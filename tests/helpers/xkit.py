"""Small builders shared by the publishing tests and the crash test's child: settings, a thread, an image."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.core import settings as config
from bot.core.records import Article, Entry, Image, Thread, Tweet, WriterInfo

TEXTS = (
    "Small newsletters win because readers trust a voice they know. A thread on why, from The Quiet Index.",
    "Big outlets chase reach; small ones keep attention. 40% open rates are normal at 2,000 readers & up.",
    "Read the whole post: https://quietindex.substack.com/p/why-small-newsletters-win",
)


def settings_for(base_url: str, keys: dict[str, str], **options: Any) -> config.Settings:
    """Settings aimed at a local X API; `options` as section__key=value, set as is (even below a minimum)."""
    settings = config.load({**keys, "X_API_BASE_URL": base_url}, dotenv=None)
    values = dict(settings.values)
    for name, value in options.items():
        values[name.replace("__", ".")] = value
    return config.Settings(MappingProxyType(values), settings.sources, settings.secrets)


def png(path: Path) -> Path:
    """A small real PNG at `path`."""
    from PIL import Image as PILImage

    PILImage.new("RGB", (64, 36), (40, 90, 160)).save(path)
    return path


def make_thread(texts: tuple[str, ...] = TEXTS, image: Path | None = None, alt: str = "A blue title card") -> Thread:
    """A checked thread of `texts`, with `image` (PNG) on the first post when given."""
    entry = Entry(feed="https://quietindex.substack.com/feed", key="/p/why-small-newsletters-win",
                  guid="https://quietindex.substack.com/p/why-small-newsletters-win",
                  link="https://quietindex.substack.com/p/why-small-newsletters-win", title="Why small newsletters win")
    img = Image(image, alt, "a blue card", "card", "image/png") if image else Image(None)
    return Thread(Article(entry), tuple(Tweet(t, len(t)) for t in texts), img, WriterInfo("extractive"))
