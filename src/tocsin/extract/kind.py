"""The statement's kind (interception / attack without outcome / not an incident) and weapon."""

from __future__ import annotations

from tocsin.domain import Kind, Weapon
from tocsin.extract.doc import Doc
from tocsin.extract.events import Roles

_INTERCEPTOR_CONCEPTS = (
    "air_defense",
    "aviation",
    "electronic_warfare",
    "mobile_fire_groups",
    "other_interceptor",
)


def classify(doc: Doc, roles: Roles) -> tuple[Kind, list[tuple[int, int]]]:
    """The kind of the statement and the spans that decided it."""
    if roles.drill or (roles.statistical and not roles.destroy):
        return Kind.NOT_INCIDENT, []
    if roles.destroy:
        return Kind.INTERCEPTION, [doc.span(t.i, t.j) for t in roles.destroy]
    scene = roles.attack_sents + roles.alert_sents
    spans = [
        doc.span(t.i, t.j)
        for s in scene
        for c in ("attack", "alert", "all_clear")
        for t in doc.find(c, s.i, s.j)
    ]
    weapons = doc.has("drone") or doc.has("missile")
    if scene and (any(p.iso for p in doc.places) or roles.alert_sents or roles.in_progress or weapons):
        return Kind.ATTACK_NO_OUTCOME, spans
    fallen = _debris_fell(doc)
    consequences = any(doc.has(c) for c in ("damage", "fire", "injured_w", "killed_w", "victims_w"))
    if fallen and consequences and any(p.iso for p in doc.places):
        return Kind.ATTACK_NO_OUTCOME, [fallen]  # "внаслідок падіння уламків загорівся автомобіль"
    return Kind.NOT_INCIDENT, []


def _debris_fell(doc: Doc) -> tuple[int, int] | None:
    """Debris reported fallen (not advice about debris): something came down from an attack."""
    for tag in doc.find("debris"):
        s = doc.sentence_of(tag.i)
        if not doc.has("advice", s.i, s.j) and (doc.has("fall", s.i, s.j) or doc.has("damage", s.i, s.j)):
            return doc.span(tag.i, tag.j)
    return None


def _weapon_tags(doc: Doc, concept: str, sentences) -> list:
    tags = []
    if not doc.has(concept):
        return tags
    defence = [doc.covering(c) for c in _INTERCEPTOR_CONCEPTS if c in doc.by_concept]
    for s in sentences:
        for t in doc.find(concept, s.i, s.j):
            if defence and _covered(defence, t.i, t.j):
                continue  # "зенітні ракетні війська", "interceptor drones" are the defence, not the weapon
            tags.append(t)
    return tags


def _covered(covers: list[dict], i: int, j: int) -> bool:
    """Any of the tokens ``[i, j)`` in any of ``covers`` (token → tag maps)."""
    for cover in covers:
        for k in range(i, j):
            if k in cover:
                return True
    return False


def weapon(doc: Doc, roles: Roles) -> tuple[Weapon | None, list[tuple[int, int]]]:
    """uav / missile / mixed from the objects the event sentences name; None for bare "air targets"."""
    sentences = roles.event_sents or doc.sentences
    drones = _weapon_tags(doc, "drone", sentences)
    missiles = _weapon_tags(doc, "missile", sentences)
    if not drones and not missiles and roles.event_sents:
        drones = _weapon_tags(doc, "drone", doc.sentences)
        missiles = _weapon_tags(doc, "missile", doc.sentences)
    spans = [doc.span(t.i, t.j) for t in drones + missiles]
    if drones and missiles:
        return Weapon.MIXED, spans
    if drones:
        return Weapon.UAV, spans
    if missiles:
        return Weapon.MISSILE, spans
    return None, []
