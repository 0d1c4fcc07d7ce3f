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
