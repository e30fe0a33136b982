"""Tell a webhook when a draft starts waiting: one short JSON message that Slack and Discord incoming webhooks accept.

Slack reads `text`, Discord reads `content`; both ignore the other key, so one body fits both. A failing webhook
is logged (its host only: the URL itself is a secret of sorts) and tried again after RETRY_AFTER; it never stops
a poll.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from bot.core.settings import Settings
from bot.state.drafts import DraftStore, ReviewDraft
from bot.state.store import Store

log = logging.getLogger(__name__)
RETRY_AFTER = 60.0  # seconds before a failed delivery is tried again (on a later poll)
TIMEOUT = 10.0


def draft_link(settings: Settings, draft_id: int) -> str:
    """The draft's page as users reach it (web.public_url), or "" when no public address is set."""
    base = settings.web.public_url.strip().rstrip("/")
    return f"{base}/drafts/{draft_id}" if base else ""


def message(settings: Settings, draft: ReviewDraft) -> dict[str, str]:
    """The webhook body for one waiting draft."""
    entry = draft.entry
    link = draft_link(settings, draft.id)
    where = link or f"`bot drafts show {draft.id}`"
    text = f"Draft {draft.id} waits for review: {entry.title or entry.key} — {where}"
    return {"text": text, "content": text}


def notify_waiting(settings: Settings, store: Store, now: float) -> int:
    """Send the message for every draft not announced yet; return how many went out. Never raises."""
    url = settings.review.notify_url.strip()
    if not url:
        return 0
    import requests

    drafts, sent = DraftStore(store), 0
    host = urlsplit(url).hostname or "the webhook"
    try:
        pending = drafts.to_notify(now, RETRY_AFTER)
    except Exception as exc:  # the store's trouble is reported by the poll itself
        log.warning("cannot read drafts to announce: %s", exc)
        return 0
    for draft in pending:
        try:
            answer = requests.post(url, json=message(settings, draft), timeout=TIMEOUT)
            error = "" if answer.status_code < 300 else f"HTTP {answer.status_code}"
        except requests.RequestException as exc:
            error = type(exc).__name__
        try:
            drafts.notified(draft.id, now, error)
        except Exception as exc:
            log.warning("cannot record the webhook delivery: %s", exc)
        if error:
            log.warning("review.notify_url (%s) failed for draft %s: %s; tried again in %.0f s",
                        host, draft.id, error, RETRY_AFTER)
        else:
            sent += 1
            log.info("told %s that draft %s waits for review", host, draft.id)
    return sent
