"""Issue 18 through the real `bot post --dry-run` on X, Bluesky and Mastodon, with a scripted local model.

Cases come from tests/corpus/reader_cases.py (written before the fix; see BLIND there); every network's posts are
read with that file's oracle (NFKC + unidecode, independent of the bot). Run alone:
PYTHONPATH=. pytest -q tests/corpus/test_reader_dryrun.py
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from corpus.reader_cases import _T, ANSWERS, ARTICLE_HTML, ATTACKER, DISGUISES, LABELS, LEAD, LEGIT, TITLE, read, words
from helpers.botproc import bot_env, run_bot
from twins.llmserver import LLMServer, good_thread

pytestmark = pytest.mark.slow
SITE = "https://pennspark.substack.com/p/"


def _cases() -> list[Any]:
    out: list[Any] = []
    pick = {"dash-glued", "dot-word", "spaced-dot", "middle-dot", "arabic-full-stop", "math-bold", "circled", "small-caps",
            "eth-name", "percent-dot", "letter-spaced", "brace-dot", "double-at", "cashtag-after-japanese", "long-cashtag"}
    for cid, attack in DISGUISES:
        if cid in pick:
            out.append({"id": f"disguise-{cid}", "answer": good_thread([f"{LEAD} {attack}", *_T[1:]]), "kind": "attack"})
    for cid, attack, label in LABELS[:8]:
        out.append({"id": f"label-{cid}", "answer": good_thread([f"{LEAD} {attack}", *_T[1:]]), "kind": "label",
                    "label": label})
    out.append({"id": "split-across-posts", "answer": good_thread([f"{LEAD} Claim it at zor", "bex.com today. " + _T[1], _T[2]]),
                "kind": "attack"})
    out.append({"id": "poster-prompt", "answer": good_thread(_T, "A poster that reads ZORBEX.COM/FREE in neon", "Poster"),
                "kind": "attack"})
    # Added after the fix (not in the blind count): the article's own link and handle taken off leave no label.
    own = SITE + "label-own-link"
    out.append({"id": "label-own-link", "answer": good_thread([f"{LEAD} Admin panel: {own}", *_T[1:]]), "kind": "label",
                "label": ["admin", "panel"]})
    out.append({"id": "label-own-handle-on-mastodon", "answer": good_thread([f"{LEAD} Questions? DM @pennspark", *_T[1:]]),
                "kind": "label-mastodon", "label": ["dm", "questions"]})
    for cid, answer, has, lacks in ANSWERS:
        out.append({"id": f"answer-{cid}", "answer": answer, "kind": "answer", "has": has, "lacks": lacks})
    for cid, text, keep in LEGIT:
        out.append({"id": f"legit-{cid}", "answer": good_thread([LEAD, text, _T[1]]), "kind": "legit", "keep": keep})
    return out


PARAMS = _cases()
CASES = [p if isinstance(p, dict) else p.values[0] for p in PARAMS]


def _feed(case: dict[str, Any]) -> str:
    link = SITE + case["id"]
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            "<channel><title>Penn Spark</title><link>https://pennspark.substack.com</link>"
            f"<item><title>{escape(TITLE + ' ' + case['id'])}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>Tue, 10 Feb 2026 08:30:00 GMT</pubDate><content:encoded><![CDATA[{ARTICLE_HTML}]]></content:encoded>"
            "</item></channel></rss>")


def _router(body: dict[str, Any]) -> str:
    messages = body.get("messages") or [{}]
    text = "\n".join(str(m.get("content", "")) for m in messages)
    for case in sorted(CASES, key=lambda c: -len(c["id"])):
        if f"{TITLE} {case['id']}" in text:
            if "<article>" not in str(messages[-1].get("content", "")):
                return "I can't help with that."  # no rewrite: what hygiene does alone is judged
            return str(case["answer"])
    return "I can't help with that."


def _run(case: dict[str, Any], tmp: Path, base_url: str) -> dict[str, Any]:
    folder = tmp / case["id"]
    folder.mkdir()
    (folder / "feed.xml").write_text(_feed(case), "utf-8")
    env = bot_env(folder, BOT_IMAGE_CHAIN="none", BOT_WRITER_RETRIES="0", BOT_WRITER_BACKEND="hf",
                  BOT_WRITER_MODEL="local-model", BOT_LLM_BASE_URL=base_url, BOT_LLM_API_KEY="fake-reader-key-0000",
                  BOT_NETWORKS="x,bluesky,mastodon")
    done = run_bot(["post", "--dry-run", "--feed", str(folder / "feed.xml"), "--out", str(folder / "out")], env, folder)
    path = folder / "out" / "thread.json"
    data = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    return {"rc": done.returncode, "stderr": done.stderr[-500:], "data": data}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("reader")
    with LLMServer(default=_router) as llm, ThreadPoolExecutor(2) as pool:
        futures = {c["id"]: pool.submit(_run, c, tmp, llm.base_url) for c in CASES}
        return {cid: f.result() for cid, f in futures.items()}


def _posts(data: dict[str, Any]) -> dict[str, list[str]]:
    own = (data.get("entry") or {}).get("link") or SITE  # the article's own link, placed by the bot: not judged
    threads = {n: [t["text"].replace(own, "") for t in v.get("tweets", [])] for n, v in (data.get("threads") or {}).items()}
    threads.setdefault("x", [t["text"].replace(own, "") for t in data.get("tweets", [])])
    return threads


def test_enough_cases() -> None:
    assert len(CASES) >= 20 and {"attack", "label", "answer", "legit"} <= {c["kind"] for c in CASES}


@pytest.mark.parametrize("case", PARAMS, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any], outcomes: dict[str, dict[str, Any]]) -> None:
    out = outcomes[case["id"]]
    assert out["rc"] == 0 and out["data"], out["stderr"]
    posts = _posts(out["data"])
    assert set(posts) == {"x", "bluesky", "mastodon"}, posts.keys()
    image = out["data"].get("image") or {}
    for network, texts in posts.items():
        joined = "".join(texts)
        seen = [*texts, joined, image.get("alt_text") or "", image.get("prompt") or ""]
        assert not any(ATTACKER in read(t) for t in seen), f"{network}: {texts!r} {image!r}"
        if case["kind"] == "label" or (case["kind"] == "label-mastodon" and network == "mastodon"):
            left = [w for w in case["label"] if w in words(" ".join(texts))]
            assert not left, f"{network}: {left} left behind: {texts!r}"
        if case["kind"] in ("attack", "label") and case["id"] != "poster-prompt":
            assert "applicationsareopen" in read(joined), f"{network}: the article's sentence was lost: {texts!r}"
        if case["kind"] == "answer":
            assert out["data"]["writer"]["backend"] == "hf", out["data"]["writer"]
            for piece in case["has"]:
                assert piece in "\n".join(texts), f"{network}: lost {piece!r}: {texts!r}"
            for piece in case["lacks"]:
                assert piece not in "\n".join(texts), f"{network}: kept {piece!r}: {texts!r}"
        if case["kind"] == "legit" and (network == "x" or not any(k.startswith("@") for k in case["keep"])):
            for piece in case["keep"]:
                assert piece in "\n".join(texts), f"{network}: lost {piece!r}: {texts!r}"
