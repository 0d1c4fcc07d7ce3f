"""Language detection restricted to Russian, Ukrainian and English.

Letter cues decide most texts outright (і ї є ґ only occur in Ukrainian, ы э ъ only in Russian); the
rest goes to py3langid's offline model restricted to the three languages.
"""

from __future__ import annotations

import re
from functools import cache

LANGS = ("ru", "uk", "en")
_UK = frozenset("іїєґ")
_RU = frozenset("ыэъё")
_CYRILLIC = re.compile("[а-яёіїєґ]+")
_LATIN = re.compile("[a-z]+")


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
    cyr = len(sample) - len(_CYRILLIC.sub("", sample))
    lat = len(sample) - len(_LATIN.sub("", sample))
    if cyr == 0 or lat > 3 * cyr:
        return "en"
    uk = sum(sample.count(c) for c in _UK)
    ru = sum(sample.count(c) for c in _RU)
    if uk and not ru:
        return "uk"
    if ru and not uk:
        return "ru"
    lang, _ = _identifier().classify(sample)
    return lang if lang in LANGS else "ru"
