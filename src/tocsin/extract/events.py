"""Which sentences of a statement report what: destruction, attack, alert, launch, statistics.

The other rule modules (kind, counts, places, means) read these roles instead of each deciding for
themselves whether a sentence is about the event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter

from tocsin.extract.doc import Doc, Sentence
from tocsin.extract.lexicon import Tag

# Full (attributive) participles: "сбитый дрон", "збитих" describe, they don't report.
_ATTRIBUTIVE = {
    "ru": (
        "ый",
        "ий",
        "ая",
        "яя",
        "ое",
        "ее",
        "ые",
        "ие",
        "ых",
        "их",
        "ым",
        "им",
        "ыми",
        "ими",
        "ого",
        "его",
        "ому",
        "ему",
        "ой",
        "ую",
        "юю",
    ),
    "uk": ("ий", "ого", "ому", "их", "им", "ими", "ої", "ою", "ій", "ему", "ього"),
}


@dataclass
class Roles:
    """Sentence roles of one statement."""

    destroy: list[Tag] = field(default_factory=list)  # reporting destroy / repel-completed tags
    destroy_sents: list[Sentence] = field(default_factory=list)
    attack_sents: list[Sentence] = field(default_factory=list)
    alert_sents: list[Sentence] = field(default_factory=list)
    launch_sents: list[Sentence] = field(default_factory=list)
    in_progress: bool = False
    statistical: bool = False
    drill: bool = False
    event_sents: list[Sentence] = field(default_factory=list)  # all of the above, in text order, once each


def _event_sents(roles: Roles) -> list[Sentence]:
    seen, out = set(), []
    for s in sorted(
        roles.destroy_sents + roles.attack_sents + roles.alert_sents + roles.launch_sents,
        key=_INDEX,
    ):
        if s.index not in seen:
            seen.add(s.index)
            out.append(s)
    return out


_INDEX = attrgetter("index")


def _is_attributive(doc: Doc, tag: Tag) -> bool:
    word = doc.words[tag.j - 1]
    endings = _ATTRIBUTIVE.get(doc.lang)
    return bool(endings) and len(word) > 5 and word.endswith(endings) and tag.j - tag.i == 1


def _about_objects(doc: Doc, s: Sentence) -> bool:
    i, j = s.i, s.j
    return (
        doc.has("drone", i, j)
        or doc.has("missile", i, j)
        or doc.has("target", i, j)
        or doc.has("attack", i, j)
        or bool(doc.numbers_in(i, j))
    )


def _stats_scope(doc: Doc, s: Sentence) -> bool:
    """A sentence about months or years of totals, not one event."""
    if "stats" not in doc.by_concept:
        return False  # most statements have no statistics words at all
    if doc.has("stats", s.i, s.j):
        return True
    prev = doc.sentences[s.index - 1] if s.index else None
    return bool(prev and doc.has("stats", prev.i, prev.j) and not doc.places_in(s.i, s.j))


_PLURAL_ATTACKS = frozenset(
    {
        "атак",
        "ударов",
        "ударів",
        "обстрелов",
        "обстрілів",
        "налетов",
        "нальотів",
        "attacks",
        "strikes",
        "raids",
    }
)


def _previous(doc: Doc, tag: Tag) -> bool:
    """An attack word about the past or attacks in general, not the event reported.

    "Рік тому ворог завдав удару", "a memorial to the victims", "наслідки масованих атак", "such attacks".
    """
    s = doc.sentence_of(tag.i)
    if doc.has("previous", s.i, tag.i):  # a "previous" word before the attack word
        return True
    return doc.words[tag.j - 1] in _PLURAL_ATTACKS and doc.has("consequence", max(s.i, tag.i - 5), tag.i)


def _reports_attack(doc: Doc, s: Sentence) -> bool:
    """An attack word in ``s`` about the event reported (not a past or general one)."""
    for t in doc.find("attack", s.i, s.j):  # noqa: SIM110 - a loop: cheaper than any() over a generator
        if not _previous(doc, t):
            return True
    return False


def _doubted(doc: Doc, tag: Tag) -> bool:
    """ "He did not say whether any had been shot down", "не уточняется, сбиты ли": not a report."""
    if not doc.has("doubt") and (doc.lang != "en" or not doc.has("negation")):
        return False
    i, j = doc.clause(tag.i)
    if doc.has("doubt", i, j):
        return True
    return doc.lang == "en" and doc.has("negation", max(i, tag.i - 3), tag.i)


def analyse(doc: Doc) -> Roles:
    """Assign roles to the sentences of ``doc``."""
    roles = Roles()
    for tag in sorted(doc.find("destroy") + doc.find("repel_done"), key=lambda t: t.i):
        s = doc.sentence_of(tag.i)
        if tag.concept == "destroy" and (_is_attributive(doc, tag) or not _about_objects(doc, s)):
            continue
        if tag.concept == "repel_done" and not (doc.has("attack", s.i, s.j) or doc.has("drone", s.i, s.j)):
            continue
        if doc.covers("lost", tag.i) or _doubted(doc, tag):
            continue
        if _stats_scope(doc, s):
            roles.statistical = True
            continue
        roles.destroy.append(tag)
        if s not in roles.destroy_sents:
            roles.destroy_sents.append(s)
    # which concepts the statement has at all: a sentence is only searched for those
    attack, progress = doc.has("attack"), doc.has("repel_progress")
    alert, all_clear = doc.has("alert"), doc.has("all_clear")
    launch, drill = doc.has("launch"), doc.has("drill")
    for s in doc.sentences:
        if _stats_scope(doc, s):
            if doc.has("attack", s.i, s.j) or doc.has("launch", s.i, s.j):
                roles.statistical = True
            continue
        if (attack and _reports_attack(doc, s)) or (progress and doc.has("repel_progress", s.i, s.j)):
            roles.attack_sents.append(s)
        if (alert and doc.has("alert", s.i, s.j)) or (all_clear and doc.has("all_clear", s.i, s.j)):
            roles.alert_sents.append(s)
        if (
            launch
            and doc.has("launch", s.i, s.j)
            and (doc.has("drone", s.i, s.j) or doc.has("missile", s.i, s.j) or doc.has("target", s.i, s.j))
        ):
            roles.launch_sents.append(s)
        if (
            drill
            and doc.has("drill", s.i, s.j)
            and any(
                doc.has(c, s.i, s.j)
                for c in (
                    "destroy",
                    "attack",
                    "alert",
                    "air_defense",
                    "target",
                    "drone",
                    "missile",
                    "repel_done",
                    "repel_progress",
                )
            )
        ):
            roles.drill = True
    if doc.has("drill") and not roles.destroy:
        roles.drill = True  # a drill or siren-test notice: its sirens and "attack" are simulated
    if doc.has("stats") and not roles.destroy and not roles.alert_sents:
        roles.statistical = True
    roles.in_progress = doc.has("repel_progress") or (doc.has("in_progress") and doc.has("attack"))
    roles.event_sents = _event_sents(roles)
    return roles
