"""Concept lexicons (``data/lexicon/<lang>.toml``) and the tagger that finds them in a text.

A lexicon maps a concept ("destroy", "drone", "negation" …) to patterns of one or more tokens. A token
pattern ending in ``*`` matches by prefix, one starting with ``*`` by suffix, anything else exactly. The
tagger is a dictionary walk over the tokens — no per-token regular expressions and no morphology at run
time — so it stays linear in the length of the text.
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import compress
from typing import NamedTuple

from tocsin.extract.tokens import Text, normalize

_MAX_PREFIX = 24


@dataclass(slots=True, unsafe_hash=True)
class Tag:
    """A concept found at tokens ``[i, j)``.

    Slotted (not frozen: a frozen one is slow to build): the rules read ``tag.i`` / ``tag.j`` very often and
    slot reads are the fastest. Compared and hashed by value. Never modify one: one-word tags are shared
    between statements (see ``_ONE_WORD``).
    """

    concept: str
    i: int
    j: int


@dataclass(frozen=True, slots=True)
class _Pattern:
    concept: str
    parts: tuple[tuple[str, str], ...]  # (mode, value): mode is "=", "^" (prefix) or "$" (suffix)


# "#" in a pattern: digits or one of these small number words ("past three months", "за два месяца").
_NUMBER_WORDS = frozenset(
    "two three four five six seven eight nine ten eleven twelve few several "
    "два две три четыре пять шесть семь восемь девять десять несколько "
    "дві чотири п'ять шість сім вісім дев'ять десять кілька декілька".split()
)


def _part(token: str) -> tuple[str, str]:
    if token == "#":
        return "#", ""  # any number written in digits: "за 3 месяца", "past 6 months"
    if len(token) > 1 and token.endswith("*"):
        return "^", token[:-1]
    if len(token) > 1 and token.startswith("*"):
        return "$", token[1:]
    return "=", token


def _matches(part: tuple[str, str], word: str) -> bool:
    mode, value = part
    if mode == "=":
        return word == value
    if mode == "^":
        return word.startswith(value)
    if mode == "#":
        return word.isdigit() or word in _NUMBER_WORDS
    return word.endswith(value)


class Lexicon:
    """The compiled lexicon of one language."""

    def __init__(self, lang: str, concepts: dict[str, list[str]]):
        self.lang = lang
        self.concepts = frozenset(k.lstrip("!") for k in concepts)
        self._exact: dict[str, list[_Pattern]] = defaultdict(list)
        self._prefix: dict[str, list[_Pattern]] = defaultdict(list)
        self._suffix: dict[str, list[_Pattern]] = defaultdict(list)
        for concept, patterns in concepts.items():
            for raw in patterns:
                words = tuple(normalize(raw).replace("/", " / ").split())
                if not words:
                    continue
                # The tokeniser drops punctuation, so patterns do too ("сбиты/подавлены").
                words = tuple(w for w in words if w != "/") or words
                pattern = _Pattern(concept, tuple(_part(w) for w in words))
                mode, value = pattern.parts[0]
                if mode == "#":
                    raise ValueError(f"{lang} lexicon, {concept}: a pattern cannot start with '#': {raw!r}")
                {"=": self._exact, "^": self._prefix, "$": self._suffix}[mode][value].append(pattern)
        self._suffix_lengths = sorted({len(k) for k in self._suffix}, reverse=True)
        self._cache: dict[str, _Entry | tuple[list[Tag], ...]] = {}

    def _candidates(self, word: str) -> tuple[tuple[str, ...], tuple[_Pattern, ...]]:
        """(concepts of one-token patterns, multi-token patterns) that can start at ``word``."""
        found: list[_Pattern] = list(self._exact.get(word, ()))
        for n in range(min(len(word), _MAX_PREFIX), 0, -1):
            found.extend(self._prefix.get(word[:n], ()))
        for n in self._suffix_lengths:
            if n < len(word):
                found.extend(self._suffix.get(word[-n:], ()))
        single = tuple(dict.fromkeys(p.concept for p in found if len(p.parts) == 1))
        multi = tuple(p for p in found if len(p.parts) > 1)
        return single, multi

    def _entry(self, word: str) -> _Entry | tuple[list[Tag], ...]:
        """What can start at ``word``, arranged for the tagger: ``()`` (falsy) when nothing can (most
        words); when only one-word concepts can (most of the others), a plain tuple of their rows in the
        shared tag pool (``_ONE_WORD``); else an ``_Entry``.

        Multi-word patterns whose second word is exact are indexed by that word, so the tagger checks
        only the few whose second word is the next token ("в" starts hundreds of patterns). Each keeps
        its rank in the candidate order, which decides the order of tags found at the same token.
        """
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        single, multi = self._candidates(word)
        by_second: dict[str, list[tuple[int, _Pattern]]] = defaultdict(list)
        other: list[tuple[int, _Pattern, str, str]] = []
        for rank, p in enumerate(multi):
            mode, value = p.parts[1]
            if mode == "=":
                by_second[value].append((rank, p))
            else:
                other.append((rank, p, mode, value))
        single_blocks = any(c[0] == "!" for c in single)
        entry: _Entry | tuple[list[Tag], ...]
        if multi or single_blocks:
            entry = _Entry(single, {k: tuple(v) for k, v in by_second.items()}, tuple(other), single_blocks)
        else:
            entry = tuple(_pool_row(c) for c in single)
        if len(self._cache) < 200_000:
            self._cache[word] = entry
        return entry

    def tag(self, text: Text) -> list[Tag]:
        """Every concept occurrence, longest match per concept and start; ``!concept`` spans removed.

        Tags come out ordered by their first token (``Doc.find`` bisects on that); at one token, the
        one-word patterns' concepts first, then those only multi-word patterns found.
        """
        words = text.words
        n_words = len(words)
        # What can start at each word, by one C-level map over the words: None for a word not seen
        # before, () for a word nothing starts at (most of them); only the others are looked at below.
        entries = list(map(self._cache.get, words))
        if None in entries:
            for k, entry in enumerate(entries):
                if entry is None:
                    entries[k] = self._entry(words[k])
        tags: list[Tag] = []
        append = tags.append
        blocked: dict[str, list[tuple[int, int]]] = {}
        # explicit loops, no comprehensions or generators: this runs for every tagged token of every text
        for i in compress(range(n_words), entries):
            entry = entries[i]
            if type(entry) is tuple:  # only one-word concepts start here (most tagged words)
                if i < _POOLED:
                    for row in entry:
                        append(row[i])
                else:
                    for row in entry:
                        append(Tag(row[0].concept, i, i + 1))
                continue
            single, by_second, other, single_blocks = entry
            hits = None
            if by_second and i + 1 < n_words:
                cands = by_second.get(words[i + 1])
                if cands is not None:
                    for hit in cands:
                        if len(hit[1].parts) == 2 or _rest_matches(hit[1], words, i, 2):
                            if hits is None:
                                hits = [hit]
                            else:
                                hits.append(hit)
            if other and i + 1 < n_words:
                second = words[i + 1]
                for rank, pattern, mode, value in other:
                    if mode == "^":
                        if not second.startswith(value):
                            continue
                    elif mode == "$":
                        if not second.endswith(value):
                            continue
                    elif not (second.isdigit() or second in _NUMBER_WORDS):
                        continue
                    if len(pattern.parts) == 2 or _rest_matches(pattern, words, i, 2):
                        if hits is None:
                            hits = [(rank, pattern)]
                        else:
                            hits.append((rank, pattern))
            if hits is None and not single_blocks:
                for concept in single:
                    append(_pool_row(concept)[i] if i < _POOLED else Tag(concept, i, i + 1))
                continue
            # the longest match per concept at this token, in candidate order
            ends = dict.fromkeys(single, i + 1)
            if hits is not None:
                if len(hits) > 1:
                    hits.sort(key=_rank)
                for _, pattern in hits:
                    concept = pattern.concept
                    end = i + len(pattern.parts)
                    if ends.get(concept, 0) < end:
                        ends[concept] = end
            for concept, end in ends.items():
                if concept[0] == "!":
                    blocked.setdefault(concept[1:], []).append((i, end))
                else:
                    append(Tag(concept, i, end))
        if blocked:
            tags = [t for t in tags if t.concept not in blocked or not _blocked(t, blocked[t.concept])]
        return tags


class _Entry(NamedTuple):
    """The patterns that can start at one word (see ``Lexicon._entry``)."""

    single: tuple[str, ...]  # concepts of one-token patterns
    by_second: dict[str, tuple[tuple[int, _Pattern], ...]]  # (rank, pattern) by its exact second word
    # (rank, pattern, mode, value) of the patterns whose second word is a prefix, suffix or "#" (mode and
    # value of that second word, checked inline)
    other: tuple[tuple[int, _Pattern, str, str], ...]
    single_blocks: bool  # a one-word blocker ("!concept") is among ``single``


# One-word tags in the first _POOLED tokens are shared between statements (built once per concept and
# position): a statement has a dozen, and building them was a tenth of the tagger's time. Tags are
# never modified, so sharing them is safe; the pool is bounded (concepts × _POOLED).
_POOLED = 256
_ONE_WORD: dict[str, list[Tag]] = {}


def _pool_row(concept: str) -> list[Tag]:
    """The shared one-word tags of ``concept`` at tokens 0 … _POOLED - 1."""
    row = _ONE_WORD.get(concept)
    if row is None:
        row = _ONE_WORD[concept] = [Tag(concept, k, k + 1) for k in range(_POOLED)]
    return row


def _rank(hit: tuple[int, _Pattern]) -> int:
    return hit[0]


def _rest_matches(pattern: _Pattern, words: tuple[str, ...], i: int, first: int) -> bool:
    """Whether ``pattern``'s parts from ``first`` on match the words after ``words[i]``."""
    parts = pattern.parts
    n = len(parts)
    if i + n > len(words):
        return False
    for k in range(first, n):  # noqa: SIM110 - a loop: all() over a generator costs more on this path
        if not _matches(parts[k], words[i + k]):
            return False
    return True


def _blocked(tag: Tag, spans: list[tuple[int, int]]) -> bool:
    i, j = tag.i, tag.j
    return any(a <= i < b or i <= a < j for a, b in spans)


@cache
def lexicon(lang: str) -> Lexicon:
    """The lexicon for ``lang`` ("ru", "uk", "en"), loaded from the package data once."""
    if lang not in ("ru", "uk", "en"):
        raise ValueError(f"no lexicon for language {lang!r}")
    raw = resources.files("tocsin.data").joinpath("lexicon", f"{lang}.toml").read_text(encoding="utf-8")
    data = tomllib.loads(raw)["concepts"]
    # "not_fire" etc. are written as their own concept in the files; map them to blockers.
    concepts: dict[str, list[str]] = {}
    for key, values in data.items():
        if key.startswith("not_"):
            concepts["!" + key[4:]] = values
        else:
            concepts[key] = values
    return Lexicon(lang, concepts)
