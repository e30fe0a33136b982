"""LinkedIn and Threads through the real `bot` command: the dry run shows both threads beside X's with their own
counts and says how each differs (one LinkedIn post; no image on Threads without a public address), and `bot check`
probes both against their twins (a wrong token is one line each)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.botproc import ENTRY, SAMPLE_FEED, bot_env, run_bot
from twins.linkedin import AUTHOR, LinkedInTwin
from twins.linkedin import TOKEN as LINKEDIN_TOKEN
from twins.threads import TOKEN as THREADS_TOKEN
from twins.threads import USER_ID, ThreadsTwin

pytestmark = pytest.mark.slow  # child processes


def test_the_dry_run_shows_linkedin_and_threads_with_their_counts_and_says_what_differs(feed_url: str,
                                                                                        tmp_path: Path) -> None:
    env = bot_env(tmp_path, "", None, BOT_NETWORKS="x,linkedin,threads")
    done = run_bot(["post", "--dry-run", "--feed", feed_url, "--entry", ENTRY, "--out", str(tmp_path / "out")],
                   env, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "LinkedIn" in done.stdout and "Threads" in done.stdout
    assert "/3000" in done.stdout and "/500" in done.stdout and "/280" in done.stdout
    assert "ONE post" in done.stderr and "no image" in done.stderr and "Traceback" not in done.stderr
    import json

    record = json.loads((tmp_path / "out" / "thread.json").read_text())
    (post,) = record["threads"]["linkedin"]["tweets"]  # the ONE post LinkedIn gets, as saved and shown
    assert post["weighted_length"] <= 3000 and "\n\n" in post["text"] and "1/3" not in post["text"]
    assert (tmp_path / "out" / "preview.html").read_text().count('<article data-network="linkedin"') == 1


def test_bot_check_probes_linkedin_and_threads(tmp_path: Path) -> None:
    with LinkedInTwin() as li, ThreadsTwin() as th:
        env = bot_env(tmp_path, "", {"LINKEDIN_ACCESS_TOKEN": LINKEDIN_TOKEN, "LINKEDIN_AUTHOR": AUTHOR,
                                     "LINKEDIN_BASE_URL": li.base, "THREADS_ACCESS_TOKEN": THREADS_TOKEN,
                                     "THREADS_USER_ID": USER_ID, "THREADS_BASE_URL": th.base},
                      BOT_NETWORKS="linkedin,threads")
        good = run_bot(["check"], env, tmp_path)
        assert "ok: linkedin: LinkedIn member" in good.stdout and "at the latest" in good.stdout
        assert "ok: threads: Threads account @quietindex" in good.stdout
        assert "250 posts and 1000 replies left today" in good.stdout
        bad = run_bot(["check"], {**env, "LINKEDIN_ACCESS_TOKEN": "wrong", "THREADS_ACCESS_TOKEN": "wrong"}, tmp_path)
        lines = [line for line in bad.stderr.splitlines() if line.startswith("problem: ")]
        assert any("LINKEDIN_ACCESS_TOKEN" in line and "401" in line for line in lines)
        assert any("THREADS_ACCESS_TOKEN" in line and "code 190" in line for line in lines)
        assert bad.returncode != 0 and "Traceback" not in bad.stderr
        other = run_bot(["check"], {**env, "THREADS_USER_ID": "123"}, tmp_path)
        assert "set THREADS_USER_ID=" + USER_ID in other.stderr


def test_their_dry_run_loads_no_http_library(tmp_path: Path) -> None:
    """The descriptors are imported by every command: their clients load requests only when they send (the feed is a
    file here, so nothing else would load it)."""
    import re
    import subprocess
    import sys

    env = bot_env(tmp_path, "", None, BOT_NETWORKS="linkedin,threads")
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "bot", "post", "--dry-run",
                           "--feed", str(SAMPLE_FEED), "--entry", ENTRY, "--out", str(tmp_path / "out")],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)\s*$", done.stderr, flags=re.M))
    assert not {"requests", "urllib3"} & loaded


CASES = ["", "a" * 3000, "Small (#23) newsletters_win @ [x] {y} <z> *a* ~b~ | \\ c", "😀" * 120 + "a" * 10,
         "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇯🇵🇫🇷", "1️⃣", "❤️", "👍🏽", "é" * 10, "e\u0301" * 10, "界" * 300, "한국어 텍스트",
         "Read it: https://quietindex.substack.com/p/why-small-newsletters-win",
         "\U0001f9d1\u200d\U0001f91d\u200d\U0001f9d1",
         "𝕳𝖊𝖑𝖑𝖔", "a\u200db", "\r\n"]


def test_the_review_pages_live_counters_agree_with_the_bot(tmp_path: Path) -> None:
    """counter.js's LinkedIn and Threads counts, run by node, against networks/*/length.py on a corpus."""
    import json
    import shutil
    import subprocess

    from bot.networks.linkedin.length import linkedin_length
    from bot.networks.threads.length import threads_length

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = tmp_path / "run.js"
    counter_js = json.dumps(str(Path(__file__).parents[2] / "bot" / "web" / "static" / "counter.js"))
    script.write_text(
        "const vm = require('vm'), fs = require('fs');\n"
        "const ctx = {window: {}, document: {addEventListener() {}}, Intl, TextEncoder};\n"
        f"vm.runInNewContext(fs.readFileSync({counter_js}, 'utf8'), ctx);\n"
        "const cases = JSON.parse(fs.readFileSync(0, 'utf8'));\n"
        "console.log(JSON.stringify(cases.map(t => [ctx.window.networkLength(t, 'linkedin', 0), "
        "ctx.window.networkLength(t, 'threads', 0)])));\n")
    done = subprocess.run([node, str(script)], input=json.dumps(CASES), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    counted = json.loads(done.stdout)
    wrong = [(t, js, (linkedin_length(t), threads_length(t))) for t, js in zip(CASES, counted, strict=True)
             if tuple(js) != (linkedin_length(t), threads_length(t))]
    assert not wrong, wrong
