"""The image chain through real HTTP: a local text-to-image server, a cover server, and a real Gradio app."""

from __future__ import annotations

import io
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from twins.imageserver import ImageServer, generated_png

from bot.core import settings as config
from bot.core.clock import FakeClock
from bot.core.errors import ImageError
from bot.core.records import Article, Entry
from bot.images import sources as image_sources
from bot.images.chain import MAX_ALT_TEXT, ImageChain, clean_alt_text

HF_TOKEN = "fake-hf-token-must-not-leave-1234"
IMAGE_KEY = "local-image-key-5678"


@pytest.fixture
def server() -> Iterator[ImageServer]:
    with ImageServer() as running:
        yield running


def make_settings(secrets: dict[str, str] | None = None, **changes: Any) -> Any:
    base = config.load({}, dotenv=None)
    changes.setdefault("image__allow_hosts", ["127.0.0.1"])  # the cover server here is local, on purpose
    settings = base.replace(**changes) if changes else base
    return config.Settings(settings.values, settings.sources, config.Secrets(secrets or {}), None)


def article(cover_url: str = "", title: str = "Why small newsletters win") -> Article:
    entry = Entry(feed="f", key="/p/why", guid="g", link="https://quiet.substack.com/p/why", title=title,
                  subtitle="A field guide", author="Mara Ellison", cover_url=cover_url, publication="The Quiet Index")
    return Article(entry)


def read(path: Path | None) -> Image.Image:
    assert path is not None
    image = Image.open(path)
    image.load()
    return image


def png_bytes(size: tuple[int, int] = (640, 360)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 90, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def test_hf_503_then_cover_png_declared_jpeg_becomes_jpeg(server: ImageServer, tmp_path: Path) -> None:
    server.script = [503, 503]
    server.files["/cover.jpg"] = (200, "image/jpeg", png_bytes())  # Substack declares image/jpeg, whatever it is
    clock, lines = FakeClock(), []
    chain = ImageChain(make_settings(image__base_url=server.url), config.Secrets(), clock, on_status=lines.append)
    image = chain.make(article(f"{server.base}/cover.jpg"), "a lighthouse", "", tmp_path)
    assert image.source == "cover" and image.path == tmp_path / "image.jpg"
    assert read(image.path).format == "JPEG" and (image.width, image.height) == (640, 360)
    assert image.mime == "image/jpeg" and image.size == image.path.stat().st_size
    assert clock.slept == [2.0]  # one retry, after the server's Retry-After, through the clock
    assert [c.outcome for c in chain.calls] == ["http 503", "http 503"]
    assert [c.backend for c in chain.calls] == ["image-server", "image-server"]
    assert len(chain.notes) == 1 and "hf failed" in chain.notes[0] and "busy (503)" in chain.notes[0]
    assert any("retrying" in line for line in lines)
    cover_get = [s for s in server.seen if s.method == "GET"][0]
    assert cover_get.headers["user-agent"]  # Substack answers 403 without one


def test_cover_404_falls_back_to_the_card(server: ImageServer, tmp_path: Path) -> None:
    chain = ImageChain(make_settings(image__chain=["cover", "card"]), config.Secrets(), FakeClock())
    image = chain.make(article(f"{server.base}/missing.jpg"), "", "", tmp_path)
    assert image.source == "card" and (image.width, image.height) == (1600, 900)
    assert chain.notes == ["image: cover failed: the cover image answered HTTP 404 — the next source will be tried"]
    assert "Why small newsletters win" in image.alt_text and image.prompt == ""


def test_cover_over_the_size_limit_is_refused(server: ImageServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image_sources, "MAX_COVER_BYTES", 100_000)  # the real limit is 15 MB; same code path
    server.files["/big.jpg"] = (200, "image/jpeg", png_bytes() + b"\0" * 200_000)
    chain = ImageChain(make_settings(image__chain=["cover", "card"]), config.Secrets(), FakeClock())
    assert chain.make(article(f"{server.base}/big.jpg"), "", "", tmp_path).source == "card"
    assert "over 100,000 bytes" in chain.notes[0]


def test_cover_that_is_not_an_image_falls_back(server: ImageServer, tmp_path: Path) -> None:
    server.files["/cover.jpg"] = (200, "image/jpeg", b"<!DOCTYPE html><html>Just a moment...</html>")
    chain = ImageChain(make_settings(image__chain=["cover", "card"]), config.Secrets(), FakeClock())
    image = chain.make(article(f"{server.base}/cover.jpg"), "", "", tmp_path)
    assert image.source == "card" and "HTML page" in chain.notes[0]


def test_hf_image_server_success_sends_the_task_api_body(server: ImageServer, tmp_path: Path) -> None:
    settings = make_settings(image__base_url=server.url, image__seed="7", image__width="768", image__height="512")
    chain = ImageChain(settings, config.Secrets(), FakeClock())
    image = chain.make(article(), "a quiet harbour at dawn", "A harbour at dawn.", tmp_path)
    assert image.source == "hf" and image.prompt == "a quiet harbour at dawn" and image.alt_text == "A harbour at dawn."
    assert read(image.path).size == (768, 512)
    [post] = server.posts()
    assert post.path == "/models/local-sd" and post.headers["accept"] == "image/png"
    assert post.body == {"inputs": "a quiet harbour at dawn", "parameters": {
        "negative_prompt": settings.image.negative_prompt, "height": 512, "width": 768,
        "num_inference_steps": settings.image.steps, "guidance_scale": settings.image.guidance_scale, "seed": 7}}
    assert [(c.backend, c.purpose, c.outcome) for c in chain.calls] == [("image-server", "image", "ok")]


@pytest.mark.parametrize("key", ["", IMAGE_KEY])
def test_hf_token_is_never_sent_to_a_custom_image_server(server: ImageServer, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    monkeypatch.setenv("HF_TOKEN", HF_TOKEN)  # where huggingface_hub looks for a token by itself
    secrets = {"HF_TOKEN": HF_TOKEN, **({"BOT_IMAGE_API_KEY": key} if key else {})}
    chain = ImageChain(make_settings(secrets, image__base_url=server.url), config.Secrets(secrets), FakeClock())
    assert chain.make(article(), "a harbour", "", tmp_path).source == "hf"
    [post] = server.posts()
    assert all(HF_TOKEN not in value for value in post.headers.values())
    assert post.headers.get("authorization") == (f"Bearer {key}" if key else None)


@pytest.mark.parametrize("status, words", [
    (401, "refused the credentials (401) — check BOT_IMAGE_API_KEY"),
    (402, "credits are spent (402)"),
    (404, "does not serve this model (404)"),
    (500, "answered HTTP 500"),
    ("garbage", "answered something that is not an image"),
])
def test_hf_failures_are_one_line_and_the_chain_moves_on(server: ImageServer, tmp_path: Path, status: Any, words: str) -> None:
    server.script = [status]
    clock = FakeClock()
    chain = ImageChain(make_settings(image__base_url=server.url), config.Secrets(), clock)
    image = chain.make(article(), "a harbour", "", tmp_path)
    assert image.source == "card" and clock.slept == []  # no retry for these
    note = chain.notes[0]
    assert words in note and "\n" not in note and note.startswith("image: hf failed: ")
    assert len(server.posts()) == 1


def test_hf_timeout_is_one_line(server: ImageServer, tmp_path: Path) -> None:
    server.script = ["hang"]
    chain = ImageChain(make_settings(image__base_url=server.url, image__timeout="1"), config.Secrets(), FakeClock())
    image = chain.make(article(), "a harbour", "", tmp_path)
    assert image.source == "card"
    assert "gave no image within 1 s" in chain.notes[0] and chain.calls[0].outcome == "timeout"


def test_hf_server_trickling_bytes_ends_at_the_timeout_in_all(server: ImageServer, tmp_path: Path) -> None:
    """image.timeout bounds the whole request: a server sending a byte every 0.2 s (no read ever times out)
    would otherwise hold the poll for minutes."""
    server.script = ["trickle"]
    chain = ImageChain(make_settings(image__base_url=server.url, image__timeout="1.5"), config.Secrets(), FakeClock())
    started = time.monotonic()
    image = chain.make(article(), "a harbour", "", tmp_path)
    assert time.monotonic() - started < 6, "the trickle was read to its end"
    assert image.source == "card"
    assert "gave no image within 1.5 s" in chain.notes[0] and chain.calls[0].outcome == "timeout"


def test_hf_unreachable_server_is_one_line(tmp_path: Path) -> None:
    with ImageServer() as gone:
        url = gone.url
    chain = ImageChain(make_settings(image__base_url=url), config.Secrets(), FakeClock())
    assert chain.make(article(), "a harbour", "", tmp_path).source == "card"
    assert "cannot reach the image server http://127.0.0.1" in chain.notes[0]


def test_hf_skipped_without_token_or_endpoint(tmp_path: Path) -> None:
    chain = ImageChain(make_settings(), config.Secrets(), FakeClock())
    image = chain.make(article(), "a harbour", "", tmp_path)
    assert image.source == "card" and chain.calls == []
    assert chain.notes[0].startswith("image: hf skipped: no HF_TOKEN and no BOT_IMAGE_BASE_URL")
    assert chain.notes[1] == "image: cover skipped: the article has no cover image"


def test_none_gives_no_image(tmp_path: Path) -> None:
    chain = ImageChain(make_settings(image__chain=["none"]), config.Secrets(), FakeClock())
    image = chain.make(article(), "a harbour", "alt", tmp_path)
    assert image.path is None and image.source == "none" and list(tmp_path.iterdir()) == []


def test_every_source_failing_is_one_image_error(tmp_path: Path) -> None:
    chain = ImageChain(make_settings(image__chain=["hf", "cover"]), config.Secrets(), FakeClock())
    with pytest.raises(ImageError, match="no image source worked") as caught:
        chain.make(article(), "a harbour", "", tmp_path)
    assert "hf skipped" in str(caught.value) and "cover skipped" in str(caught.value)


def test_png_setting_writes_png_and_removes_a_stale_jpeg(server: ImageServer, tmp_path: Path) -> None:
    (tmp_path / "image.jpg").write_bytes(b"old")
    chain = ImageChain(make_settings(image__base_url=server.url, image__format="png"), config.Secrets(), FakeClock())
    image = chain.make(article(), "a harbour", "", tmp_path)
    assert image.path == tmp_path / "image.png" and image.mime == "image/png" and read(image.path).format == "PNG"
    assert not (tmp_path / "image.jpg").exists()


def test_card_alt_text_describes_the_card_not_the_model_picture(tmp_path: Path) -> None:
    chain = ImageChain(make_settings(image__chain=["card"]), config.Secrets(), FakeClock())
    image = chain.make(article(), "a lighthouse", "A lighthouse in a storm.", tmp_path)
    assert image.alt_text == "Title card: Why small newsletters win. A field guide. By Mara Ellison. The Quiet Index."


@pytest.mark.parametrize("text, expected", [
    ("A harbour\x00 at\x1b dawn.\r\n", "A harbour at dawn."),
    ("  spaced   out  ", "spaced out"),
    ("bad\ufeffchar", "bad char"),
    ("e\u0301", "é"),
])
def test_clean_alt_text(text: str, expected: str) -> None:
    assert clean_alt_text(text) == expected


def test_long_alt_text_is_cut_to_1000_at_a_word() -> None:
    cleaned = clean_alt_text("word " * 500)
    assert len(cleaned) <= MAX_ALT_TEXT and cleaned.endswith("word…")


@given(st.text(max_size=3000))
def test_alt_text_always_fits_x(text: str) -> None:
    cleaned = clean_alt_text(text)
    assert len(cleaned) <= MAX_ALT_TEXT
    assert not any(unicodedata.category(c) == "Cc" for c in cleaned)


def test_generated_png_follows_requested_size() -> None:
    image = Image.open(io.BytesIO(generated_png("x", 300, 200)))
    assert image.size == (300, 200)


# --- a real Gradio app on 127.0.0.1 (gradio imports in seconds, so these are marked slow) ---

@pytest.fixture(scope="session")
def gradio_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
        patch.setenv("GRADIO_TEMP_DIR", str(tmp_path_factory.mktemp("gradio")))
        from twins.gradio_app import running

        with running() as app:
            yield app


def gradio_settings(app: Any, api_name: str = "/infer", **changes: Any) -> Any:
    return make_settings({"HF_TOKEN": HF_TOKEN}, image__chain=["gradio", "card"], image__gradio_space=app.url,
                         image__gradio_api_name=api_name, **changes)


@pytest.mark.slow
def test_gradio_success_webp_becomes_jpeg(gradio_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", HF_TOKEN)
    settings = gradio_settings(gradio_app, image__width="512", image__height="288", image__seed="42", image__steps="4")
    chain = ImageChain(settings, settings.secrets, FakeClock())
    image = chain.make(article(), "a lighthouse", "A lighthouse.", tmp_path)
    assert image.source == "gradio" and read(image.path).format == "JPEG" and read(image.path).size == (512, 288)
    call = gradio_app.calls[-1]
    assert call["prompt"] == "a lighthouse" and call["seed"] == 42 and call["randomize_seed"] is False
    assert (call["width"], call["height"], call["num_inference_steps"]) == (512, 288, 4)
    assert call["negative_prompt"] == settings.image.negative_prompt
    headers = gradio_app.headers[-1]
    assert all(HF_TOKEN not in value for value in headers.values())  # a URL is not a Space: no token
    assert [(c.backend, c.outcome) for c in chain.calls] == [("gradio", "ok")]


@pytest.mark.slow
def test_gradio_app_error_is_one_line(gradio_app: Any, tmp_path: Path) -> None:
    settings = gradio_settings(gradio_app, "/infer_fails")
    chain = ImageChain(settings, settings.secrets, FakeClock())
    image = chain.make(article(), "a lighthouse", "", tmp_path)
    assert image.source == "card"
    [note] = chain.notes
    assert "raised an error" in note and "GPU quota" in note and "\n" not in note
    assert chain.calls[0].outcome == "app error"


@pytest.mark.slow
def test_gradio_unknown_endpoint_is_one_line(gradio_app: Any, tmp_path: Path) -> None:
    settings = gradio_settings(gradio_app, "/generate")
    chain = ImageChain(settings, settings.secrets, FakeClock())
    assert chain.make(article(), "a lighthouse", "", tmp_path).source == "card"
    assert "cannot run /generate" in chain.notes[0] and "image.gradio_api_name" in chain.notes[0]


@pytest.mark.slow
def test_gradio_timeout_is_one_line(gradio_app: Any, tmp_path: Path) -> None:
    settings = gradio_settings(gradio_app, "/infer_slow", image__timeout="1")
    chain = ImageChain(settings, settings.secrets, FakeClock())
    assert chain.make(article(), "a lighthouse", "", tmp_path).source == "card"
    assert "gave no image within 1 s" in chain.notes[0] and chain.calls[0].outcome == "timeout"


def test_gradio_unreachable_url_is_one_line(tmp_path: Path) -> None:
    with ImageServer() as gone:
        url = gone.base
    settings = make_settings(image__chain=["gradio", "card"], image__gradio_space=url, image__timeout="2")
    chain = ImageChain(settings, settings.secrets, FakeClock())
    assert chain.make(article(), "a lighthouse", "", tmp_path).source == "card"
    assert chain.notes[0].startswith("image: gradio failed: cannot open the Gradio app http://127.0.0.1")


@pytest.mark.slow
def test_gradio_space_with_other_inputs_gets_only_what_it_takes(gradio_app: Any, tmp_path: Path) -> None:
    settings = gradio_settings(gradio_app, "/flux", image__width="512", image__height="288", image__steps="6",
                               image__gradio_inputs=["num_steps=num_inference_steps"])
    image = ImageChain(settings, settings.secrets, FakeClock()).make(article(), "a lighthouse", "alt", tmp_path)
    assert image.source == "gradio" and read(image.path).size == (512, 288)
    call = gradio_app.calls[-1]
    assert call["prompt"] == "a lighthouse" and call["num_steps"] == 6 and "negative_prompt" not in call


@pytest.mark.slow
def test_gradio_space_without_a_prompt_input_says_how_to_map_it(gradio_app: Any, tmp_path: Path) -> None:
    settings = gradio_settings(gradio_app, "/flux", image__gradio_inputs=["text=prompt"])
    chain = ImageChain(settings, settings.secrets, FakeClock())
    assert chain.make(article(), "a lighthouse", "alt", tmp_path).source == "card"
    assert "no input named 'text'" in chain.notes[0] and "image.gradio_inputs" in chain.notes[0]
