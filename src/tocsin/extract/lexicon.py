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

from tocsin.extract.tokens import Text, normalize

_MAX_PREFIX = 24


@dataclass(frozen=True, slots=True)
class Tag:
    """A concept found at tokens ``[i, j)``."""

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
        """Every concept occurrence, longest match per concept and start; ``!concept`` spans removed."""
        words = [t.norm for t in text.tokens]
        n_words = len(words)
        best: dict[tuple[str, int], int] = {}
        cache = self._cache
        for i, word in enumerate(words):
            single, multi = cache.get(word) or self._candidates(word)
            for concept in single:
                best.setdefault((concept, i), i + 1)
            for pattern in multi:
                n = len(pattern.parts)
                if i + n > n_words:
                    continue
                parts = pattern.parts
                mode, value = parts[1]
                second = words[i + 1]
                if mode == "=" and second != value:
                    continue  # most multi-word candidates fail on their second word: check it inline
                if all(_matches(parts[k], words[i + k]) for k in range(1, n)):
                    key = (pattern.concept, i)
                    if best.get(key, 0) < i + n:
                        best[key] = i + n
        blocked: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for (concept, i), j in best.items():
            if concept[0] == "!":
                blocked[concept[1:]].append((i, j))
        tags = []
        for (concept, i), j in best.items():
            if concept[0] == "!":
                continue
            if blocked and any(a <= i < b or i <= a < j for a, b in blocked.get(concept, ())):
                continue
            tags.append(Tag(concept, i, j))
        tags.sort(key=lambda t: (t.i, -t.j, t.concept))
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
