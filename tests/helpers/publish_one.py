"""Child process of the crash test: publish the 3-post thread (with its image) to a local X API, pausing on cue.

    python publish_one.py BASE_URL LEDGER_PATH IMAGE_PATH

Credentials come from the environment (X_*). With BOT_TEST_PAUSE_AT=<step> the process writes the file named
by BOT_TEST_MARKER when it reaches that step and then waits to be killed. Steps: upload, pending-N, sent-N
(X answered, the id not yet recorded), recorded-N, noanswer-N (the request went out, no answer came).
On success it prints the published tweets as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bot.core.clock import SystemClock  # noqa: E402
from bot.core.errors import NoAnswer  # noqa: E402
from bot.core.records import PublishedTweet  # noqa: E402
from bot.networks.x.client import XClient
from bot.networks.x.thread import XPublisher  # noqa: E402
from helpers.json_ledger import JSONLedger  # noqa: E402
from helpers.xkit import TEXTS, make_thread, settings_for  # noqa: E402


def pause(step: str) -> None:
    """At the chosen step: say so through the marker file, then wait for SIGKILL."""
    if os.environ.get("BOT_TEST_PAUSE_AT") != step:
        return
    marker = Path(os.environ["BOT_TEST_MARKER"])
    # Written aside and renamed: the test polls for the file, and must never find it created but still empty.
    marker.with_suffix(".tmp").write_text(step)
    marker.with_suffix(".tmp").replace(marker)
    for _ in range(600):  # bounded: a test that forgets to kill us does not leave us forever
        time.sleep(0.1)
    sys.exit(3)


class PausingClient(XClient):
    """XClient with pause points after each call."""

    def upload_image(self, path: Path, mime: str, alt_text: str) -> str:
        media_id = super().upload_image(path, mime, alt_text)
        pause("upload")
        return media_id

    def create_post(self, text: str, *args: Any, **kwargs: Any) -> str:
        position = TEXTS.index(text) + 1
        try:
            tweet_id = super().create_post(text, *args, **kwargs)
        except NoAnswer:
            pause(f"noanswer-{position}")
            raise
        pause(f"sent-{position}")
        return tweet_id


class PausingLedger(JSONLedger):
    """JSONLedger with pause points after each durable write."""

    def pending(self, position: int) -> None:
        super().pending(position)
        pause(f"pending-{position}")

    def record(self, tweet: PublishedTweet) -> None:
        super().record(tweet)
        pause(f"recorded-{tweet.position}")


def main() -> int:
    base, ledger_path, image = sys.argv[1:4]
    keys = {k: v for k, v in os.environ.items() if k.startswith("X_") and k != "X_API_BASE_URL"}
    settings = settings_for(base, keys, x__timeout=1.0, x__confirm_horizon=2.0)  # a rerun looks 2 s after a mark
    clock = SystemClock()
    publisher = XPublisher(PausingClient(settings, settings.secrets, clock), settings, clock)
    posted = publisher.publish(make_thread(image=Path(image)), PausingLedger(Path(ledger_path)))
    print(json.dumps({"complete": posted.complete, "tweets": [[t.position, t.tweet_id] for t in posted.published]}))
    return 0 if posted.complete else 1


if __name__ == "__main__":
    sys.exit(main())
