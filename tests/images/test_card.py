"""The offline title card: 16:9, deterministic, every line inside the card, readable colours."""

from __future__ import annotations

import io
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import bot.images.card as card
from bot.core.errors import ImageError
from bot.images.card import CardLayout, layout_card, palette, title_card

SAMPLE = ("The Quiet Index", "Why small newsletters win",
          "The economics of attention favour the tiny, loyal audience.", "Mara Ellison")
LONG = ("An extraordinarily long headline about the consequences of moderation policy changes at every major "
        "social network in the year twenty twenty six, explained in full detail for everyone who asked, "
        "and then some more words so that even five lines at the smallest size cannot hold it all") * 2


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_inside(layout: CardLayout) -> None:
    """Every line's ink inside the card's margins, and no two lines of different roles overlapping."""
    margin_x, margin_y = layout.width * 0.05, layout.height * 0.05
    for line in layout.lines:
        x0, y0, x1, y1 = line.box
        assert margin_x <= x0 and x1 <= layout.width - margin_x, (line.role, line.text, line.box)
        assert margin_y <= y0 and y1 <= layout.height - margin_y, (line.role, line.text, line.box)
    for a, b in itertools.combinations(layout.lines, 2):
        if a.role != b.role:
            overlap = min(a.box[2], b.box[2]) > max(a.box[0], b.box[0]) and min(a.box[3], b.box[3]) > max(a.box[1], b.box[1])
            assert not overlap, (a, b)


def test_card_is_16_by_9_png() -> None:
    image = decode(title_card(*SAMPLE))
    assert image.format == "PNG" and image.size == (1600, 900)
    assert decode(title_card(*SAMPLE, width=1200, height=675)).size == (1200, 675)


def test_same_input_same_bytes_and_different_input_different_image() -> None:
    first = title_card(*SAMPLE)
    assert title_card(*SAMPLE) == first
    assert title_card("The Quiet Index", "Why big newsletters lose") != first
    other = title_card("Another Publication", *SAMPLE[1:])
    assert decode(other).getpixel((5, 5)) != decode(first).getpixel((5, 5))  # the colour follows the publication


def test_sample_card_layout() -> None:
    layout = layout_card(*SAMPLE)
    roles = [line.role for line in layout.lines]
    assert roles.count("publication") == 1 and roles.count("author") == 1 and "subtitle" in roles
    title = [line for line in layout.lines if line.role == "title"]
    assert " ".join(line.text for line in title) == "Why small newsletters win"
    assert title[0].size >= 90  # a short title is drawn large: about 30 px tall on a phone
    assert_inside(layout)
    author = next(line for line in layout.lines if line.role == "author")
    assert author.box[0] > layout.width * 0.5  # clear of the ALT badge X draws in the bottom-left corner


@pytest.mark.parametrize("title", [
    "Win", "Why small newsletters win", LONG,
    "Supercalifragilisticexpialidociousnessforeverandeverandeverandeverandeverandever",
    "Numbers: 1, 2, 3… and “quotes” — dashes",
    "Line\nbreaks\tand\x00control characters",
])
@pytest.mark.parametrize("size", [(1600, 900), (1200, 675), (800, 450)])
def test_long_titles_stay_inside(title: str, size: tuple[int, int]) -> None:
    layout = layout_card("Platformer", title, "A subtitle that also goes on for a while, longer than one line can hold at all",
                         "Casey Newton", *size)
    title_lines = [line for line in layout.lines if line.role == "title"]
    assert 1 <= len(title_lines) <= card.MAX_TITLE_LINES
    assert_inside(layout)
    if title == LONG:
        assert title_lines[-1].text.endswith("…")


def test_rtl_title_is_right_aligned() -> None:
    title = "لماذا تفوز النشرات الإخبارية الصغيرة"
    try:
        layout = layout_card("نشرة", title, "", "سارة")
    except ImageError:
        pytest.skip("no font with Arabic glyphs on this machine")
    lines = [line for line in layout.lines if line.role == "title"]
    right_edge = layout.width - round(layout.width * 0.07)
    assert all(abs(line.box[2] - right_edge) <= 2 for line in lines)
    assert_inside(layout)


def test_cjk_title_wraps_between_characters_when_a_font_covers_it() -> None:
    title = "小さなニュースレターが勝つ理由について考える長い見出しです"
    try:
        layout = layout_card("東京ノート", title)
    except ImageError as exc:
        assert "font" in str(exc)
        pytest.skip("no CJK font on this machine")
    lines = [line.text for line in layout.lines if line.role == "title"]
    assert len(lines) >= 2 and "".join(lines) == title
    assert_inside(layout)


def test_without_system_fonts_latin_uses_pillows_font_and_cjk_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(card, "_SYSTEM_FONTS", ())  # a slim container with no fonts installed
    card._missing.cache_clear()
    layout = layout_card(*SAMPLE)
    assert {line.font for line in layout.lines} == {""}
    assert any(line.stroke for line in layout.lines if line.role == "title")  # faux bold
    assert_inside(layout)
    with pytest.raises(ImageError, match="font"):
        title_card("東京ノート", "小さなニュースレターが勝つ理由")
    # A publication name the font cannot draw is left out instead of drawn as boxes.
    roles = [line.role for line in layout_card("東京ノート", "Why small newsletters win").lines]
    assert "publication" not in roles and "title" in roles


def test_emoji_the_font_lacks_is_dropped_not_boxed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(card, "_SYSTEM_FONTS", ())
    card._missing.cache_clear()
    layout = layout_card("Pub", "Launch day 🚀 is here")
    assert " ".join(line.text for line in layout.lines if line.role == "title") == "Launch day is here"


def test_missing_font_file_is_one_clear_error(tmp_path) -> None:
    with pytest.raises(ImageError, match="font"):
        title_card(*SAMPLE, font_path=tmp_path / "nope.ttf")


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=40))
def test_palette_contrast_with_white_text(name: str) -> None:
    background, end, accent, soft = palette(name)
    assert card._contrast(background, (250, 250, 247)) >= 10
    assert card._contrast(end, (250, 250, 247)) >= 10
    assert card._contrast(background, accent) >= 5 and card._contrast(background, soft) >= 7.5
    assert palette(name) == (background, end, accent, soft)


@settings(max_examples=25, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x24F), max_size=300))
def test_any_latin_title_fits(title: str) -> None:
    layout = layout_card("The Quiet Index", title, "sub", "me")
    assert_inside(layout)
    assert len([line for line in layout.lines if line.role == "title"]) <= card.MAX_TITLE_LINES
