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
from typing import NamedTuple

from tocsin.extract.tokens import Text, normalize

_MAX_PREFIX = 24


class Tag(NamedTuple):
    """A concept found at tokens ``[i, j)`` (a named tuple: a statement has dozens, built fast)."""

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
        self._has_blockers = any(k.startswith("!") for k in concepts)
        self._cache: dict[str, tuple[tuple[str, ...], tuple[_Pattern, ...]]] = {}

    def _candidates(self, word: str) -> tuple[tuple[str, ...], tuple[_Pattern, ...]]:
        """(concepts of one-token patterns, multi-token patterns) that can start at ``word``."""
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        found: list[_Pattern] = list(self._exact.get(word, ()))
        for n in range(min(len(word), _MAX_PREFIX), 0, -1):
            found.extend(self._prefix.get(word[:n], ()))
        for n in self._suffix_lengths:
            if n < len(word):
                found.extend(self._suffix.get(word[-n:], ()))
        single = tuple(dict.fromkeys(p.concept for p in found if len(p.parts) == 1))
        multi = tuple(p for p in found if len(p.parts) > 1)
        result = (single, multi)
        if len(self._cache) < 200_000:
            self._cache[word] = result
        return result

    def tag(self, text: Text) -> list[Tag]:
        """Every concept occurrence, longest match per concept and start; ``!concept`` spans removed.

        Tags come out ordered by their first token (``Doc.find`` bisects on that).
        """
        words = [t[0] for t in text.tokens]
        n_words = len(words)
        cache = self._cache
        new = tuple.__new__
        tags: list[Tag] = []
        longer: dict[tuple[str, int], int] = {}  # multi-word matches, longest per (concept, start)
        for i, word in enumerate(words):
            single, multi = cache.get(word) or self._candidates(word)
            for concept in single:
                tags.append(new(Tag, (concept, i, i + 1)))
            for pattern in multi:
                parts = pattern.parts
                n = len(parts)
                if i + n > n_words:
                    continue
                mode, value = parts[1]
                if mode == "=" and words[i + 1] != value:
                    continue  # most multi-word candidates fail on their second word: check it inline
                if all(_matches(parts[k], words[i + k]) for k in range(1, n)):
                    key = (pattern.concept, i)
                    if longer.get(key, 0) < i + n:
                        longer[key] = i + n
        if longer:
            seen = set()
            merged = []
            for t in tags:
                key = (t[0], t[1])
                seen.add(key)
                merged.append(new(Tag, (t[0], t[1], longer[key])) if key in longer else t)
            merged.extend(new(Tag, (c, i, j)) for (c, i), j in longer.items() if (c, i) not in seen)
            merged.sort(key=lambda t: t[1])
            tags = merged
        if self._has_blockers:
            blocked: dict[str, list[tuple[int, int]]] = defaultdict(list)
            for c, i, j in tags:
                if c[0] == "!":
                    blocked[c[1:]].append((i, j))
            tags = [
                t
                for t in tags
                if t[0][0] != "!"
                and not any(a <= t[1] < b or t[1] <= a < t[2] for a, b in blocked.get(t[0], ()))
            ]
        return tags


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
