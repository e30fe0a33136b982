"""The common English words grounding reads names against, kept compact: bot/data/common_words.txt.

The file holds the lower-case words of Webster's Second as the english-words package lists them ("web2", alpha
only): one line per four-letter start, each word between spaces (" aahed aahing aahs "). Loaded on first use as
19,553 strings, 2.2 MB in all, where a frozenset of its 210,824 words took 36 MB and 0.3 s to build; a look-up
is a substring search in one line. Regenerate after upgrading english-words:

    python tests/tweets/test_compact_tables.py
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

_FILE = ("data", "common_words.txt")
_START = 4  # letters that choose a word's line


@lru_cache(maxsize=1)
def _lines() -> dict[str, str]:
    """Each four-letter start (the word itself when shorter) -> " word word ... " of the words with it."""
    text = files("bot").joinpath(*_FILE).read_text("ascii")
    return {line[1:_START + 1].split(" ", 1)[0]: line for line in text.splitlines()}


def listed(word: str) -> bool:
    """True when `word` is one of the file's words (all lower-case ASCII letters)."""
    return word.isascii() and word.isalpha() and f" {word} " in _lines().get(word[:_START], "")


def source_words() -> list[str]:
    """The file's words, read from the english-words package (the oracle of the file, and its source)."""
    from english_words import get_english_words_set

    return sorted(w for w in get_english_words_set(["web2"], lower=False, alpha=True) if w.islower())


def render(words: list[str]) -> str:
    """`words` (sorted) as the file's text: one line per four-letter start."""
    lines: dict[str, list[str]] = {}
    for word in words:
        if not (word.isascii() and word.isalpha() and word.islower()):
            raise ValueError(f"{word!r} is not lower-case ASCII letters")
        lines.setdefault(word[:_START], []).append(word)
    return "".join(f" {' '.join(group)} \n" for group in lines.values())

