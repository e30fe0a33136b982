"""The fault suite's register: each fault test declares what it tries and what must happen, and the
"Reliability" table of docs/reliability.md is rendered from this register (`python tests/reliability/faults.py` rewrites it; a test checks it).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

README = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"  # where the table lives
START, END = "<!-- reliability:start -->", "<!-- reliability:end -->"
AREAS = ("Feed", "Model", "X API", "Database", "Output folder", "Settings", "Security", "Review page")
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


def load_all() -> list[Fault]:
    """Import every fault module (each registers its faults once) and return the register."""
    import importlib

    for name in MODULES:
        importlib.import_module(name)
    return FAULTS


def table(faults: list[Fault]) -> str:
    """The markdown table: one row per fault, grouped by area in a fixed order."""
    rows = ["| area | what was tried | cases | what happened |", "|---|---|---|---|"]
    def order(f: Fault) -> tuple[int, int]:
        return AREAS.index(f.area), MODULES.index(f.module) if f.module in MODULES else len(MODULES)

    for fault_ in sorted(faults, key=order):
        rows.append(f"| {fault_.area} | {fault_.tried} | {fault_.cases} | {fault_.happened} |")
    total = sum(f.cases for f in faults)
    rows.append(f"\n{total} cases in `tests/reliability/test_faults*.py`, run by CI on every change.")
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

    registry.load_all()
    README.write_text(readme_with_table(README.read_text(encoding="utf-8"), registry.FAULTS), encoding="utf-8")
    print(f"docs/reliability.md: reliability table with {len(registry.FAULTS)} rows")
