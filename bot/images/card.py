"""The offline image: a title card drawn with Pillow, 16:9 and readable on a phone.

X crops a single image's preview to 16:9, and a phone shows it about 500 px wide, so the title is
drawn as large as fits (at most five lines) and every piece of text stays inside the safe margins.
The background colour comes from a hash of the publication's name: the same publication always
gets the same colour, and the same input always gives the same bytes on the same installation.

Fonts: a font file passed in, else the first system font that covers the text (DejaVu, Noto,
Liberation, ...), else Pillow's built-in scalable font (Aileron, Latin only). Limitation: Chinese,
Japanese and Korean need a CJK font on the machine (e.g. Debian's fonts-noto-cjk) or a font file
passed in; without one their characters are drawn as empty boxes. Arabic and Hebrew are shaped and
set right-to-left when Pillow has libraqm (the PyPI wheels do) and a font with those glyphs (DejaVu).
"""

from __future__ import annotations

import colorsys
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bot.core.errors import ImageError

if TYPE_CHECKING:  # Pillow is imported when a card is drawn, not with this module
    from PIL.Image import Image as PILImage
    from PIL.ImageFont import FreeTypeFont, ImageFont

Role = Literal["publication", "title", "subtitle", "author"]

MAX_TITLE_LINES = 5
_MARGIN_X = 0.07  # of the width: X's rounded corners and the phone's edges eat the outer pixels
_MARGIN_Y = 0.085
_TITLE_MAX, _TITLE_MIN = 0.135, 0.058  # title size range, as a share of the height
_INK = (250, 250, 247)

# Bold face first, then regular; the first pair whose bold face covers the text best wins.
_SYSTEM_FONTS: tuple[tuple[str, str], ...] = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    ("/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf", "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    ("/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf", "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf", "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
    ("/System/Library/Fonts/Supplemental/Arial Bold.ttf", "/System/Library/Fonts/Supplemental/Arial.ttf"),
    ("/System/Library/Fonts/Hiragino Sans GB.ttc", "/System/Library/Fonts/Hiragino Sans GB.ttc"),
    ("C:/Windows/Fonts/arialbd.ttf", "C:/Windows/Fonts/arial.ttf"),
    ("C:/Windows/Fonts/msyhbd.ttc", "C:/Windows/Fonts/msyh.ttc"),
)
_BUILTIN = ""  # stands for Pillow's own font in the font pairs
_TOKENS = re.compile(r"\s+|[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]|[^\s\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]+")


@dataclass(frozen=True, slots=True)
class CardText:
    """One line of text on the card and the box its ink occupies, in pixels (x0, y0, x1, y1)."""

    role: Role
    text: str
    size: int
    x: int
    y: int
    box: tuple[int, int, int, int]
    font: str  # font file, or "" for Pillow's built-in
    fill: tuple[int, int, int]
    stroke: int = 0


@dataclass(frozen=True, slots=True)
class CardLayout:
    """Everything needed to draw a card: size, colours, and each line of text in place."""

    width: int
    height: int
    background: tuple[int, int, int]
    background_end: tuple[int, int, int]
    accent: tuple[int, int, int]
    lines: tuple[CardText, ...]
    accent_bar: tuple[int, int, int, int]


def title_card(publication: str, title: str, subtitle: str = "", author: str = "",
               width: int = 1600, height: int = 900, *, font_path: str | Path | None = None) -> bytes:
    """A PNG title card: the publication, a large wrapped title, the subtitle and the author."""
    import io

    buffer = io.BytesIO()
    title_card_image(publication, title, subtitle, author, width, height, font_path=font_path).save(buffer, "PNG")
    return buffer.getvalue()


def title_card_image(publication: str, title: str, subtitle: str = "", author: str = "",
                     width: int = 1600, height: int = 900, *, font_path: str | Path | None = None) -> PILImage:
    """The title card as a Pillow image (the image stage encodes it once, as it posts it)."""
    from PIL import ImageDraw

    layout = layout_card(publication, title, subtitle, author, width, height, font_path=font_path)
    image = _gradient(layout)
    draw = ImageDraw.Draw(image)
    draw.rectangle(layout.accent_bar, fill=layout.accent)
    for line in layout.lines:
        draw.text((line.x, line.y), line.text, font=_font(line.font, line.size), fill=line.fill, anchor="la",
                  stroke_width=line.stroke, stroke_fill=line.fill)
    _font.cache_clear()  # the faces (~2 MB) are not held while the card is encoded; the next card loads them again
    return image


def layout_card(publication: str, title: str, subtitle: str = "", author: str = "",
                width: int = 1600, height: int = 900, *, font_path: str | Path | None = None) -> CardLayout:
    """Where every line of the card goes: the title shrunk until it fits in at most five lines."""
    publication, title, subtitle, author = (_clean(t) for t in (publication, title, subtitle, author))
    title = title or publication or "New post"
    bold, regular = _pick_fonts(title, " ".join((publication, subtitle, author)), font_path)
    drawable_title = _drawable(title, bold)
    if drawable_title is None:
        raise ImageError("no font on this machine draws the title's script, and a card of empty boxes helps no one",
                         "install a font that covers it (e.g. Debian's fonts-noto-cjk for Chinese, Japanese, Korean)")
    title = drawable_title
    # Smaller texts that the font cannot draw are left out rather than shown as boxes.
    publication, subtitle, author = (_drawable(t, regular) or "" for t in (publication, subtitle, author))
    background, background_end, accent, soft = palette(publication or title)
    left, right = round(width * _MARGIN_X), width - round(width * _MARGIN_X)
    top, bottom = round(height * _MARGIN_Y), height - round(height * _MARGIN_Y)
    text_width = right - left
    lines: list[CardText] = []

    head_size = max(14, round(height * 0.046))
    if publication:
        lines += _block("publication", [_ellipsize(publication.upper(), regular, head_size, text_width)],
                        regular, head_size, left, right, top, 1.0, accent)
    bar_y = top + round(head_size * 1.45)
    bar_w, bar_h = round(width * 0.06), max(3, round(height * 0.008))
    bar_x = right - bar_w if _rtl(publication or title) else left
    bar = (bar_x, bar_y, bar_x + bar_w, bar_y + bar_h)

    foot_size = max(12, round(height * 0.04))
    foot_y = bottom - foot_size
    if author:
        # At the end of the line: X draws its ALT badge over the image's bottom-left corner.
        lines += _block("author", [_ellipsize(f"by {author}", regular, foot_size, text_width)],
                        regular, foot_size, left, right, foot_y, 1.0, soft, end=True)

    area_top = bar[3] + round(height * 0.06)
    area_bottom = (foot_y if author else bottom) - round(height * 0.05)
    title_size, title_lines = _fit_title(title, bold, text_width, area_bottom - area_top, height)
    # Pillow's built-in font and most CJK fonts have a single weight: a thin stroke stands in for bold.
    stroke = max(1, round(title_size / 36)) if bold == regular else 0
    title_height = _block_height(len(title_lines), title_size, 1.12)

    sub_size = max(12, round(min(height * 0.046, max(height * 0.034, title_size * 0.5))))
    sub_lines = _wrap(subtitle, regular, sub_size, text_width, 2) if subtitle else []
    gap = round(max(title_size * 0.45, sub_size * 0.8))
    sub_height = _block_height(len(sub_lines), sub_size, 1.25) + gap if sub_lines else 0
    if title_height + sub_height > area_bottom - area_top:
        sub_lines, sub_height = [], 0
    y = area_top + (area_bottom - area_top - title_height - sub_height) // 3  # a little above centre
    lines += _block("title", title_lines, bold, title_size, left, right, y, 1.12, _INK, stroke)
    if sub_lines:
        lines += _block("subtitle", sub_lines, regular, sub_size, left, right, y + title_height + gap, 1.25, soft)
    return CardLayout(width, height, background, background_end, accent, tuple(lines), bar)


def palette(name: str) -> tuple[tuple[int, int, int], ...]:
    """Background, gradient end, accent and soft text colours from a name; white on it has contrast >= 10:1 (WCAG AAA is 7)."""
    digest = hashlib.sha256(name.strip().lower().encode("utf-8")).digest()
    hue = int.from_bytes(digest[:2], "big") / 65536
    saturation = 0.35 + digest[2] / 255 * 0.25
    lightness = 0.24
    while _contrast(_hls(hue, lightness, saturation), _INK) < 10 and lightness > 0.05:
        lightness -= 0.01
    background = _hls(hue, lightness, saturation)
    end = _hls((hue + 0.06) % 1, max(0.04, lightness - 0.06), saturation)
    accent = _lift(hue, 0.70, min(1.0, saturation + 0.3), background, 5.0)
    soft = _lift(hue, 0.84, 0.25, background, 7.5)
    return background, end, accent, soft


def _lift(hue: float, lightness: float, saturation: float, against: tuple[int, int, int],
          ratio: float) -> tuple[int, int, int]:
    """The colour, lightened until its contrast with `against` reaches the ratio."""
    while _contrast(_hls(hue, lightness, saturation), against) < ratio and lightness < 0.97:
        lightness += 0.01
    return _hls(hue, lightness, saturation)


def _hls(hue: float, lightness: float, saturation: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hls_to_rgb(hue, lightness, saturation)
    return round(r * 255), round(g * 255), round(b * 255)


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG contrast ratio between two colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _clean(text: str) -> str:
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text or "")
    return " ".join(unicodedata.normalize("NFC", text).split())


def _fit_title(title: str, font: str, width: int, room: int, card_height: int) -> tuple[int, list[str]]:
    """The largest size at which the title wraps into at most five lines that fit the room."""
    largest = max(12, min(round(card_height * _TITLE_MAX), room))
    smallest = max(12, round(card_height * _TITLE_MIN))
    lines: list[str] = []
    for size in range(largest, smallest - 1, -2):
        lines = _wrap(title, font, size, width, None)
        if len(lines) <= MAX_TITLE_LINES and _block_height(len(lines), size, 1.12) <= room:
            return size, lines
    # Still too long at the smallest readable size: keep five lines and end the last with an ellipsis.
    for size in range(smallest, 11, -2):
        lines = _wrap(title, font, size, width, MAX_TITLE_LINES)
        if _block_height(len(lines), size, 1.12) <= room:
            return size, lines
    return 12, _wrap(title, font, 12, width, MAX_TITLE_LINES)


def _block_height(count: int, size: int, leading: float) -> int:
    return round(size * leading * (count - 1) + size * 1.2) if count else 0


def _block(role: Role, texts: list[str], font: str, size: int, left: int, right: int, y: int,
           leading: float, fill: tuple[int, int, int], stroke: int = 0, end: bool = False) -> list[CardText]:
    """Lines placed top-down from y; right-aligned when the text reads right to left (left-aligned, with `end`)."""
    placed = []
    face = _font(font, size)
    for i, text in enumerate(texts):
        top = y + round(i * size * leading)
        x0, y0, x1, y1 = (round(v) for v in face.getbbox(text, anchor="la", stroke_width=stroke))  # ints already
        x = right - x1 if _rtl(text) != end else left
        placed.append(CardText(role, text, size, x, top, (x + x0, top + y0, x + x1, top + y1), font, fill, stroke))
    return placed


def _rtl(text: str) -> bool:
    """True when the first strongly directional character reads right to left (Arabic, Hebrew)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def _wrap(text: str, font: str, size: int, width: int, max_lines: int | None) -> list[str]:
    """Greedy wrap by rendered width, breaking between words, or between CJK characters.

    Hand-written because textwrap counts characters, not pixels, and never breaks CJK text.
    """
    face = _font(font, size)
    def fits(s: str) -> bool:
        return bool(face.getlength(s) <= width)

    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(text):
        if token.isspace():
            line += " " if line else ""
            continue
        if fits(line + token):
            line += token
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = ""
        while not fits(token):  # a word wider than the card: split it by characters
            cut = max(1, next((i for i in range(len(token), 0, -1) if fits(token[:i])), 1))
            lines.append(token[:cut])
            token = token[cut:]
        line = token
    if line.strip():
        lines.append(line.rstrip())
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _ellipsize(lines[-1] + "…", font, size, width, force=True)
    return lines


def _ellipsize(text: str, font: str, size: int, width: int, force: bool = False) -> str:
    face = _font(font, size)
    if face.getlength(text) <= width and not (force and not text.endswith("…")):
        return text
    body = text.rstrip("…")
    while body and face.getlength(body.rstrip() + "…") > width:
        body = body[:-1]
    return body.rstrip() + "…"


def _pick_fonts(title: str, rest: str, font_path: str | Path | None) -> tuple[str, str]:
    """(bold, regular) font files that draw the text best; "" means Pillow's built-in font."""
    if font_path:
        path = str(font_path)
        _font(path, 24)  # fail now, with the font's name, rather than halfway through drawing
        return path, path
    pairs = [(b, r) for b, r in _SYSTEM_FONTS if Path(b).is_file() and Path(r).is_file()]
    pairs.append((_BUILTIN, _BUILTIN))

    def lacks(pair: tuple[str, str]) -> tuple[int, int]:
        return len(_missing(pair[0], _sample(title))), len(_missing(pair[1], _sample(rest)))

    if lacks(pairs[0]) == (0, 0):  # min() keeps the first of equals: no other font is loaded to lose to it
        return pairs[0]
    return min(pairs, key=lacks)


def _sample(text: str) -> str:
    return "".join(sorted({c for c in text if not c.isspace()}))


def _drawable(text: str, font: str) -> str | None:
    """The text without symbols the font lacks (emoji, say), or None when it lacks letters or digits."""
    missing = _missing(font, _sample(text))
    if any(unicodedata.category(c)[0] in "LN" for c in missing):
        return None
    return " ".join("".join(c for c in text if c not in missing).split())


@lru_cache(maxsize=256)
def _missing(font: str, sample: str) -> frozenset[str]:
    """The characters of the sample that the font draws as its 'missing glyph' box."""
    face = _font(font, 24)
    notdef = _mask(face, "\U0010fffd")
    return frozenset(c for c in sample if _mask(face, c) == notdef)


def _mask(face: FreeTypeFont | ImageFont, char: str) -> bytes:
    mask = face.getmask(char)
    return bytes(repr(mask.size), "ascii") + bytes(mask)


@lru_cache(maxsize=256)
def _font(path: str, size: int) -> FreeTypeFont | ImageFont:
    from PIL import ImageFont

    if path == _BUILTIN:
        return ImageFont.load_default(size=size)
    try:
        return ImageFont.truetype(path, size)
    except OSError as exc:
        raise ImageError(f"cannot load the font {path}", "give a TrueType or OpenType font file") from exc


def _gradient(layout: CardLayout) -> PILImage:
    """A diagonal two-colour gradient: flat colour looks like an error page at thumbnail size."""
    from PIL import Image, ImageChops

    w, h = layout.width, layout.height
    # Made at a tenth of the size and scaled up: a linear ramp loses nothing, and it costs a tenth as much.
    sw, sh = max(2, w // 10), max(2, h // 10)
    across = Image.linear_gradient("L").rotate(90).resize((sw, sh), Image.Resampling.BILINEAR)
    down = Image.linear_gradient("L").resize((sw, sh), Image.Resampling.BILINEAR)
    ramp = ImageChops.add(across, down, scale=2.0)  # 0 at the top left, 255 at the bottom right
    small = Image.composite(Image.new("RGB", (sw, sh), layout.background_end), Image.new("RGB", (sw, sh), layout.background), ramp)
    return small.resize((w, h), Image.Resampling.BILINEAR)
