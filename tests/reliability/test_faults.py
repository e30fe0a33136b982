"""The fault suite: what the real world does to the bot, and proof that it keeps going, loses nothing and
posts nothing twice — or, from the command line, stops with one clear line. Each test registers itself in
tests/reliability/faults.py, which renders docs/reliability.md's table from this file."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest
from faults import README, fault, load_all, readme_with_table

from bot.core.options import OPTIONS, Option

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


NUMBERS = [o for o in OPTIONS if o.type in ("int", "float")]
UNHELD = ("nan", "inf", "-inf", "1e20", "100000000000000000000")  # values no range check may let through
UNHELD_CASES = [(o.env, v) for o in NUMBERS for v in UNHELD]


@fault("Settings", "every number given nan, inf, -inf, 1e20 or 10^20 in the environment, and nan, inf and 10^20 in "
       "the settings file (each once passed a range check and broke later: a ValueError, an OverflowError in "
       "`bot run`, a scheduler thread killed)", "exit 2 and one line naming the setting; nothing runs",
       cases=len(UNHELD_CASES) + 3)
@pytest.mark.parametrize(("env", "value"), UNHELD_CASES)
def test_no_number_outside_a_range_the_bot_can_hold_passes_the_load(
        env: str, value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(env, value)
    code, out, err = run_cli(["check"], monkeypatch, capsys)
    lines = err.strip().splitlines()
    option = next(o for o in NUMBERS if o.env == env)
    assert code == 2 and len(lines) == 1 and lines[0].startswith("bot: error: "), (option.name, value, err, out)
    assert env in lines[0] or option.name in lines[0]
    assert option.maximum is not None  # every number has a ceiling, and docs/reliability.md's table says which


@pytest.mark.parametrize("text", ["[daemon]\njitter = nan\n", "[x]\ntimeout = inf\n",
                                  "[daemon]\ninterval = 100000000000000000000\n"])
def test_no_number_outside_its_range_passes_from_the_settings_file(
        text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bot.toml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_CONFIG", str(tmp_path / "bot.toml"))
    code, _out, err = run_cli(["check"], monkeypatch, capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and text.split("\n")[1].split(" =")[0] in lines[0], err


def test_the_scheduler_holds_every_schedule_the_settings_allow() -> None:
    """The largest interval, jitter and misfire grace the load lets through, given to APScheduler itself."""
    from datetime import datetime, timedelta

    from apscheduler.triggers.interval import IntervalTrigger

    top = {o.name: o.maximum for o in NUMBERS if o.section == "daemon"}
    assert all(value is not None for value in top.values()), top
    now = datetime(2026, 12, 5, tzinfo=UTC)
    trigger = IntervalTrigger(seconds=int(top["daemon.interval"] or 0), jitter=int(top["daemon.jitter"] or 0),
                              start_date=now, timezone=UTC)
    fire = trigger.get_next_fire_time(None, now)
    for _ in range(3):
        fire = trigger.get_next_fire_time(fire, fire)
    assert fire is not None and fire - timedelta(seconds=int(top["daemon.misfire_grace"] or 0)) > now.replace(year=2000)


@fault("Settings", "store.sqlite_path naming a directory", "`bot check` exits 1 with one line naming it")
def test_a_database_path_that_is_a_directory_fails_the_check(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bot.db").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_STORE_SQLITE_PATH", str(tmp_path / "bot.db"))
    code, out, err = run_cli(["check"], monkeypatch, capsys)
    said = [line for line in (out + err).splitlines() if "bot.db" in line and "director" in line]
    assert code == 1 and len(said) == 1, out + err
    assert "Traceback" not in out + err


@fault("Settings", "store.sqlite_path naming a link to a folder that does not exist (an unmounted volume), and a "
       "FIFO", "a real `bot check` exits 1 with one line saying what the path really is (it said ok for the link, "
       "where `bot run` then failed, and called the FIFO a directory)", cases=2)
@pytest.mark.parametrize("kind", ["dangling link", "fifo"])
def test_a_database_path_no_database_can_live_at_fails_the_check(kind: str, tmp_path: Path) -> None:
    import os

    from helpers.botproc import bot_env, run_bot

    path = tmp_path / "bot.db"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(tmp_path / "unmounted" / "bot.db")
    done = run_bot(["check"], bot_env(tmp_path), tmp_path)
    said = [line for line in done.stderr.splitlines() if line.startswith("problem: database") and "bot.db" in line]
    assert done.returncode == 1 and len(said) == 1, done.stdout + done.stderr
    assert ("unmounted" in said[0] and "does not exist" in said[0]) if kind != "fifo" else \
        ("not a regular file" in said[0] and "director" not in said[0]), said[0]


@fault("Settings", "the scheduler's own thread dying (an OverflowError inside APScheduler, as a 1e20 jitter gave) "
       "while the process stays up", "one error line saying polling stopped, and the daemon exits 1 within seconds")
def test_a_scheduler_that_dies_stops_the_daemon_with_a_non_zero_exit(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import threading
    import time
    from types import MappingProxyType

    from bot.core import settings as config
    from bot.core.clock import SystemClock
    from bot.run import daemon

    # Past the load's checks (they now refuse it): a jitter no datetime can hold, so APScheduler's thread raises
    # OverflowError when it works out the next run.
    loaded = config.load({}, dotenv=None)
    unheld = config.Settings(MappingProxyType({
        **loaded.values, "feed.urls": ["https://a.example/feed"], "daemon.interval": 1, "daemon.jitter": 10**20,
        "daemon.misfire_grace": 5, "daemon.heartbeat_file": str(tmp_path / "hb"), "daemon.stall_after": 3600}),
        loaded.sources)
    polls: list[str] = []
    stop, codes = threading.Event(), []
    runner = threading.Thread(target=lambda: codes.append(
        daemon.run(unheld, lambda url, _stop: polls.append(url), SystemClock(), stop_event=stop)))
    started = time.monotonic()
    runner.start()
    runner.join(15)
    if runner.is_alive():
        stop.set()
        runner.join(25)
    assert codes == [1] and time.monotonic() - started < 15, (codes, caplog.text[-2000:])
    assert any("scheduler" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records), caplog.text[-2000:]


LONG = "9" * 5000  # past Python's 4,300-digit limit on int(): int() and tomllib raise ValueError on it
HUGE_CASES = [("file", "[daemon]\ninterval = " + LONG + "\n", "daemon.interval"),
              ("file", "[thread]\ntweets = -" + LONG + "\n", "thread.tweets"),
              ("env", "BOT_DAEMON_INTERVAL=" + LONG, "BOT_DAEMON_INTERVAL"),
              ("env", "BOT_X_TIMEOUT=" + LONG, "BOT_X_TIMEOUT")]


@fault("Settings", "a whole number of 5,000 digits (past Python's int() limit) in the settings file and in the "
       "environment, given to a real `bot check`", "exit 2 and one short line naming the setting and its most "
       "allowed value (it was `internal error: ValueError`, or a 5,000-character 'not a whole number')",
       cases=len(HUGE_CASES))
@pytest.mark.parametrize(("where", "given", "named"), HUGE_CASES)
def test_a_number_too_long_for_python_is_one_short_line(where: str, given: str, named: str, tmp_path: Path) -> None:
    from helpers.botproc import bot_env, run_bot

    env = bot_env(tmp_path)
    if where == "file":
        (tmp_path / "bot.toml").write_text(given, encoding="utf-8")
        env["BOT_CONFIG"] = str(tmp_path / "bot.toml")
    else:
        name, value = given.split("=", 1)
        env[name] = value
    done = run_bot(["check"], env, tmp_path)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and lines[0].startswith("bot: error: "), done.stderr[-600:]
    assert named in lines[0] and "internal error" not in lines[0] and len(lines[0]) < 300, lines[0][:600]
    assert ("least allowed" if "-9" in given else "most allowed") in lines[0], lines[0][:600]


# --- the table in docs/reliability.md ------------------------------------------------------------------------------------------


def test_the_reliability_table_in_docs_is_this_suite() -> None:
    readme = README.read_text(encoding="utf-8")
    assert readme_with_table(readme, load_all()) == readme, "docs/reliability.md's table is stale: run python tests/reliability/faults.py"


def test_each_fault_named_beside_its_network_is_still_a_test_there() -> None:
    """ELSEWHERE's rows name tests in tests/networks/: each must still be a test function of that file, with as
    many cases as its row says (a parametrised one by its list)."""
    import ast

    from faults import ELSEWHERE

    root = README.parents[1]
    for where, row in ELSEWHERE:
        path, name = where.split("::")
        tree = ast.parse((root / path).read_text(encoding="utf-8"))
        found = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
        assert found, f"{where} is gone: update ELSEWHERE in tests/reliability/faults.py"
        cases = 1
        for deco in found[0].decorator_list:
            if isinstance(deco, ast.Call) and getattr(deco.func, "attr", "") == "parametrize":
                cases *= len(getattr(deco.args[1], "elts", [])) or 1
        assert cases == row.cases, f"{where} runs {cases} cases; its row says {row.cases}"
