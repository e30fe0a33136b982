"""The BOT_TEST_REQUIRE_ALL switch, and the fast tier: a test that starts a child process is slow, or it fails."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
from conftest import require_or_skip, starts_a_child
from helpers.botproc import BotProcess, bot_env, run_bot


def test_a_missing_component_skips_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOT_TEST_REQUIRE_ALL", raising=False)
    with pytest.raises(pytest.skip.Exception, match="node is not installed"):
        require_or_skip("node is not installed")


def test_require_all_turns_the_skip_into_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TEST_REQUIRE_ALL", "1")
    with pytest.raises(pytest.fail.Exception, match="BOT_TEST_REQUIRE_ALL=1 .*node is not installed"):
        require_or_skip("node is not installed")


def test_a_fast_test_that_starts_a_child_fails_saying_so(request: pytest.FixtureRequest) -> None:
    # The module is named indirectly, as in a test conftest.py's classifier misses: the guard still stops it.
    assert request.node.get_closest_marker("slow") is None
    process = importlib.import_module("subprocess")
    with pytest.raises(pytest.fail.Exception, match="started a child process .* but is not marked slow"):
        process.run([sys.executable, "-c", "pass"], timeout=30)


def _runs_the_bot(tmp: Path) -> object:
    return run_bot(["--help"], bot_env(tmp), tmp)


def _starts_the_bot(tmp: Path) -> object:
    with BotProcess(["run"], bot_env(tmp), tmp) as bot:
        return bot.pid


def _one_step_removed(tmp: Path) -> object:
    return _runs_the_bot(tmp)


def _in_process(tmp: Path) -> object:
    return sorted(tmp.iterdir())


# Looked up by name in the test below, so the test itself names none of them and stays in the fast tier.
SAMPLES = {"run_bot": _runs_the_bot, "BotProcess": _starts_the_bot, "helper": _one_step_removed,
           "in process": _in_process}


@pytest.mark.parametrize("name, slow", [("run_bot", True), ("BotProcess", True), ("helper", True),
                                        ("in process", False)])
def test_what_a_test_uses_decides_its_tier(name: str, slow: bool, request: pytest.FixtureRequest) -> None:
    assert request.node.get_closest_marker("slow") is None  # this test itself is fast
    assert starts_a_child(SAMPLES[name]) is slow


def test_the_bot_started_as_a_child_is_marked_slow(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    assert request.node.get_closest_marker("slow") is not None  # marked by tests/conftest.py, not here
    assert run_bot(["--help"], bot_env(tmp_path), tmp_path).returncode == 0
