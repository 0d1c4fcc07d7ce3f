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
_CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґ"
_LATIN = "abcdefghijklmnopqrstuvwxyz"
# Letters are counted on the text encoded to cp1251, which holds every Russian and Ukrainian letter in one
# byte (and ASCII as itself): bytes.translate deleting a set of bytes is a C loop, where a regex or a
# per-character count over the str costs ten times more. Characters cp1251 lacks are dropped, and
# none of them is a letter counted here.
_CODEC = "cp1251"
_CYRILLIC_B = _CYRILLIC.encode(_CODEC)
_LATIN_B = _LATIN.encode(_CODEC)
_UK_B = "".join(sorted(_UK)).encode(_CODEC)
_RU_B = "".join(sorted(_RU)).encode(_CODEC)
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
    coded = sample.encode(_CODEC, "ignore")
    size = len(coded)
    cyr = size - len(coded.translate(None, _CYRILLIC_B))
    lat = size - len(coded.translate(None, _LATIN_B))
    if cyr == 0 or lat > 3 * cyr:
        return "en"
    uk = size - len(coded.translate(None, _UK_B))
    ru = size - len(coded.translate(None, _RU_B))
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
