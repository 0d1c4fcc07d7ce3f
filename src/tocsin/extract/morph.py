"""Shared pymorphy3 analysers and form expansion.

Morphological analysis is done ahead of time: lexicon lemmas, number words and place names are expanded
into every inflected form once (at first use), so the hot path of the extractor is dictionary look-ups,
not per-token analysis.
"""

from __future__ import annotations

from functools import cache

import pymorphy3


@cache
def analyzer(lang: str) -> pymorphy3.MorphAnalyzer:
    """The pymorphy3 analyser for ``"ru"`` or ``"uk"`` (loaded once per process)."""
    if lang not in ("ru", "uk"):
        raise ValueError(f"no morphology for language {lang!r}")
    return pymorphy3.MorphAnalyzer(lang=lang)


def _clean(word: str) -> str:
    return word.lower().replace("ё", "е").replace("’", "'").replace("ʼ", "'")


@cache
def forms(word: str, lang: str, pos: frozenset[str] | None = None) -> frozenset[str]:
    """Every inflected form of ``word`` (all its parses, or those whose POS is in ``pos``).

    The word itself is always included, so an unknown word still matches itself.
    """
    out = {_clean(word)}
    for parse in analyzer(lang).parse(word):
        if pos and parse.tag.POS not in pos:
            continue
        if _clean(parse.normal_form) != _clean(word) and _clean(parse.word) != _clean(word):
            continue
        for form in parse.lexeme:
            out.add(_clean(form.word))
    return frozenset(out)


@cache
def lemmas(word: str, lang: str) -> frozenset[str]:
    """The normal forms pymorphy3 proposes for ``word`` (used for rare, non-hot-path checks)."""
    return frozenset(_clean(p.normal_form) for p in analyzer(lang).parse(word))
