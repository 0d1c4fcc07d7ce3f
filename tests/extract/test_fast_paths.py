"""The extractor's fast paths against plain reference implementations of the same definitions.

Tokenising, tagging, language-letter counting, clauses, cover maps and the lazy time zone were rewritten
for speed (issue 2); each is checked here, on hostile and lexicon-built text, against the simple code it
replaced, so a later speed-up cannot change what the extractor reads.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from datetime import date
from functools import cache
from importlib import resources
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tocsin.extract import lang as lang_module
from tocsin.extract.doc import Doc
from tocsin.extract.lang import LANGS, detect
from tocsin.extract.lexicon import _POOLED, Tag, _matches, lexicon
from tocsin.extract.tokens import WORD_RE, prepare
from tocsin.extract.when import find_period

_PROPS = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Characters that make tokenising hard: word joiners, apostrophes, odd spaces and digits, combining marks.
_HARD = list(
    "abcxyz абвгдеёжзийклмнопрстуфхцчшщъыьэюя іїєґ 0123456789 _-'’ʼ`.,;:!?…()«»\"—–\n\t"
    "\u00a0\u2009\u202f\u2007\u200a\u2011\u2028\x0b\x0c\x1c\x85İŞ²③٣𝟘🚀\u0301"
)
_SEPARATORS = [" ", " ", " ", "", "\n", ", ", ". ", " – ", ": ", "; ", " (", ") ", "  "]


@cache
def _lexicon_words(lang: str) -> list[str]:
    raw = resources.files("tocsin.data").joinpath("lexicon", f"{lang}.toml").read_text(encoding="utf-8")
    words: set[str] = set()
    for patterns in tomllib.loads(raw)["concepts"].values():
        for pattern in patterns:
            whole = pattern.replace("*", "").replace("#", "5").replace("/", " ")
            words.add(whole)  # whole patterns, so multi-word ones and blockers occur as written
            for word in whole.split():
                words.add(word)
                words.add(word + "ы")  # a prefix pattern's longer forms
                words.add("x" + word)  # a suffix pattern's longer forms
    return sorted(words)


@st.composite
def _lexicon_text(draw) -> tuple[str, str]:
    lang = draw(st.sampled_from(LANGS))
    words = draw(st.lists(st.sampled_from(_lexicon_words(lang)), max_size=60))
    seps = draw(st.lists(st.sampled_from(_SEPARATORS), min_size=len(words), max_size=len(words)))
    return "".join(w + s for w, s in zip(words, seps, strict=True)), lang


_HARD_TEXT = st.lists(st.sampled_from(_HARD), max_size=120).map("".join)


# ----------------------------------------------------------------------------------------- tokens


def _reference_tokens(norm: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in WORD_RE.finditer(norm)]


def _check_prepared(raw: str) -> None:
    text = prepare(raw)
    assert [(t.norm, t.start, t.end) for t in text.tokens] == _reference_tokens(text.norm)
    assert [t.index for t in text.tokens] == list(range(len(text.tokens)))
    assert text.words == tuple(t.norm for t in text.tokens)
    toks = text.tokens
    expected_gaps = [text.norm[a.end : b.start] for a, b in pairwise(toks)]
    if toks:
        expected_gaps.append(text.norm[toks[-1].end :])
    assert list(text.gaps) == expected_gaps


@_PROPS
@given(_HARD_TEXT)
def test_tokens_words_and_gaps_hostile(raw):
    _check_prepared(raw)


@_PROPS
@given(st.text(max_size=200))
def test_tokens_words_and_gaps_arbitrary(raw):
    _check_prepared(raw)


@pytest.mark.parametrize(
    "raw", ["", " ", "-", "'", "a", "a-", "-a", "дев'ять", "Crimea's", "a - b", "x\u2011y", "1 200", "\n\n"]
)
def test_tokens_edge_cases(raw):
    _check_prepared(raw)


def test_token_at():
    text = prepare("one  two, three")
    assert [text.token_at(k) for k in (0, 1, 3, 5, 8, 9, 15)] == [0, 1, 1, 1, 2, 2, None]


# ------------------------------------------------------------------------------------------ tagger


def _reference_tags(lang: str, raw: str) -> list[tuple[str, int, int]]:
    """The tagger as first written: every candidate pattern at every token, merged, then blocked."""
    lex = lexicon(lang)
    words = list(prepare(raw).words)
    tags: list[tuple[str, int, int]] = []
    longer: dict[tuple[str, int], int] = {}
    for i, word in enumerate(words):
        single, multi = lex._candidates(word)
        tags.extend((concept, i, i + 1) for concept in single)
        for pattern in multi:
            n = len(pattern.parts)
            if i + n <= len(words) and all(_matches(pattern.parts[k], words[i + k]) for k in range(1, n)):
                key = (pattern.concept, i)
                longer[key] = max(longer.get(key, 0), i + n)
    seen = {(c, i) for c, i, _ in tags}
    merged = [(c, i, longer.get((c, i), j)) for c, i, j in tags]
    merged.extend((c, i, j) for (c, i), j in longer.items() if (c, i) not in seen)
    merged.sort(key=lambda t: t[1])
    blocked: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for c, i, j in merged:
        if c.startswith("!"):
            blocked[c[1:]].append((i, j))
    return [
        (c, i, j)
        for c, i, j in merged
        if not c.startswith("!") and not any(a <= i < b or i <= a < j for a, b in blocked.get(c, ()))
    ]


@_PROPS
@given(_lexicon_text())
def test_tagger_matches_reference(pair):
    raw, lang = pair
    got = [(t.concept, t.i, t.j) for t in lexicon(lang).tag(prepare(raw))]
    assert got == _reference_tags(lang, raw)


@pytest.mark.parametrize("lang", LANGS)
def test_tagger_past_the_tag_pool(lang):
    """One-word tags are shared up to token _POOLED; past it they are built, and both read the same."""
    word = {"ru": "беспилотник", "uk": "безпілотник", "en": "drone"}[lang]
    raw = " ".join([word] * (_POOLED + 20))
    got = [(t.concept, t.i, t.j) for t in lexicon(lang).tag(prepare(raw))]
    assert got == _reference_tags(lang, raw)
    assert ("drone", _POOLED + 5, _POOLED + 6) in got
    again = lexicon(lang).tag(prepare(raw))
    assert all(isinstance(t, Tag) for t in again)


@_PROPS
@given(_HARD_TEXT, st.sampled_from(LANGS))
def test_tagger_hostile(raw, lang):
    assert [(t.concept, t.i, t.j) for t in lexicon(lang).tag(prepare(raw))] == _reference_tags(lang, raw)


# ----------------------------------------------------------------------------------------- language

_CYRILLIC = re.compile("[а-яёіїєґ]")
_LATIN = re.compile("[a-z]")


def _reference_detect_counts(text: str) -> tuple[int, int, int, int]:
    sample = text[:4000].lower()
    return (
        len(_CYRILLIC.findall(sample)),
        len(_LATIN.findall(sample)),
        sum(sample.count(c) for c in "іїєґ"),
        sum(sample.count(c) for c in "ыэъё"),
    )


@_PROPS
@given(st.one_of(_HARD_TEXT, st.text(max_size=200)))
def test_letter_counts_match_reference(text):
    """The cp1251 byte counting of ``detect`` gives what the regex counting gave."""
    sample = text[:4000].lower()
    coded = sample.encode("cp1251", "ignore")
    size = len(coded)
    got = (
        size - len(coded.translate(None, lang_module._CYRILLIC_B)),
        size - len(coded.translate(None, lang_module._LATIN_B)),
        size - len(coded.translate(None, lang_module._UK_B)),
        size - len(coded.translate(None, lang_module._RU_B)),
    )
    assert got == _reference_detect_counts(text)
    assert detect(text) in LANGS


# -------------------------------------------------------------------------------------- doc look-ups


def _reference_clauses(doc: Doc) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s in doc.sentences:
        i = s.i
        for k in range(s.i, s.j):
            if k == s.j - 1 or doc.clause_break(k):
                out.extend([(i, k + 1)] * (k + 1 - i))
                i = k + 1
    return out


@_PROPS
@given(_lexicon_text())
def test_doc_lookups_match_reference(pair):
    raw, lang = pair
    doc = Doc(raw, lang)
    n = len(doc.tokens)
    assert [doc.clause(k) for k in range(n)] == _reference_clauses(doc)
    assert doc.clause_breaks(0, n) == [k for k in range(n) if doc.clause_break(k)]
    for concept in {t.concept for t in doc.tags} | {"drone", "people"}:
        expected: dict[int, Tag] = {}
        for tag in doc.tags:
            if tag.concept == concept:
                for k in range(tag.i, tag.j):
                    expected.setdefault(k, tag)
        assert doc.covering(concept) == expected
        assert [doc.covers(concept, k) for k in range(n)] == [expected.get(k) for k in range(n)]
        assert doc.find(concept) == [t for t in doc.tags if t.concept == concept]
    assert doc.number_starts == {x.tok_start for x in doc.numbers}
    assert doc.place_starts == {p.tok_start for p in doc.places}
    for i in range(0, n + 1, 3):
        assert doc.numbers_in(i, i + 5) == [x for x in doc.numbers if i <= x.tok_start < i + 5]
        assert doc.places_in(i, i + 5) == [p for p in doc.places if i <= p.tok_start < i + 5]


# --------------------------------------------------------------------------------------- time zone


def test_zone_function_called_only_to_pin_a_clock():
    calls: list[int] = []

    def zone() -> str:
        calls.append(1)
        return "Europe/Moscow"

    vague = prepare("Ночью над Брянской областью сбиты 5 беспилотников.")
    assert find_period(vague, "ru", date(2025, 3, 3), zone) is not None
    assert calls == []
    clock = prepare("С 20:00 до 23:00 над Брянской областью сбиты 5 беспилотников.")
    by_function = find_period(clock, "ru", date(2025, 3, 3), zone)
    by_name = find_period(clock, "ru", date(2025, 3, 3), "Europe/Moscow")
    assert calls and by_function == by_name
    assert by_name is not None and by_name.start == "2025-03-03T20:00:00+03:00"
