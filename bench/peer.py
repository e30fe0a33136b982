"""`bot post --dry-run` as a whole process beside feed2toot's `-n` on the same feed: wall time and peak RSS.

feed2toot (the peer: RSS to Mastodon) is installed from PyPI into a throwaway virtualenv under the system's temp
folder, made once and reused by later runs. Both read the bundled sample feed from disk; both print what they
would post and post nothing. Runs are interleaved (one of each, in turn), so both see the same machine load.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchlib import Figure, bot_command, child_env, empty_config, median, ms

RUNS = 7
PEER = "feed2toot"
PEER_VENV = Path(tempfile.gettempdir()) / "bot-bench-feed2toot-venv"
RSS_TARGET_MB = 48.0


def peer_command() -> Path:
    """feed2toot's console script in its own virtualenv, installed on first use (needs PyPI, once)."""
    script = PEER_VENV / "bin" / PEER
    if script.exists():
        return script
    subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True, capture_output=True, timeout=300)
    done = subprocess.run([str(PEER_VENV / "bin" / "pip"), "install", "-q", PEER], capture_output=True, text=True,
                          timeout=600)
    if done.returncode != 0 or not script.exists():
        why = (done.stderr or done.stdout).strip()[-200:]
        raise RuntimeError(f"`pip install {PEER}` into {PEER_VENV} failed: {why}")
    return script


def _peer_config(tmp: Path, feed: Path) -> Path:
    """feed2toot's settings: the feed, a message format, a cache and a lock in `tmp` (a fresh cache each run)."""
    path = tmp / "feed2toot.ini"
    path.write_text(
        "[mastodon]\ninstance_url=http://127.0.0.1:9\n"
        f"user_credentials={tmp / 'user.txt'}\nclient_credentials={tmp / 'client.txt'}\n"
        f"[cache]\ncachefile={tmp / 'feed2toot-cache.db'}\n[lock]\nlock_file={tmp / 'feed2toot.lock'}\n"
        f"[rss]\nuri={feed}\ntoot={{title}} {{link}}\n", encoding="utf-8")
    return path


def _warm(cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
    """One untimed run: fills the disk cache, and a failure shows its output instead of a figure."""
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        why = (done.stderr or done.stdout).strip()[-200:]
        raise RuntimeError(f"{' '.join(cmd[:3])} ... exited {done.returncode}: {why}")


# A small launcher times the command and reads its peak RSS from wait4: a child forked (or vforked) from this
# big benchmark process would count the parent's pages in its own ru_maxrss until it execs.
_LAUNCHER = """
import os, sys, time
start = time.perf_counter()
null = os.open(os.devnull, os.O_WRONLY)
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ, file_actions=[
    (os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)])
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status))
"""


def _run_rss(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds (user + system) of one whole process, from the launcher."""
    done = subprocess.run([sys.executable, "-S", "-c", _LAUNCHER, *cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)
    seconds, rss_kb, cpu, code = done.stdout.split()
    if done.returncode != 0 or code != "0":
        raise RuntimeError(f"{' '.join(cmd[:3])} ... exited {code}: {done.stderr.strip()[-200:]}")
    return float(seconds), round(int(rss_kb) / 1024, 1), float(cpu)  # kB on Linux


def versus_peer(tmp: Path) -> list[Figure]:
    """Median wall time and peak RSS of `bot post --dry-run` and `feed2toot -n` on the sample feed, interleaved."""
    from bot.feed.source import SAMPLE_FEED

    work = Path(tempfile.mkdtemp(prefix="peer-", dir=tmp))
    env = child_env(BOT_CONFIG=empty_config(tmp), BOT_OUTPUT_DIR=work / "out", BOT_STORE_SQLITE_PATH=work / "bot.db")
    # As installed by pip, both run from bytecode: the warm-up writes it (outside the repo), the timed runs read it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    bot = bot_command() + ["post", "--dry-run", "--feed", str(SAMPLE_FEED)]
    _warm(bot, work, env)
    peer_error = ""
    try:
        peer = [str(peer_command()), "-c", str(_peer_config(work, SAMPLE_FEED)), "-n", "-l", "1"]
        _warm(peer, work, env)
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        peer, peer_error = [], str(exc)
    times: dict[str, list[float]] = {"bot": [], PEER: []}
    rss: dict[str, list[float]] = {"bot": [], PEER: []}
    cpu: dict[str, list[float]] = {"bot": [], PEER: []}
    for _ in range(RUNS):
        for name, cmd in (("bot", bot), (PEER, peer)):
            if not cmd:
                continue
            if name == PEER:
                (work / "feed2toot-cache.db").unlink(missing_ok=True)  # so it has an entry to (not) post each run
            seconds, mb, used = _run_rss(cmd, work, env)
            times[name].append(seconds)
            rss[name].append(mb)
            cpu[name].append(used)
    bot_s, bot_mb = median(times["bot"]), max(rss["bot"])
    peer_s = median(times[PEER]) if times[PEER] else None
    peer_mb = max(rss[PEER]) if rss[PEER] else None
    clock = Figure("dry_run_process_ms", f"`bot post --dry-run`, whole process (median of {RUNS})", ms(bot_s), "ms",
                   ms(peer_s) if peer_s else None)
    memory = Figure("dry_run_process_rss_mb", "`bot post --dry-run`, peak RSS", bot_mb, "MB", RSS_TARGET_MB)
    side = {"bot_ms": [ms(t) for t in times["bot"]], f"{PEER}_ms": [ms(t) for t in times[PEER]],
            "bot_cpu_ms": [ms(t) for t in cpu["bot"]], f"{PEER}_cpu_ms": [ms(t) for t in cpu[PEER]],
            "bot_rss_mb": rss["bot"], f"{PEER}_rss_mb": rss[PEER], "bot_command": " ".join(bot),
            f"{PEER}_command": " ".join(peer) or peer_error, "load_average": [round(x, 2) for x in os.getloadavg()]}
    clock.details = memory.details = side
    if peer_s is None:
        clock.notes.append(f"{PEER} not measured ({peer_error}); the target is its `-n` time on the same feed")
    else:
        clock.notes.append(f"{PEER} -n: {ms(peer_s)} ms on the same feed; bot/{PEER} = {bot_s / peer_s:.2f}x")
        bot_cpu, peer_cpu = median(cpu["bot"]), median(cpu[PEER])
        clock.notes.append(f"CPU (user + system, median; steadier than wall time on a loaded machine): bot "
                           f"{ms(bot_cpu)} ms, {PEER} {ms(peer_cpu)} ms, {bot_cpu / peer_cpu:.2f}x")
        memory.notes.append(f"{PEER} -n: {peer_mb} MB peak RSS on the same feed")
    imports = _importtime(bot, work, env)
    clock.details["bot_importtime"] = imports
    clock.notes.append(f"bot imports: {imports['total_ms']} ms (importtime); heaviest modules (self ms): " +
                       ", ".join(f"{name} {t}" for name, t, _ in imports["heaviest_modules_ms"]))
    return [clock, memory]


def _importtime(cmd: list[str], cwd: Path, env: dict[str, str]) -> dict[str, object]:
    """`python -X importtime` of the same dry run, summarised (the ten heaviest modules, the packages, the roots)."""
    from startup import parse_importtime, summarise_importtime

    # [bot, post, ...] or [python, -m, bot, post, ...]: the same under `python -X importtime`
    trace_cmd = [sys.executable, "-X", "importtime", *(cmd[1:] if cmd[1] == "-m" else cmd)]
    done = subprocess.run(trace_cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    return summarise_importtime(parse_importtime(done.stderr))
