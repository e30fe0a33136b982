"""Child process of the LinkedIn and Threads kill tests: publish a thread to a local twin, pausing on cue.

    python publish_social.py linkedin|threads LEDGER_PATH IMAGE_PATH

Settings and tokens come from the environment (LINKEDIN_* or THREADS_*). With BOT_TEST_PAUSE_AT=sent-N the process
writes the file named by BOT_TEST_MARKER once the network has answered the send of position N (the post exists, its
id is not recorded yet) and waits to be killed. On success it prints the published ids as JSON.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bot.core.clock import SystemClock  # noqa: E402
from bot.core.records import NetworkThread, Tweet  # noqa: E402
from bot.networks.linkedin.client import LinkedInClient  # noqa: E402
from bot.networks.linkedin.post import LinkedInPublisher  # noqa: E402
from bot.networks.threads.client import ThreadsClient  # noqa: E402
from bot.networks.threads.thread import ThreadsPublisher  # noqa: E402
from helpers.json_ledger import JSONLedger  # noqa: E402
from helpers.publish_one import pause  # noqa: E402
from helpers.xkit import make_thread, settings_for  # noqa: E402

TEXTS = ("Small newsletters win (#23): readers trust a voice they know.",
         "Big outlets chase reach; small ones keep attention. 📬",
         "Read the whole post: https://quietindex.substack.com/p/why-small-newsletters-win")


class PausingLinkedIn(LinkedInClient):
    def create_post(self, *args: Any, **kwargs: Any) -> str:
        urn = super().create_post(*args, **kwargs)
        pause("sent-1")
        return urn

    def comment(self, *args: Any, **kwargs: Any) -> str:
        urn = super().comment(*args, **kwargs)
        pause("sent-2")
        return urn


class PausingThreads(ThreadsClient):
    def publish(self, creation_id: str) -> str:
        media_id = super().publish(creation_id)
        pause(f"sent-{self.published_count}")
        return media_id


def main() -> int:
    network, ledger_path, image = sys.argv[1:4]
    keys = {k: v for k, v in os.environ.items() if k.startswith(("LINKEDIN_", "THREADS_", "BOT_STORE_"))}
    settings = settings_for("http://127.0.0.1:9", keys, linkedin__timeout=1.0, threads__timeout=1.0)
    clock = SystemClock()
    base = make_thread(image=Path(image))
    thread = base.__class__(**{**{f: getattr(base, f) for f in base.__slots__},  # type: ignore[attr-defined]
                               "networks": (NetworkThread(network, tuple(Tweet(t, len(t)) for t in TEXTS), 500),)})
    ledger = JSONLedger(Path(ledger_path))
    if network == "linkedin":
        posted = LinkedInPublisher(settings, clock, client=PausingLinkedIn(settings)).publish(thread, ledger)
    else:
        posted = ThreadsPublisher(settings, clock, client=PausingThreads(settings, clock)).publish(thread, ledger)
    print(json.dumps({"complete": posted.complete, "ids": [[p.position, p.tweet_id] for p in posted.published]}))
    return 0 if posted.complete else 1


if __name__ == "__main__":
    sys.exit(main())
