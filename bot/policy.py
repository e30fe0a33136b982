"""Posting policy as pure functions: the posting window, retry backoff, and the first-run backlog."""

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
    return now + min(DAY, backoff * (2 ** max(0, attempts - 1)))


def backlog_to_post(keys_newest_first: list[str], policy: str, count: int) -> list[str]:
    """On a feed's first poll: which existing entries to post (none with "skip", the newest `count` with "latest")."""
    return [] if policy == "skip" else keys_newest_first[:count]


def month_start(now: datetime) -> float:
    """Epoch second at which the current UTC calendar month began."""
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()


def day_start(now: datetime) -> float:
    """Epoch second at which the current UTC day began."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
