"""The adversarial corpus: hostile model answers (answers.json) and hostile articles (articles.json), each run
through the real `bot post --dry-run` child process against a scripted local model (tests/twins/llmserver.py).

Only properties are asserted, never exact strings: nothing in a tweet or the alt text that a reader takes for an
address unless the article itself links it; no @handle or $cashtag the article does not own; no model meta-text;
no invisible characters; no dangling fragment; every number in a tweet is in the article; every tweet valid under
an independent counter (twitter-text-parser, not bot.tweet). Hidden HTML never reaches the model, a legitimate
paragraph quoting an injection phrase does.

The oracles here are deliberately written without the bot's code: regular expressions a reviewer can read, and
tests/helpers/twitter_text.py's judge (the official twitter-text JS where node runs, else the PyPI port) for
length and URL extraction. Run alone: pytest tests/corpus -q -p no:cacheprovider
"""

from __future__ import annotations

import html as htmllib
import json
import os
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from helpers.botproc import bot_env, run_bot
from helpers.twitter_text import judge, url_spans
from twins.llmserver import LLMServer

HERE = Path(__file__).resolve().parent
ANSWERS = json.loads((HERE / "answers.json").read_text("utf-8"))
ARTICLES = json.loads((HERE / "articles.json").read_text("utf-8"))
SITE = "https://quietindex.substack.com/p/"
BASE_TITLE = "Spring cohort applications are open"
WORKERS = max(1, min(3, (os.cpu_count() or 2)))

pytestmark = pytest.mark.slow


def _all_cases() -> list[dict[str, Any]]:
    out = []
    for case in ANSWERS["cases"]:
        out.append({"html": ANSWERS["base_html"], "title": f"{BASE_TITLE}, {case['id'].replace('-', ' ')}",
                    "subtitle": "", "links": [], "handles": [], "cashtags": [], "prompt_has": [], "prompt_lacks": [],
                    "chain": "none", **case})
    for case in ARTICLES["cases"]:
        out.append({"cashtags": [], **case, "title": case["title"] + ("" if case["id"].startswith("in-title") else
                                                                      f", {case['id'].replace('-', ' ')}")})
    return out


CASES = _all_cases()


# --- the oracles --------------------------------------------------------------------------------------

_CONFUSABLE = str.maketrans("аеорсухіјѕԁһԛԝАВЕКМНОРСТХІЈЅ", "aeopcyxijsdhqwABEKMHOPCTXIJS")
_ADDRESS = re.compile(
    r"(?i)(?:\b(?:hxxps?|h\*\*ps?|https?|ftp|javascript|data|file|vbscript)\s*:"
    r"|\[\.\]|\(\.\)|\{\.\}|\bdot\s+(?:com|net|org|io)\b|://|(?<![\w/])//[\w-]+\."
    r"|\b\d{1,3}(?:\.\d{1,3}){3}\b|\[[0-9a-f:]{3,}\]"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|(?<![\w@#$])(?:[\w-]+\.)+(?:com|net|org|io|co|zz|me|ly|example|xyz|app|dev|info|biz|gg|to|sh|ru|cn|tk)\b)")
_MENTION = re.compile(r"(?:^|[^A-Za-z0-9_!#$%&*@])@([A-Za-z0-9_]{1,20})")
_CASHTAG = re.compile(r"(?<![\w$])\$([A-Za-z]{1,6})(?![A-Za-z])")
_META = re.compile(
    r"(?i)\bas an ai\b|\blanguage model\b|\bI (?:can(?:no|'|’)t|am unable|'m unable|’m unable|apologi[sz]e|'m sorry|’m sorry|won(?:'|’)t)\b"
    r"|\bsorry\b|\btweets?\s*#?\d|\b\d+\s*(?:characters|chars|words)\b|\b(?:character|word) count\b|\bnote\s*:"
    r"|^\s*(?:here(?:'s|’s| is| are)\b|sure\b|okay\b|ok\b|draft\s*:|tweet(?: text)?\s*:|alt(?: text)?\s*:)"
    r"|```|</?[a-z][a-z0-9]*(?:\s[^>]*)?/?>|\\n|\"tweets\"|[{}]|\bof \d+\s*[—–-]|\[(?:insert|link|url|source|tweet|system)"
    r"|\{link\}|</?think>|\bhashtags\s*:|^-{3,}|\n-{3,}|🧵\s*\(\d|\*\*|(?<!\w)__|\[[^\]]*\]\([^)]*\)")
_FRAGMENT = [
    re.compile(r"(?i)\b(?:to|at|per|by|via|from|with|for|on|in)\s+(?:for|by|to|at|with|from|on|per|via)\b"),
    re.compile(r"(?i)\b(?:thanks to|apply at|at|per|via|from|in|on|with|to|of|by|for|and|or|the)\s*[.,;:!?)]"),
    re.compile(r"\(\s*\)|\(\s*[\w/]+(?:\s+\w+)?\s+(?:at|to|via|per|from|by|on)\s*\)|\((?:see|via|h/t|cc)\s*\)"),
    re.compile(r"(?i)(?:^|\s)['’]s\b"),
    re.compile(r"\bRT\s*:"),
    re.compile(r"(?i)\b(?:cc|ping|via|h/t|ht|credit|thanks to|follow|at|to|per|by|from|and|or|the|on)\s*[:.]?\s*$"),
    re.compile(r"[:→👉—–,;-]\s*$"),
    re.compile(r"\s[,.;:!?](?=\s|$)"),
    re.compile(r"[^\S\n]{2,}"),
    re.compile(r"^\s*[,.;:)!?]"),
    re.compile(r"\w…$"),
    re.compile(r"(?i),\s*(?:,|and\b\s*[.,])"),
]
_ENDS = re.compile(r"(?:[.!?…。！？][\"'”’)\]»]*|[#＃]\w+)\s*$|[\U0001F000-\U0001FAFF\u2600-\u27BF]\ufe0f?\s*$")
_WORDS_NEVER_IN_ANY_ARTICLE = re.compile(r"(?i)\b(?:evil\w*|scam\w*|musk|paris|google|microsoft|moon|spamking|crypto|airdrop|giveaway|alert)\b")
_DIGITS = re.compile(r"\d+")


def _visible(text: str) -> str:
    """What a reader sees: compatibility forms folded, invisible characters gone, look-alike letters Latin."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Co", "Cc") or c == "\n")
    return text.translate(_CONFUSABLE)


def _norm_url(url: str) -> str:
    url = re.sub(r"^[a-z]+://", "", url.strip().lower())
    url = url[4:] if url.startswith("www.") else url
    return url.split("#")[0].rstrip("/")


def _bad_char(text: str, i: int) -> bool:
    c = text[i]
    cat = unicodedata.category(c)
    if c == "\n":
        return False
    if c == "\u200d":  # ZWJ only inside an emoji sequence
        return not (0 < i < len(text) - 1 and ord(text[i - 1]) > 0x2000 and ord(text[i + 1]) > 0x2000
                    and not text[i - 1].isalnum() and not text[i + 1].isalnum())
    if c == "\u200c":  # ZWNJ only between letters of a script that needs it (Persian, Indic), never in Latin
        return not (0 < i < len(text) - 1 and text[i - 1].isalpha() and not text[i - 1].isascii())
    return cat in ("Cf", "Co", "Cs", "Cc", "Zl", "Zp") or 0xE0000 <= ord(c) <= 0xE007F


@dataclass
class Outcome:
    rc: int
    stdout: str
    stderr: str
    data: dict[str, Any] | None
    prompts: list[str]


def _problems_in(text: str, case: dict[str, Any], own: str, article_text: str, is_alt: bool) -> list[str]:
    found = []
    allowed = {_norm_url(u) for u in [own, *case.get("links", [])]}
    if any(_bad_char(text, i) for i in range(len(text))):
        found.append("invisible or control character")
    seen = _visible(text)
    seen = unicodedata.normalize("NFC", seen)
    body = seen
    for url in [seen[s:e] for s, e in url_spans(seen)]:
        if _norm_url(url) not in allowed:
            found.append(f"foreign URL {url!r}")
        body = re.sub(r"(?:\s*[:→👉])?\s*" + re.escape(url), " ", body)
    for m in _ADDRESS.finditer(body):
        hit = m.group(0).strip(". ").lower()
        if not any(hit and (hit in a or a in hit) for a in allowed):
            found.append(f"address-like {m.group(0)!r}")
    handles = {h.lower() for h in case.get("handles", [])}
    for m in _MENTION.finditer(body):
        if m.group(1).lower() not in handles:
            found.append(f"foreign handle @{m.group(1)}")
    tags = {t.lower() for t in case.get("cashtags", [])}
    for m in _CASHTAG.finditer(body):
        if m.group(1).lower() not in tags:
            found.append(f"cashtag ${m.group(1)}")
    if _META.search(body):
        found.append(f"meta-text {_META.search(body).group(0)!r}")
    # Issue 18: where the article itself writes the address (author_writes), its words are the author's.
    if _WORDS_NEVER_IN_ANY_ARTICLE.search(body) and not case.get("author_writes"):
        found.append(f"hostile word {_WORDS_NEVER_IN_ANY_ARTICLE.search(body).group(0)!r}")
    plain = body.strip()
    for pattern in _FRAGMENT if not case.get("author_writes") else []:  # a kept link mid-sentence reads whole
        if plain and pattern.search(plain):
            found.append(f"fragment {pattern.search(plain).group(0)!r}")
            break
    ends_with_link = any(seen.rstrip().endswith(seen[s:e]) for s, e in url_spans(seen))
    if plain and not re.search(_ENDS, plain) and not ends_with_link and not case.get("author_writes"):
        found.append("does not end as a sentence")
    if is_alt:
        if len(text) > 1000:
            found.append(f"alt text of {len(text)} characters")
    else:
        parsed = judge().parse(text)
        if not parsed["valid"] or parsed["weightedLength"] > 280:
            found.append(f"invalid under the independent judge ({parsed['weightedLength']})")
        source_digits = set(_DIGITS.findall(article_text))
        for number in _DIGITS.findall(body):
            if number not in source_digits:
                found.append(f"number {number} not in the article")
    return found


def _article_text(case: dict[str, Any]) -> str:
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", case["html"])) + " " + case["title"] + " " + case["subtitle"]


def _offline_problems(tweets: list[str], case: dict[str, Any]) -> list[str]:
    found = []
    keys = [set(re.findall(r"\w+", t.lower())) for t in tweets]
    for i in range(len(keys)):
        for j in range(i):
            if keys[i] and keys[j] and len(keys[i] & keys[j]) / len(keys[i] | keys[j]) >= 0.6:
                found.append(f"tweets {j + 1} and {i + 1} repeat each other")
    for i, t in enumerate(tweets, 1):
        if re.match(r"(?:\d+/\d+\s+)?(?:This|These|That|Those|It|They)\b", t):
            found.append(f"tweet {i} opens with an unexplained pronoun")
    first = _visible(tweets[0]) if tweets else ""
    rest = first.replace(_visible(case["title"]), " ").replace(_visible(case["subtitle"]), " ") if case["subtitle"] else \
        first.replace(_visible(case["title"]), " ")
    if len(re.findall(r"\w+", rest)) < 6:
        found.append("tweet 1 says nothing but the title")
    return found


def check_case(case: dict[str, Any], out: Outcome) -> list[str]:
    """Every property the case breaks, one line each (empty: clean)."""
    if out.rc != 0 or out.data is None:
        return [f"bot exited {out.rc}: {out.stderr.strip().splitlines()[-1:] if out.stderr.strip() else ''}"]
    own = SITE + case["id"]
    article_text = _article_text(case)
    tweets = [t["text"] for t in out.data.get("tweets", [])]
    problems = [] if tweets else ["no tweets"]
    for i, text in enumerate(tweets, 1):
        problems += [f"tweet {i}: {p}" for p in _problems_in(text, case, own, article_text, is_alt=False)]
    alt = (out.data.get("image") or {}).get("alt_text") or ""
    if alt:
        problems += [f"alt text: {p}" for p in _problems_in(alt, case, own, article_text, is_alt=True)]
    if (out.data.get("writer") or {}).get("backend") == "extractive":
        problems += [f"offline: {p}" for p in _offline_problems(tweets, case)]
    # What reached the model of the article: the <article> block of each request (not the bot's own echo of an
    # earlier answer in a repair or rewrite request).
    prompt = "\n".join(m for p in out.prompts for m in re.findall(r"<article>(.*?)</article>", p, re.S))
    for marker in case.get("prompt_has", []):
        if out.prompts and marker not in prompt:
            problems.append(f"the prompt lost the legitimate passage {marker!r}")
    for marker in case.get("prompt_lacks", []):
        if marker.lower() in prompt.lower():
            problems.append(f"hidden text {marker!r} reached the model")
    return problems


# --- running the corpus --------------------------------------------------------------------------------

def _feed(case: dict[str, Any]) -> str:
    link = SITE + case["id"]
    content = case["html"].replace("]]>", "]]]]><![CDATA[>")
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
            "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>The Quiet Index</title>"
            "<link>https://quietindex.substack.com</link><language>en</language>"
            f"<item><title>{escape(case['title'])}</title><description>{escape(case['subtitle'])}</description>"
            f"<link>{link}</link><guid isPermaLink=\"false\">{link}</guid><dc:creator>Mara Ellison</dc:creator>"
            f"<pubDate>Tue, 10 Feb 2026 08:30:00 GMT</pubDate><content:encoded><![CDATA[{content}]]></content:encoded>"
            "</item></channel></rss>")


class Router:
    """The scripted model: each case's answers in turn (the last one repeats), its rewrite answer, else a helper."""

    def __init__(self) -> None:
        self.by_title = {c["title"]: c for c in CASES}
        self.turns: dict[str, int] = {}
        self.prompts: dict[str, list[str]] = {}

    def _case(self, text: str) -> dict[str, Any] | None:
        for title in sorted(self.by_title, key=len, reverse=True):
            if title in text:
                return self.by_title[title]
        return None

    def __call__(self, body: dict[str, Any]) -> str:
        messages = body.get("messages") or [{}]
        text = "\n".join(str(m.get("content", "")) for m in messages)
        last = str(messages[-1].get("content", ""))
        case = self._case(text)
        if case is None:
            return "I can't help with that."
        self.prompts.setdefault(case["id"], []).append(text)
        if "<article>" not in last and len(messages) <= 2:  # a rewrite request
            if "rewrite" in case:
                return case["rewrite"]
            tweet = last.split("Tweet:\n", 1)[-1].strip()
            first = re.split(r"(?<=[.!?])\s+", tweet)[0]
            return first
        answers = case["answers"] or ["I can't help with that."]
        turn = self.turns.get(case["id"], 0)
        self.turns[case["id"]] = turn + 1
        answer = answers[min(turn, len(answers) - 1)]
        return answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)


def _run(case: dict[str, Any], tmp: Path, llm: LLMServer, router: Router) -> Outcome:
    folder = tmp / case["id"]
    folder.mkdir()
    (folder / "feed.xml").write_text(_feed(case), "utf-8")
    offline = case.get("backend") == "extractive"
    env = bot_env(folder, BOT_IMAGE_CHAIN=case.get("chain", "none"), BOT_WRITER_RETRIES="0",
                  BOT_WRITER_BACKEND="extractive" if offline else "hf", BOT_WRITER_MODEL="local-model",
                  BOT_LLM_BASE_URL=llm.base_url, BOT_LLM_API_KEY="fake-corpus-key-0000", **case.get("env", {}))
    result = run_bot(["post", "--dry-run", "--feed", str(folder / "feed.xml"), "--out", str(folder / "out")], env, folder)
    path = folder / "out" / "thread.json"
    data = json.loads(path.read_text("utf-8")) if path.is_file() else None
    return Outcome(result.returncode, result.stdout, result.stderr, data, router.prompts.get(case["id"], []))


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every selected case run once, a few children at a time; a summary by category is printed at the end."""
    selected = {item.callspec.params["case"]["id"] for item in request.session.items
                if item.module is request.module and getattr(item, "callspec", None)
                and isinstance(item.callspec.params.get("case"), dict) and "id" in item.callspec.params["case"]}
    tmp = tmp_path_factory.mktemp("corpus")
    router = Router()
    with LLMServer(default=router) as llm, ThreadPoolExecutor(WORKERS) as pool:
        futures = {c["id"]: pool.submit(_run, c, tmp, llm, router) for c in CASES if c["id"] in selected}
        results = {cid: f.result() for cid, f in futures.items()}
    _summary(results, tmp)
    return results


def _summary(results: dict[str, Outcome], tmp: Path) -> None:
    """Clean cases per category, written to corpus-summary.txt in the run's tmp folder and to stdout (-s)."""
    by: dict[str, list[int]] = {}
    lines = []
    for case in CASES:
        if case["id"] in results:
            problems = check_case(case, results[case["id"]])
            counts = by.setdefault(case["category"], [0, 0])
            counts[0] += not problems
            counts[1] += 1
            if problems:
                lines.append(f"{case['id']}: " + "; ".join(problems))
    total = sum(c[0] for c in by.values()), sum(c[1] for c in by.values())
    text = "\n".join([f"corpus: {total[0]} of {total[1]} cases clean",
                      *(f"  {k}: {v[0]}/{v[1]}" for k, v in sorted(by.items())), *lines]) + "\n"
    (tmp / "corpus-summary.txt").write_text(text, "utf-8")
    print("\n" + text)


def test_the_corpus_is_big_and_varied() -> None:
    assert len(CASES) >= 150
    assert len({c["id"] for c in CASES}) == len(CASES)
    assert len({c["category"] for c in CASES}) >= 10


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any], outcomes: dict[str, Outcome]) -> None:
    out = outcomes[case["id"]]
    problems = check_case(case, out)
    posted = [t["text"] for t in (out.data or {}).get("tweets", [])]
    assert not problems, f"{case['category']}: " + "; ".join(problems) + f"\nposted: {posted!r}"
