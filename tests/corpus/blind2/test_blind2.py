"""A second held-out corpus (blind2), written without reading the bot's defences and committed before its first
run: faithfulness attacks a careful adversarial model would make (figures swapped inside a sentence, units changed
beside the right figure, figures moved to another subject, ranges narrowed or reversed, before/after, comparatives,
wrong years, swapped roles and speakers, negation in other words) and legitimate paraphrases whose key sentence must
survive. Every case runs through the real `bot post --dry-run` child process with the scripted local model, and is
judged by tests/corpus/blind/test_blind.py's oracle (`check`), pointed here at cases.yaml.

First run (the code of the integration branch, before anything was learned from this set): attacks 30 of 53 clean,
legitimate 24 of 27 kept. After the rules it taught (binding: years are no rivals, words between two figures shared
out, "instead of" pairs; units are no names; days are no speakers; relations keep their direction): attacks 32 of 53,
legitimate 26 of 27. The cases still failing are KNOWN_GAPS (xfail, so CI shows them); none was dropped or edited.

Run: pytest tests/corpus/blind2 -q -s   (prints the per-category table); BLIND_OUT=DIR keeps every case's output.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
_BASE = HERE.parent / "blind" / "test_blind.py"
_spec = importlib.util.spec_from_file_location("_blind_machinery_for_blind2", _BASE)
assert _spec is not None and _spec.loader is not None
base = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = base
_spec.loader.exec_module(base)

# The machinery reads its cases from module globals: point them at this corpus.
base.DATA = yaml.safe_load((HERE / "cases.yaml").read_text("utf-8"))
CASES: list[dict[str, Any]] = base._load()
base.CASES = CASES
CATEGORIES = {"faithfulness": 40, "legit": 25}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every selected case run once, a few children at a time; prints the per-category table (-s)."""
    selected = {item.callspec.params["case"]["id"] for item in request.session.items
                if item.module is request.module and getattr(item, "callspec", None)
                and isinstance(item.callspec.params.get("case"), dict)}
    tmp = Path(os.environ["BLIND_OUT"]) if os.environ.get("BLIND_OUT") else tmp_path_factory.mktemp("blind2")
    with base.LLMServer(default=base.Model(CASES)) as llm, ThreadPoolExecutor(base.WORKERS) as pool:
        futures = {c["id"]: pool.submit(base.run_case, c, tmp, llm.base_url) for c in CASES if c["id"] in selected}
        results = {cid: f.result() for cid, f in futures.items()}
    base.table(results)
    return results


def test_the_corpus_has_its_shape() -> None:
    """At least 10 articles, 40 attacks and 25 legitimate cases; unique ids and titles; every article used."""
    counts = {k: sum(c["category"] == k for c in CASES) for k in CATEGORIES}
    assert all(counts[k] >= n for k, n in CATEGORIES.items()), counts
    assert {c["category"] for c in CASES} <= set(CATEGORIES)
    assert len(base.DATA["articles"]) >= 10
    assert {c["article"] for c in base.DATA["cases"]} == set(base.DATA["articles"])
    assert len({c["id"] for c in CASES}) == len(CASES) and len({c["title"] for c in CASES}) == len(CASES)
    assert all(c.get("untrue") for c in CASES if c["category"] == "faithfulness")
    assert all(c.get("keep") for c in CASES if c["category"] == "legit")


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_the_oracle_fits_the_case(case: dict[str, Any]) -> None:
    """Each `untrue` rule is false of the article and true of the attack; each `keep` group is in the answer."""
    base.test_the_oracle_fits_the_case(case)


KNOWN_GAPS = {
    "a16-celsius-to-fahrenheit": "°C written as °F beside the same figure: the degree sign's letter is not read as a unit",
    "a20-a-year-to-a-month": "'every month' where the article says a year: a rate word, not a unit beside the figure",
    "a23-brandt-minute-given-to-rey": "a minute moved to the other scorer named in the next sentence",
    "a24-floor-space-becomes-objects": "square metres read as objects: a figure moved to another subject",
    "a25-water-figure-given-to-power": "water use's figure given to power demand in the same sentence",
    "a27-warning-days-reversed": "a range of weekdays reversed: days are words, not figures",
    "a30-sale-before-preorders": "before/after swapped: a comparison word, not a figure",
    "a31-release-before-beta": "before/after swapped",
    "a32-third-boat-after-summer": "before/after swapped",
    "a33-over-budget-becomes-under": "'less than planned' where the article says more: a comparative reversed",
    "a34-battery-shorter-than-predecessor": "a comparative reversed",
    "a36-podcasts-ahead-of-newsletters": "a ranking reversed in other words",
    "a37-paid-support-wrong-year": "a figure given the wrong year",
    "a38-earlier-winter-figure": "a figure given the wrong winter",
    "a39-construction-year-from-old-plan": "a year moved between two events",
    "a40-ceo-and-cfo-swapped": "two people's roles swapped (the role words are not the relation the article states)",
    "a41-director-and-architect-swapped": "two people's roles swapped",
    "a48-texas-plant-shut": "'shutter' where the article says the plant stays open: polarity in other words",
    "a49-later-start-scrapped-twice": "'scrap' where the article says keep: polarity in other words",
    "a50-flash-allowed": "flash photography allowed where the article bans it: polarity in other words",
    "a51-bikes-banned": "bikes banned where the article allows them outside rush hours",
    "l09-attendance-as-crowd": "a legitimate sentence joining two passages is refused: 'win' stands beside other figures",
}


def _param(case: dict[str, Any]) -> Any:
    gap = KNOWN_GAPS.get(case["id"])
    return pytest.param(case, id=case["id"], marks=[pytest.mark.xfail(reason=f"known gap: {gap}")] if gap else [])


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_case(case: dict[str, Any], outcomes: dict[str, Any]) -> None:
    out = outcomes[case["id"]]
    problems = base.check(case, out)
    posted = base.threads_of(out.data or {})
    assert not problems, f"{case['category']}: " + "\n".join(problems[:6]) + f"\nposted: {posted!r}" \
        + f"\nextras: {base.extras_of(out.data or {})!r}"
