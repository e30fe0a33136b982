"""Redaction before any cut: wherever an upstream's echo is cut, and in whichever shape it echoed a secret (as is,
base64, HTML-escaped, percent-encoded in either case), no run of 6 characters of the secret is left. The oracle is
helpers/echo.py's list of the secret's pieces, computed by the test with the standard library."""

from __future__ import annotations

import pytest
from helpers.echo import FORMS, echo, leaks

from bot.core import settings as config
from bot.core.errors import BotError, clip, redact

TOKEN = "Zq81kP0vYtLmN3xw7RbCj2HdF5sGaUe9WiTo4Yn+/="
HANDLE = "writer.bsky.social"


@pytest.fixture(autouse=True)
def secrets() -> None:
    config.load({"MASTODON_ACCESS_TOKEN": TOKEN, "BLUESKY_HANDLE": HANDLE,
                 "DATABASE_URL": "postgresql://bot:Pw9xLq2Zr7Kc@127.0.0.1:5432/bot"}, dotenv=None)


@pytest.mark.parametrize("form", FORMS)
def test_a_cut_anywhere_in_an_echo_leaves_no_piece_of_the_secret(form: str) -> None:
    text = "Mastodon refused posting: " + echo(f"Authorization: Bearer {TOKEN}", form, times=3)
    for limit in range(1, len(text) + 1):
        kept = clip(text, limit)
        assert len(kept) <= limit + 3 and leaks(TOKEN, kept) == [], (limit, kept)
    assert leaks(TOKEN, str(BotError(text))) == []


def test_a_secret_an_upstream_cut_itself_is_removed_where_it_ends_a_word() -> None:
    for n in range(6, len(TOKEN)):
        assert leaks(TOKEN, redact(f"proxy said: Bearer {TOKEN[:n]}… (truncated)")) == [], n
        assert leaks(TOKEN, redact(f"…{TOKEN[-n:]} was refused")) == [], n


def test_a_secret_an_upstream_masked_in_part_itself_leaves_no_piece() -> None:
    """Upstreams show a token's ends with the middle masked ("sk_...4242", "Zq81kP0v********"): the ends shown are
    pieces of the secret all the same."""
    for n in range(6, len(TOKEN) // 2):
        for said in (f"token {TOKEN[:4]}...{TOKEN[-n:]} refused", f"token {TOKEN[:n]}...{TOKEN[-4:]} refused",
                     f"token {TOKEN[:n]}{'*' * 12} refused", f"token ****{TOKEN[-n:]} refused",
                     f"token {TOKEN[:n]}***{TOKEN[-n:]} refused"):
            assert leaks(TOKEN, redact(said)) == [], (n, said, redact(said))


def test_ordinary_text_and_a_handle_or_database_url_around_it_are_kept() -> None:
    said = "supported: postgres:// or postgresql://; an access token from writer.bsky.social's settings"
    assert redact(said) == said.replace(HANDLE, "***")  # the handle whole is hidden; its pieces are words
    assert redact("database error on postgresql://bot:***@127.0.0.1:5432/bot") == \
        "database error on postgresql://bot:***@127.0.0.1:5432/bot"
    assert clip("a short message", 200) == "a short message"


APP_PASSWORD = "k2vq-7xrm-p4dz-w9tb"


@pytest.mark.parametrize("form", FORMS)
def test_every_network_and_the_model_cut_their_upstream_echo_clean(form: str) -> None:
    """Each place that shortens an upstream's error (Mastodon 200, X 300, Bluesky 200, a model server 120 characters)
    leaves no piece of the secret the upstream echoed, wherever its cut falls."""
    import json
    from types import SimpleNamespace

    import requests

    from bot.networks.bluesky.client import _message
    from bot.networks.mastodon.client import _detail
    from bot.networks.x.session import failure
    from bot.writing.model import _said

    config.load({"MASTODON_ACCESS_TOKEN": TOKEN, "BLUESKY_APP_PASSWORD": APP_PASSWORD, "X_ACCESS_TOKEN": TOKEN[::-1],
                 "BOT_LLM_API_KEY": TOKEN[5:] + "Qx"}, dotenv=None)
    for shift in range(0, 40, 3):  # moves the echo against each cut
        pad = "p" * shift
        said = {name: pad + echo(value, form, times=20) for name, value in (
            ("mastodon", TOKEN), ("bluesky", APP_PASSWORD), ("x", TOKEN[::-1]), ("model", TOKEN[5:] + "Qx"))}
        x_answer = requests.Response()
        x_answer.status_code, x_answer._content = 400, json.dumps({"detail": said["x"]}).encode()
        shown = {
            "mastodon": _detail(Exception("Mastodon API returned error", 422, "Unprocessable", said["mastodon"])),
            "bluesky": _message(SimpleNamespace(response=SimpleNamespace(content=SimpleNamespace(
                error="InvalidRequest", message=said["bluesky"])))),  # type: ignore[arg-type]
            "x": str(failure(x_answer, "posting tweet 1")),
            "model": _said(SimpleNamespace(response=SimpleNamespace(text=said["model"]))),
        }
        secrets = {"mastodon": TOKEN, "bluesky": APP_PASSWORD, "x": TOKEN[::-1], "model": TOKEN[5:] + "Qx"}
        for name, text in shown.items():
            assert "bad request" in text or shift > 0, (name, text)
            assert leaks(secrets[name], text) == [], (name, shift, text)


def test_a_percent_encoded_echo_in_mixed_case_is_hidden() -> None:
    from urllib.parse import quote

    encoded = quote(TOKEN, safe="")  # %2B%2F%3D at the end
    mixed = encoded.replace("%2B", "%2b").replace("%3D", "%3d")
    assert leaks(TOKEN, redact(f"token={mixed}&x=1")) == [] and TOKEN[:8] not in redact(f"token={mixed}")
