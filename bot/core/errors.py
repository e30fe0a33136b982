"""The one root error, BotError, and its kinds; each carries a hint that tells the user what to do. Also the
redaction of secrets every message passes (`redact`), and `clip`, the one way to shorten an upstream's text."""

from __future__ import annotations

import base64
import errno
import html
import json
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:  # records import nothing of errors; this is for annotations only
    from bot.core.records import ModelCall

# Secrets kept out of every message. Every secret value this process has read is remembered in the shapes a server
# may echo it back in; messages are redacted against them where they are made: BotError, notes, the store's
# last_error, the files written and the CLI. An upstream's text is shortened only through `clip`: an error that
# echoes the request (a model server repeating the Authorization header, X or Mastodon quoting the request) cut
# first and redacted after lets a cut secret through (39 of its 40 characters no longer match). The echo may also
# be re-encoded: percent-encoded in either case, HTML-, JSON-escaped or base64 (a Basic header, a body echoed as
# base64), so each of those shapes is hidden too, and a piece of a secret an upstream cut itself is caught where it
# ends (or starts) a word.
MASK = "***"
EDGE = 4  # a piece this long of a secret, left at the edge of a cut we made, is removed
WORD_EDGE = 6  # a piece this long ending (or starting) a word of the text is removed: an upstream cut it there
ANYWHERE = 10  # a piece this long is removed wherever it stands
BASE64_MIN = 8  # the shortest base64 run of a secret worth matching (shorter ones match ordinary words)

_SHAPES: set[str] = set()  # every shape of every secret: replaced wherever it stands
_ORDERED: list[str] = []  # the same, longest first
_PIECES: list[str] = []  # shapes whose pieces are secret too (not DATABASE_URL's whole URL, not a handle)
_PREFIXES: set[str] = set()  # every beginning (EDGE characters or more) of those shapes
_SUFFIXES: set[str] = set()  # every end
_LONGEST = [0]  # the length of the longest shape in _PIECES
_GRAMS: set[str] = set()  # every run of ANYWHERE characters inside them
_WORD = re.compile(r"[A-Za-z0-9!#$%&*+\-./:;=?@\\^_~]+")  # a token-like run of ASCII: where an upstream cut ends
_MARKS = ".,;:!?*~"  # what an upstream may put where it cut a word short ("...") or ended a clause
_CUTS = re.compile(r"(\.{2,}|\*{2,})")  # where an upstream cut or masked a word in the middle
_PERCENT = re.compile(r"%[0-9A-F]{2}")
_ANY_CASE: dict[str, re.Pattern[str]] = {}  # percent-encoded shapes, their hex in any mix of cases


def shapes(value: str) -> list[str]:
    """The forms a server may echo `value` in: as is, percent-encoded (upper and lower case hex, `+` for space),
    JSON-escaped, HTML-escaped, and the base64 runs that carry it at each byte offset (standard and URL alphabet)."""
    found = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
             html.escape(value), html.escape(value, quote=False),
             html.escape(value).replace("&#x27;", "&#39;")}
    for encoded in (quote(value, safe=""), quote(value), quote_plus(value)):
        found |= {encoded, _PERCENT.sub(lambda m: m.group(0).lower(), encoded)}
    raw = value.encode("utf-8")
    for offset in range(3):
        text = base64.b64encode(b"\0" * offset + raw).decode("ascii")
        # Only the characters made of the value's bits alone: the ones before depend on what precedes it.
        start, end = -(-8 * offset // 6), 8 * (offset + len(raw)) // 6
        run = text[start:end]
        if len(run) >= BASE64_MIN:
            found |= {run, run.replace("+", "-").replace("/", "_")}
    return sorted((s for s in found if s), key=len, reverse=True)


def hide(values: Iterable[str], *, pieces: bool = True) -> None:
    """Remember secret values (each at least 4 characters), in every shape, so `redact` and `clip` hide them from
    now on; with pieces=False only whole values are hidden (a URL or a handle, whose pieces are ordinary text)."""
    added = False
    for value in values:
        if not value or len(value) < 4:
            continue
        for shape in shapes(value):
            if shape not in _SHAPES:
                _SHAPES.add(shape)
                added = True
            if pieces and len(shape) >= EDGE and shape not in _PIECES:
                _PIECES.append(shape)
                _LONGEST[0] = max(_LONGEST[0], len(shape))
                _PREFIXES.update(shape[:n] for n in range(EDGE, len(shape)))
                _SUFFIXES.update(shape[-n:] for n in range(EDGE, len(shape)))
                _GRAMS.update(shape[i:i + ANYWHERE] for i in range(len(shape) - ANYWHERE + 1))
        for encoded in (quote(value, safe=""), quote(value), quote_plus(value)):
            if "%" in encoded and encoded not in _ANY_CASE:
                parts = re.split(r"(%[0-9A-F]{2})", encoded)
                _ANY_CASE[encoded] = re.compile("".join(
                    "%" + "".join(f"[{c}{c.lower()}]" if c.isalpha() else c for c in part[1:])
                    if _PERCENT.fullmatch(part) else re.escape(part) for part in parts))
    if added:
        _ORDERED[:] = sorted(_SHAPES, key=len, reverse=True)


def redact(text: str) -> str:
    """`text` with every secret this process knows replaced by ***: whole, in any shape, and the pieces of one that
    stand alone (at least ANYWHERE characters anywhere, or WORD_EDGE ending or starting a word)."""
    for value in _ORDERED:
        if value in text:
            text = text.replace(value, MASK)
    if "%" in text:
        for pattern in _ANY_CASE.values():
            text = pattern.sub(MASK, text)
    if not _PIECES:
        return text
    text = _long_pieces(text)
    return _WORD.sub(lambda m: _trim(m.group(0), WORD_EDGE), text)


def clip(text: str, limit: int) -> str:
    """`text` redacted, then cut to `limit` characters, then any piece of a secret left at the cut removed."""
    text = redact(text)
    if len(text) <= limit:
        return text
    cut = text[:limit]
    tail = _tail(cut, EDGE)
    return cut[:len(cut) - tail] + (MASK if tail else "")


def _long_pieces(text: str) -> str:
    """Replace every run of at least ANYWHERE characters that some secret contains."""
    out: list[str] = []
    i = 0
    while i <= len(text) - ANYWHERE:
        if text[i:i + ANYWHERE] in _GRAMS:
            n = ANYWHERE
            while i + n < len(text) and any(text[i:i + n + 1] in shape for shape in _PIECES):
                n += 1
            out.append(MASK)
            i += n
        else:
            out.append(text[i])
            i += 1
    return "".join(out) + text[i:]


def _tail(text: str, least: int, words: bool = False) -> int:
    """The length of the longest end of `text` (at least `least` long) that begins some secret; 0 when none. With
    `words`, an end that is a plain lower-case word ("mastodon") does not count: a secret may begin with one."""
    for n in range(min(len(text), _LONGEST[0]), least - 1, -1):  # no longer piece can begin a secret: linear time
        piece = text[len(text) - n:]
        if piece in _PREFIXES and not (words and _plain(piece)):
            return n
    return 0


def _head(text: str, least: int, words: bool = False) -> int:
    """The length of the longest start of `text` (at least `least` long) that ends some secret; 0 when none."""
    for n in range(min(len(text), _LONGEST[0]), least - 1, -1):
        piece = text[:n]
        if piece in _SUFFIXES and not (words and _plain(piece)):
            return n
    return 0


def _plain(piece: str) -> bool:
    return piece.isascii() and piece.isalpha() and piece.islower()


def _trim(word: str, least: int) -> str:
    """A word of the text with a secret's beginning at its end, or a secret's end at its start, masked. Marks an
    upstream leaves at its own cut ("Zq3kW9x...", "...c7Xz2Lk", "Zq3kW9x;") are looked past: the piece before them
    is as much a secret's edge as one at the word's end; a word an upstream masked in the middle itself
    ("Zq3k...o5Ey", "Zq3kW9x********") is judged piece by piece."""
    parts = _CUTS.split(word)
    if len(parts) > 1:
        return "".join(part if i % 2 else _trim(part, least) for i, part in enumerate(parts))
    if len(word) < least or word == MASK:
        return word
    tail = _tail(word, least, words=True) or _past_marks(word, word.rstrip(_MARKS), lambda c: _tail(c, least, True))
    if tail:
        word = word[:len(word) - tail] + MASK
    head = _head(word, least, words=True) or _past_marks(word, word.lstrip(_MARKS), lambda c: _head(c, least, True))
    if head:
        word = MASK + word[head:]
    return word


def _past_marks(word: str, core: str, edge: Callable[[str], int]) -> int:
    """The secret's edge `edge` finds in `core` (the word without an upstream's cut marks), counted with the marks."""
    found = edge(core) if core != word else 0
    return len(word) - len(core) + found if found else 0


class BotError(Exception):
    """Root of every error the bot raises on purpose; `str()` is the one line a user sees (secrets redacted)."""

    exit_code = 1
    local = False  # the machine's fault (disk full and the like), not the input's: see is_local
    fatal = False  # the daemon stops instead of polling on (bot.run.daemon)

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

    calls: tuple[ModelCall, ...] = ()
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


class ClaimLost(PublishError):
    """This process no longer holds the entry's claim (another one took it after the lease ran out): it must send
    nothing more for the entry, and record nothing of its outcome; the holder finishes the thread."""

    def __init__(self, message: str = "", hint: str = "") -> None:
        super().__init__(message or "lost the claim on this entry: another bot process took it over after this "
                         "one's lease ran out (store.lease_seconds); stopped, and sent nothing more",
                         hint or "nothing to do: the process that holds it now finishes the thread, posting nothing "
                         "twice; if this happens often, the machine stalls longer than the lease: raise it",
                         retryable=True)


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
        if (isinstance(exc, BotError) and exc.local) or (isinstance(exc, OSError) and exc.errno in LOCAL_ERRNOS):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False
