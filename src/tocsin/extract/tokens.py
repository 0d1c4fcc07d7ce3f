"""Tokenisation that keeps character offsets into the original text.

Every extractor module works on the same normalised view of a text: lower case, ``ё`` → ``е``,
typographic apostrophes (’ ʼ ‘ `) → ``'``, non-breaking and thin spaces → a plain space. The
normalisation never changes the length of the text, so an offset into the normalised text is an
offset into the original one; evidence spans are taken from it directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

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


class Token(NamedTuple):
    """One word of a text: its normalised form and its span in the original text.

    A named tuple rather than a dataclass: a statement has hundreds of tokens and tuples are built fast.
    """

    norm: str
    start: int
    end: int
    index: int

    @property
    def is_digit(self) -> bool:
        return self.norm.isdigit()


@dataclass(frozen=True, slots=True)
class Text:
    """A text prepared once for all extractor modules: original, normalised view and tokens."""

    raw: str
    norm: str
    tokens: tuple[Token, ...]

    def span_text(self, start: int, end: int) -> str:
        return self.raw[start:end]

    def token_at(self, offset: int) -> int | None:
        """Index of the first token starting at or after ``offset`` (None past the end)."""
        lo, hi = 0, len(self.tokens)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.tokens[mid].start < offset:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < len(self.tokens) else None


def prepare(raw: str) -> Text:
    """Normalise and tokenise ``raw`` once."""
    norm = normalize(raw)
    new = tuple.__new__  # skips NamedTuple's Python-level __new__: tokenising is on the hot path
    matches = WORD_RE.finditer(norm)
    tokens = tuple(new(Token, (m.group(), m.start(), m.end(), i)) for i, m in enumerate(matches))
    return Text(raw, norm, tokens)


@lru_cache(maxsize=256)
def prepare_cached(raw: str) -> Text:
    return prepare(raw)
