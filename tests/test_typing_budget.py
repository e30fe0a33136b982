"""The typing budget: how many lines of bot/ say `Any`, and how many getattr/hasattr calls probe the bot's own objects.

Both may only go down (issue 20: `Any` on at most 20 lines, no probing of the bot's own objects). A getattr on an
object of a library (an exception of tweepy, atproto or SQLAlchemy, a Hugging Face answer, a socket) is no probe:
those are listed in FOREIGN with the library, by file and the expression probed, so a new one is a decision.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOT = ROOT / "bot"

ANY_CEILING = 2  # lines of bot/**/*.py with the name `Any` (comments and strings not counted); the goal is 20
PROBE_CEILING = 0  # getattr/hasattr calls on the bot's own objects; the goal is 0

# (file, the probed expression): getattr/hasattr on objects the bot does not define
FOREIGN: dict[tuple[str, str], str] = {
    ("bot/networks/mastodon/client.py", "self.api()"): "Mastodon.py's client",
    ("bot/networks/mastodon/client.py", "exc"): "Mastodon.py's errors",
    ("bot/networks/x/client.py", "exc"): "tweepy's errors",
    ("bot/networks/bluesky/client.py", "me"): "atproto's profile",
    ("bot/networks/bluesky/client.py", "exc"): "atproto's errors",
    ("bot/networks/bluesky/client.py", "getattr(exc, 'response', None)"): "atproto's response",
    ("bot/networks/bluesky/client.py", "content"): "atproto's error body",
    ("bot/networks/bluesky/client.py", "headers"): "atproto's headers",
    ("bot/networks/http.py", "exc.args[0]"): "urllib3's MaxRetryError, inside requests' ConnectionError",
    ("bot/cli/checks.py", "exc"): "huggingface_hub's errors",
    ("bot/cli/checks.py", "getattr(exc, 'response', None)"): "requests' response",
    ("bot/cli/render.py", "stream"): "a text stream",
    ("bot/cli/render.py", "sys.stdin"): "the interpreter's stdin (rich's test for IDLE)",
    ("bot/cli/render.py", "builtins"): "the builtins module (rich's test for Jupyter)",
    ("bot/feed/source.py", "importlib.import_module(self.__name__)"): "the library module loaded on first use",
    ("bot/images/sources.py", "picture"): "PIL's image (or gradio's file)",
    ("bot/web/app.py", "request.state"): "starlette's request state",
    ("bot/state/database.py", "exc"): "SQLAlchemy's errors",
    ("bot/state/database.py", "orig"): "the database driver's errors",
    ("bot/run/daemon.py", "scheduler"): "APScheduler's private thread",
    ("bot/core/download.py", "ip"): "ipaddress's is_* properties",
    ("bot/core/download.py", "conn"): "urllib3's connection",
    ("bot/core/download.py", "_detect_agent"): "huggingface_hub's agent detection",
    ("bot/writing/model.py", "chunk"): "huggingface_hub's stream chunk",
    ("bot/writing/model.py", "choice"): "huggingface_hub's choice",
    ("bot/writing/model.py", "complete"): "huggingface_hub's choice (a whole answer)",
    ("bot/writing/model.py", "usage"): "huggingface_hub's usage",
}


def _files() -> list[Path]:
    return sorted(BOT.rglob("*.py"))


def any_lines() -> list[str]:
    """`file:line` of every line of bot/ where the name Any appears as code."""
    found: list[str] = []
    for path in _files():
        lines: set[int] = set()
        for token in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
            if token.type == tokenize.NAME and token.string == "Any":
                lines.add(token.start[0])
        found += [f"{path.relative_to(ROOT)}:{n}" for n in sorted(lines)]
    return found


def probes() -> tuple[list[str], list[str]]:
    """`file:line expression` of every getattr/hasattr call: (on the bot's own objects, on FOREIGN ones)."""
    own: list[str] = []
    foreign: list[str] = []
    for path in _files():
        name = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("getattr", "hasattr") and node.args):
                probed = ast.unparse(node.args[0])
                (foreign if (name, probed) in FOREIGN else own).append(f"{name}:{node.lineno} {probed}")
    return own, foreign


def test_any_stays_within_its_budget() -> None:
    lines = any_lines()
    assert len(lines) <= ANY_CEILING, f"{len(lines)} lines of bot/ say Any (ceiling {ANY_CEILING}):\n" + "\n".join(
        lines)


def test_no_more_probing_of_the_bots_own_objects() -> None:
    own, _ = probes()
    assert len(own) <= PROBE_CEILING, (f"{len(own)} getattr/hasattr calls probe the bot's own objects (ceiling "
                                       f"{PROBE_CEILING}; a library's object goes in FOREIGN):\n" + "\n".join(own))


def test_every_foreign_entry_is_still_used() -> None:
    _, foreign = probes()
    used = {(line.split(":")[0], line.split(" ", 1)[1]) for line in foreign}
    assert set(FOREIGN) <= used, f"stale FOREIGN entries: {sorted(set(FOREIGN) - used)}"


if __name__ == "__main__":
    own_probes, foreign_probes = probes()
    print(f"Any: {len(any_lines())} lines; getattr/hasattr: {len(own_probes)} on the bot's own objects, "
          f"{len(foreign_probes)} on libraries' objects")
    print("\n".join(own_probes))
