"""The fault suite: what the real world does to the bot, and proof that it keeps going, loses nothing and
posts nothing twice — or, from the command line, stops with one clear line. Each test registers itself in
tests/faults.py, which renders the README's Reliability table from this file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.core.options import OPTIONS, Option
from faults import README, fault, load_all, readme_with_table

# --- settings ------------------------------------------------------------------------------------------------


def bad_values(option: Option) -> list[str]:
    """Values the option must refuse, as they would arrive from the environment."""
    values: list[str] = []
    if option.type in ("int", "float"):
        values.append("lots")
        if option.minimum is not None:
            values.append(str(int(option.minimum) - 1))
        if option.maximum is not None:
            values.append(str(int(option.maximum) + 1))
    elif option.type == "bool":
        values.append("maybe")
    elif option.type == "choice":
        values.append("nonsense")
    elif option.name == "image.chain":
        values.append("hf,dalle")
    elif option.name.endswith("base_url"):
        values.append("localhost:8080")
    elif option.name == "web.trusted_proxies":
        values.append("proxy.example.com")
    elif option.name == "daemon.window":
        values += ["25:00-26:00", "8-22"]
    return values


ENV_CASES = [(o.env, v) for o in OPTIONS for v in bad_values(o)]
FILE_CASES = [
    ("unknown setting", '[thread]\nlnk = "last"\n', "did you mean thread.link"),
    ("unknown section", '[threads]\ntweets = 3\n', "did you mean thread"),
    ("a secret in the file", '[x]\napi_secret = "s3cr3t-value"\n', "secrets belong in the environment"),
    ("a string for a number", '[thread]\ntweets = "three"\n', "not a whole number"),
    ("a number out of range", '[thread]\ntweets = 99\n', "above the most allowed"),
    ("not TOML", '[thread\ntweets = 3\n', "not valid TOML"),
]


def run_cli(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """The real CLI entry point, in process: its exit code, stdout and stderr."""
    from bot.cli.main import main

    with pytest.raises(SystemExit) as exited:
        main(args)
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


@fault("Settings", "every option given a value it must refuse (wrong type, out of range, unknown choice, bad URL or window)",
       "exit 2 and one line naming the variable and what is allowed; nothing runs", cases=len(ENV_CASES))
@pytest.mark.parametrize(("env", "value"), ENV_CASES)
def test_every_bad_setting_is_one_line(env: str, value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(env, value)
    code, out, err = run_cli(["post", "--dry-run"], monkeypatch, capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("bot: error: "), err
    option = next(o for o in OPTIONS if o.env == env)
    assert env in lines[0] or option.name in lines[0]
    assert not (tmp_path / "out").exists() and out == ""


@fault("Settings", "a settings file with an unknown key or section, a secret, a wrong type, a value out of range, broken TOML",
       "exit 2 and one line naming the file and the key, with a suggestion", cases=len(FILE_CASES))
@pytest.mark.parametrize(("name", "text", "words"), FILE_CASES)
def test_every_bad_settings_file_is_one_line(name: str, text: str, words: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bot.toml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_CONFIG", str(tmp_path / "bot.toml"))
    code, _out, err = run_cli(["check"], monkeypatch, capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and words in lines[0] and "bot.toml" in lines[0], err
    assert "s3cr3t-value" not in err


# --- the README table ------------------------------------------------------------------------------------------


def test_the_readme_reliability_table_is_this_suite() -> None:
    readme = README.read_text(encoding="utf-8")
    assert readme_with_table(readme, load_all()) == readme, "README's Reliability table is stale: run python tests/reliability/faults.py"
