"""Image normalisation: real format from the bytes, orientation applied, metadata gone, within X's limits."""

from __future__ import annotations

import io
import os
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms

from bot.core.errors import ImageError
from bot.images.normalise import normalise, sniff


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def noise(width: int, height: int) -> Image.Image:
    return Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))


def transparent_png() -> bytes:
    image = Image.new("RGBA", (120, 80), (0, 0, 0, 0))
    image.paste((200, 20, 20, 255), (60, 0, 120, 80))  # right half opaque red, left half transparent
    return encode(image, "PNG")


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (64, 64), colour) for colour in ((0, 0, 255), (255, 0, 0), (0, 255, 0))]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


@pytest.mark.parametrize(
    "name, data, fmt, mime, size, format_out",
    [
        ("webp from a Gradio Space", encode(Image.new("RGB", (300, 200), (10, 120, 200)), "WEBP"), "jpeg", "image/jpeg", (300, 200), "JPEG"),
        ("png declared jpeg by Substack", encode(Image.new("RGB", (320, 180), "white"), "PNG"), "jpeg", "image/jpeg", (320, 180), "JPEG"),
        ("png with alpha kept as png", transparent_png(), "png", "image/png", (120, 80), "PNG"),
        ("animated gif", animated_gif(), "jpeg", "image/jpeg", (64, 64), "JPEG"),
        ("bmp", encode(Image.new("RGB", (100, 50), "navy"), "BMP"), "png", "image/png", (100, 50), "PNG"),
        ("tiff", encode(Image.new("RGB", (100, 50), "olive"), "TIFF"), "jpeg", "image/jpeg", (100, 50), "JPEG"),
        ("grey jpeg", encode(Image.new("L", (90, 90), 128), "JPEG"), "jpeg", "image/jpeg", (90, 90), "JPEG"),
        ("palette png", encode(Image.new("P", (90, 90), 3), "PNG"), "jpeg", "image/jpeg", (90, 90), "JPEG"),
        ("16-bit png", encode(Image.new("I;16", (90, 90), 40000), "PNG"), "png", "image/png", (90, 90), "PNG"),
        ("cmyk jpeg", encode(Image.new("CMYK", (90, 90), (0, 100, 200, 0)), "JPEG"), "jpeg", "image/jpeg", (90, 90), "JPEG"),
        ("jpg spelled jpg", encode(Image.new("RGB", (90, 90), "red"), "PNG"), "jpg", "image/jpeg", (90, 90), "JPEG"),
    ],
)
def test_formats_become_jpeg_or_png(name: str, data: bytes, fmt: str, mime: str, size: tuple[int, int], format_out: str) -> None:
    out, got_mime, width, height = normalise(data, fmt=fmt)
    image = decode(out)
    assert (got_mime, (width, height), image.format, image.size) == (mime, size, format_out, size), name
    assert image.mode in ("RGB", "RGBA")


def test_transparency_becomes_white_in_jpeg() -> None:
    out, _, _, _ = normalise(transparent_png(), fmt="jpeg")
    image = decode(out).convert("RGB")
    left, right = image.getpixel((10, 40)), image.getpixel((110, 40))
    assert all(c > 245 for c in left), left  # white, not black: dark text on a transparent logo stays visible
    assert right[0] > 180 and right[1] < 60, right


def test_png_keeps_its_alpha() -> None:
    out, _, _, _ = normalise(transparent_png(), fmt="png")
    assert decode(out).getpixel((10, 40))[3] == 0


def test_gif_gives_its_first_frame() -> None:
    out, _, _, _ = normalise(animated_gif())
    r, g, b = decode(out).convert("RGB").getpixel((32, 32))
    assert b > 200 and r < 50 and g < 50


def test_exif_orientation_applied_then_all_metadata_stripped() -> None:
    image = Image.new("RGB", (200, 100), "green")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x013B] = "Jane Photographer"  # Artist
    exif[0x010F] = "PhoneMaker"  # Make
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(image, "JPEG", exif=exif.tobytes(), icc_profile=icc, comment=b"secret comment")
    assert decode(data).getexif()  # the input really carries EXIF
    for fmt in ("jpeg", "png"):
        out, _, width, height = normalise(data, fmt=fmt)
        result = decode(out)
        assert (width, height) == (100, 200) == result.size
        assert not result.getexif(), fmt
        assert not {"exif", "icc_profile", "comment", "xmp"} & set(result.info), (fmt, set(result.info))
        assert b"Jane Photographer" not in out and b"PhoneMaker" not in out and b"secret comment" not in out


def test_large_image_scaled_to_max_side() -> None:
    data = encode(Image.new("RGB", (6000, 1500), "teal"), "PNG")
    out, _, width, height = normalise(data, max_side=4096)
    assert (width, height) == (4096, 1024) == decode(out).size


def test_noisy_image_brought_under_the_byte_limit() -> None:
    data = encode(noise(1200, 800), "PNG")
    out, mime, width, height = normalise(data, max_bytes=150_000)
    assert len(out) <= 150_000 and mime == "image/jpeg"
    assert width < 1200 and abs(width / height - 1.5) < 0.02


def test_png_too_big_falls_back_to_jpeg() -> None:
    data = encode(noise(600, 400), "PNG")
    out, mime, _, _ = normalise(data, fmt="png", max_bytes=300_000)
    assert mime == "image/jpeg" and decode(out).format == "JPEG" and len(out) <= 300_000


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that claims huge dimensions: the classic decompression bomb."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "empty"),
        (b"this is not an image at all", "not an image"),
        (b"<!DOCTYPE html><html><body>Just a moment...</body></html>", "HTML page"),
        (encode(Image.new("RGB", (200, 200), "red"), "PNG")[:300], "damaged"),
        (png_header_only(40_000, 40_000), "too large"),
        (encode(Image.new("RGB", (8, 8), "red"), "PNG"), "too small"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64, "pillow-heif"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n", "not an image"),
    ],
    ids=["empty", "text", "html", "truncated", "bomb", "tiny", "heic", "eps"],
)
def test_refuses_with_one_line(data: bytes, words: str) -> None:
    if words == "pillow-heif":
        try:
            import pillow_heif  # noqa: F401
        except ImportError:
            pass
        else:
            pytest.skip("pillow-heif is installed, so HEIC is read")
    with pytest.raises(ImageError) as caught:
        normalise(data)
    message = str(caught.value)
    assert words in message and "\n" not in message


def test_unknown_output_format_refused() -> None:
    with pytest.raises(ImageError, match="gif"):
        normalise(encode(Image.new("RGB", (64, 64)), "PNG"), fmt="gif")


def test_sniff_trusts_bytes_not_declared_type() -> None:
    assert sniff(encode(Image.new("RGB", (64, 64)), "PNG")) == "PNG"
    assert sniff(encode(Image.new("RGB", (64, 64)), "WEBP")) == "WEBP"
    assert sniff(b"<html>") == ""


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=st.integers(32, 700), height=st.integers(32, 700),
    mode=st.sampled_from(["RGB", "RGBA", "L", "P", "LA"]),
    fmt_in=st.sampled_from(["PNG", "WEBP", "GIF", "JPEG", "BMP", "TIFF"]),
    fmt_out=st.sampled_from(["jpeg", "png"]), max_side=st.integers(64, 800),
)
def test_output_always_decodes_within_limits(width: int, height: int, mode: str, fmt_in: str, fmt_out: str, max_side: int) -> None:
    image = Image.new(mode, (width, height))
    if mode == "P":
        image.putpalette([v for i in range(256) for v in (i, 255 - i, i // 2)])
    if fmt_in == "JPEG" and mode not in ("RGB", "L"):
        image = image.convert("RGB")
    if fmt_in == "BMP" and mode == "LA":
        image = image.convert("RGBA")
    data = encode(image, fmt_in)
    if max_side * min(width, height) < 32 * max(width, height):
        return  # scaling would make it a sliver; covered by the "tiny" case
    out, mime, w, h = normalise(data, fmt=fmt_out, max_side=max_side)
    result = decode(out)
    assert result.size == (w, h) and max(w, h) <= max_side
    assert mime == {"JPEG": "image/jpeg", "PNG": "image/png"}[result.format]
    assert not result.getexif()


def png_of_zeros(width: int, height: int, colour_type: int = 6) -> bytes:
    """A real, complete PNG (RGBA by default) of zeros: a few hundred KB that decode to width*height*4 bytes."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    bands = {2: 3, 6: 4}[colour_type]
    packer = zlib.compressobj(9)
    row = b"\0" * (1 + width * bands)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_small_png_that_decodes_to_hundreds_of_megabytes_is_refused_before_decoding() -> None:
    bomb = png_of_zeros(8000, 8000)  # ~250 KB on the wire, 256 MB as RGBA pixels
    assert len(bomb) < 400_000
    with pytest.raises(ImageError, match="8000x8000 pixels, too large to decode safely"):
        normalise(bomb)


def test_a_large_jpeg_photo_is_decoded_at_reduced_size() -> None:
    # A 20-megapixel camera JPEG: over the pixel cap in full, but JPEG can decode at 1/2 scale (draft mode).
    photo = encode(Image.new("RGB", (5200, 3900), (90, 120, 200)), "JPEG", quality=70)
    out, mime, width, height = normalise(photo)
    assert mime == "image/jpeg" and max(width, height) <= 4096 and width / height == pytest.approx(4 / 3, abs=0.01)
