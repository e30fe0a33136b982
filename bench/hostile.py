"""The daemon's peak memory over 15 hostile feeds: `bot run --once` (backlog = latest, so every feed's newest entry
is written, illustrated and posted to a local X) against covers that are decompression bombs or 15 MB bodies,
entries of 10 MB of HTML, a 10 MB page that is not a feed and a gzip bomb. Peak RSS is the child's own
ru_maxrss (os.wait4), so nothing else this benchmark runs is counted.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import time
import zlib
from contextlib import ExitStack
from pathlib import Path

from benchlib import FAKE_X, Figure, child_env, empty_config

ESSAY = ("<p>Small newsletters win because readers chose them on purpose. Trust compounds slowly over years.</p>"
         "<p>Lists under two thousand subscribers were opened by 58 percent of readers; lists over fifty thousand, "
         "by 31 percent.</p>")
RUN_TIMEOUT = 300.0


def _png_bomb(side: int) -> bytes:
    """A complete RGBA PNG of zeros: ~250 KB for 8000x8000, 256 MB once decoded."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    packer = zlib.compressobj(9)
    row = b"\0" * (1 + side * 4)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def _gzip_bomb(megabytes: int) -> bytes:
    """`megabytes` MB of spaces after <rss>, gzipped (about 1 KB per MB), made without holding them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip container
    block = b" " * 1_000_000
    return packer.compress(b"<rss>") + b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()


def _big_jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (6000, 4000), (90, 120, 200)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _feed(slug: str, html: str, cover: str = "") -> bytes:
    enclosure = f'<enclosure url="{cover}" type="image/jpeg" length="0"/>' if cover else ""
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Hostile</title>'
            f"<item><title>Post {slug}</title><link>https://hostile.substack.com/p/{slug}</link>"
            f"<guid>https://hostile.substack.com/p/{slug}</guid><pubDate>Fri, 20 Nov 2026 09:00:00 GMT</pubDate>"
            f"<content:encoded><![CDATA[{html}]]></content:encoded>{enclosure}</item></channel></rss>").encode()


def hostile_feeds(server: object) -> dict[str, str]:
    """Route 15 hostile feeds (and their covers) on the feed server; their paths and what each is."""
    route = server.route  # type: ignore[attr-defined]
    url = server.url  # type: ignore[attr-defined]
    kinds: dict[str, str] = {}
    bomb, jpeg = _png_bomb(8000), _big_jpeg()
    ten_mb = ESSAY + "<p>" + "Another long sentence about why small lists matter to their readers. " * 150_000 + "</p>"
    for n in range(4):
        route(f"/bomb{n}.png", bomb, content_type="image/jpeg")
        route(f"/f/bomb{n}", _feed(f"bomb-{n}", ESSAY, url(f"/bomb{n}.png")))
        kinds[f"/f/bomb{n}"] = f"cover: PNG bomb, {len(bomb) // 1024} KB -> 8000x8000 RGBA"
    for n in range(3):
        route(f"/huge{n}.jpg", b"\xff\xd8\xff\xe0" + os.urandom(16_000_000), content_type="image/jpeg", unsized=True)
        route(f"/f/huge{n}", _feed(f"huge-{n}", ESSAY, url(f"/huge{n}.jpg")))
        kinds[f"/f/huge{n}"] = "cover: 16 MB body, no Content-Length"
    route("/photo.jpg", jpeg, content_type="image/jpeg")
    route("/f/photo", _feed("photo", ESSAY, url("/photo.jpg")))
    kinds["/f/photo"] = f"cover: 6000x4000 JPEG ({len(jpeg) // 1024} KB)"
    for n in range(4):
        route(f"/f/long{n}", _feed(f"long-{n}", ten_mb))
        kinds[f"/f/long{n}"] = "an entry of 10 MB of HTML"
    for n in range(2):
        route(f"/f/page{n}", b"<html><body>" + b"<div>not a feed</div>" * 500_000 + b"</body></html>",
              content_type="text/html")
        kinds[f"/f/page{n}"] = "a 10 MB web page, not a feed"
    gz = _gzip_bomb(1000)
    route("/f/gzip", gz, headers={"Content-Encoding": "gzip"})
    kinds["/f/gzip"] = f"gzip bomb: {len(gz) // 1024} KB -> 1 GB"
    return kinds


def peak_rss(tmp: Path, target_mb: float) -> Figure:
    from twins.feedserver import FeedServer
    from twins.xserver import XServer

    work = tmp / "hostile"
    work.mkdir(exist_ok=True)
    with ExitStack() as stack:
        feeds = stack.enter_context(FeedServer())
        x = stack.enter_context(XServer(keys=FAKE_X))
        kinds = hostile_feeds(feeds)
        env = child_env(BOT_CONFIG=empty_config(tmp), BOT_FEED_URL=",".join(feeds.url(p) for p in kinds),
                        BOT_DAEMON_BACKLOG="latest", BOT_STORE_SQLITE_PATH=work / "bot.db",
                        BOT_DAEMON_HEARTBEAT_FILE=work / "bot.heartbeat", BOT_OUTPUT_DIR=work / "out",
                        BOT_WRITER_BACKEND="extractive", BOT_IMAGE_CHAIN="cover,card", BOT_IMAGE_ALLOW_HOSTS="127.0.0.1",
                        BOT_FEED_TIMEOUT=30, BOT_X_POSTS_PER_DAY=0, BOT_LOG_FORMAT="text", X_API_BASE_URL=x.url, **FAKE_X)
        started = time.monotonic()
        with open(work / "stderr.txt", "w") as err:
            proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--once"], cwd=work, env=env,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
            try:
                _pid, status, usage = _wait(proc, RUN_TIMEOUT)
            finally:
                if proc.poll() is None:
                    proc.kill()
        seconds = round(time.monotonic() - started, 1)
        posts = len(x.posts)
    peak = round(usage.ru_maxrss / 1024, 1)  # KB on Linux
    log = (work / "stderr.txt").read_text(errors="replace").splitlines()
    fig = Figure("hostile_peak_rss_mb", "`bot run --once` peak RSS over 15 hostile feeds", peak, "MB", target_mb)
    fig.details = {"command": "python -m bot run --once (backlog = latest, image chain cover,card, 127.0.0.1 allowed)",
                   "feeds": kinds, "exit_code": os.waitstatus_to_exitcode(status), "seconds": seconds,
                   "posts_on_x": posts, "log_tail": log[-5:]}
    fig.notes.append(f"{len(kinds)} feeds in {seconds} s, exit {os.waitstatus_to_exitcode(status)}, {posts} posts on the local X")
    return fig


def _wait(proc: subprocess.Popen[bytes], timeout: float) -> tuple[int, int, object]:
    """os.wait4 for this one child (its own peak RSS), with a timeout."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return pid, status, usage
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"`bot run --once` did not finish within {timeout:g} s")
        time.sleep(0.1)


if __name__ == "__main__":  # python bench/hostile.py: this figure alone
    import tempfile

    sys.path[:0] = [str(Path(__file__).resolve().parent.parent / "tests")]
    with tempfile.TemporaryDirectory(prefix="bot-bench-") as name:
        figure = peak_rss(Path(name), 256.0)
    print(f"{figure.label}: {figure.value} MB (target <= {figure.target:g} MB) — {'; '.join(figure.notes)}")
    for line in figure.details["log_tail"]:
        print(f"  {line[:200]}")
