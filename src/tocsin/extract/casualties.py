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


def _count_near(doc: Doc, i: int, j: int, k0: int, k1: int) -> tuple[int, tuple[int, int]] | None:
    """The people count of a clause nearest to the casualty word at tokens [k0, k1)."""
    best = None
    for n in doc.numbers_in(i, j):
        if n.value is None or n.context is not None or doc.covers("negation", n.tok_start):
            continue
        if any(
            doc.covers(c, k)
            for c in ("drone", "missile", "target", "facility")
            for k in range(n.tok_end, min(n.tok_end + 3, j))
        ):
            continue
        dist = k0 - n.tok_end if n.tok_end <= k0 else n.tok_start - k1
        if dist > 4:
            continue
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
    singular = _SINGULAR_PEOPLE[doc.lang]
    for concept in ("victims_w", "injured_w", "killed_w", "injured_noun", "killed_noun"):
        for tag in doc.find(concept):
            i, j = _clause(doc, tag.i)
            if doc.has("unknown", i, j):
                continue
            word = doc.words[tag.i]
            span = doc.span(tag.i, tag.j)
            general = concept == "victims_w" or word in _GENERAL
            fields = (
                ("killed",)
                if concept.startswith("killed")
                else (("killed", "injured") if general else ("injured",))
            )
            s = doc.sentence_of(tag.i)
            if not doc.has("negation", i, j) and doc.covers("negation", s.j - 1) and s.j - tag.j <= 8:
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
                and any(doc.words[k] in singular for k in range(i, j))
                and not any(doc.words[k].endswith(("ые", "ие", "ых", "і")) for k in range(tag.i, tag.j))
            ):
                found = (1, span)
            if found is None:
                continue
            value, nspan = found
            name = "killed" if concept.startswith("killed") else "injured"
            if name not in counted or value > counted[name][0]:
                counted[name] = (value, nspan)
                out.evidence[name] = [span, nspan] if nspan != span else [span]
    for name, zero in (("killed", zero_killed), ("injured", zero_injured)):
        if name in counted:
            setattr(out, name, counted[name][0])
        elif zero is not None:
            setattr(out, name, 0)
            out.evidence[name] = [zero]
    return out
