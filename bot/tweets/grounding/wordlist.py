"""The common English words grounding reads names against, looked up in a file: bot/data/common_words.txt.

The file holds the lower-case words of Webster's Second as the english-words package lists them ("web2", alpha
only): an index of three-letter starts ("aba 1234 5678", byte offsets into the words), a blank line, then the
words, one line per four-letter start, each word between spaces (" aahed aahing aahs "). The file is mapped, not
read: a look-up searches the few hundred bytes of its start, so a dry run touches a few pages of the 2.3 MB where
a frozenset of the 210,824 words took 36 MB and 0.3 s to build. Regenerate after upgrading english-words:

    python tests/tweets/test_compact_tables.py
"""

from __future__ import annotations

import mmap
from functools import lru_cache
from importlib.resources import files

_FILE = ("data", "common_words.txt")
_INDEX, _LINE = 3, 4  # letters that choose a word's index entry, and its line


@lru_cache(maxsize=1)
def _table() -> tuple[mmap.mmap, dict[str, tuple[int, int]]]:
    """The mapped file, and each three-letter start (the word itself when shorter) -> where its words are."""
    index: dict[str, tuple[int, int]] = {}
    with files("bot").joinpath(*_FILE).open("rb") as handle:
        for line in iter(handle.readline, b"\n"):
            key, start, end = line.split()
            index[key.decode("ascii")] = (int(start), int(end))
        base = handle.tell()
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    return mapped, {key: (start + base, end + base) for key, (start, end) in index.items()}


def listed(word: str) -> bool:
    """True when `word` is one of the file's words (all lower-case ASCII letters)."""
    if not (word.isascii() and word.isalpha()):
        return False
    mapped, index = _table()
    span = index.get(word[:_INDEX])
    return span is not None and mapped.find(f" {word} ".encode("ascii"), *span) >= 0


def source_words() -> list[str]:
    """The file's words, read from the english-words package (the oracle of the file, and its source)."""
    from english_words import get_english_words_set

    return sorted(w for w in get_english_words_set(["web2"], lower=False, alpha=True) if w.islower())


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
