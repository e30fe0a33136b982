"""Shared test fixtures: every test stays on 127.0.0.1."""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

# CI (CI=true) runs the property tests on a fixed seed, so a landing never hangs on a new random draw; on a
# developer's machine they explore new examples each run, and what they find is pinned with @example.
from hypothesis import settings as _hypothesis  # noqa: E402

_hypothesis.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    _hypothesis.load_profile("ci")

# The network guard (tests/netguard/sitecustomize.py): on in this process and, through PYTHONPATH and
# TEST_NETGUARD, in every Python child; each refused attempt is also written to TEST_NETLOG.
NETGUARD = Path(__file__).resolve().parent / "netguard"
os.environ["TEST_NETGUARD"] = "1"
os.environ.setdefault("TEST_NETLOG", str(Path(tempfile.mkdtemp(prefix="bot-netguard-")) / "refused.log"))
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(NETGUARD), os.environ.get("PYTHONPATH", "")]))
sys.path.insert(0, str(NETGUARD))
import sitecustomize as netguard  # noqa: E402 - ours (the folder above is first on sys.path)

netguard.install()

REQUIRE_ALL = "BOT_TEST_REQUIRE_ALL"


def require_or_skip(reason: str) -> None:
    """Skip the calling test with `reason`, or fail it when BOT_TEST_REQUIRE_ALL=1 (.ci/run) says nothing may be
    missing.

    Use it wherever a real component (node, chromium, Postgres, an npm package) is absent:
        from conftest import require_or_skip
        if shutil.which("node") is None:
            require_or_skip("node is not installed: .ci/run installs it")
    """
    if os.environ.get(REQUIRE_ALL, "") not in ("", "0"):
        pytest.fail(f"{REQUIRE_ALL}=1 but a required component is missing: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def stays_on_loopback() -> Iterator[None]:
    """Fails the test when it, or any child it started, tried to reach anything but 127.0.0.1 (even if the code
    that tried swallowed the error)."""
    log = Path(os.environ["TEST_NETLOG"])
    before = log.stat().st_size if log.exists() else 0
    yield
    if log.exists() and log.stat().st_size > before:
        with open(log, encoding="utf-8") as lines:
            lines.seek(before)
            refused = lines.read().strip()
        pytest.fail(f"the test tried to leave 127.0.0.1:\n{refused}", pytrace=False)


@pytest.fixture(autouse=True)
def no_real_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never see the developer's own tokens, settings file or .env."""
    for name in ("HF_TOKEN", "BOT_LLM_API_KEY", "BOT_IMAGE_API_KEY", "X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN",
                 "X_ACCESS_TOKEN_SECRET", "DATABASE_URL", "BOT_CONFIG", "BOT_FEED_URL", "BOT_LLM_BASE_URL",
                 "BOT_IMAGE_BASE_URL", "BOT_GRADIO_SPACE", "X_API_BASE_URL", "HF_HUB_OFFLINE",
                 "BOT_NETWORKS", "BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD", "BLUESKY_SERVICE", "MASTODON_BASE_URL",
                 "MASTODON_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    """The fake clock (bot.core.clock.FakeClock): sleeps advance it at once, so no test waits for real."""
    from bot.core.clock import FakeClock

    return FakeClock()


@pytest.fixture
def x(clock):  # type: ignore[no-untyped-def]
    """The local X API (tests/twins/xserver.py) on 127.0.0.1, on the test's clock; tests of a child process that
    lives in real time override it with their own."""
    from twins.xserver import XServer

    with XServer(clock=clock.time) as server:
        yield server


@pytest.fixture
def feed_url(feed_server) -> str:  # type: ignore[no-untyped-def]
    """The bundled sample feed served over HTTP by the local feed server (a feed as a user points at one)."""
    from helpers.botproc import SAMPLE_FEED

    feed_server.route("/feed", SAMPLE_FEED)
    return str(feed_server.url("/feed"))


@pytest.fixture
def feed_server():  # type: ignore[no-untyped-def]
    """A real feed server on 127.0.0.1 (tests/twins/feedserver.py), stopped when the test ends."""
    from twins.feedserver import FeedServer

    with FeedServer() as server:
        yield server


# The fast tier, `pytest -m "not slow"`: a test that starts a child process (the bot, node, the PDS, a browser) or a
# Gradio app is slow, marked here from what it uses, so a new test file needs no mark of its own; a fast test that
# starts a child anyway fails with one line saying so.
TESTS = Path(__file__).resolve().parent
# Names whose use means a child process or a Gradio app: the process APIs, and the libraries that start one.
STARTS_A_CHILD = frozenset({"subprocess", "Popen", "posix_spawn", "posix_spawnp", "fork", "forkpty", "execv",
                            "execve", "create_subprocess_exec", "create_subprocess_shell", "multiprocessing",
                            "sync_playwright", "async_playwright", "gradio", "gr"})

# Helpers that start a child only in a slow test: the local X API's length judge is the Python port in a fast one.
IN_PROCESS_IN_THE_FAST_TIER = frozenset({"judge", "too_long", "x_length"})


def _code_names(code: object) -> set[str]:
    names = set(getattr(code, "co_names", ()))
    for const in getattr(code, "co_consts", ()):
        if hasattr(const, "co_names"):
            names |= _code_names(const)
    return names


def _ours(obj: object) -> bool:
    """Code of the tests folder (the bot's own code and libraries are judged by the names that call them)."""
    module = sys.modules.get(getattr(obj, "__module__", "") or "")
    path = getattr(module, "__file__", None) or getattr(obj, "__file__", None) or ""
    return str(path).startswith(str(TESTS))


def _tests_module(name: str) -> object:
    """The tests' own module a function imports inside itself (`from helpers.botproc import run_bot`), if any."""
    first = name.split(".")[0]
    if not name or not (("." in name and (TESTS / first).is_dir()) or (TESTS / f"{first}.py").is_file()):
        return None
    try:
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - not a module (an attribute that shares a name with a folder)
        return None


def starts_a_child(obj: object, seen: set[int] | None = None, depth: int = 5) -> bool:
    """True when the function or class `obj`, or the tests' own code it names (helpers, fixtures, classes, up to
    `depth` calls down), uses something that starts a child process or a Gradio app."""
    seen = set() if seen is None else seen
    if id(obj) in seen or depth < 0:
        return False
    seen.add(id(obj))
    if isinstance(obj, type):
        return any(starts_a_child(v, seen, depth - 1) for v in vars(obj).values() if callable(v) or
                   isinstance(v, (staticmethod, classmethod, property)))
    func = getattr(obj, "__func__", None) or getattr(obj, "fget", None) or getattr(obj, "__wrapped__", None) or obj
    code = getattr(func, "__code__", None)
    if code is None:
        return False
    names = _code_names(code) - IN_PROCESS_IN_THE_FAST_TIER
    if names & STARTS_A_CHILD:
        return True
    scope = getattr(func, "__globals__", {})
    for name in names:
        found = scope.get(name) or _tests_module(name)
        targets = [found]
        if hasattr(found, "__file__") and _ours(found):  # a helper module: the attributes this code names
            targets = [getattr(found, n, None) for n in names]
        for target in targets:
            if target is not None and not hasattr(target, "__file__") and _ours(target) and \
                    starts_a_child(target, seen, depth - 1):
                return True
    return False


def _fixtures_start_a_child(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    defs = getattr(info, "name2fixturedefs", {}) if info is not None else {}
    return any(_ours(d.func) and d.argname != "fast_tests_start_no_child" and starts_a_child(d.func)
               for group in defs.values() for d in group)


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by mark
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("slow") is None and isinstance(item, pytest.Function) and (
                starts_a_child(item.obj) or _fixtures_start_a_child(item)):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def fast_tests_start_no_child(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test not marked slow that starts a child process fails, naming the rule (the fast tier stays fast)."""
    if request.node.get_closest_marker("slow") is not None:
        return
    import subprocess

    def refuse(self: object, args: object, *rest: object, **kw: object) -> None:
        pytest.fail(f"{request.node.nodeid} started a child process ({args!r}) but is not marked slow: mark it "
                    "@pytest.mark.slow, or use a helper tests/conftest.py's starts_a_child() recognises",
                    pytrace=False)

    monkeypatch.setattr(subprocess.Popen, "_execute_child", refuse)
    from helpers import twitter_text

    monkeypatch.setattr(twitter_text, "CHILD_FREE", True)  # the local X API judges length in process
