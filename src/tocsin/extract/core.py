"""The extractor's entry point: one statement in, one Claim out (``contract/extraction.md``)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from functools import cache
from importlib import resources

from tocsin.domain import Claim, Kind, Period
from tocsin.extract import casualties, consequences, counts, events, kind, means, where
from tocsin.extract.doc import Doc
from tocsin.extract.errors import MAX_CHARS, ExtractionError
from tocsin.extract.lang import LANGS, detect
from tocsin.extract.when import find_period, parse_published

_COUNTRY_CODES = {"Ukraine": "UA", "Russia": "RU"}
_COUNTRY_ZONES = {"UA": "Europe/Kyiv", "RU": "Europe/Moscow"}
# Words that name the clock's zone in the text itself; then the time module reads it from there.
_EXPLICIT_ZONE = ("мск", "московск", "moscow time", "київськ", "kyiv time", "kiev time", "gmt", "utc")


@cache
def _region_zones() -> dict[str, str]:
    """IANA zones of the regions that are not on Moscow or Kyiv time (``data/timezones.csv``)."""
    raw = resources.files("tocsin.data").joinpath("timezones.csv").read_text(encoding="utf-8")
    return {row["iso"]: row["zone"] for row in csv.DictReader(io.StringIO(raw))}


def _zone(per_region, doc: Doc) -> str | None:
    """The zone of the statement's clock times: its region's own (Orenburg is UTC+5), else its country's.

    None when the text names a zone itself ("мск", "Kyiv time") or when nothing tells.
    """
    if any(word in doc.text.norm for word in _EXPLICIT_ZONE):
        return None
    isos = [r.iso for r in per_region]
    zones = {_region_zones().get(iso) or _COUNTRY_ZONES[iso[:2]] for iso in isos if iso[:2] in _COUNTRY_ZONES}
    if len(zones) == 1:
        return zones.pop()
    if not isos:
        countries = {p.iso[:2] if p.iso else _COUNTRY_CODES.get(p.name, "") for p in doc.places} - {""}
        if len(countries) == 1:
            return _COUNTRY_ZONES.get(countries.pop())
    return None


def extract(text: str, *, lang: str | None = None, published: str | date | datetime | None = None) -> Claim:
    """Extract one Claim from one statement.

    ``lang`` is "ru", "uk" or "en" (detected when omitted); ``published`` (ISO date or datetime, or a
    ``date``/``datetime``) lets relative times ("сегодня", "вчера в 22:40") be pinned. Raises
    ``ExtractionError`` for input that is not a statement: not a string, longer than ``MAX_CHARS``,
    an unknown language or an unreadable ``published``.
    """
    if not isinstance(text, str):
        raise ExtractionError(f"text must be a string, not {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise ExtractionError(f"text too long ({len(text)} chars, max {MAX_CHARS})")
    if lang is not None and lang not in LANGS:
        raise ExtractionError(f"unknown language {lang!r} (expected one of {', '.join(LANGS)})")
    try:
        when = parse_published(published)
    except (TypeError, ValueError) as exc:
        raise ExtractionError(f"bad published value {published!r}: {exc}") from None
    lang = lang or detect(text)
    doc = Doc(text, lang)
    claim = Claim(lang=lang)
    roles = events.analyse(doc)
    claim.kind, kind_spans = kind.classify(doc, roles)
    for span in kind_spans:
        claim.add_evidence("kind", span)
    if claim.kind is Kind.NOT_INCIDENT:
        return claim

    claim.weapon, spans = kind.weapon(doc, roles)
    for span in spans:
        claim.add_evidence("weapon", span)

    tally = counts.count(doc, roles)
    if claim.kind is Kind.INTERCEPTION:
        claim.total_destroyed = tally.total_destroyed
        for span in tally.destroyed_spans:
            claim.add_evidence("total_destroyed", span)
    claim.launched = tally.launched
    for span in tally.launched_spans:
        claim.add_evidence("launched", span)

    claim.per_region, spans = where.regions(doc, roles, claim.kind, tally)
    if (
        claim.kind is Kind.INTERCEPTION
        and claim.total_destroyed is None
        and not tally.vague
        and claim.per_region
        and all(r.destroyed is not None for r in claim.per_region)
        and not doc.has("sea_words")
    ):
        claim.total_destroyed = sum(r.destroyed for r in claim.per_region)
        for span in tally.destroyed_spans or spans:
            claim.add_evidence("total_destroyed", span)
    for span in spans:
        claim.add_evidence("per_region", span)

    claim.interceptors, spans = means.interceptors(doc, roles)
    for span in spans:
        claim.add_evidence("interceptors", span)

    per_region = claim.per_region
    found = find_period(doc.text, lang, when, lambda: _zone(per_region, doc))  # the zone only when needed
    if found is not None:
        claim.period = Period(found.text, found.start, found.end)
        claim.add_evidence("period", (found.start_at, found.end_at))

    hurt = casualties.read(doc)
    claim.killed, claim.injured = hurt.killed, hurt.injured
    for name, spans in hurt.evidence.items():
        for span in spans:
            claim.add_evidence(name, span)

    ground = consequences.read(doc)
    for name in ("infrastructure_damage", "debris_fell", "fire", "emergency_response"):
        setattr(claim, name, getattr(ground, name))
        for span in ground.evidence.get(name, ()):
            claim.add_evidence(name, span)

    claim.speaker, span = means.speaker(doc)
    if span:
        claim.add_evidence("speaker", span)
    return claim
