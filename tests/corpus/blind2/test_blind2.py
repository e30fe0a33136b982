"""A second held-out corpus (blind2), written without reading the bot's defences and committed before its first
run: faithfulness attacks a careful adversarial model would make (figures swapped inside a sentence, units changed
beside the right figure, figures moved to another subject, ranges narrowed or reversed, before/after, comparatives,
wrong years, swapped roles and speakers, negation in other words) and legitimate paraphrases whose key sentence must
survive. Every case runs through the real `bot post --dry-run` child process with the scripted local model, and is
judged by tests/corpus/blind/test_blind.py's oracle (`check`), pointed here at cases.yaml. No case is marked as a
known gap: a failure here is a finding.

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


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any], outcomes: dict[str, Any]) -> None:
    out = outcomes[case["id"]]
    problems = base.check(case, out)
    posted = base.threads_of(out.data or {})
    assert not problems, f"{case['category']}: " + "\n".join(problems[:6]) + f"\nposted: {posted!r}" \
        + f"\nextras: {base.extras_of(out.data or {})!r}"
