"""RegionStatus: danger declared / all clear for a region over time.

``status_events(claim, text, published)`` reads one statement: when its text declares danger ("угроза атаки
БПЛА", "ракетная опасность", "режим «Беспилотная опасность»", "повітряна тривога", "air raid alert") or an
all-clear ("отбой", "відбій", "all-clear", "угроза снята"; not "до отбоя", "о снятии угрозы сообщу"), it
yields one ``StatusEvent`` per region of the claim's ``per_region``. All-clear words win when both appear
("отбой угрозы атаки БПЛА" is an all-clear). The time is the claim's pinned period (its start, else its end)
when present, else ``published``. The weapon is the claim's, else read from the text (missile words, then
drone words), else None. ``not_incident`` claims (drills, siren tests) yield nothing; any other kind may (a
governor's "Угроза атаки БПЛА сохраняется" after an interception report keeps the danger open).

``intervals(events)`` turns events into ``StatusInterval``s per region, in time order whatever the input
order: a danger opens an interval unless one is open (a repeated danger does not open a second one; a
different weapon turns the open interval's weapon into "mixed"); a clear closes the open interval. **A clear
with no open danger is kept as a closed zero-length interval** (``started_at == ended_at``): it proves that a
danger we did not see was lifted then. An interval still open at the end has ``ended_at`` None. At the same
instant a danger sorts before a clear.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tocsin.domain import Claim, Kind

DANGER, CLEAR = "danger", "clear"

_CLEAR = re.compile(
    r"(?<!до )(?:отбо[йяею]|відбій|відбою)|all[- ]clear|угроз\w*\s+(?:\w+\s+){0,3}снят|"
    r"(?<!о )(?<!до )снят\w*\s+угроз|"
    r"загроз\w*\s+(?:\w+\s+){0,3}(?:минула|скасован)|режим\w*\s+(?:\w+\s+){0,3}(?:отмен|снят)|"
    r"alert (?:was |has been )?(?:lifted|cancell?ed|ended)",
    re.I,
)
_DANGER = re.compile(
    r"угроз\w*\s+(?:атак|применени|удар|бпла|беспилот|ракет)|(?:ракетн|беспилотн|авиационн)\w*\s+опасност|"
    r"опасност\w*\s+(?:атак|бпла)|повітрян\w*\s+тривог|тривог\w*|тревог\w*|загроз\w*\s+(?:атак|удар|застосуван|бпла|"
    r"балісти|ракет|ударних)|air[- ]raid (?:alert|warning|siren)|(?:drone|missile) (?:threat|alert|danger)",
    re.I,
)
_MISSILE = re.compile(r"ракет|балісти|баллисти|missile|ballistic", re.I)
_UAV = re.compile(r"бпла|беспилот|безпілот|дрон|шахед|drone|uav", re.I)


@dataclass(frozen=True, slots=True)
class StatusEvent:
    iso: str
    status: str  # "danger" | "clear"
    at: datetime
    weapon: str | None = None


@dataclass(frozen=True, slots=True)
class StatusInterval:
    iso: str
    started_at: datetime
    ended_at: datetime | None
    weapon: str | None = None


def classify(text: str) -> str | None:
    """"danger", "clear" or None for a statement's text."""
    if _CLEAR.search(text):
        return CLEAR
    if _DANGER.search(text):
        return DANGER
    return None


def _when(claim: Claim, published: datetime) -> datetime:
    for value in (claim.period.start, claim.period.end):
        if value:
            try:
                dt = datetime.fromisoformat(value)
            except ValueError:
                continue
            if dt.tzinfo is not None:
                return dt
    return published


def _weapon(claim: Claim, text: str) -> str | None:
    if claim.weapon is not None:
        return str(claim.weapon)
    if _MISSILE.search(text):
        return "missile"
    if _UAV.search(text):
        return "uav"
    return None


def status_events(claim: Claim, text: str, published: datetime) -> list[StatusEvent]:
    """The danger / all-clear events one statement declares (empty when it declares none)."""
    if published.tzinfo is None:
        raise ValueError("published must be timezone-aware")
    if claim.kind == Kind.NOT_INCIDENT:
        return []
    status = classify(text)
    if status is None:
        return []
    at, weapon = _when(claim, published), _weapon(claim, text)
    seen: list[str] = []
    for rc in claim.per_region:
        if rc.iso not in seen:
            seen.append(rc.iso)
    return [StatusEvent(iso, status, at, weapon) for iso in seen]


def intervals(events: Iterable[StatusEvent]) -> list[StatusInterval]:
    """Danger intervals per region, sorted by (iso, started_at); see the module docstring for the rules."""
    out: list[StatusInterval] = []
    order = sorted(events, key=lambda e: (e.iso, e.at, e.status != DANGER, e.weapon or ""))
    open_: dict[str, StatusInterval] = {}
    for ev in order:
        cur = open_.get(ev.iso)
        if ev.status == DANGER:
            if cur is None:
                open_[ev.iso] = StatusInterval(ev.iso, ev.at, None, ev.weapon)
            elif ev.weapon and cur.weapon != ev.weapon:
                weapon = ev.weapon if cur.weapon is None else "mixed"
                open_[ev.iso] = StatusInterval(ev.iso, cur.started_at, None, weapon)
        elif ev.status == CLEAR:
            if cur is None:
                out.append(StatusInterval(ev.iso, ev.at, ev.at, ev.weapon))
            else:
                out.append(StatusInterval(ev.iso, cur.started_at, ev.at, cur.weapon or ev.weapon))
                del open_[ev.iso]
        else:
            raise ValueError(f"unknown status {ev.status!r}")
    out.extend(open_.values())
    return sorted(out, key=lambda i: (i.iso, i.started_at, i.ended_at is None, i.ended_at or i.started_at))
