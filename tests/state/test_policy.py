"""Posting policy: the window, the backoff, the first-run backlog."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.state import policy


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize("window,now,expected", [
    ("", at(3), True),
    ("08:00-22:00", at(8), True),
    ("08:00-22:00", at(21, 59), True),
    ("08:00-22:00", at(22), False),
    ("08:00-22:00", at(7, 59), False),
    ("22:00-06:00", at(23), True),
    ("22:00-06:00", at(5, 30), True),
    ("22:00-06:00", at(12), False),
])
def test_window(window: str, now: datetime, expected: bool) -> None:
    assert policy.in_window(window, now) is expected


@pytest.mark.parametrize("attempts,expected", [(1, 300), (2, 600), (3, 1200), (20, 86_400)])
def test_backoff_doubles_and_caps_at_a_day(attempts: int, expected: float) -> None:
    assert policy.next_attempt(attempts, 300, 1000.0) == 1000.0 + expected


@pytest.mark.parametrize("mode,count,expected", [("skip", 3, []), ("latest", 1, ["new"]), ("latest", 2, ["new", "mid"])])
def test_backlog(mode: str, count: int, expected: list[str]) -> None:
    assert policy.backlog_to_post(["new", "mid", "old"], mode, count) == expected


def test_day_and_month_start() -> None:
    now = at(15, 30)
    assert policy.day_start(now) == datetime(2026, 11, 23, tzinfo=UTC).timestamp()
    assert policy.month_start(now) == datetime(2026, 11, 1, tzinfo=UTC).timestamp()


def test_next_month_start_rolls_over_the_year() -> None:
    assert policy.next_month_start(at(15)) == datetime(2026, 12, 1, tzinfo=UTC).timestamp()
    december = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    assert policy.next_month_start(december) == datetime(2027, 1, 1, tzinfo=UTC).timestamp()


def test_budget_frees_when_enough_posts_leave_the_24_hour_window() -> None:
    now = at(12)
    t = now.timestamp()
    recent = [t - 3600, t - 7200, t - 60]  # any order
    assert policy.budget_frees_at(recent, 3, 17, 0, 3, now) == t  # fits now
    # 3 used of 4, 3 needed: the two oldest must leave; the second oldest left an hour ago + 1 s.
    assert policy.budget_frees_at(recent, 3, 4, 0, 3, now) == t - 3600 + policy.DAY + 1
    assert policy.budget_frees_at(recent, 3, 4, 0, 5, now) is None  # longer than the daily limit
    assert policy.budget_frees_at([], 10, 0, 10, 1, now) == policy.next_month_start(now)
    assert policy.budget_frees_at([], 10, 0, 10, 11, now) is None


from hypothesis import assume, given
from hypothesis import strategies as st


@given(st.integers(min_value=1, max_value=60), st.integers(min_value=1, max_value=100_000),
       st.floats(min_value=0, max_value=4e9))
def test_backoff_never_shrinks_and_never_exceeds_a_day(attempts: int, backoff: int, now: float) -> None:
    later = policy.next_attempt(attempts + 1, backoff, now)
    assert now < policy.next_attempt(attempts, backoff, now) <= later <= now + policy.DAY


@given(st.integers(min_value=0, max_value=23), st.integers(min_value=0, max_value=59),
       st.integers(min_value=0, max_value=1439), st.integers(min_value=0, max_value=1439))
def test_a_window_and_its_complement_cover_every_minute_once(hour: int, minute: int, start: int, end: int) -> None:
    assume(start != end)
    fmt = lambda m: f"{m // 60:02d}:{m % 60:02d}"  # noqa: E731
    now = at(hour, minute)
    assert policy.in_window(f"{fmt(start)}-{fmt(end)}", now) != policy.in_window(f"{fmt(end)}-{fmt(start)}", now)
