"""Does a tree's `bot post --dry-run` write exactly what another tree's does? (the check behind start-up cuts)

    python bench/same_output.py ORACLE_TREE [CANDIDATE_TREE] [FEED ...]

Runs `python -m bot post --dry-run --feed FEED --entry ENTRY --out DIR` with each tree first on PYTHONPATH, for
every entry of every feed (default: the bundled sample, tests/fixtures/*.xml and ../shared/feeds/*.xml), and
compares byte for byte what a user sees: thread.json, preview.html, the image, stdout and stderr. Both runs
use the same output folder, the same clean environment (no BOT_*/X_*/HF_* variables, no settings file, offline
writer and title card) and the same working folder, so nothing but the code differs. Prints one line per entry
and exits 1 on any difference.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
FILES = ("thread.json", "preview.html", "image.jpg", "image.png")


def _entries(feed: Path) -> list[str]:
    import feedparser

    parsed = feedparser.parse(str(feed))
    return [e.get("id") or e.get("link") or "" for e in parsed.entries if e.get("id") or e.get("link")]


def _env(tree: Path, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("X_", "BOT_", "HF_", "HUGGING", "BLUESKY_", "MASTODON_")) and k != "DATABASE_URL"}
    env.update(PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1", COLUMNS="100", BOT_CONFIG=str(tmp / "none.toml"),
               BOT_STORE_SQLITE_PATH=str(tmp / "bot.db"), HF_HOME=str(tmp / "hf-home"))
    return env


def _run(tree: Path, feed: Path, entry: str, tmp: Path) -> dict[str, bytes]:
    out = tmp / "out"
    shutil.rmtree(out, ignore_errors=True)
    done = subprocess.run([sys.executable, "-m", "bot", "post", "--dry-run", "--feed", str(feed), "--entry", entry,
                           "--out", str(out)], env=_env(tree, tmp), cwd=tmp, capture_output=True, timeout=120)
    got = {"exit": str(done.returncode).encode(), "stdout": done.stdout, "stderr": done.stderr}
    for name in FILES:
        if (out / name).exists():
            got[name] = (out / name).read_bytes()
    return got


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[2].strip())
        return 2
    oracle = Path(argv[0]).resolve()
    candidate = Path(argv[1]).resolve() if len(argv) > 1 else HERE
    feeds = [Path(f) for f in argv[2:]] or [HERE / "bot" / "data" / "sample_feed.xml",
                                             *sorted((HERE / "tests" / "fixtures").glob("*.xml")),
                                             *sorted(f for up in (HERE.parent, HERE.parent.parent)
                                                    for f in (up / "shared" / "feeds").glob("*.xml"))]
    differ = 0
    with tempfile.TemporaryDirectory(prefix="same-output-") as name:
        tmp = Path(name)
        (tmp / "none.toml").write_text("", encoding="utf-8")
        for feed in feeds:
            for entry in _entries(feed) or ["latest"]:
                want, got = _run(oracle, feed, entry, tmp), _run(candidate, feed, entry, tmp)
                diff = sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))
                differ += bool(diff)
                status = "same" if not diff else "DIFFERENT: " + ", ".join(diff)
                print(f"{feed.name} {entry[:60]}: exit {got['exit'].decode()}, {status}", flush=True)
    print(f"{differ} entr{'y differs' if differ == 1 else 'ies differ'}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
