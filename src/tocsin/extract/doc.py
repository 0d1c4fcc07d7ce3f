"""One statement analysed once: tokens, concept tags, sentences, numbers and places.

Every rule module reads a ``Doc``; none of them re-tokenises or re-tags the text.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from operator import attrgetter

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
# Character sets for ``set.isdisjoint(gap)``: a C-level test, far cheaper than any() over a generator.
_STOP_SET = frozenset(_STOP)
_CLAUSE_SET = frozenset(_CLAUSE_BREAKS)
_QUOTES_DASHES = frozenset('«"“„—–')
_EXCLAIM = frozenset("!?…")
_PUNCT = frozenset(".!?…\n,;:()")
_TOK_START = attrgetter("tok_start")
_NO_COVER: dict[int, Tag] = {}  # shared, never written to


class Sentence:
    """Tokens ``[i, j)`` of one sentence and its character span (don't modify it).

    A plain class with ``__slots__``: the rules read ``s.i`` / ``s.j`` thousands of times per statement, and
    slot attributes are the fastest to read. Sentences of a statement are distinct objects, compared by
    identity.
    """

    __slots__ = ("end", "i", "index", "j", "start")

    def __init__(self, index: int, i: int, j: int, start: int, end: int) -> None:
        self.index = index
        self.i = i
        self.j = j
        self.start = start
        self.end = end

    def __repr__(self) -> str:
        return f"Sentence(index={self.index}, i={self.i}, j={self.j}, start={self.start}, end={self.end})"


def _abbreviation(word: str) -> bool:
    return (len(word) == 1 and not word.isdigit()) or word in _ABBREVIATIONS


def _marked_gaps(text: Text) -> list[int]:
    """Indexes ``k`` of the gaps (between token ``k`` and ``k + 1``) that hold punctuation or a line break.

    Most gaps are a single space; sentence and clause splitting look only at the few others.
    """
    return [k for k, gap in enumerate(text.gaps) if gap != " " and not _PUNCT.isdisjoint(gap)]


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
        if not _STOP_SET.isdisjoint(gap):
            stripped = gap.strip()
            if stripped in (".",) and tokens[k].norm.isdigit() and tokens[k + 1].norm.isdigit():
                split = False  # a clock time "8.00" or a decimal
            elif stripped in (".", ".-") and _abbreviation(tokens[k].norm):
                split = False  # "U.S.-made", "А. Богомаз", "Nov. 17", "Gov. Kiper"
            elif (
                nxt.isupper()
                or nxt.isdigit()
                or "\n" in gap
                or not _QUOTES_DASHES.isdisjoint(gap)
                or not _EXCLAIM.isdisjoint(gap)
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
    """The analysed statement shared by all rule modules.

    Slotted, with the lazily computed parts (numbers, places, clauses) in plain slots filled on first use:
    the rules call its look-ups about a hundred times per statement, and slot reads are the fastest.
    """

    __slots__ = (
        "_break_flags",
        "_breaks",
        "_clauses",
        "_covers",
        "_marked",
        "_number_set",
        "_number_starts",
        "_numbers",
        "_place_set",
        "_place_starts",
        "_places",
        "_sent_starts",
        "_starts",
        "by_concept",
        "lang",
        "sentences",
        "tags",
        "text",
        "tokens",
        "words",
    )

    def __init__(self, raw: str, lang: str):
        self.text = prepare(raw)
        self.lang = lang
        self.tokens = self.text.tokens
        self.words = self.text.words
        self.tags: list[Tag] = lexicon(lang).tag(self.text)
        by_concept: dict[str, list[Tag]] = {}
        starts: dict[str, list[int]] = {}
        for tag in self.tags:
            concept = tag.concept
            tags = by_concept.get(concept)
            if tags is None:
                by_concept[concept] = [tag]
                starts[concept] = [tag.i]
            else:
                tags.append(tag)
                starts[concept].append(tag.i)
        self.by_concept = by_concept
        self._starts = starts
        self._marked = _marked_gaps(self.text)
        self.sentences = split_sentences(self.text, self._marked)
        self._sent_starts = [s.i for s in self.sentences]
        self._covers: dict[str, dict[int, Tag]] = {}
        # computed on first use
        self._numbers: list[Number] | None = None
        self._number_starts: list[int] | None = None
        self._number_set: frozenset[int] | None = None
        self._places: list[Place] | None = None
        self._place_starts: list[int] | None = None
        self._place_set: frozenset[int] | None = None
        self._breaks: list[int] | None = None
        self._break_flags: list[bool] | None = None
        self._clauses: list[tuple[int, int]] | None = None

    @property
    def numbers(self) -> list[Number]:
        """The numbers of the statement, in order (found on first use)."""
        if self._numbers is None:
            self._find_numbers()
        return self._numbers  # type: ignore[return-value]

    def _find_numbers(self) -> list[int]:
        numbers = self._numbers = find_numbers(self.text, self.lang)
        starts = self._number_starts = list(map(_TOK_START, numbers))
        return starts

    @property
    def places(self) -> list[Place]:
        """The places the statement names, in order (found on first use)."""
        if self._places is None:
            self._find_places()
        return self._places  # type: ignore[return-value]

    def _find_places(self) -> list[int]:
        places = self._places = find_places(self.text, self.lang)
        starts = self._place_starts = list(map(_TOK_START, places))
        return starts

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

    def _cover(self, concept: str) -> dict[int, Tag]:
        """Token → the first tag of ``concept`` covering it; built on the first question about ``concept``
        (most concepts asked about are absent from a statement and get the shared empty map)."""
        tags = self.by_concept.get(concept)
        if tags is None:
            cover = _NO_COVER
        else:
            cover = {}
            for tag in tags:
                for k in range(tag.i, tag.j):
                    if k not in cover:
                        cover[k] = tag
        self._covers[concept] = cover
        return cover

    def covers(self, concept: str, k: int) -> Tag | None:
        """The tag of ``concept`` that covers token ``k``, if any."""
        cover = self._covers.get(concept)
        if cover is None:
            cover = self._cover(concept)
        return cover.get(k)

    def covering(self, concept: str) -> dict[int, Tag]:
        """Token → the tag of ``concept`` covering it (read-only): for loops that ask about many tokens."""
        cover = self._covers.get(concept)
        return self._cover(concept) if cover is None else cover

    def sentence_of(self, k: int) -> Sentence:
        return self.sentences[max(0, bisect_right(self._sent_starts, k) - 1)]

    def gap(self, k: int) -> str:
        """Normalised characters between token ``k`` and token ``k + 1`` (after the last: the tail)."""
        gaps = self.text.gaps
        return gaps[k] if 0 <= k < len(gaps) else ""

    def _break_list(self) -> list[int]:
        """Tokens after which a clause ends (a comma, semicolon, colon or bracket follows), in order."""
        breaks = self._breaks
        if breaks is None:
            gaps = self.text.gaps
            breaks = self._breaks = [k for k in self._marked if not _CLAUSE_SET.isdisjoint(gaps[k])]
        return breaks

    def clause_break(self, k: int) -> bool:
        """Whether a clause ends after token ``k`` (a comma, semicolon, colon or bracket follows it)."""
        flags = self._break_flags
        if flags is None:
            flags = self._break_flags = [False] * len(self.tokens)
            for b in self._break_list():
                flags[b] = True
        return 0 <= k < len(self.tokens) and flags[k]

    def clause_breaks(self, i: int, j: int) -> list[int]:
        """The tokens ``k`` in ``[i, j)`` after which a clause ends, in order."""
        breaks = self._break_list()
        return breaks[bisect_left(breaks, i) : bisect_left(breaks, j)]

    def _clause_list(self) -> list[tuple[int, int]]:
        """The clause of every token, computed once (walking the breaks, not the tokens)."""
        out: list[tuple[int, int]] = []
        breaks = self._break_list()
        b = 0
        for s in self.sentences:
            i, last = s.i, s.j - 1
            while b < len(breaks) and breaks[b] < i:
                b += 1
            while b < len(breaks) and breaks[b] < last:
                k = breaks[b]
                out.extend([(i, k + 1)] * (k + 1 - i))
                i = k + 1
                b += 1
            out.extend([(i, s.j)] * (s.j - i))
        self._clauses = out
        return out

    def clause(self, k: int) -> tuple[int, int]:
        """Tokens ``[i, j)`` of the clause around token ``k``: between commas, colons, brackets."""
        clauses = self._clauses
        if clauses is None:
            clauses = self._clause_list()
        return clauses[k]

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Character span of tokens ``[i, j)``."""
        return self.tokens[i].start, self.tokens[j - 1].end

    @property
    def number_starts(self) -> frozenset[int]:
        """The first tokens of the numbers (is a number at token ``k``?)."""
        found = self._number_set
        if found is None:
            starts = self._number_starts
            found = self._number_set = frozenset(self._find_numbers() if starts is None else starts)
        return found

    @property
    def place_starts(self) -> frozenset[int]:
        """The first tokens of the places (does a place start at token ``k``?)."""
        found = self._place_set
        if found is None:
            starts = self._place_starts
            found = self._place_set = frozenset(self._find_places() if starts is None else starts)
        return found

    def numbers_in(self, i: int, j: int) -> list[Number]:
        starts = self._number_starts
        if starts is None:
            starts = self._find_numbers()
        return self._numbers[bisect_left(starts, i) : bisect_left(starts, j)]  # type: ignore[index]

    def places_in(self, i: int, j: int) -> list[Place]:
        starts = self._place_starts
        if starts is None:
            starts = self._find_places()
        return self._places[bisect_left(starts, i) : bisect_left(starts, j)]  # type: ignore[index]
