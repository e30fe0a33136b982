"""Publications in the settings file: each its feeds, networks, accounts and overrides; the old set-up unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core import settings as S
from bot.core.errors import ConfigError

TOML = """
[thread]
tweets = 4
[publications.acme]
feeds = ["https://acme.example/feed"]
networks = ["x", "bluesky"]
accounts = {x = "ACMEX"}
[publications.acme.thread]
voice = "dry"
[publications.acme.daemon]
timezone = "Europe/Paris"
spacing = 3600
daily_cap = 2
[publications.beta]
feeds = ["https://beta.example/feed"]
"""


def _load(tmp_path: Path, text: str, **env: str) -> S.Settings:
    path = tmp_path / "bot.toml"
    path.write_text(text, encoding="utf-8")
    return S.load({"BOT_CONFIG": str(path), **env}, dotenv=None)


def test_each_publication_has_its_own_values_and_the_defaults_for_the_rest(tmp_path: Path) -> None:
    s = _load(tmp_path, TOML)
    assert [p.name for p in s.publications] == ["acme", "beta"]
    acme = s.of_publication("acme")
    assert (acme.thread.voice, acme.thread.tweets, acme.daemon.timezone, acme.daemon.spacing) == ("dry", 4, "Europe/Paris", 3600)
    assert acme.networks == ["x", "bluesky"] and acme.feed.urls == ["https://acme.example/feed"]
    beta = s.for_feed("https://beta.example/feed")
    assert beta.publication == "beta" and beta.thread.voice != "dry"
    assert beta.daemon.timezone == "" and beta.networks == ["x"]
    # accounts: named per network, else the publication's own name
    assert (acme.account("x"), acme.account("bluesky"), beta.account("x")) == ("ACMEX", "acme", "beta")


def test_an_account_reads_its_own_suffixed_variables_and_never_the_plain_ones(tmp_path: Path) -> None:
    s = _load(tmp_path, TOML, X_API_KEY="plain-key-1", X_API_KEY__ACMEX="acme-key-1", X_API_KEY__BETA="beta-key-1",
              MASTODON_BASE_URL__BETA="https://m.example")
    assert s.of_publication("acme").for_account("x").secrets.get("X_API_KEY") == "acme-key-1"
    beta = s.of_publication("beta").for_account("x")
    assert beta.secrets.get("X_API_KEY") == "beta-key-1"
    assert s.of_publication("acme").for_account("bluesky").secrets.get("X_API_KEY") == ""
    assert s.of_publication("beta").for_account("mastodon").mastodon.base_url == "https://m.example"


def test_the_single_publication_setup_is_the_implicit_default(tmp_path: Path) -> None:
    s = S.load({"BOT_FEED_URL": "https://old.example/feed", "X_API_KEY": "plain-key-1"}, dotenv=None)
    (only,) = s.publications
    assert only.name == "default" and only.feeds == ("https://old.example/feed",)
    assert s.for_feed("https://old.example/feed").for_account("x").secrets.get("X_API_KEY") == "plain-key-1"
    assert s.account("x") == "default"


@pytest.mark.parametrize("text, words", [
    ('[publications.a]\nfeeds=["f"]\n[publications.a.store]\nsqlite_path="x"', "unknown key publications.a.store"),
    ('[publications.a]\nfeeds=["f"]\naccounts={x="a b"}', "publications.a.accounts"),
    ('[publications.a]\nfeeds=["f"]\n[publications.a.daemon]\ntimezone="Mars/Olympus"', "publications.a: daemon.timezone"),
    ('[publications.a]\nfeeds=["f"]\n[publications.b]\nfeeds=["f"]', "feed f is in publications a and b"),
    ('[publications.a]\nnetworks=["x"]', "publications.a has no feeds"),
    ('[publications.a]\nfeeds=["f"]\n[publications.a.thread]\ntweets=99', "thread.tweets"),
])
def test_a_bad_publication_setting_is_one_clear_line(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_a_file_a_network_keeps_tokens_in_is_each_accounts_own(tmp_path: Path) -> None:
    s = _load(tmp_path, TOML)
    files = {s.of_publication(p).for_account(n).get(f"{n}.{k}") for p in ("acme", "beta")
             for n, k in (("threads", "token_file"), ("linkedin", "token_file"), ("bluesky", "session_file"))}
    assert len(files) == 6 and "threads-token-beta.json" in files
    assert s.for_account("threads").threads.token_file == "threads-token.json"  # the default account: as before
