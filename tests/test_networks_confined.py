"""A network is a folder: no module outside `bot/networks/` names a particular network.

What counts as naming one, read from each module's AST (the oracle is the tree, not the bot): a string in code
(not a docstring) that is a network's id ("x") or holds a network's name ("bluesky", "mastodon", SQL's 'x'), an
identifier holding such a name (`_bluesky`, `settings.mastodon`, `settings.x`), or an import of one network's
folder (`bot.networks.x.…`). The code asks `bot.networks.registry` instead. The networks are found from the
folders of `bot/networks/`, so a new one is checked the day it is added. Comments and docstrings are prose.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
NETWORKS = tuple(sorted(p.name for p in (BOT / "networks").iterdir() if (p / "__init__.py").is_file()))

# Files that may name a network, each with the reason. Keep this short: every line here is a place to change
# when a network is added.
ALLOWED: dict[str, str] = {
    "bot/state/schema.py": "the numbered migrations are history: they name the tables and rows as they were made",
    "bot/core/options.py": "the settings table (a contract: each option's section, name and environment variable) "
                           "lives in core, beneath networks/; a network's settings section is its rows here",
    "bot/core/settings.py": "the settings loader, in core beneath networks/: the URL options it checks, the "
                            "secrets that are not secret in pieces",
    "bot/feed/article.py": "prose detection: a list of the words for social networks in an article's text",
    "bot/tweets/grounding/claims.py": "'x' there is a unit of a number ('3x', meaning times), not the network",
}
# One line allowed outside that list: where the contract's network is named, beneath every stage.
PRIMARY_LINE = ("bot/core/records.py", 'PRIMARY = "x"')
# Names that contain a network's name but are history: the table migration 6 made for Bluesky's kept sessions.
HISTORIC = ("bluesky_sessions",)
# Network ids that are also words of the bot's own vocabulary: "threads" (Meta's network) is the plural of thread
# (thread.json's `threads`, ThreadSpec, network_threads). Only an import of its folder or its settings section
# (settings.threads) names the network there.
COMMON = frozenset({"threads"})


def _words() -> re.Pattern[str]:
    long = [n for n in NETWORKS if len(n) > 2 and n not in COMMON]
    return re.compile(r"(?i)" + "|".join(map(re.escape, long)))


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and \
                    isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def _short(name: str) -> bool:
    """A string that is a short network id on its own ("x"), or quotes it as SQL does ('x')."""
    shorts = [n for n in NETWORKS if len(n) <= 2]
    return name in shorts or any(f"'{n}'" in name for n in shorts)


def namings(path: Path) -> list[str]:
    """Every place in `path` that names a particular network, as 'line: what'."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    docs, words, found = _docstrings(tree), _words(), []
    shorts = {n for n in NETWORKS if len(n) <= 2}
    sections = shorts | (COMMON & set(NETWORKS))
    lines = source.splitlines()

    def historic(text: str) -> str:
        for name in HISTORIC:
            text = re.sub(re.escape(name), "", text, flags=re.I)
        return text

    fragments = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            # An f-string's piece "x" is text between two values ("{width}x{height}"), not a network's id.
            if words.search(historic(node.value)) or (_short(node.value) and id(node) not in fragments):
                found.append(f"{line}: the string {node.value[:60]!r}")
        names: list[str] = []
        if isinstance(node, ast.Name):
            names = [node.id]
        elif isinstance(node, ast.Attribute):
            names = [node.attr]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, ast.arg):
            names = [node.arg]
        elif isinstance(node, ast.keyword) and node.arg:
            names = [node.arg]
        elif isinstance(node, ast.alias):
            names = [node.name, node.asname or ""]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            settings_section = isinstance(node, ast.Attribute) and name in sections and \
                ast.unparse(node.value).endswith("settings")  # settings.x (a point's .x is not a network)
            if words.search(historic(name)) or settings_section or \
                    any(parts[i:i + 2] == ["networks", n] for n in sections for i in range(len(parts))):
                found.append(f"{line}: the name {name!r}")
    rel = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    return [f for f in found if not (rel == PRIMARY_LINE[0] and PRIMARY_LINE[1] in lines[int(f.split(":")[0]) - 1])]


def _outside() -> list[Path]:
    return sorted(p for p in BOT.rglob("*.py") if "networks" not in p.relative_to(BOT).parts[:1])


def test_no_module_outside_networks_names_a_network() -> None:
    wrong = []
    for path in _outside():
        rel = str(path.relative_to(ROOT))
        if rel in ALLOWED:
            continue
        wrong += [f"{rel}:{f}" for f in namings(path)]
    assert not wrong, "ask bot.networks.registry instead of naming a network:\n" + "\n".join(wrong)


def test_every_allowed_file_still_names_one() -> None:
    """An exception that is no longer needed is removed, so the list stays the list of places to change."""
    stale = [rel for rel in ALLOWED if not (ROOT / rel).is_file() or not namings(ROOT / rel)]
    assert not stale, f"no longer naming a network, remove from ALLOWED: {stale}"


def test_the_check_sees_a_network_named(tmp_path: Path) -> None:
    """The check itself: each way of naming a network is found (so a clean tree means something)."""
    sample = tmp_path / "named.py"
    sample.write_text('"""doc: Bluesky is prose."""\nfrom bot.networks.x.length import COUNTER\n'
                      'from bot.networks.mastodon import network\n'
                      'a = settings.bluesky.service\nb = net == "x"\nc = "SELECT 1 WHERE network = \'x\'"\n'
                      'def _mastodon(): pass\n', encoding="utf-8")
    found = namings(sample)
    assert len({f.split(":")[0] for f in found}) == 6, found


def test_the_registry_lists_every_folder_once_and_the_primary() -> None:
    from bot.networks import registry

    assert registry.names() == tuple(n.id for n in registry.NETWORKS)
    assert sorted(registry.names()) == list(NETWORKS), "a folder of bot/networks/ missing from registry.NETWORKS"
    assert registry.PRIMARY == registry.NETWORKS[0].id  # X stays the default and the contract's network
    from bot.core import options

    assert set(options.NETWORKS) == set(registry.names()), "the `networks` setting's choices (core/options.py)"
