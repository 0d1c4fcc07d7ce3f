"""Killed and injured: counts, explicit zeros ("пострадавших нет"), and silence (null).

Read per clause (a stretch of a sentence between commas, dashes and semicolons): a casualty word with
a negation in its clause is a zero; with a number or a single person in its clause it is a count; with
"information … is being clarified" in its clause it says nothing. Words for victims in general
("пострадавших нет", "никто не пострадал", "nobody was hurt") zero both fields; words for injuries
only ("раненых нет", "no one was injured") zero the injured. A count anywhere beats a zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tocsin.extract.doc import Doc

_GENERAL = frozenset(
    {
        "пострадал",
        "пострадала",
        "пострадали",
        "пострадало",
        "постраждав",
        "постраждала",
        "постраждали",
        "постраждало",
        "hurt",
        "harmed",
        "affected",
    }
)
_SINGULAR_PEOPLE = {
    "ru": frozenset(
        {
            "мужчина",
            "женщина",
            "житель",
            "жительница",
            "человек",
            "ребенок",
            "подросток",
            "пенсионер",
            "пенсионерка",
            "водитель",
            "пострадавший",
            "пострадавшая",
            "девушка",
            "юноша",
            "мальчик",
            "девочка",
            "военнослужащий",
            "сотрудник",
            "рабочий",
        }
    ),
    "uk": frozenset(
        {
            "чоловік",
            "жінка",
            "людина",
            "мешканець",
            "мешканка",
            "житель",
            "дитина",
            "підліток",
            "пенсіонер",
            "пенсіонерка",
            "водій",
            "постраждалий",
            "постраждала",
            "працівник",
        }
    ),
    "en": frozenset(
        {
            "man",
            "woman",
            "person",
            "child",
            "teenager",
            "boy",
            "girl",
            "civilian",
            "resident",
            "pensioner",
            "driver",
            "worker",
            "employee",
        }
    ),
}


@dataclass
class Casualties:
    killed: int | None = None
    injured: int | None = None
    evidence: dict[str, list[tuple[int, int]]] = field(default_factory=dict)


def _clause(doc: Doc, k: int) -> tuple[int, int]:
    return doc.clause(k)


_CONJUNCTIONS = frozenset({"and", "while", "but", "и", "а", "но", "та", "і", "й", "але", "ще", "еще", "ещё"})


def _counts_things(doc: Doc, k: int, j: int) -> bool:
    """Whether the number ending before token ``k`` counts drones, missiles or buildings, not people."""
    for m in range(k, min(k + 3, j)):
        if doc.covers("people", m):
            return False
        if (
            doc.covers("drone", m)
            or doc.covers("missile", m)
            or doc.covers("target", m)
            or doc.covers("facility", m)
        ):
            return True
    return False


def _about_things(doc: Doc, i: int, j: int) -> bool:
    """ "Гражданская инфраструктура не пострадала": the clause is about buildings, not people."""
    return doc.lang != "en" and doc.has("facility", i, j) and not doc.has("people", i, j)


def _singular_person(doc: Doc, i: int, j: int) -> bool:
    """A person in the singular in the clause: "ранен мирный житель", "a woman was wounded"."""
    for tag in doc.find("people", i, j):
        word = doc.words[tag.j - 1]
        if word in _SINGULAR_PEOPLE[doc.lang]:
            return True
        if doc.lang != "en" and word not in ("человек", "людей") and not word.endswith(_PLURAL[doc.lang]):
            return True
    return False


_PLURAL = {
    "ru": ("и", "ы", "ей", "ов", "ям", "ями", "ах", "ях", "ам", "ами", "ых", "их", "ие", "ые"),
    "uk": ("і", "и", "ів", "ей", "ям", "ями", "ах", "ях", "ам", "ами", "их"),
}


_DIED_LATER = frozenset(
    {
        "died",
        "скончался",
        "скончалась",
        "скончались",
        "умер",
        "умерла",
        "умерли",
        "помер",
        "померла",
        "померли",
        "succumbed",
    }
)


def _died_later(doc: Doc, k: int) -> bool:
    s = doc.sentence_of(k)
    return any(doc.words[m] in _DIED_LATER for m in range(s.i, s.j))


def _count_near(doc: Doc, i: int, j: int, k0: int, k1: int) -> tuple[int, tuple[int, int]] | None:
    """The people count of a clause nearest to the casualty word at tokens [k0, k1)."""
    best = None
    for n in doc.numbers_in(i, j):
        if n.value is None or n.context is not None or doc.covers("negation", n.tok_start):
            continue
        if _counts_things(doc, n.tok_end, j):
            continue
        dist = k0 - n.tok_end if n.tok_end <= k0 else n.tok_start - k1
        if dist > 4:
            continue
        if n.tok_start >= k1 and dist <= 2:
            dist = -1  # "killing two … wounding at least 14", "поранено дев'ятьох": right after the word
        if n.tok_start >= k1 and any(doc.words[k] in _CONJUNCTIONS for k in range(k1, n.tok_start)):
            continue  # "One person was killed and four were wounded": four belongs to "wounded"
        if best is None or dist < best[0]:
            best = (dist, n)
    if best:
        n = best[1]
        return n.value, (n.start, n.end)
    return None


def read(doc: Doc) -> Casualties:
    """Killed / injured for the statement."""
    out = Casualties()
    zero_killed = zero_injured = None
    counted: dict[str, tuple[int, tuple[int, int]]] = {}
    used: set[tuple[int, int]] = set()
    for concept in ("victims_w", "injured_w", "killed_w", "injured_noun", "killed_noun"):
        for tag in doc.find(concept):
            i, j = _clause(doc, tag.i)
            if doc.has("unknown", i, j):
                continue
            word = doc.words[tag.i]
            span = doc.span(tag.i, tag.j)
            general = concept == "victims_w" or word in _GENERAL
            if word in _GENERAL and _about_things(doc, i, j):
                continue  # buildings "suffered": that is damage, read by the consequences module
            fields = (
                ("killed",)
                if concept.startswith("killed")
                else (("killed", "injured") if general else ("injured",))
            )
            s = doc.sentence_of(tag.i)
            bare_noun = concept in ("victims_w", "injured_noun", "killed_noun") and not doc.numbers_in(i, j)
            closing = doc.covers("negation", s.j - 1) is not None and s.j - tag.j <= 8
            if bare_noun and closing and not doc.has("negation", i, j):
                j = s.j  # "Жертв и разрушений, по его словам, нет."
            if doc.has("negation", i, j):
                clause_span = doc.span(i, j)
                if "killed" in fields and zero_killed is None:
                    zero_killed = clause_span
                if "injured" in fields and zero_injured is None:
                    zero_injured = clause_span
                continue
            found = _count_near(doc, i, j, tag.i, tag.j)
            if (
                found is None
                and _singular_person(doc, i, j)
                and not any(doc.words[k].endswith(("ые", "ие", "ых", "і")) for k in range(tag.i, tag.j))
            ):
                found = (1, span)
            if found is None:
                continue
            value, nspan = found
            name = "killed" if concept.startswith("killed") else "injured"
            if name == "injured" and _died_later(doc, tag.i):
                continue  # "a man wounded in the attack died in hospital": killed, not injured
            if nspan in used:
                continue  # the same number read through a second casualty word
            used.add(nspan)
            more = doc.has("also", max(i, tag.i - 4), tag.i + 1) and name in counted
            if more:  # "Загинули двоє людей. Ще одна жінка померла в лікарні": 2 + 1
                counted[name] = (counted[name][0] + value, nspan)
                out.evidence[name] += [span, nspan] if nspan != span else [span]
            elif name not in counted or value > counted[name][0]:
                counted[name] = (value, nspan)
                out.evidence[name] = [span, nspan] if nspan != span else [span]
    for name, zero in (("killed", zero_killed), ("injured", zero_injured)):
        if name in counted:
            setattr(out, name, counted[name][0])
        elif zero is not None:
            setattr(out, name, 0)
            out.evidence[name] = [zero]
    return out
