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
_WORD = re.compile(r"[а-яёіїєґ'’]+")
# Frequent words of official posts without і ї є ґ ы э ъ, that only one of the two languages has.
_UK_WORDS = frozenset(
    [
        "та",
        "що",
        "збито",
        "збили",
        "знищено",
        "знищили",
        "вночі",
        "ворог",
        "ворожі",
        "ворожих",
        "ворожого",
        "уламки",
        "уламків",
        "сили",
        "ппо",
        "дронів",
        "шахедів",
        "щодо",
        "загроза",
        "тривога",
        "укриття",
        "постраждалих",
        "немає",
        "внаслідок",
        "пошкоджено",
        "також",
        "ще",
        "як",
        "або",
        "ранку",
        "вечора",
        "дрона",
        "дрони",
        "працює",
        "працюють",
        "областю",
        "наразі",
        "зараз",
        "отримав",
    ]
)
_RU_WORDS = frozenset(
    [
        "и",
        "что",
        "сбито",
        "сбиты",
        "сбит",
        "уничтожены",
        "уничтожено",
        "уничтожен",
        "ночью",
        "противник",
        "обломки",
        "силами",
        "пво",
        "беспилотников",
        "беспилотник",
        "угроза",
        "тревога",
        "пострадавших",
        "нет",
        "результате",
        "повреждены",
        "также",
        "еще",
        "как",
        "или",
        "утра",
        "вечера",
        "работают",
        "работает",
        "сейчас",
        "получил",
        "атака",
        "атаки",
        "отражена",
    ]
)


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
    # No telling letters (a short post): words that only one of the two languages uses.
    words = _WORD.findall(sample)
    uk_words = sum(w in _UK_WORDS for w in words)
    ru_words = sum(w in _RU_WORDS for w in words)
    if uk_words != ru_words and not (uk and ru):
        return "uk" if uk_words > ru_words else "ru"
    lang, _ = _identifier().classify(sample)
    return lang if lang in LANGS else "ru"
