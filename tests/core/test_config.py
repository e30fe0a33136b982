"""Settings: precedence, validation messages, secrets kept out of the file, and the docs kept in sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core import settings as config
from bot.core import settings_doc
from bot.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def load(tmp_path: Path, env: dict[str, str], toml: str | None = None) -> config.Settings:
    if toml is not None:
        path = tmp_path / "bot.toml"
        path.write_text(toml, encoding="utf-8")
        env = {"BOT_CONFIG": str(path), **env}
    return config.load(env, dotenv=tmp_path / ".env")


def test_defaults_need_nothing(tmp_path: Path) -> None:
    s = load(tmp_path, {})
    assert s.thread.tweets == 3 and s.feed.urls == [] and s.writer.model == "Qwen/Qwen2.5-72B-Instruct"
    assert s.x.base_url == "https://api.x.com"


def test_file_overrides_default_and_environment_overrides_file(tmp_path: Path) -> None:
    s = load(tmp_path, {"BOT_THREAD_TWEETS": "5"}, "[thread]\ntweets = 4\nnumbering = true\n")
    assert s.thread.tweets == 5 and s.sources["thread.tweets"] == "BOT_THREAD_TWEETS"
    assert s.thread.numbering is True and s.sources["thread.numbering"].endswith("bot.toml")


@pytest.mark.parametrize("name,env", [
    ("feed.urls", "BOT_FEED_URL"), ("writer.base_url", "BOT_LLM_BASE_URL"),
    ("image.base_url", "BOT_IMAGE_BASE_URL"), ("image.gradio_space", "BOT_GRADIO_SPACE"),
    ("x.base_url", "X_API_BASE_URL"),
])
def test_contract_environment_names(tmp_path: Path, name: str, env: str) -> None:
    value = "http://127.0.0.1:9/a,http://127.0.0.1:9/b" if name == "feed.urls" else "http://127.0.0.1:9"
    s = load(tmp_path, {env: value})
    got = s.get(name)
    assert got == (value.split(",") if name == "feed.urls" else value)


@pytest.mark.parametrize("env,expected", [
    ({"BOT_THREAD_TWEETS": "many"}, "thread.tweets (BOT_THREAD_TWEETS) is 'many', not a whole number"),
    ({"BOT_THREAD_TWEETS": "0"}, "below the least allowed 1"),
    ({"BOT_THREAD_LINK": "middle"}, "allowed: first, last, none"),
    ({"BOT_THREAD_NUMBERING": "perhaps"}, "not true or false"),
    ({"BOT_IMAGE_CHAIN": "hf,dalle"}, "image.chain names 'dalle'"),
    ({"BOT_DAEMON_WINDOW": "9 to 5"}, "HH:MM-HH:MM"),
    ({"X_API_BASE_URL": "api.x.com"}, "full http:// or https:// URL"),
])
def test_bad_values_name_the_key_and_what_is_allowed(tmp_path: Path, env: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, env)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown setting thread.tweet — did you mean thread.tweets"):
        load(tmp_path, {}, "[thread]\ntweet = 4\n")


def test_unknown_section(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown section \[threed\]"):
        load(tmp_path, {}, "[threed]\ntweets = 4\n")


def test_secret_in_settings_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="secrets belong in the environment"):
        load(tmp_path, {}, "[x]\napi_secret = 'abc'\n")


def test_broken_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(tmp_path, {}, "[thread\n")
    with pytest.raises(ConfigError, match="does not exist"):
        config.load({"BOT_CONFIG": str(tmp_path / "nope.toml")}, dotenv=None)


def test_dotenv_supplies_secrets_but_environment_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("HF_TOKEN=fake-hf-token-from-dotenv\nX_API_KEY=from_dotenv\n", encoding="utf-8")
    s = load(tmp_path, {"X_API_KEY": "from_env"})
    assert s.secrets.get("HF_TOKEN") == "fake-hf-token-from-dotenv" and s.secrets.get("X_API_KEY") == "from_env"


def test_secrets_never_shown_by_repr_and_are_redacted(tmp_path: Path) -> None:
    s = load(tmp_path, {"HF_TOKEN": "fake-hf-token-config-test", "X_API_SECRET": "xsecretvalue"})
    assert "fake-hf-token-config-test" not in repr(s) and "xsecretvalue" not in repr(s.secrets)
    assert s.secrets.redact("token fake-hf-token-config-test and xsecretvalue") == "token *** and ***"


def test_bundled_settings_file_is_current_and_loads() -> None:
    assert (ROOT / "config" / "bot.toml").read_text(encoding="utf-8") == settings_doc.toml_text(), \
        "config/bot.toml is stale: run python -m bot.core.settings_doc"
    s = config.load({"BOT_CONFIG": str(ROOT / "config" / "bot.toml")}, dotenv=None)
    assert s.thread.tweets == 3


def test_the_settings_table_in_docs_is_current() -> None:
    doc = (ROOT / settings_doc.DOC).read_text(encoding="utf-8")
    assert settings_doc.README_START in doc and settings_doc.README_END in doc, "docs/settings.md lost its table markers"
    assert settings_doc.readme_with_table(doc) == doc, "docs/settings.md's table is stale: run python -m bot.core.settings_doc"


@pytest.mark.parametrize("url", ["http://[::1", "https://host:port/x", "http://", "https://:443"])
@pytest.mark.parametrize("variable", ["BLUESKY_SERVICE", "MASTODON_BASE_URL", "X_API_BASE_URL"])
def test_a_service_url_that_does_not_parse_is_refused_with_its_setting_named(variable: str, url: str) -> None:
    with pytest.raises(ConfigError, match="is .*give a full http:// or https:// URL") as info:
        config.load({variable: url}, dotenv=None)
    assert url in info.value.message
