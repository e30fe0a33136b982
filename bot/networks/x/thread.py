"""XPublisher: a checked thread onto X exactly once — image on the first post, each next post chained to the last.

Exactly once rests on three rules. (1) Every position is marked pending in the ledger before its request
goes out, and its tweet id recorded before the next request. (2) A position the ledger holds is never sent
again. (3) A position that is pending without an id (the answer was lost, or the process died) is first
looked for among the account's recent posts, by its full text (X's t.co links expanded) and the post it
replies to, and adopted when found. Its request may still be on its way (a process killed while X held the answer),
and X's timeline may show a new post late: it is looked for again with backoff until x.confirm_horizon after the
pending mark (never less than x.timeout and a margin), sent again only when the look made past that horizon did not
find it, and never when the account's posts cannot be read. X's refusal of duplicate text is not relied on.
(4) Every pending mark proves the entry's claim (the ledger's fence, state/ledger.py): a 429 is waited out here, not
in the client, so that the send after the reset is proved again; a process that lost its claim sends nothing more.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from bot.core.clock import Clock
from bot.core.errors import (
    AuthError,
    BotError,
    ClaimLost,
    DuplicateContent,
    NoAnswer,
    PublishError,
    RateLimited,
    ReplyForbidden,
)
from bot.core.records import Gated, PostedThread, PublishedTweet, Thread
from bot.core.settings import Settings
from bot.networks.base import Budget, Ledger, posts_needed
from bot.networks.x.client import DEFAULT_RATE_WAIT, MAX_RATE_WAIT, MAX_RATE_WAITS
from bot.networks.x.length import COUNTER as X
from bot.networks.x.match import XPost, XUser, follows, same_post
from bot.tweets.length import Counter

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=7)  # how far back the resume check reads the account's posts
SETTLE_MARGIN = 5.0  # seconds (at most x.timeout) past x.timeout after which a request sent at the mark has landed
WAIT_STEP = 1.0  # waits are slept in steps this long, so a shutdown is heard within one
LOOK_FIRST = 2.0  # seconds before the second look for a post whose fate is unknown; doubling after each look
LOOK_MAX = 60.0  # at most this long between two looks


class XAccount(Protocol):
    """What the publisher needs of X (client.XClient over HTTP; tests use it against a local X API)."""

    def create_post(self, text: str, media_ids: Sequence[str] = (), reply_to: str | None = None,
                    quote_of: str | None = None, made_with_ai: bool = False) -> str:
        """POST /2/tweets; the new post's id (`made_with_ai`: X's disclosure of AI-generated media)."""
        ...

    def upload_image(self, path: Path, mime: str, alt_text: str) -> str:
        """Upload one image with its alt text; the media id."""
        ...

    def me(self) -> XUser:
        """GET /2/users/me."""
        ...

    def recent_posts(self, user_id: str, since: datetime) -> list[XPost]:
        """The account's posts since `since`, newest first."""
        ...


@dataclass
class _Run:
    """The state of one publish() call."""

    thread: Thread
    ledger: Ledger
    texts: list[Gated]  # each passed bot.tweets.grounding.gate (core.records.Tweet.text)
    published: dict[int, PublishedTweet]
    pending: dict[int, float]  # position: when its request was marked pending (epoch seconds)
    link: str  # "reply", "quote" or "single": how the next post is chained
    media_id: str = ""
    notes: list[str] = field(default_factory=list)


class _Stopped(Exception):
    """The thread ends here on purpose (reply fallback "stop", or a shutdown)."""


class XPublisher:
    """Publishes a thread through an XClient (create_post, upload_image, me, recent_posts)."""

    network = "x"

    def counter(self) -> Counter:
        """X's count: 280 weighted characters (tweets/length.py)."""
        return X

    def __init__(self, client: XAccount, settings: Settings, clock: Clock,
                 should_stop: Callable[[], bool] | None = None) -> None:
        self.client = client
        self.settings = settings
        self.clock = clock
        self.should_stop = should_stop or (lambda: False)
        self._user_id = ""
        self._lookup_error = ""  # why the last look-up for a post could not read X, if it could not

    def publish(self, thread: Thread, ledger: Ledger, budget: Budget | None = None) -> PostedThread:
        """Post what the ledger does not hold yet; BudgetExceeded before any request when the rest does not fit.

        `budget` carries the posts already made in the last 24 hours and this month (the store counts them);
        None checks against the limits in the settings as if nothing had been posted.
        """
        texts = [t.text for t in thread.for_network("x").tweets][: posts_needed(thread, self.settings)]
        run = _Run(thread, ledger, texts, dict(ledger.done()), dict(ledger.pending_times()),
                   self.settings.x.thread_mode)
        todo = [p for p in range(1, len(texts) + 1) if p not in run.published]
        if todo:
            (budget or Budget.from_settings(self.settings)).check(len(todo))
        run.media_id = run.published[1].media_id if 1 in run.published else ""
        try:
            for position in todo:
                if self.should_stop():  # before the first post too: a stop while writing starts no thread
                    raise _Stopped(f"stopped before post {position} of {len(texts)} (shutdown); "
                                   "the next run finishes the thread")
                tweet_id = self._post(run, position)
                tweet = PublishedTweet(position, tweet_id, run.media_id if position == 1 else "")
                ledger.record(tweet)
                run.published[position] = tweet
                log.info("posted %d/%d: tweet %s", position, len(texts), tweet_id)
        except _Stopped as stop:
            run.notes.append(str(stop))
        complete = all(p in run.published for p in range(1, len(texts) + 1))
        return PostedThread(thread, tuple(run.published[p] for p in sorted(run.published)), mode=run.link,
                            complete=complete, notes=tuple(run.notes))

    def _post(self, run: _Run, position: int) -> str:
        """Send one position (after adopting it if it is already on X); its tweet id."""
        text = run.texts[position - 1]
        prev = run.published[position - 1].tweet_id if position > 1 else None
        if position in run.pending:
            found = self._settle(run, position, prev, run.pending[position])
            if found:
                log.info("post %d was already on X (tweet %s): adopted, not sent again", position, found)
                return found
        if position == 1 and not run.media_id:
            run.media_id = self._upload(run.thread)
        failures = rate_waits = 0
        while True:
            marked = self.clock.time()
            run.ledger.pending(position)  # the fence: ClaimLost here when another process holds the entry now
            try:
                with_image = position == 1 and bool(run.media_id)
                return self.client.create_post(
                    text, [run.media_id] if with_image else [],
                    reply_to=prev if run.link == "reply" else None,
                    quote_of=prev if run.link == "quote" else None,
                    made_with_ai=with_image and model_made(run.thread))
            except RateLimited as exc:  # refused, so not made: wait for the reset, then prove the claim again
                # Not pending any more: a run after this process dies sends it at once (after its own proof), instead of
                # looking for it on X until x.confirm_horizon. Earlier attempts of it were settled before this one.
                run.ledger.refused(position)
                run.pending.pop(position, None)
                rate_waits += 1
                self._rate_wait(exc, position, rate_waits, run.ledger)
            except NoAnswer as exc:
                failures += 1
                self._wait(_backoff(failures), position, run.ledger)
                found = self._settle(run, position, prev, marked)
                if found:
                    log.info("post %d reached X although its answer was lost (tweet %s)", position, found)
                    return found
                if failures > self.settings.x.retries:
                    raise PublishError(f"post {position} got no answer from X after {failures} attempts: "
                                       f"{exc.message}", "the next run checks X for it before sending it again",
                                       retryable=True) from exc
            except DuplicateContent as exc:
                found = self._find(text, prev, run if position == 1 else None)
                if found:
                    log.info("post %d was a duplicate of tweet %s: adopted", position, found)
                    return found
                why = (f"reading the account's posts failed ({self._lookup_error})" if self._lookup_error
                       else "it is not among the account's recent posts")
                raise DuplicateContent(f"post {position}: {exc.message}",
                                       f"the text is already on X but its post was not found: {why}; "
                                       "the entry is not retried") from exc
            except ReplyForbidden as exc:
                self._fallback(run, position, exc)

    def _settle(self, run: _Run, position: int, prev: str | None, marked: float) -> str | None:
        """The id of the pending post on X, or None once X surely does not have it.

        Looked up now and, while not found, again with backoff (LOOK_FIRST s, doubling, at most LOOK_MAX) until the
        horizon: x.confirm_horizon after the request went out at `marked`, and never before that request's own
        timeout and a margin have passed. X's timeline may show a new post late; past the horizon a post still not
        found is taken as never made, and sent again (docs/running.md). PublishError (retryable) when the
        account's posts cannot be read: a post whose fate is unknown is never sent again unchecked.
        """
        text = run.texts[position - 1]
        first = run if position == 1 else None
        horizon = marked + self._horizon()
        found = self._find(text, prev, first)
        if not found and not self._lookup_error and self.clock.time() < horizon:
            log.info("post %d: not on X yet; looking for it until %.0f s after it was sent (x.confirm_horizon) before "
                     "sending it again", position, horizon - marked)
        step = LOOK_FIRST
        while not found and not self._lookup_error and (left := horizon - self.clock.time()) > 0:
            self._wait(min(step, left), position, run.ledger)
            step = min(step * 2, LOOK_MAX)
            found = self._find(text, prev, first)
        if not found and self._lookup_error:
            raise PublishError(f"post {position} may already be on X, and the account's posts could not be read "
                               f"to check ({self._lookup_error})",
                               "it is not sent again until X can be asked; the next run checks again",
                               retryable=True)
        return found

    def _horizon(self) -> float:
        """Seconds after a send during which its post is looked for before it is sent again."""
        timeout = float(self.settings.x.timeout)
        return max(float(self.settings.x.confirm_horizon), timeout + min(SETTLE_MARGIN, timeout))

    def _rate_wait(self, exc: RateLimited, position: int, count: int, ledger: Ledger) -> None:
        """Wait for X's rate-limit reset before post `position` goes out again (the lease is kept alive meanwhile,
        run/lease.py). RateLimited, for the entry to wait for the reset instead, when the wait is longer than
        MAX_RATE_WAIT, after MAX_RATE_WAITS waits, or at a shutdown."""
        wait = (exc.reset_at - self.clock.time() + 1) if exc.reset_at else DEFAULT_RATE_WAIT
        if count > MAX_RATE_WAITS or wait > MAX_RATE_WAIT:
            raise exc
        log.warning("X rate limit on post %d: waiting %.0f s for the reset", position, max(wait, 0.0))
        end = self.clock.time() + max(wait, 0.0)
        while (left := end - self.clock.time()) > 0:
            if self.should_stop():
                raise exc  # the entry waits for the reset, no attempt used
            _still_held(ledger, position)
            self.clock.sleep(min(WAIT_STEP, left))
        if self.should_stop():
            raise exc

    def _wait(self, seconds: float, position: int, ledger: Ledger | None = None) -> None:
        """Sleep through the clock in short steps; a shutdown ends the wait before post `position`, and so does the
        loss of the entry's claim (ClaimLost: the ledger's heartbeat found another process holding it)."""
        end = self.clock.time() + max(0.0, seconds)
        while (left := end - self.clock.time()) > 0:
            if self.should_stop():
                raise _Stopped(f"stopped before post {position} of the thread (shutdown); the next run finishes it")
            _still_held(ledger, position)
            self.clock.sleep(min(WAIT_STEP, left))

    def _fallback(self, run: _Run, position: int, exc: ReplyForbidden) -> None:
        """x.reply_fallback after X refused a reply: quote the previous post instead, stop here, or fail."""
        choice = self.settings.x.reply_fallback
        if choice == "quote":
            run.link = "quote"
            run.notes.append(f"X refused post {position} as a reply; it and the posts after it quote the "
                             "post before instead (x.reply_fallback = quote)")
            log.warning(run.notes[-1])
            return
        if choice == "stop":
            raise _Stopped(f"X refused post {position} as a reply; posts {position}–{len(run.texts)} were not "
                           "posted (x.reply_fallback = stop)")
        raise ReplyForbidden(f"post {position}: {exc.message}",
                             "set x.reply_fallback = quote or stop, or x.thread_mode = single") from exc

    def _upload(self, thread: Thread) -> str:
        """Upload the thread's image with its alt text; "" when the thread has none."""
        image = thread.image
        if image.path is None or image.source == "none":
            return ""
        mime = image.mime or mimetypes.guess_type(image.path.name)[0] or ""
        return str(self.client.upload_image(image.path, mime, image.alt_text))

    def _find(self, text: str, prev: str | None, first: _Run | None = None) -> str | None:
        """The id of the account's recent post with this text (X's copy) that replies to or quotes `prev`.

        For the first post (`first` given) the media id it carries is taken over too, from its media key.
        """
        self._lookup_error = ""
        try:
            if not self._user_id:
                self._user_id = str(self.client.me().get("id", ""))
            posts = self.client.recent_posts(self._user_id, self.clock.now() - LOOKBACK)
        except AuthError:
            raise
        except BotError as exc:
            log.warning("could not read the account's recent posts (%s)", exc)
            self._lookup_error = exc.message
            return None
        # The whole text (links expanded) and its place in the thread: a post of another thread that reads the same
        # but replies elsewhere (or links elsewhere) is never taken for ours.
        best = next((p for p in posts if same_post(text, p) and follows(p, prev)), None)
        if best is None:
            return None
        keys = (best.get("attachments") or {}).get("media_keys") or []
        if first is not None and keys:
            first.media_id = str(keys[0]).partition("_")[2] or first.media_id  # media_key is "3_<media id>"
        return str(best["id"])


def model_made(thread: Thread) -> bool:
    """True when the thread's image came from a model (Hugging Face or a Gradio Space), not the cover or a card."""
    return thread.image.path is not None and thread.image.source in ("hf", "gradio")


def _still_held(ledger: Ledger | None, position: int) -> None:
    """ClaimLost when the ledger says its claim was lost (run/lease.py sets `lost`), so a wait ends at once; the fence
    in the ledger's pending mark stops the send in any case."""
    if ledger is not None and ledger.lost:
        raise ClaimLost(f"lost the claim on this entry while waiting to send post {position}: another bot process took "
                        "it over after this one's lease ran out (store.lease_seconds); stopped, and sent nothing more")


def _backoff(attempt: int) -> float:
    return float(min(60, 2 ** attempt))
