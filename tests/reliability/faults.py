"""The fault suite's register: each fault test declares what it tries and what must happen, and the
"Reliability" table of docs/reliability.md is rendered from this register (`python tests/reliability/faults.py` rewrites it; a test checks it).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"  # where the table lives
START, END = "<!-- reliability:start -->", "<!-- reliability:end -->"
AREAS = ("Feed", "Model", "X API", "LinkedIn", "Threads", "Database", "Output folder", "Settings", "Security",
         "Review page")
# Rows of one area come in this order of modules (test_faults_networks before test_faults_secrets: both add Security rows).
MODULES = ("test_faults", "test_faults_feed", "test_faults_model", "test_faults_x", "test_faults_store", "test_faults_claims",
           "test_faults_networks", "test_faults_secrets", "test_faults_web", "test_faults_flood")


@dataclass(frozen=True)
class Fault:
    """One thing the suite does to the bot, and what the bot is shown to do about it."""

    area: str
    tried: str
    happened: str
    cases: int = 1
    module: str = ""  # the test module that registered it: rows of one area keep MODULES' order, however collected


FAULTS: list[Fault] = []


def fault(area: str, tried: str, happened: str, cases: int = 1) -> Callable[[Any], Any]:
    """Register a fault test (decorator); `cases` is the number of parametrised cases it runs."""
    assert area in AREAS, area

    def register(test: Any) -> Any:
        FAULTS.append(Fault(area, tried, happened, cases, str(getattr(test, "__module__", "")).rsplit(".", 1)[-1]))
        return test

    return register


# Faults whose tests live beside their network's other tests (tests/networks/, where the twins and the kill-test
# child are), named here by `path::test` (test_faults.py checks that each still exists) rather than registered by
# a decorator the suite in this folder would have to import.
_KILL = "killed (SIGKILL) "
ELSEWHERE: tuple[tuple[str, Fault], ...] = (
    ("tests/networks/test_linkedin.py::test_killed_after_the_send_before_the_record_the_rerun_posts_nothing_twice",
     Fault("LinkedIn", _KILL + "after LinkedIn made the post, before the bot recorded it; then run again",
           "the rerun finds the post among the author's latest (read back after the pending mark) and records it; "
           "one post", module="networks")),
    ("tests/networks/test_linkedin.py::test_bot_post_killed_with_the_post_in_flight_then_rerun_posts_it_once",
     Fault("LinkedIn", "`bot post` " + _KILL + "with the post's request in flight; the request lands after the "
           "death", "the rerun reads the post back and adopts it: thread.json names it, LinkedIn holds one",
           module="networks")),
    ("tests/networks/test_linkedin.py::test_without_the_read_permission_an_unknown_outcome_is_held_not_resent",
     Fault("LinkedIn", "the post's answer lost, and the token lacks r_member_social (it may not read posts back)",
           "the entry is held, not resent, on this run and every later one; the message says to look at the "
           "profile (`bot retry ENTRY --not-posted` releases it)", module="networks")),
    ("tests/networks/test_threads.py::test_killed_after_publishing_before_the_record_the_rerun_posts_nothing_twice",
     Fault("Threads", _KILL + "after Threads published post 2, before the bot recorded it; then run again",
           "the rerun finds post 2 among post 1's replies and goes on with post 3: each post once, in order",
           module="networks")),
    ("tests/networks/test_threads.py::test_bot_post_killed_with_a_publish_in_flight_then_rerun_posts_each_once",
     Fault("Threads", "`bot post` " + _KILL + "with threads_publish of post 1, or of post 2, in flight",
           "the rerun reads the landed post back and adopts it; the reply chain is the thread, each post once",
           cases=2, module="networks")),
    ("tests/networks/test_threads.py::test_a_token_that_may_not_read_replies_holds_an_unknown_outcome",
     Fault("Threads", "a publish's answer lost, and the token lacks threads_read_replies",
           "the entry is held, not published again, on this run and every later one", module="networks")),
)


def load_all() -> list[Fault]:
    """Import every fault module (each registers its faults once) and return the register, with ELSEWHERE's."""
    import importlib

    for name in MODULES:
        importlib.import_module(name)
    return [*FAULTS, *(f for _, f in ELSEWHERE)]


def table(faults: list[Fault]) -> str:
    """The markdown table: one row per fault, grouped by area in a fixed order."""
    rows = ["| area | what was tried | cases | what happened |", "|---|---|---|---|"]
    def order(f: Fault) -> tuple[int, int]:
        return AREAS.index(f.area), MODULES.index(f.module) if f.module in MODULES else len(MODULES)

    for fault_ in sorted(faults, key=order):
        rows.append(f"| {fault_.area} | {fault_.tried} | {fault_.cases} | {fault_.happened} |")
    total = sum(f.cases for f in faults)
    rows.append(f"\n{total} cases in `tests/reliability/test_faults*.py` and, for LinkedIn and Threads, beside "
                "their twins in `tests/networks/`, run by CI on every change.")
    return "\n".join(rows)


def readme_with_table(readme: str, faults: list[Fault]) -> str:
    """docs/reliability.md with the text between the reliability markers replaced by the table."""
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if not pattern.search(readme):
        raise SystemExit(f"docs/reliability.md lacks the markers {START} … {END}")
    return pattern.sub(lambda m: f"{START}\n{table(faults)}\n{END}", readme)


if __name__ == "__main__":
    sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).resolve().parents[1])]  # the suite, the servers
    import faults as registry  # this file run as __main__ is a different module from the one the tests fill

    everything = registry.load_all()
    README.write_text(readme_with_table(README.read_text(encoding="utf-8"), everything), encoding="utf-8")
    print(f"docs/reliability.md: reliability table with {len(everything)} rows")
