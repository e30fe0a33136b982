"""`bot run` for the benchmark, with daemon.interval allowed down to 1 s (the settings refuse less than 30).

The benchmark needs 10 polls in about 10 seconds. Lowering the option's minimum before the settings module
loads is the only change: the daemon, the poller, the store and the X wiring are the ones `bot run` uses.
"""

from __future__ import annotations

import dataclasses
import sys

import bot.core.options as options

_name = "daemon.interval"
_fast = dataclasses.replace(options.BY_NAME[_name], minimum=1)
options.BY_NAME[_name] = _fast
options.OPTIONS = tuple(_fast if o.name == _name else o for o in options.OPTIONS)

if "bot.core.settings" in sys.modules:  # imported already: patch its copies too
    sys.modules["bot.core.settings"].OPTIONS = options.OPTIONS  # type: ignore[attr-defined]

from bot.cli.main import main  # noqa: E402 - after the patch, on purpose

sys.argv[0] = "bot"
main(["run", *sys.argv[1:]])
