"""Concept lexicons: every file loads, every concept the rules use exists in every language, the tagger
finds exact, prefix, suffix and multi-word patterns and honours the ``not_`` blockers."""

from __future__ import annotations

import ast
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

import pytest

import tocsin.extract as extract_pkg
from tocsin.extract.lexicon import Lexicon, lexicon
from tocsin.extract.tokens import prepare

LANGS = ("ru", "uk", "en")
RULES_DIR = Path(extract_pkg.__file__).parent
_LOOKUPS = frozenset({"find", "has", "covers"})


@cache
def raw_concepts(lang: str) -> dict[str, list[str]]:
    text = resources.files("tocsin.data").joinpath("lexicon", f"{lang}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)["concepts"]


def _str(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


@cache
def concepts_used() -> tuple[frozenset[str], frozenset[str]]:
    """(concepts passed literally to doc.find/has/covers, _near or by_concept.get;
    every other string constant of the rule modules in a tuple/list/set literal)."""
    direct: set[str] = set()
    listed: set[str] = set()
    for module in sorted(RULES_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if name in _LOOKUPS and node.args and _str(node.args[0]):
                    direct.add(_str(node.args[0]))
                elif name == "_near" and len(node.args) > 1 and _str(node.args[1]):
                    direct.add(_str(node.args[1]))
                elif (name == "get" and getattr(getattr(func, "value", None), "attr", None) == "by_concept"
                      and node.args and _str(node.args[0])):
                    direct.add(_str(node.args[0]))
            elif isinstance(node, ast.Tuple | ast.List | ast.Set):
                listed.update(s for s in map(_str, node.elts) if s)
    return frozenset(direct), frozenset(listed)


def tags(text: str, lang: str) -> set[tuple[str, str]]:
    """(concept, covered words) for every tag the lexicon of ``lang`` finds in ``text``."""
    prepared = prepare(text)
    words = [t.norm for t in prepared.tokens]
    return {(t.concept, " ".join(words[t.i : t.j])) for t in lexicon(lang).tag(prepared)}


def concepts_of(text: str, lang: str) -> set[str]:
    return {c for c, _ in tags(text, lang)}


# ---------------------------------------------------------------------------------------- loading


@pytest.mark.parametrize("lang", LANGS)
def test_lexicon_file_loads(lang):
    data = raw_concepts(lang)
    assert len(data) >= 30
    for concept, patterns in data.items():
        assert isinstance(patterns, list) and patterns, concept
        assert all(isinstance(p, str) and p.strip() for p in patterns), concept
    lex = lexicon(lang)
    assert isinstance(lex, Lexicon)
    assert lex.lang == lang
    assert lexicon(lang) is lex  # loaded once


@pytest.mark.parametrize("name", ["numbers.toml", "when.toml"])
def test_other_data_files_parse(name):
    text = resources.files("tocsin.data").joinpath("lexicon", name).read_text(encoding="utf-8")
    assert tomllib.loads(text)


def test_unknown_language_has_no_lexicon():
    with pytest.raises(ValueError, match="no lexicon"):
        lexicon("de")


@pytest.mark.parametrize("lang", LANGS)
def test_blockers_block_known_concepts(lang):
    for key in raw_concepts(lang):
        if key.startswith("not_"):
            assert key[4:] in raw_concepts(lang), f"{lang}: {key} blocks a concept the file does not define"


# ------------------------------------------------------------------------------ concepts in use


def test_collector_finds_the_rule_concepts():
    direct, _ = concepts_used()
    assert {"destroy", "drone", "missile", "air_defense", "negation", "damage", "fire", "debris",
            "services", "alert", "attack"} <= direct
    assert len(direct) >= 30


@pytest.mark.parametrize("lang", LANGS)
def test_every_concept_the_rules_use_exists(lang):
    direct, listed = concepts_used()
    defined = set(raw_concepts(lang))
    assert not direct - defined, f"{lang} lacks {sorted(direct - defined)}"
    # concepts named in tuples ("for c in ('drone', 'missile', 'target')", _CONCEPTS tables): any name
    # that one language defines must be defined by all three
    known = set().union(*(raw_concepts(other) for other in LANGS))
    missing = (listed & known) - defined
    assert not missing, f"{lang} lacks {sorted(missing)}"


@pytest.mark.parametrize("concept", ["air_defense", "aviation", "electronic_warfare", "mobile_fire_groups",
                                     "other_interceptor", "victims_w", "injured_w", "killed_w",
                                     "injured_noun", "killed_noun", "sea_words", "title"])
def test_table_concepts_exist_everywhere(concept):
    for lang in LANGS:
        assert concept in raw_concepts(lang), (lang, concept)


# -------------------------------------------------------------------------------------- the tagger


@pytest.mark.parametrize(
    ("text", "lang", "concept", "words"),
    [
        # exact
        ("Беспилотник сбит над городом", "ru", "destroy", "сбит"),
        ("Отбой угрозы", "ru", "all_clear", "отбой"),
        ("Drones were downed", "en", "destroy", "downed"),
        # prefix ("уничтож*", "знищ*")
        ("Уничтожены два дрона", "ru", "destroy", "уничтожены"),
        ("Уничтожившие цель расчёты", "ru", "destroy", "уничтожившие"),
        ("БпЛА знищено", "uk", "drone", "бпла"),
        ("Зафиксированы пуски", "ru", "launch", "зафиксированы"),
        # suffix ("*-59", "*-101")
        ("Ракета Х-59 перехвачена", "ru", "missile", "х-59"),
        ("Ракети Х-101 збито", "uk", "missile", "х-101"),
        # multi-word
        ("Объявлена воздушная тревога", "ru", "alert", "воздушная тревога"),
        ("Мобільні вогневі групи збили дрон", "uk", "mobile_fire_groups", "мобільні вогневі групи"),
        ("Mobile fire groups shot it down", "en", "mobile_fire_groups", "mobile fire groups"),
        ("беспилотный летательный аппарат", "ru", "drone", "беспилотный летательный аппарат"),
        # normalisation: case, ё, typographic apostrophe
        ("ПВО СБИЛИ", "ru", "destroy", "сбили"),
        ("Подтверждён пожар", "ru", "fire", "пожар"),
        ("Обломки сбитого БПЛА упали", "ru", "debris", "обломки"),
    ],
)
def test_tagger_patterns(text, lang, concept, words):
    assert (concept, words) in tags(text, lang)


def test_longest_match_per_concept_and_start():
    found = tags("Над районом обнаружен беспилотный летательный аппарат", "ru")
    drone = sorted(w for c, w in found if c == "drone")
    assert "беспилотный летательный аппарат" in drone


def test_patterns_do_not_match_inside_words():
    # "сбит" is exact: "сбитый" is not the verb form, and "пво" does not match inside "пвохх"
    assert ("destroy", "сбитый") not in tags("сбитый", "ru")
    assert "air_defense" not in concepts_of("пвохх", "ru")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("На место прибыли пожарные расчёты", "ru"),
        ("Работают пожарно-спасательные подразделения", "ru"),
        ("Пожарные расчеты МЧС на месте", "ru"),
        ("Працюють пожежні ДСНС", "uk"),
        ("Пожежно-рятувальні підрозділи на місці", "uk"),
        ("The sound of anti-aircraft fire was heard", "en"),
        ("Troops opened fire at the drones", "en"),
        ("A ceasefire was discussed", "en"),
    ],
)
def test_not_fire_blockers(text, lang):
    assert "fire" not in concepts_of(text, lang)


@pytest.mark.parametrize(
    ("text", "lang"),
    [("Возник пожар на складе", "ru"), ("Виникла пожежа", "uk"), ("A fire broke out", "en"),
     ("Пожарные потушили пожар", "ru")],
)
def test_fire_still_found_next_to_blocked_words(text, lang):
    assert "fire" in concepts_of(text, lang)


@pytest.mark.parametrize(
    ("text", "lang", "concept"),
    [
        ("Подразделения беспилотных систем уничтожили цель", "ru", "drone"),
        ("Зенитные ракетные комплексы сработали", "ru", "missile"),
        ("Зенітні ракетні війська знищили ціль", "uk", "missile"),
        ("Surface-to-air missiles were used", "en", "missile"),
        ("Drone units took part", "en", "drone"),
    ],
)
def test_other_blockers(text, lang, concept):
    assert concept not in concepts_of(text, lang)


def test_end_to_end_fire_crews_are_not_a_fire():
    from tocsin.extract import extract

    claim = extract("Над Курской областью сбит беспилотник. На месте работают пожарные расчёты МЧС.")
    assert claim.fire is None
    assert claim.emergency_response is True
    claim = extract("Anti-aircraft fire was heard as two drones were shot down over the Kursk region.")
    assert claim.fire is None


@pytest.mark.parametrize("lang", LANGS)
def test_tagger_on_empty_and_huge(lang):
    assert lexicon(lang).tag(prepare("")) == []
    assert len(lexicon(lang).tag(prepare("сбит ПВО shot down збито " * 5000))) > 0
