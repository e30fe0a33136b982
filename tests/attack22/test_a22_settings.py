"""attack22: every missing or malformed LinkedIn/Threads setting or credential gives one clear line naming it, and no
traceback, from `bot check`, `bot post --dry-run` and `bot post` (the real command, against the twins)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.botproc import ENTRY, bot_env, run_bot
from twins.linkedin import AUTHOR, LinkedInTwin
from twins.linkedin import TOKEN as LI_TOKEN
from twins.threads import TOKEN as TH_TOKEN
from twins.threads import USER_ID, ThreadsTwin

pytestmark = pytest.mark.slow  # child processes

DROP = object()
# (case, network, the change, what the line must name)
CASES = [
    ("li-no-token", "linkedin", {"LINKEDIN_ACCESS_TOKEN": DROP}, "LINKEDIN_ACCESS_TOKEN"),
    ("li-no-author", "linkedin", {"LINKEDIN_AUTHOR": DROP}, "LINKEDIN_AUTHOR"),
    ("li-author-not-urn", "linkedin", {"LINKEDIN_AUTHOR": "mara-ellison"}, "LINKEDIN_AUTHOR"),
    ("li-author-someone-else", "linkedin", {"LINKEDIN_AUTHOR": "urn:li:person:999"}, "LINKEDIN_AUTHOR"),
    ("li-author-empty-id", "linkedin", {"LINKEDIN_AUTHOR": "urn:li:person:"}, "LINKEDIN_AUTHOR"),
    ("li-token-newline", "linkedin", {"LINKEDIN_ACCESS_TOKEN": "abc\ndef"}, "LINKEDIN_ACCESS_TOKEN"),
    ("li-token-not-latin1", "linkedin", {"LINKEDIN_ACCESS_TOKEN": "tök€n-ÅÄÖ"}, "LINKEDIN_ACCESS_TOKEN"),
    ("li-token-spaces", "linkedin", {"LINKEDIN_ACCESS_TOKEN": "   "}, "LINKEDIN_ACCESS_TOKEN"),
    ("li-version-bad", "linkedin", {"LINKEDIN_API_VERSION": "2025-11"}, "LINKEDIN_API_VERSION"),
    ("li-base-ftp", "linkedin", {"LINKEDIN_BASE_URL": "ftp://api.linkedin.com"}, "LINKEDIN_BASE_URL"),
    ("li-timeout-word", "linkedin", {"BOT_LINKEDIN_TIMEOUT": "soon"}, "BOT_LINKEDIN_TIMEOUT"),
    ("li-comment-maybe", "linkedin", {"BOT_LINKEDIN_LINK_IN_COMMENT": "maybe"}, "BOT_LINKEDIN_LINK_IN_COMMENT"),
    ("li-token-file-dir", "linkedin", {"BOT_LINKEDIN_TOKEN_FILE": "/"}, "BOT_LINKEDIN_TOKEN_FILE"),
    ("th-no-token", "threads", {"THREADS_ACCESS_TOKEN": DROP}, "THREADS_ACCESS_TOKEN"),
    ("th-no-user", "threads", {"THREADS_USER_ID": DROP}, "THREADS_USER_ID"),
    ("th-user-path", "threads", {"THREADS_USER_ID": "me/../123"}, "THREADS_USER_ID"),
    ("th-user-word", "threads", {"THREADS_USER_ID": "quietindex"}, "THREADS_USER_ID"),
    ("th-token-not-latin1", "threads", {"THREADS_ACCESS_TOKEN": "tök€n-ÅÄÖ"}, "THREADS_ACCESS_TOKEN"),
    ("th-token-newline", "threads", {"THREADS_ACCESS_TOKEN": "abc\ndef"}, "THREADS_ACCESS_TOKEN"),
    ("th-base-noscheme", "threads", {"THREADS_BASE_URL": "graph.threads.net"}, "THREADS_BASE_URL"),
    ("th-timeout-zero", "threads", {"BOT_THREADS_TIMEOUT": "0"}, "BOT_THREADS_TIMEOUT"),
    ("th-token-file-unwritable", "threads", {"BOT_THREADS_TOKEN_FILE": "/proc/a22/threads-token.json"},
     "BOT_THREADS_TOKEN_FILE"),
]


def _names(name: str) -> tuple[str, ...]:
    """The env name, and the settings key it stands for (linkedin.author for LINKEDIN_AUTHOR)."""
    key = name.lower().removeprefix("bot_")
    section, _, rest = key.partition("_")
    return name, f"{section}.{rest}"


@pytest.mark.parametrize(("case", "network", "change", "named"), CASES, ids=[c[0] for c in CASES])
def test_a22_a_bad_setting_is_one_clear_line_and_no_traceback(feed_url: str, tmp_path: Path, case: str,
                                                              network: str, change: dict[str, object],
                                                              named: str) -> None:
    with LinkedInTwin() as li, ThreadsTwin(token_issued=0.0) as th:
        creds = {"LINKEDIN_ACCESS_TOKEN": LI_TOKEN, "LINKEDIN_AUTHOR": AUTHOR, "LINKEDIN_BASE_URL": li.base,
                 "BOT_LINKEDIN_TIMEOUT": "3"} if network == "linkedin" else {
            "THREADS_ACCESS_TOKEN": TH_TOKEN, "THREADS_USER_ID": USER_ID, "THREADS_BASE_URL": th.base,
            "BOT_THREADS_TIMEOUT": "3"}
        for key, value in change.items():
            if value is DROP:
                creds.pop(key, None)
            else:
                creds[key] = str(value)
        env = bot_env(tmp_path, "", creds, BOT_NETWORKS=network, BOT_FEED_URL=feed_url)
        problems = []
        for command in (["check"], ["post", "--dry-run", "--entry", ENTRY, "--out", str(tmp_path / "dry")],
                        ["post", "--entry", ENTRY, "--out", str(tmp_path / "out")]):
            done = run_bot(command, env, tmp_path, timeout=120)
            said = done.stdout + done.stderr
            what = " ".join(command[:2])
            if "Traceback" in said:
                problems.append(f"{what}: a traceback: {done.stderr.strip().splitlines()[-1][:160]}")
                continue
            if command[-1] == "--dry-run" or "--dry-run" in command:
                if done.returncode != 0 and not any(n in said for n in _names(named)):
                    problems.append(f"{what}: exit {done.returncode} without naming {named}: {said.strip()[-200:]}")
                continue
            if done.returncode == 0:
                problems.append(f"{what}: exit 0 (published: {len(li.posts)} LinkedIn, {len(th.posts)} Threads)")
            elif not any(n in said for n in _names(named)):
                lines = [ln for ln in said.splitlines() if ln.startswith(("problem:", "bot: error", "error"))]
                problems.append(f"{what}: does not name {named}: {' | '.join(lines)[-240:]}")
        assert not problems, problems
