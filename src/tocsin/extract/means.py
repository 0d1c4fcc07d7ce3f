"""Who countered the attack (interceptors) and who made the statement (speaker)."""

from __future__ import annotations

import re

from tocsin.domain import Interceptor
from tocsin.extract.doc import Doc
from tocsin.extract.events import Roles

_CONCEPTS = (
    ("air_defense", Interceptor.AIR_DEFENSE),
    ("aviation", Interceptor.AVIATION),
    ("electronic_warfare", Interceptor.ELECTRONIC_WARFARE),
    ("mobile_fire_groups", Interceptor.MOBILE_FIRE_GROUPS),
    ("other_interceptor", Interceptor.OTHER),
)


def interceptors(doc: Doc, roles: Roles) -> tuple[list[Interceptor], list[tuple[int, int]]]:
    """Means named in the sentences that report the interception or the engagement.

    Air defence merely "in readiness" during an alert, or a bare "the ministry", is not listed.
    """
    present = doc.by_concept
    engaged = ("repel_progress", "engage", "lost")
    if not roles.destroy_sents and not any(c in present for c in engaged):
        return [], []
    concepts = [(c, means) for c, means in _CONCEPTS if c in present]
    engaged_here = [c for c in engaged if c in present]
    sentences = [s for s in doc.sentences if s in roles.destroy_sents or _has_any(doc, engaged_here, s)]
    found: list[tuple[int, Interceptor, tuple[int, int]]] = []
    for s in sentences:
        if doc.has("readiness", s.i, s.j) and s not in roles.destroy_sents:
            continue
        for concept, means in concepts:
            for tag in doc.find(concept, s.i, s.j):
                if (
                    concept != "air_defense"
                    and doc.covers("air_defense", tag.i)
                    and means is Interceptor.OTHER
                ):
                    continue
                found.append((tag.i, means, doc.span(tag.i, tag.j)))
    found.sort(key=lambda f: f[0])
    out: list[Interceptor] = []
    for _, means, _ in found:
        if means not in out:
            out.append(means)
    return out, [span for _, _, span in found]


def _has_any(doc: Doc, concepts: list[str], s) -> bool:
    for c in concepts:  # noqa: SIM110 - a loop: cheaper than any() over a generator
        if doc.has(c, s.i, s.j):
            return True
    return False


_NAME = re.compile(r"[A-ZА-ЯЁІЇЄҐ][a-zа-яёіїєґ'’\-]+(?:\s+[A-ZА-ЯЁІЇЄҐ][a-zа-яёіїєґ'’\-]+){1,2}")
_SKIP_AFTER_TITLE = 6


def speaker(doc: Doc) -> tuple[str | None, tuple[int, int] | None]:
    """The official named next to a title ("губернатор Александр Гусев", "governor Vasily Anokhin")."""
    raw = doc.text.raw
    for tag in doc.find("title"):
        word = doc.words[tag.i]
        if word in (
            "said",
            "says",
            "wrote",
            "told",
            "according",
            "announced",
            "reported",
            "сообщил",
            "сообщила",
            "заявил",
            "написал",
            "уточнил",
            "по",
            "за",
            "повідомив",
            "повідомила",
            "заявив",
            "написав",
            "officials",
            "official",
            "authorities",
            "military",
            "ministry",
        ):
            continue
        after = tag.j
        while after < len(doc.tokens) and any(p.tok_start <= after < p.tok_end for p in doc.places):
            after += 1  # "Мэр Москвы Сергей Собянин": skip the place in the title
        start = doc.tokens[after - 1].end
        window_end = doc.tokens[min(after - 1 + _SKIP_AFTER_TITLE, len(doc.tokens) - 1)].end
        m = _NAME.search(raw, start, window_end + 1)
        if m and not any(p.start <= m.start() < p.end for p in doc.places):
            between = raw[start : m.start()]
            if "." in between or "\n" in between:
                continue
            return m.group(), (m.start(), m.end())
    return None, None
