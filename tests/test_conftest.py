"""The BOT_TEST_REQUIRE_ALL switch: a missing component skips a test, or fails it under .ci/run."""

from __future__ import annotations

import pytest
from conftest import require_or_skip


def test_a_missing_component_skips_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOT_TEST_REQUIRE_ALL", raising=False)
    with pytest.raises(pytest.skip.Exception, match="node is not installed"):
        require_or_skip("node is not installed")


def test_require_all_turns_the_skip_into_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TEST_REQUIRE_ALL", "1")
    with pytest.raises(pytest.fail.Exception, match="BOT_TEST_REQUIRE_ALL=1 .*node is not installed"):
        require_or_skip("node is not installed")
