"""Tokenisation that keeps character offsets into the original text.

Every extractor module works on the same normalised view of a text: lower case, ``ё`` → ``е``,
typographic apostrophes (’ ʼ ‘ `) → ``'``, non-breaking and thin spaces → a plain space. The
normalisation never changes the length of the text, so an offset into the normalised text is an
offset into the original one; evidence spans are taken from it directly.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, count
from operator import attrgetter

_APOSTROPHES = "’ʼ‘`´ʹ"
_SPACES = "\u00a0\u2007\u202f\u2009\u200a"
_REPLACEMENTS = (
    *((c, "'") for c in _APOSTROPHES),
    *((c, " ") for c in _SPACES),
    ("ё", "е"),
    ("\u2011", "-"),
)

# A word: letters/digits, optionally joined by a hyphen ("twenty-three", "Shahed-136") or by an
# apostrophe before a non-Latin letter ("дев'ять", "об'єкт"; English "Crimea's" is two tokens).
# Possessive quantifiers keep matching linear on pathological input.
WORD_RE = re.compile(r"\w++(?:(?:-|'(?![a-z]))\w++)*+")


def normalize(text: str) -> str:
    """Return the normalised view of ``text``; ``len(normalize(t)) == len(t)`` always."""
    low = text.lower()
    if len(low) != len(text):
        # A handful of characters ("İ") lower-case to two code points; keep those as they are.
        low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    # str.replace per rare character is an order of magnitude faster than str.translate with a dict.
    for old, new in _REPLACEMENTS:
        if old in low:
            low = low.replace(old, new)
    return low


@dataclass(slots=True, unsafe_hash=True)
class Token:
    """One word of a text: its normalised form and its span in the original text.

    A slotted class (not frozen: a frozen one is slow to build): the rules read token attributes
    thousands of times per statement and slot reads are the fastest. Compared and hashed by value.
    Don't modify one.
    """

    norm: str
    start: int
    end: int
    index: int

    @property
    def is_digit(self) -> bool:
        return self.norm.isdigit()


@dataclass(slots=True, unsafe_hash=True)
class Text:
    """A text prepared once for all extractor modules: original, normalised view and tokens.

    Slotted like ``Token`` (don't modify it).
    """

    raw: str
    norm: str
    tokens: tuple[Token, ...]
    words: tuple[str, ...]  # the tokens' normalised forms, for the many loops that need only those
    gaps: tuple[str, ...]  # the normalised characters after each token, up to the next (the last: the tail)

    def span_text(self, start: int, end: int) -> str:
        return self.raw[start:end]

    def token_at(self, offset: int) -> int | None:
        """Index of the first token starting at or after ``offset`` (None past the end)."""
        lo = bisect_left(self.tokens, offset, key=_START)
        return lo if lo < len(self.tokens) else None


def prepare(raw: str) -> Text:
    """Normalise and tokenise ``raw`` once."""
    norm = normalize(raw)
    # Tokenising is on the hot path: one regex split gives the words and the gaps between them
    # ([gap, word, gap, word, …, gap]), their lengths give the offsets, and the tokens are built by a
    # C-level map. No match objects.
    parts = _SPLIT_RE.split(norm)
    offsets = list(accumulate(map(len, parts), initial=0))
    words = tuple(parts[1::2])
    tokens = tuple(map(Token, words, offsets[1::2], offsets[2::2], count()))
    return Text(raw, norm, tokens, words, tuple(parts[2::2]))


_SPLIT_RE = re.compile(f"({WORD_RE.pattern})")


_START = attrgetter("start")


@lru_cache(maxsize=256)
def prepare_cached(raw: str) -> Text:
    return prepare(raw)
