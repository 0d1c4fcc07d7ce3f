"""One statement analysed once: tokens, concept tags, sentences, numbers and places.

Every rule module reads a ``Doc``; none of them re-tokenises or re-tags the text.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from tocsin.extract.lexicon import Tag, lexicon
from tocsin.extract.numbers import Number, find_numbers
from tocsin.extract.regions import Place, find_places
from tocsin.extract.tokens import Text, prepare

_STOP = ".!?…"
_ABBREVIATIONS = frozenset(
    "jan feb mar apr jun jul aug sep sept oct nov dec gov gen lt col mr mrs ms dr st no vs "
    "г гг обл ул им р тыс млн млрд ст пос пгт с д кв просп".split()
)
_CONTINUES = ",:;–—-("
_CLAUSE_BREAKS = ",;:()"  # dashes join: "ще троє — поранені"
_PUNCT = re.compile(r"[.!?…\n,;:()]")


@dataclass(frozen=True, slots=True)
class Sentence:
    """Tokens ``[i, j)`` of one sentence and its character span."""

    index: int
    i: int
    j: int
    start: int
    end: int


def _abbreviation(word: str) -> bool:
    return (len(word) == 1 and not word.isdigit()) or word in _ABBREVIATIONS


def _marked_gaps(text: Text) -> list[int]:
    """Indexes ``k`` of the gaps (between token ``k`` and ``k + 1``) that hold punctuation or a line break.

    Most gaps are a single space; finding the few others with one regex pass over the text keeps
    sentence and clause splitting from slicing every gap.
    """
    ends = [t[2] for t in text.tokens]
    last = len(ends) - 1
    marked = {bisect_right(ends, m.start()) - 1 for m in _PUNCT.finditer(text.norm)}
    return sorted(k for k in marked if 0 <= k <= last)


def split_sentences(text: Text, marked: list[int] | None = None) -> list[Sentence]:
    """Split on sentence punctuation and on line breaks that do not continue a list.

    "8.00" and "кв. м" do not split (a full stop splits only before a capital letter, a digit list item
    or a quote); "область.Просьба" does (glued sentences are common in quick posts).
    """
    tokens, raw = text.tokens, text.raw
    out: list[Sentence] = []
    first = 0
    for k in _marked_gaps(text) if marked is None else marked:
        if k >= len(tokens) - 1:
            break
        gap = raw[tokens[k].end : tokens[k + 1].start]
        nxt = raw[tokens[k + 1].start]
        split = False
        if any(c in _STOP for c in gap):
            stripped = gap.strip()
            if stripped in (".",) and tokens[k].norm.isdigit() and tokens[k + 1].norm.isdigit():
                split = False  # a clock time "8.00" or a decimal
            elif stripped in (".", ".-") and _abbreviation(tokens[k].norm):
                split = False  # "U.S.-made", "А. Богомаз", "Nov. 17", "Gov. Kiper"
            elif (
                nxt.isupper()
                or nxt.isdigit()
                or "\n" in gap
                or any(q in gap for q in '«"“„—–')
                or any(c in "!?…" for c in gap)
            ):
                split = True
        elif "\n" in gap:
            before = gap.split("\n", 1)[0].strip()
            split = not (before and before[-1] in _CONTINUES)
        if split:
            out.append(Sentence(len(out), first, k + 1, tokens[first].start, tokens[k].end))
            first = k + 1
    if tokens:
        out.append(Sentence(len(out), first, len(tokens), tokens[first].start, tokens[-1].end))
    return out


class Doc:
    """The analysed statement shared by all rule modules."""

    def __init__(self, raw: str, lang: str):
        self.text = prepare(raw)
        self.lang = lang
        self.tokens = self.text.tokens
        self.words = [t.norm for t in self.tokens]
        self.tags: list[Tag] = lexicon(lang).tag(self.text)
        self.by_concept: dict[str, list[Tag]] = defaultdict(list)
        for tag in self.tags:
            self.by_concept[tag.concept].append(tag)
        self._starts = {c: [t.i for t in tags] for c, tags in self.by_concept.items()}
        self._marked = _marked_gaps(self.text)
        self.sentences = split_sentences(self.text, self._marked)
        self._sent_starts = [s.i for s in self.sentences]

    @cached_property
    def numbers(self) -> list[Number]:
        return find_numbers(self.text, self.lang)

    @cached_property
    def places(self) -> list[Place]:
        return find_places(self.text, self.lang)

    # -- look-ups -----------------------------------------------------------------------------------
    def find(self, concept: str, i: int = 0, j: int | None = None) -> list[Tag]:
        """Tags of ``concept`` starting in tokens ``[i, j)``."""
        starts = self._starts.get(concept)
        if not starts:
            return []
        lo = bisect_left(starts, i)
        hi = len(starts) if j is None else bisect_left(starts, j, lo)
        return self.by_concept[concept][lo:hi]

    def has(self, concept: str, i: int = 0, j: int | None = None) -> bool:
        starts = self._starts.get(concept)
        if not starts:
            return False
        lo = bisect_left(starts, i)
        return lo < len(starts) and (j is None or starts[lo] < j)

    @cached_property
    def _cover(self) -> dict[tuple[str, int], Tag]:
        cover: dict[tuple[str, int], Tag] = {}
        for tag in self.tags:
            cover.setdefault((tag.concept, tag.i), tag)
            for k in range(tag.i + 1, tag.j):
                cover.setdefault((tag.concept, k), tag)
        return cover

    def covers(self, concept: str, k: int) -> Tag | None:
        """The tag of ``concept`` that covers token ``k``, if any."""
        return self._cover.get((concept, k))

    def sentence_of(self, k: int) -> Sentence:
        return self.sentences[max(0, bisect_right(self._sent_starts, k) - 1)]

    def gap(self, k: int) -> str:
        """Normalised characters between token ``k`` and token ``k + 1`` (after the last: the tail)."""
        toks = self.tokens
        if not 0 <= k < len(toks):
            return ""
        return (
            self.text.norm[toks[k].end : toks[k + 1].start]
            if k + 1 < len(toks)
            else self.text.norm[toks[k].end :]
        )

    @cached_property
    def _clause_breaks(self) -> list[bool]:
        breaks = [False] * len(self.tokens)
        for k in self._marked:
            if any(c in _CLAUSE_BREAKS for c in self.gap(k)):
                breaks[k] = True
        return breaks

    def clause_break(self, k: int) -> bool:
        """Whether a clause ends after token ``k`` (a comma, semicolon, colon or bracket follows it)."""
        return 0 <= k < len(self.tokens) and self._clause_breaks[k]

    @cached_property
    def _clauses(self) -> list[tuple[int, int]]:
        """The clause of every token, computed once."""
        out: list[tuple[int, int]] = []
        breaks = self._clause_breaks
        for s in self.sentences:
            i = s.i
            for k in range(s.i, s.j):
                if k == s.j - 1 or breaks[k]:
                    out.extend([(i, k + 1)] * (k + 1 - i))
                    i = k + 1
        return out

    def clause(self, k: int) -> tuple[int, int]:
        """Tokens ``[i, j)`` of the clause around token ``k``: between commas, colons, brackets."""
        return self._clauses[k]

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Character span of tokens ``[i, j)``."""
        return self.tokens[i].start, self.tokens[j - 1].end

    @cached_property
    def _number_starts(self) -> list[int]:
        return [n.tok_start for n in self.numbers]

    @cached_property
    def _place_starts(self) -> list[int]:
        return [p.tok_start for p in self.places]

    def numbers_in(self, i: int, j: int) -> list[Number]:
        starts = self._number_starts
        return self.numbers[bisect_left(starts, i) : bisect_left(starts, j)]

    def places_in(self, i: int, j: int) -> list[Place]:
        starts = self._place_starts
        return self.places[bisect_left(starts, i) : bisect_left(starts, j)]
