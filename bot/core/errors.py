"""The one root error, BotError, and its kinds; each carries a hint that tells the user what to do."""

from __future__ import annotations

import errno

from typing import TYPE_CHECKING

from bot.core import redaction

if TYPE_CHECKING:  # records import nothing of errors; this is for annotations only
    from bot.core.records import ModelCall

# Every secret value this process has read, in the shapes a server may echo it back in (core/redaction.py). Messages
# are redacted against it where they are made: BotError, notes, the store's last_error, the files written and the CLI;
# an upstream's text is shortened only through `clip`, which redacts before it cuts.
hide = redaction.hide
redact = redaction.redact
clip = redaction.clip


class BotError(Exception):
    """Root of every error the bot raises on purpose; `str()` is the one line a user sees (secrets redacted)."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        message, hint = redact(message), redact(hint)
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class ConfigError(BotError):
    """A setting is unknown, malformed or out of range, or a needed credential is missing."""

    exit_code = 2


class FeedError(BotError):
    """The feed could not be fetched, or what came back is not a usable feed."""


class EntryNotFound(FeedError):
    """`--entry` named nothing in the feed."""


class WriterError(BotError):
    """The model writer failed for good (after retries and fallbacks).

    `calls` are the model requests made before it gave up, `fallbacks` one reason per model given up on.
    """

    calls: "tuple[ModelCall, ...]" = ()
    fallbacks: tuple[str, ...] = ()


class AuthError(BotError):
    """A service rejected our credentials (401): retrying will not help."""


class CreditsExhausted(WriterError):
    """Hugging Face answered 402: the account's credits are spent."""


class ImageError(BotError):
    """No image could be made or normalised."""


class PublishError(BotError):
    """X refused or failed to publish; `retryable` says whether a later attempt may succeed."""

    def __init__(self, message: str, hint: str = "", *, retryable: bool = True) -> None:
        super().__init__(message, hint)
        self.retryable = retryable


class DuplicateContent(PublishError):
    """X answered 403 'duplicate content': this text was already posted."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message, hint, retryable=False)


class ReplyForbidden(PublishError):
    """X answered 403 to a reply (reply restrictions since Feb 2026)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message, hint, retryable=False)


class RateLimited(PublishError):
    """X answered 429; `reset_at` is the epoch second from x-rate-limit-reset, when known."""

    def __init__(self, message: str, hint: str = "", *, reset_at: float | None = None) -> None:
        super().__init__(message, hint, retryable=True)
        self.reset_at = reset_at


class NoAnswer(PublishError):
    """A request went out and no usable answer came back (dropped, timed out, 5xx): it may have taken effect."""


class BudgetExceeded(PublishError):
    """The thread does not fit what is left of the daily or monthly post budget."""


class StoreError(BotError):
    """The database could not be opened, migrated or written."""


class StoreFull(StoreError):
    """The database could not be written for want of room (disk full, file size limit): the machine's fault."""

    local = True


class StoreGone(StoreError):
    """The SQLite file was deleted or replaced under a running bot: going on would record into nothing."""

    fatal = True  # the daemon stops instead of polling on (bot.run.daemon)


class OutputError(BotError):
    """The output directory or a file in it could not be written."""


# errno values that say the machine ran out of something (room, file size, file handles), not that the input was bad
LOCAL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS, errno.EMFILE, errno.ENFILE})


def is_local(exc: BaseException | None) -> bool:
    """True when `exc` (or what caused it) is a local failure: disk full, file too large, out of file handles."""
    seen = 0
    while exc is not None and seen < 10:
        if getattr(exc, "local", False) or (isinstance(exc, OSError) and exc.errno in LOCAL_ERRNOS):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False
