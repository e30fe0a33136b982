"""The common English words grounding reads names against, looked up in a file: bot/data/common_words.txt.

The file holds the lower-case words of Webster's Second as the english-words package lists them ("web2", alpha
only): an index of three-letter starts ("aba 1234 5678", byte offsets into the words), a blank line, then the
words, one line per four-letter start, each word between spaces (" aahed aahing aahs "). Only the index is read
(40 KB): a look-up reads the few hundred bytes of its start from the open file (not mapped: the kernel would map
the pages around each one, and the whole file would count in the process's memory), where a frozenset of the
210,824 words took 36 MB and 0.3 s to build. tests/tweets/test_compact_tables.py makes the file from the package
and checks it; regenerate after upgrading english-words:

    python tests/tweets/test_compact_tables.py
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib.resources import files

_FILE = ("data", "common_words.txt")
_INDEX, _LINE = 3, 4  # letters that choose a word's index entry, and its line


@lru_cache(maxsize=1)
def _index() -> tuple[int, int, bytes]:
    """The open file, where its words begin, and its index as read ("\naba 1234 5678\n...": 40 KB, searched as it
    is, where a dict of its 3,700 entries took 0.8 MB)."""
    with files("bot").joinpath(*_FILE).open("rb") as handle:
        index = b"\n" + b"".join(iter(handle.readline, b"\n"))
        base = handle.tell()
        fd = os.dup(handle.fileno())  # kept open for the process's life, like a module's code
    return fd, base, index


@lru_cache(maxsize=64)
def _words(start: str) -> bytes:
    """The lines of the words that begin with `start` (three letters, or the whole word when shorter)."""
    fd, base, index = _index()
    at = index.find(b"\n" + start.encode("ascii") + b" ")
    if at < 0:
        return b""
    _, begin, end = index[at + 1:index.index(b"\n", at + 1)].split()
    return os.pread(fd, int(end) - int(begin), base + int(begin))


def listed(word: str) -> bool:
    """True when `word` is one of the file's words (all lower-case ASCII letters)."""
    return word.isascii() and word.isalpha() and f" {word} ".encode("ascii") in _words(word[:_INDEX])


def render(words: list[str]) -> str:
    """`words` (sorted) as the file's text: the index, a blank line, one line per four-letter start."""
    lines: dict[str, list[str]] = {}
    for word in words:
        if not (word.isascii() and word.isalpha() and word.islower()):
            raise ValueError(f"{word!r} is not lower-case ASCII letters")
        lines.setdefault(word[:_LINE], []).append(word)
    body = "".join(f" {' '.join(group)} \n" for group in lines.values())
    spans: dict[str, list[int]] = {}
    at = 0
    for group in lines.values():
        size = len(" ".join(group)) + 3
        spans.setdefault(group[0][:_INDEX], [at, at])[1] = at + size
        at += size
    return "".join(f"{key} {start} {end}\n" for key, (start, end) in spans.items()) + "\n" + body
