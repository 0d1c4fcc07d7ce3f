"""Language detection restricted to Russian, Ukrainian and English.

Letter cues decide most texts outright (і ї є ґ only occur in Ukrainian, ы э ъ only in Russian); the
rest goes to py3langid's offline model restricted to the three languages.
"""

from __future__ import annotations

from functools import cache

LANGS = ("ru", "uk", "en")
_UK = frozenset("іїєґ")
_RU = frozenset("ыэъё")


@cache
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    # A private identifier: the module-level one is shared and would keep our language restriction.
    ident = LanguageIdentifier.from_model_file(MODEL_FILE)
    ident.set_languages(list(LANGS))
    return ident


def detect(text: str) -> str:
    """``"ru"``, ``"uk"`` or ``"en"`` for ``text`` (English when there is no Cyrillic at all)."""
    sample = text[:4000].lower()
    cyr = sum(1 for c in sample if "а" <= c <= "я" or c in "іїєґё")
    lat = sum(1 for c in sample if "a" <= c <= "z")
    if cyr == 0:
        return "en"
    if lat > 3 * cyr:
        return "en"
    uk = sum(1 for c in sample if c in _UK)
    ru = sum(1 for c in sample if c in _RU)
    if uk and not ru:
        return "uk"
    if ru and not uk:
        return "ru"
    lang, _ = _identifier().classify(sample)
    return lang if lang in LANGS else "ru"
