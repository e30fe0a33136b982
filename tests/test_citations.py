"""Comments and docstrings in bot/ cite only what exists: every `bot.x.y` names a module, package or a name defined
in one, and every repository path (docs/…, tests/…, bot/…) is a file or folder of the repository.

The oracle is the tree on disk (files, folders, the names each module defines), not anything the bot computes.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from functools import cache, lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
DOTTED = re.compile(r"(?<![\w.])bot(?:\.[A-Za-z_]\w*)+")
# A file name that starts with "bot." is a file, not a module (bot.toml, bot.db).
FILE_SUFFIXES = (".toml", ".db", ".json", ".md", ".py", ".xml", ".html", ".txt", ".log", ".sqlite", ".j2")
PATH = re.compile(r"(?<![\w./-])(?:bot|docs|tests|bench|deploy|config|templates)/[\w./-]*\w")


def _prose(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every comment and docstring in the module at `path`."""
    source = path.read_text(encoding="utf-8")
    found = [(t.start[0], t.string) for t in tokenize.generate_tokens(io.StringIO(source).readline)
             if t.type == tokenize.COMMENT]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                found.append((first.lineno, first.value.value))
    return found


@cache
def _nodes(module: Path) -> tuple[ast.AST, ...]:
    return tuple(ast.walk(ast.parse(module.read_text(encoding="utf-8"))))


def _defines(module: Path, name: str) -> bool:
    """True when the module (a .py file or a package's __init__.py) defines or imports `name` at any depth."""
    for node in _nodes(module):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any((a.asname or a.name).split(".")[0] == name
                                                                 for a in node.names):
            return True
        if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
            return True
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == name:
            return True
        if isinstance(node, ast.Attribute) and node.attr == name and isinstance(node.ctx, ast.Store):
            return True  # self.name = … : an attribute of the module's objects
    return False


@lru_cache(maxsize=1)
def _installed_packages() -> frozenset[str]:
    """The packages a wheel installs (pyproject maps templates/ to bot.templates, which has no folder of that name)."""
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "bot").rglob("__init__.py")}
    return frozenset(found | {"bot.templates"})  # setup.py finds every package under bot/; templates/ is mapped in


def cited_module_exists(dotted: str) -> bool:
    """True when `bot.a.b.c` is a package, a module, or a module (or package) followed by names it defines."""
    if dotted.endswith(FILE_SUFFIXES) or dotted in _installed_packages():
        return True
    parts = dotted.split(".")
    where = ROOT / parts[0]
    rest = parts[1:]
    while rest and ((where / rest[0]).is_dir() or (where / f"{rest[0]}.py").is_file()):
        where = where / rest[0] if (where / rest[0]).is_dir() else where / f"{rest[0]}.py"
        rest = rest[1:]
    if not rest:
        return True
    module = where / "__init__.py" if where.is_dir() else where
    return module.is_file() and _defines(module, rest[0])


def test_no_comment_or_docstring_in_bot_cites_a_module_or_path_that_does_not_exist() -> None:
    wrong = []
    for path in sorted(BOT.rglob("*.py")):
        for line, text in _prose(path):
            for dotted in DOTTED.findall(text):
                if not cited_module_exists(dotted.rstrip(".")):
                    wrong.append(f"{path.relative_to(ROOT)}:{line}: cites {dotted}, which does not exist")
            for cited in PATH.findall(text):
                if not (ROOT / cited.rstrip(".")).exists():
                    wrong.append(f"{path.relative_to(ROOT)}:{line}: cites {cited}, which is not in the repository")
            if "DESIGN.md" in text:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: cites DESIGN.md, which is not in the repository "
                             "(cite docs/ or say 'the design notes')")
    assert not wrong, "\n".join(wrong)


def test_the_check_itself_tells_a_real_citation_from_a_stale_one() -> None:
    assert cited_module_exists("bot.tweets.length.weighted_length")
    assert cited_module_exists("bot.images.sources")
    assert cited_module_exists("bot.tweets")
    assert not cited_module_exists("bot.image_sources")
    assert not cited_module_exists("bot.card")
    assert not cited_module_exists("bot.tweets.length.no_such_function")
