"""The house rules, checked: one package per stage, imports flowing one way, small files, a clean type check.

The oracle is the tree itself (the AST of every module) and mypy, not anything the bot computes.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"

# What each package may import of the bot (besides itself). Lower layers never import higher ones.
STAGES = ("feed", "tweets", "writing", "images", "networks", "state", "output")
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "feed": {"core"},
    "tweets": {"core"},
    "writing": {"core", "tweets"},
    "images": {"core"},
    "networks": {"core", "tweets"},
    "state": {"core"},
    "output": {"core", "tweets"},
    "run": {"core", *STAGES},
    "web": {"core", *STAGES, "run"},
    "cli": {"core", *STAGES, "run", "web"},
}
# Imports of the bot's own modules inside functions, allowed only here and only for the reason given.
LAZY = {
    "bot/cli/main.py": "`bot --help` stays fast: each command's module loads when that command runs",
    "bot/networks/x/client.py": "session.py subclasses requests.Session: requests loads when X is first called",
    "bot/networks/x/network.py": "a network's client and publisher load when it is called, not with the registry",
    "bot/networks/bluesky/network.py": "a network's client and publisher load when it is called, not with the registry",
    "bot/networks/mastodon/network.py": "a network's client and publisher load when it is called, not with the registry",
    "bot/run/wiring.py": "a dry run with the offline writer never loads the model writer (prompts, answer parsing)",
}
MAX_LINES = 400
MAX_MODULES = 9  # modules in one folder, __init__.py not counted; "about 8"


def _modules() -> list[Path]:
    return sorted(p for p in BOT.rglob("*.py"))


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else "(root)"


def _name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, runtime_only: bool = False) -> list[tuple[str, int, bool]]:
    """(imported bot module, line, inside a function) for every import of the bot in `path`; with
    `runtime_only`, not those under `if TYPE_CHECKING:`, which exist for annotations and never run."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inner = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
             for n in ast.walk(f)}
    typing_only = {id(n) for f in ast.walk(tree) if isinstance(f, ast.If) and "TYPE_CHECKING" in ast.unparse(f.test)
                   for n in ast.walk(f)}
    found = []
    for node in ast.walk(tree):
        if runtime_only and id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import; use bot.… absolute imports"
            if node.module and (node.module == "bot" or node.module.startswith("bot.")):
                for alias in node.names:
                    target = f"{node.module}.{alias.name}"
                    is_module = (BOT.parent / (target.replace(".", "/") + ".py")).exists() or \
                        (BOT.parent / target.replace(".", "/")).is_dir()
                    found.append((target if is_module else node.module, node.lineno, id(node) in inner))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("bot."):
                    found.append((alias.name, node.lineno, id(node) in inner))
    return found


def test_every_import_flows_down_the_layers() -> None:
    wrong = []
    for path in _modules():
        here = _name(path)
        pkg = _package(here + ".x") if path.name == "__init__.py" else _package(here)
        for target, line, _inner in _imports(path):
            there = _package(target)
            if pkg == "(root)" or there in ("(root)", pkg):
                continue
            if there not in ALLOWED.get(pkg, set()):
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {pkg} imports {target} ({there} is not below {pkg})")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle_between_modules() -> None:
    graph = {_name(p): {t for t, _l, _i in _imports(p, runtime_only=True)} for p in _modules()}
    graph = {k: {t for t in v if t in graph and t != k} for k, v in graph.items()}
    seen: dict[str, int] = {}  # 1 = on the stack, 2 = done

    def visit(node: str, stack: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph[node]):
            if seen.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in seen:
                visit(nxt, stack + [nxt])
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            visit(node, [node])


def test_no_import_of_the_bot_hidden_in_a_function() -> None:
    hidden = [f"{p.relative_to(ROOT)}:{line}: imports {target} inside a function"
              for p in _modules() for target, line, inner in _imports(p)
              if inner and str(p.relative_to(ROOT)) not in LAZY]
    assert not hidden, "\n".join(hidden)


def test_small_files_and_folders_with_a_docstring_each() -> None:
    problems = []
    for folder in sorted({p.parent for p in _modules()}):
        modules = [p for p in folder.glob("*.py") if p.name != "__init__.py"]
        if len(modules) > MAX_MODULES:
            problems.append(f"{folder.relative_to(ROOT)} holds {len(modules)} modules (at most {MAX_MODULES})")
        init = folder / "__init__.py"
        if not init.exists() or not ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))):
            problems.append(f"{folder.relative_to(ROOT)}/__init__.py does not say what the package does")
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_LINES:
            problems.append(f"{path.relative_to(ROOT)} has {text.count(chr(10))} lines (at most {MAX_LINES})")
        if not ast.get_docstring(ast.parse(text)):
            problems.append(f"{path.relative_to(ROOT)} has no module docstring")
    assert not problems, "\n".join(problems)


def test_the_contract_names_stay_importable() -> None:
    from bot.tweet import weighted_length  # a contract name (the design notes): bot.tweet.weighted_length

    assert weighted_length("https://example.com/a/very/long/path/that/is/not/counted/at/its/length") == 23


@pytest.mark.slow
def test_mypy_strict_is_clean_on_bot() -> None:
    if shutil.which("mypy") is None and subprocess.run([sys.executable, "-m", "mypy", "--version"],
                                                        capture_output=True).returncode != 0:
        pytest.fail("mypy is not installed: pip install -e '.[test]' brings it")
    done = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_every_package_is_found_for_the_wheel() -> None:
    """A wheel (Heroku, `pip install .`) holds the packages setup.py finds: every folder of bot/ with an
    __init__.py (a new network's folder needs no list edited). A folder of modules without one would be left out."""
    from setuptools import find_packages

    found = set(find_packages(str(ROOT), include=["bot", "bot.*"]))
    folders = {_name(p.parent / "__init__.py") for p in BOT.rglob("*.py")}
    assert folders - found == set(), f"add an __init__.py to: {sorted(folders - found)}"
    assert "packages" not in tomllib_setuptools(), "pyproject.toml lists packages: setup.py finds them"


def tomllib_setuptools() -> dict[str, object]:
    import tomllib

    return dict(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"])


def test_ruff_is_clean() -> None:
    """The linter (pyproject's [tool.ruff] selection) finds nothing in the repository."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    result = subprocess.run([ruff, "check", str(ROOT)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
