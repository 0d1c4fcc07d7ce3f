"""Consequences on the ground: infrastructure damage, fallen debris, fire, emergency response.

Each is true only where the text says so, false only where it says there was none ("разрушений нет",
"no damage", "без наслідків"), and null where it is silent or says the facts are being clarified.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tocsin.extract.casualties import _GENERAL, _about_things, _clause
from tocsin.extract.doc import Doc


@dataclass
class Consequences:
    infrastructure_damage: bool | None = None
    debris_fell: bool | None = None
    fire: bool | None = None
    emergency_response: bool | None = None
    evidence: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    def _set(self, name: str, value: bool, span: tuple[int, int]) -> None:
        current = getattr(self, name)
        if current is True and value is False:
            return  # any stated damage beats a general "no damage to infrastructure"
        if current is False and value is True:
            self.evidence[name] = []
        setattr(self, name, value)
        spans = self.evidence.setdefault(name, [])
        if span not in spans:
            spans.append(span)


def _negated(doc: Doc, i: int, j: int, lo: int, hi: int) -> bool:
    """A negation within three words of tokens [lo, hi), inside the clause [i, j)."""
    return doc.has("negation", max(i, lo - 3), min(j, hi + 3))


def _damage(doc: Doc, out: Consequences) -> None:
    for tag in doc.find("damage_none"):
        i, j = _clause(doc, tag.i)
        s = doc.sentence_of(tag.i)
        if doc.has("unknown", i, j) or doc.has("lost", s.i, s.j):
            continue  # "lost from radar without causing damage" defines a term, it reports nothing
        # "Жертв и разрушений, по его словам, нет.": the negation closes the sentence.
        closing = doc.covers("negation", s.j - 1) is not None and s.j - tag.j <= 8
        phrase = " ".join(doc.words[tag.i : tag.j])
        if _negated(doc, i, j, tag.i, tag.j) or closing or phrase.startswith(("без", "no ", "not ", "не ")):
            out._set("infrastructure_damage", False, doc.span(min(i, tag.i), max(j, tag.j)))
    for tag in doc.find("damage"):
        i, j = _clause(doc, tag.i)
        s = doc.sentence_of(tag.i)
        if doc.has("unknown", i, j) or doc.covers("damage_none", tag.i) or doc.has("lost", s.i, s.j):
            continue
        if _negated(doc, i, j, tag.i, tag.j):
            out._set("infrastructure_damage", False, doc.span(i, j))
        else:
            out._set("infrastructure_damage", True, doc.span(tag.i, tag.j))
    # "Гражданская инфраструктура не пострадала": a general "suffered" said of buildings.
    for concept in ("injured_w", "victims_w"):
        for tag in doc.find(concept):
            i, j = _clause(doc, tag.i)
            if doc.words[tag.i] in _GENERAL and _about_things(doc, i, j) and not doc.has("unknown", i, j):
                out._set("infrastructure_damage", not _negated(doc, i, j, tag.i, tag.j), doc.span(i, j))
    # A fire at a building, terminal or plant is damage too; a grass fire alone is not.
    for tag in doc.find("fire"):
        s = doc.sentence_of(tag.i)
        i, j = _clause(doc, tag.i)
        if doc.has("grass", i, j) or _negated(doc, i, j, tag.i, tag.j):
            continue
        # "…влучання в промисловий об'єкт. Виникла пожежа.": the facility was named just before
        prev = doc.sentences[s.index - 1] if s.index else s
        struck_before = doc.has("hits", prev.i, prev.j) or doc.has("attack", prev.i, prev.j)
        if doc.has("facility", s.i, s.j) or (struck_before and doc.has("facility", prev.i, prev.j)):
            out._set("infrastructure_damage", True, doc.span(tag.i, tag.j))
    # A hit on a building or plant ("влучання в житловий будинок", "попадание в здание") is damage.
    for tag in doc.find("hits"):
        i, j = _clause(doc, tag.i)
        if doc.has("facility", tag.j, min(j, tag.j + 4)) and not _negated(doc, i, j, tag.i, tag.j):
            out._set("infrastructure_damage", True, doc.span(tag.i, tag.j))


def _debris(doc: Doc, out: Consequences) -> None:
    for tag in doc.find("debris"):
        s = doc.sentence_of(tag.i)
        if doc.has("advice", s.i, s.j):
            continue
        falls = [t for t in doc.find("fall", s.i, s.j)]
        if falls or " ".join(doc.words[tag.i : tag.j]).startswith(("мест", "місц", "crash")):
            out._set("debris_fell", True, doc.span(tag.i, tag.j))


def _fire(doc: Doc, out: Consequences) -> None:
    for tag in doc.find("fire"):
        i, j = _clause(doc, tag.i)
        if doc.has("unknown", i, j):
            continue
        if _negated(doc, i, j, tag.i, tag.j):
            out._set("fire", False, doc.span(i, j))
        else:
            out._set("fire", True, doc.span(tag.i, tag.j))


def _response(doc: Doc, out: Consequences) -> None:
    for tag in doc.find("services"):
        s = doc.sentence_of(tag.i)
        if doc.has("normal_mode", s.i, s.j) or doc.has("readiness", s.i, s.j):
            continue
        if doc.has("services_work", s.i, s.j):
            out._set("emergency_response", True, doc.span(tag.i, tag.j))


def read(doc: Doc) -> Consequences:
    """The four consequence flags of a statement."""
    out = Consequences()
    _damage(doc, out)
    _debris(doc, out)
    _fire(doc, out)
    _response(doc, out)
    return out
