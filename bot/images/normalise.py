"""Image normalisation: any image a source gives → a JPEG or PNG that X accepts, metadata stripped.

Pure (bytes in, bytes out) but for describe_file, which reads a file this stage wrote. X takes JPG, PNG, GIF and WEBP up to 5 MB (the design notes, X API v2
media); we always send JPEG or PNG so that what we checked is what X shows. Sources disagree about
formats: the Gradio Space answers WEBP, Substack covers are PNG, GIF or HEIC behind a declared
image/jpeg, so the real format is always read from the bytes.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.errors import ImageError

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

# Formats we decode. A closed list on purpose: Pillow would also open EPS (which runs Ghostscript),
# PSD, ICO and others that never belong in a post.
FORMATS = ("JPEG", "MPO", "PNG", "GIF", "WEBP", "BMP", "TIFF", "AVIF")
# A cap on what one image may cost in memory once decoded, whatever its file size: 4096x4096 pixels (more than X
# shows), at most 64 MB of pixel data. A 250 KB PNG can claim 8000x8000 RGBA, 256 MB decoded (and a few copies
# more while it is converted): refused from its header, before a pixel is decoded. JPEG is first asked to
# decode at 1/2, 1/4 or 1/8 scale (draft mode), so a large camera photo still fits.
MAX_PIXELS = 4096 * 4096
MAX_DECODED_BYTES = 64 * 1024 * 1024
MIN_SIDE = 32  # smaller than this is a tracking pixel or an icon, not a picture worth posting
_QUALITIES = (90, 78, 66)
_MAX_SHRINKS = 8
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")
_HINT = "the next image source will be tried"


def normalise(data: bytes | PILImage, fmt: str = "jpeg", max_bytes: int = 5_000_000,
              max_side: int = 4096) -> tuple[bytes, str, int, int]:
    """Re-encode image bytes (or an image made here) as JPEG or PNG within max_bytes and max_side; (bytes, mime, w, h)."""
    fmt = fmt.lower().replace("jpg", "jpeg")
    if fmt not in ("jpeg", "png"):
        raise ImageError(f"image format {fmt!r} is not supported", "use jpeg or png")
    image = data if not isinstance(data, (bytes, bytearray)) else _decode(bytes(data))
    image = _upright_srgb(image)
    if max(image.size) > max_side:
        from PIL import Image

        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    if fmt == "png":
        encoded = _save(image, "PNG")
        if len(encoded) <= max_bytes:
            return encoded, "image/png", image.width, image.height
        # A photo-like PNG can be far over 5 MB at any compression; JPEG is the only way under.
    image = _flatten(image)
    encoded, image = _fit_jpeg(image, max_bytes)
    return encoded, "image/jpeg", image.width, image.height


def describe_file(path: Path) -> tuple[str, int, int, int]:
    """(mime type, width, height, bytes) of an image file this stage wrote; ("", 0, 0, size) when unreadable."""
    from PIL import Image, UnidentifiedImageError

    size = path.stat().st_size
    try:
        with Image.open(path, formats=_formats()) as image:
            return Image.MIME.get(str(image.format), ""), image.width, image.height, size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return "", 0, 0, size


def sniff(data: bytes) -> str:
    """The image format the bytes really are (e.g. "PNG", "WEBP"), or "" when Pillow cannot tell."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data), formats=_formats()) as image:
            return str(image.format or "")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return ""


def _formats() -> tuple[str, ...]:
    from PIL import Image

    _register_heif()
    Image.init()
    return tuple(f for f in (*FORMATS, "HEIF") if f in Image.OPEN)


def _register_heif() -> bool:
    try:
        from pillow_heif import register_heif_opener  # type: ignore[import-not-found]
    except ImportError:
        return False
    register_heif_opener()
    return True


def _is_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def _decode(data: bytes) -> PILImage:
    """Open and fully decode the first frame, refusing non-images, bombs and slivers."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ImageError("the image is empty (0 bytes)", _HINT)
    if _is_heif(data) and not _register_heif():
        raise ImageError("the image is HEIC, which needs the pillow-heif package",
                         "pip install pillow-heif, or let the chain use another source")
    try:
        image = Image.open(io.BytesIO(data), formats=_formats())
    except UnidentifiedImageError:
        raise ImageError(f"the data is not an image we read ({_describe(data)})",
                         "expected JPEG, PNG, GIF, WEBP, BMP or TIFF") from None
    except Image.DecompressionBombError:
        raise ImageError("the image is too large to decode safely (decompression bomb)", _HINT) from None
    except Exception as exc:  # Pillow raises many types for damaged headers
        raise ImageError(f"the image header is damaged ({type(exc).__name__})", _HINT) from exc
    width, height = image.size
    if image.format in ("JPEG", "MPO") and width * height > MAX_PIXELS:
        image.draft("RGB", (width // 8, height // 8) if width * height > 16 * MAX_PIXELS else
                    _within(width, height))
    if image.size[0] * image.size[1] > MAX_PIXELS or _decoded_bytes(image) > MAX_DECODED_BYTES:
        raise ImageError(f"the image is {width}x{height} pixels, too large to decode safely", _HINT)
    if min(width, height) < MIN_SIDE:
        raise ImageError(f"the image is only {width}x{height} pixels, too small to post", _HINT)
    try:
        image.seek(0)  # the first frame of an animated GIF or WEBP
        image.load()
    except Exception as exc:  # truncated or corrupt pixel data: OSError, SyntaxError, ValueError...
        raise ImageError(f"the {image.format} image is damaged and cannot be decoded ({type(exc).__name__})", _HINT) from exc
    return image


def _within(width: int, height: int) -> tuple[int, int]:
    """The size a JPEG draft should reach: the first halving that brings it under MAX_PIXELS."""
    scale = 1
    while (width // scale) * (height // scale) > MAX_PIXELS and scale < 8:
        scale *= 2
    return width // scale, height // scale


def _decoded_bytes(image: PILImage) -> int:
    """Bytes the decoded pixels take (bands x bytes per band), from the header alone."""
    per_band = 4 if image.mode in ("I", "F") else 2 if image.mode.startswith("I;16") else 1
    return image.size[0] * image.size[1] * len(image.getbands()) * per_band


def _describe(data: bytes) -> str:
    head = data[:64].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "an HTML page"
    if head.startswith((b"<?xml", b"<svg")):
        return "XML or SVG"
    return f"{len(data)} bytes starting {data[:8].hex()}"


def _upright_srgb(image: PILImage) -> PILImage:
    """Apply EXIF orientation, convert to sRGB RGB/RGBA, and drop every piece of metadata."""
    from PIL import ImageOps

    try:
        # In place: the image is ours (decoded here, or the card made here), and an upright image is not copied.
        ImageOps.exif_transpose(image, in_place=True)
    except Exception:  # a malformed EXIF block: keep the pixels as they are
        pass
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        image = _to_srgb(image, icc)
    image = _to_rgb(image)
    image.info = {}  # nothing of the original file's metadata survives (EXIF, XMP, ICC, comments)
    return image


def _to_rgb(image: PILImage) -> PILImage:
    mode = image.mode
    if mode in ("RGB", "RGBA"):
        return image
    if mode.startswith("I;16") or mode == "I":
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
        mode = "L"
    has_alpha = "A" in mode or "a" in mode or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def _to_srgb(image: PILImage, icc: bytes) -> PILImage:
    try:
        from PIL import ImageCms

        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=mode)
    except Exception:  # a broken or unusual profile: the untagged pixels are close enough
        return image
    return converted if converted is not None else image


def _flatten(image: PILImage) -> PILImage:
    """Transparency onto white, since JPEG has none (black would make dark text vanish)."""
    from PIL import Image

    if image.mode != "RGBA":
        return image
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image, mask=image.getchannel("A"))
    return background


def _save(image: PILImage, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _fit_jpeg(image: PILImage, max_bytes: int) -> tuple[bytes, PILImage]:
    """Lower the quality, then the size, until the JPEG fits; bounded so a pathological image still ends."""
    from PIL import Image

    for _ in range(_MAX_SHRINKS):
        for quality in _QUALITIES:
            encoded = _save(image, "JPEG", quality=quality, optimize=True)
            if len(encoded) <= max_bytes:
                return encoded, image
        scale = max(0.5, min(0.9, (max_bytes / len(encoded)) ** 0.5 * 0.95))
        size = (max(MIN_SIDE, round(image.width * scale)), max(MIN_SIDE, round(image.height * scale)))
        if size == image.size:
            break
        image = image.resize(size, Image.Resampling.LANCZOS)
    raise ImageError(f"the image cannot be brought under {max_bytes:,} bytes", _HINT)
