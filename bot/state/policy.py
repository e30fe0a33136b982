"""Posting policy as pure functions: the posting window, retry backoff, the first-run backlog, the post budget."""

from __future__ import annotations

from datetime import datetime

DAY = 86_400.0


def in_window(window: str, now: datetime) -> bool:
    """True when `now` (UTC) falls inside "HH:MM-HH:MM"; the window may wrap midnight; empty means always."""
    if not window:
        return True
    start, end = (_minutes(part) for part in window.split("-"))
    minute = now.hour * 60 + now.minute
    if start <= end:
        return start <= minute < end
    return minute >= start or minute < end


def _minutes(text: str) -> int:
    hours, minutes = text.strip().split(":")
    return int(hours) * 60 + int(minutes)


def next_attempt(attempts: int, backoff: float, now: float) -> float:
    """When to try again after `attempts` failures: the backoff doubles each time, at most a day."""
    return now + min(DAY, backoff * float(2 ** max(0, attempts - 1)))


def backlog_to_post(keys_newest_first: list[str], policy: str, count: int) -> list[str]:
    """On a feed's first poll: which existing entries to post (none with "skip", the newest `count` with "latest")."""
    return [] if policy == "skip" else keys_newest_first[:count]


def month_start(now: datetime) -> float:
    """Epoch second at which the current UTC calendar month began."""
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()


def day_start(now: datetime) -> float:
    """Epoch second at which the current UTC day began."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def next_month_start(now: datetime) -> float:
    """Epoch second at which the next UTC calendar month begins."""
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    year, month = (first.year + 1, 1) if first.month == 12 else (first.year, first.month + 1)
    return first.replace(year=year, month=month).timestamp()


def budget_frees_at(recent: list[float], used_month: int, per_day: int, per_month: int, needed: int,
                    now: datetime) -> float | None:
    """When `needed` more posts fit X's post limits (0: no limit), as an epoch second; None when they never can.

    `recent` holds the times of the posts made in the last 24 hours: the daily budget frees as the oldest of them
    leave the window; the monthly one frees when the next month begins. A thread longer than a limit never fits.
    """
    if (per_day and needed > per_day) or (per_month and needed > per_month):
        return None
    at = now.timestamp()
    excess = len(recent) + needed - per_day
    if per_day and excess > 0:
        # The store counts posts at or after now - DAY, so the post leaves the window one second later.
        at = max(at, sorted(recent)[excess - 1] + DAY + 1)
    if per_month and used_month + needed > per_month:
        at = max(at, next_month_start(now))
    return at
