"""One statement analysed once: tokens, concept tags, sentences, numbers and places.

Every rule module reads a ``Doc``; none of them re-tokenises or re-tags the text.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from tocsin.extract.lexicon import Tag, lexicon
from tocsin.extract.numbers import Number, find_numbers
from tocsin.extract.regions import Place, find_places
from tocsin.extract.tokens import Text, prepare

_STOP = ".!?…"
_CONTINUES = ",:;–—-("


@dataclass(frozen=True, slots=True)
class Sentence:
    """Tokens ``[i, j)`` of one sentence and its character span."""

    index: int
    i: int
    j: int
    start: int
    end: int


def split_sentences(text: Text) -> list[Sentence]:
    """Split on sentence punctuation and on line breaks that do not continue a list.

    "8.00" and "кв. м" do not split (a full stop splits only before a capital letter, a digit list item
    or a quote); "область.Просьба" does (glued sentences are common in quick posts).
    """
    tokens, raw = text.tokens, text.raw
    out: list[Sentence] = []
    first = 0
    for k in range(len(tokens) - 1):
        gap = raw[tokens[k].end : tokens[k + 1].start]
        nxt = raw[tokens[k + 1].start]
        split = False
        if any(c in _STOP for c in gap):
            stripped = gap.strip()
            if stripped in (".",) and tokens[k].norm.isdigit() and tokens[k + 1].norm.isdigit():
                split = False  # a clock time "8.00" or a decimal
            elif nxt.isupper() or nxt.isdigit() or "\n" in gap or any(q in gap for q in "«\"“„—–"):
                split = True
            elif any(c in "!?…" for c in gap):
                split = True
        elif "\n" in gap:
            before = gap.split("\n", 1)[0].strip()
            if "\n\n" in gap.replace(" ", "") or not (before and before[-1] in _CONTINUES):
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
        self.sentences = split_sentences(self.text)
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
        end = len(self.tokens) if j is None else j
        return [t for t in self.by_concept.get(concept, ()) if i <= t.i < end]

    def has(self, concept: str, i: int = 0, j: int | None = None) -> bool:
        return bool(self.find(concept, i, j))

    def covers(self, concept: str, k: int) -> Tag | None:
        """The tag of ``concept`` that covers token ``k``, if any."""
        for t in self.by_concept.get(concept, ()):
            if t.i <= k < t.j:
                return t
        return None

    def sentence_of(self, k: int) -> Sentence:
        return self.sentences[max(0, bisect_right(self._sent_starts, k) - 1)]

    def gap(self, k: int) -> str:
        """Normalised characters between token ``k`` and token ``k + 1``."""
        if k + 1 >= len(self.tokens):
            return self.text.norm[self.tokens[k].end :] if self.tokens else ""
        return self.text.norm[self.tokens[k].end : self.tokens[k + 1].start]

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Character span of tokens ``[i, j)``."""
        return self.tokens[i].start, self.tokens[j - 1].end

    def numbers_in(self, i: int, j: int) -> list[Number]:
        return [n for n in self.numbers if i <= n.tok_start < j]

    def places_in(self, i: int, j: int) -> list[Place]:
        return [p for p in self.places if i <= p.tok_start < j]
