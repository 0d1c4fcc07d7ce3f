"""Incidents in the database: claims merged (``tocsin.merge``) and stored, kept up to date as claims arrive.

``refresh(session, claim_ids)`` is called by the ingest pipeline inside each batch's transaction (it never
commits); ``refresh_all(session)`` rebuilds every incident and region status from the stored claims.

How a refresh works
-------------------
1. **Scope.** The given claims that are current (not superseded) are the *seeds*. Claims of the same messages
   that are superseded (an edited message re-extracted) and any given claim that is superseded are *removed*:
   they leave their incidents. The regions to rebuild are every region a seed joins (``merge.regions_of``:
   its ``per_region``, the enclosing region of a city, the national "RU"/"UA" incident) and every region of
   an incident that a seed or a removed claim is linked to. Each region gets time ranges: the seeds' windows
   there and those incidents' windows.
2. **Neighbours.** Around each of those windows (± ``LOOKAROUND``, 12 h) the region's stored current claims
   that could come within the merge's ``TOLERANCE`` (2 h) are loaded: an unpinned claim's window lies within
   [published − 54 h, published + 24 h] (``merge.claim_window``), so claims published from 28 h before to
   58 h after the range are read (``UNPINNED_AFTER``/``UNPINNED_BEFORE``, with an hour's slack for DST);
   a pinned claim is read when its period comes within 3 h (``PINNED_MARGIN``). In practice that is a
   couple of days either side of each new claim. Disjoint ranges stay disjoint (a batch with posts from
   January and June does not read the months between).
3. **Fixpoint.** ``merge`` groups the loaded claims of the region. The incidents rewritten are those holding
   a seed or a claim of a stored incident that a seed or a removed claim was linked to (closed over: their
   other claims' stored incidents too). If one of them, or one of those stored incidents, reaches within
   ``TOLERANCE`` of the edge of the loaded ranges, the ranges widen around it and step 2 repeats. The
   incidents written are therefore complete — exactly what a full ``merge`` of every stored claim gives
   (tests compare with ``refresh_all`` and with a pure ``merge`` over shuffled arrival orders). A region with
   activity every night and day can chain a long run of windows; the ranges then grow over that run.
4. **Write.** Each new incident is matched to the stored incidents it shares claims with (most shared
   claims first, then the oldest id): a match keeps its id and is updated only if something changed (key,
   window, precision codes, kind, consensus, disagreements, its set of claims) — ``updated_at`` moves only
   then. Unmatched drafts are created; stored incidents left without claims are soft-deleted (``deleted_at``
   set, their ``incident_claim`` rows removed) so that a change feed can report the deletion. Each created,
   updated or deleted incident gets one audit ``Event`` (actor ``"merge"``, with before/after summaries).

A second refresh of the same claims finds nothing to change: no writes, no Events, no ``updated_at`` bump.

Claims whose message has no ``published_at`` cannot be placed in time and join no incident. Region statuses
(danger / all clear) are refreshed in the same call (``tocsin.region_status``).

Concurrency: on PostgreSQL each region is locked (a transaction-level advisory lock, ``region_lock``) before
it is read, so several ``tocsin watch`` processes never build the same incident twice; SQLite has one writer.
"""

from __future__ import annotations

import json
import zlib
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, insert, or_, select, text
from sqlalchemy.orm import Session, lazyload

from tocsin import merge as merge_mod
from tocsin.domain import Authority, Kind
from tocsin.merge import (
    DEFAULT_SPAN,
    ENCLOSING,
    TOLERANCE,
    ClaimInput,
    IncidentDraft,
    claim_window,
    regions_of,
)
from tocsin.store import repo
from tocsin.store.models import (
    ClaimRegion,
    ClaimRow,
    Event,
    Incident,
    IncidentClaim,
    Message,
    MessageVersion,
    Source,
    claim_version_join,
    utcnow,
)

ACTOR = "merge"
# An unpinned window lies within [published - 54 h, published + 24 h] (merge.claim_window); with the merge
# tolerance and an hour for a DST change, a claim can touch [published - 57 h, published + 27 h].
UNPINNED_BEFORE = timedelta(hours=58)
UNPINNED_AFTER = timedelta(hours=28)
PINNED_MARGIN = TOLERANCE + timedelta(hours=1)  # a pinned window is known: only the tolerance around it
LOOKAROUND = timedelta(hours=12)  # how far around a seed's window claims are loaded at first
CHUNK = 900  # ids per IN (...) list: well under SQLite's bound-parameter limit
NATIONAL_LANG = {"RU": "ru", "UA": "uk"}

Range = tuple[datetime | None, datetime | None]  # None: unbounded


@dataclass
class RefreshResult:
    """What one refresh changed."""

    created: int = 0
    updated: int = 0
    deleted: int = 0
    statuses_added: int = 0
    statuses_removed: int = 0

    def __iadd__(self, other: RefreshResult) -> RefreshResult:
        self.created += other.created
        self.updated += other.updated
        self.deleted += other.deleted
        self.statuses_added += other.statuses_added
        self.statuses_removed += other.statuses_removed
        return self

    @property
    def changed(self) -> bool:
        return bool(
            self.created or self.updated or self.deleted or self.statuses_added or self.statuses_removed
        )


# ------------------------------------------------------------------------------------------- loading


def _chunks(ids: Iterable[int], size: int = CHUNK) -> Iterable[list[int]]:
    items = sorted(set(ids))
    for lo in range(0, len(items), size):
        yield items[lo : lo + size]


_CLAIM_COLUMNS = tuple(
    getattr(ClaimRow, name)
    for name in (
        "id",
        "message_id",
        "superseded",
        "kind",
        "weapon",
        "total_destroyed",
        "launched",
        "interceptors",
        "period_text",
        "period_start",
        "period_end",
        "killed",
        "injured",
        "infrastructure_damage",
        "debris_fell",
        "fire",
        "emergency_response",
        "speaker",
        "lang",
    )
)  # everything ``repo.claim_from_row`` reads except the evidence, which the merge does not use
_LOAD = (
    select(*_CLAIM_COLUMNS, Message.published_at, Source.name, Source.authority, MessageVersion.text)
    .join(Message, Message.id == ClaimRow.message_id)
    .join(Source, Source.id == Message.source_id)
    .join(
        MessageVersion,
        claim_version_join(),
    )
)


_LOAD = _LOAD.where(ClaimRow.id.in_(bindparam("ids", expanding=True)))
_LOAD_REGIONS = (
    select(ClaimRegion.claim_id, ClaimRegion.iso, ClaimRegion.destroyed)
    .where(ClaimRegion.claim_id.in_(bindparam("ids", expanding=True)))
    .order_by(ClaimRegion.claim_id, ClaimRegion.position)
)
_LINKED_IDS = (
    select(IncidentClaim.incident_id)
    .join(Incident, Incident.id == IncidentClaim.incident_id)
    .where(IncidentClaim.claim_id.in_(bindparam("ids", expanding=True)), Incident.deleted_at.is_(None))
    .distinct()
)
_INCIDENTS = (
    select(Incident)
    .options(lazyload(Incident.claims))
    .execution_options(populate_existing=True)
    .where(Incident.id.in_(bindparam("ids", expanding=True)))
)
_LINKS = select(IncidentClaim.incident_id, IncidentClaim.claim_id).where(
    IncidentClaim.incident_id.in_(bindparam("ids", expanding=True))
)


class ClaimCache:
    """``ClaimInput``s of stored claims, loaded once per refresh (source name and authority from the
    message's Source, ``published`` from the Message, ``text`` from the claim's message version). Plain
    rows, not ORM objects: a refresh reads thousands of claims."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.inputs: dict[int, ClaimInput | None] = {}  # None: superseded or not placeable in time
        self.message_of: dict[int, int] = {}

    def get(self, ids: Iterable[int]) -> list[ClaimInput]:
        ids = set(ids)
        missing = ids - self.inputs.keys()
        for chunk in _chunks(missing):
            regions: dict[int, list[Any]] = defaultdict(list)
            for cid, iso, destroyed in self.session.execute(_LOAD_REGIONS, {"ids": chunk}):
                regions[cid].append(SimpleNamespace(iso=iso, destroyed=destroyed))
            for row in self.session.execute(_LOAD, {"ids": chunk}):
                self.message_of[row.id] = row.message_id
                if row.superseded or row.published_at is None:
                    self.inputs[row.id] = None
                    continue
                view = SimpleNamespace(**row._mapping, regions=regions.get(row.id, []), evidence={})
                claim = repo.claim_from_row(view)  # type: ignore[arg-type]  # duck-typed row
                self.inputs[row.id] = ClaimInput(
                    row.id, claim, row.name, Authority(row.authority), row.published_at, row.text
                )
            for cid in chunk:
                self.inputs.setdefault(cid, None)
        return [ci for cid in ids if (ci := self.inputs.get(cid)) is not None]


def _near(lo: datetime | None, hi: datetime | None) -> Any:
    """SQL pre-filter: claims whose window could come within the merge tolerance of [lo, hi]."""
    if lo is None and hi is None:
        return True
    p, s, e = Message.published_at, ClaimRow.period_start, ClaimRow.period_end

    def le(col: Any, bound: datetime | None) -> Any:
        return True if bound is None else col <= bound

    def ge(col: Any, bound: datetime | None) -> Any:
        return True if bound is None else col >= bound

    lo_p = None if lo is None else lo - UNPINNED_AFTER
    hi_p = None if hi is None else hi + UNPINNED_BEFORE
    lo_w = None if lo is None else lo - PINNED_MARGIN
    hi_w = None if hi is None else hi + PINNED_MARGIN
    return or_(
        and_(s.is_(None), e.is_(None), ge(p, lo_p), le(p, hi_p)),
        and_(s.is_not(None), e.is_not(None), or_(le(s, hi_w), le(e, hi_w)), or_(ge(s, lo_w), ge(e, lo_w))),
        and_(s.is_not(None), e.is_(None), le(s, hi_w), or_(ge(p, lo_w), ge(s, lo_w))),
        and_(s.is_(None), e.is_not(None), ge(e, lo_w), le(e, None if hi_w is None else hi_w + DEFAULT_SPAN)),
    )


Meta = tuple[int, datetime, datetime | None, datetime | None]  # claim id, published, period start, end


def _candidates(session: Session, iso: str, hull: Range) -> list[Meta]:
    """Current claims that may belong to an incident of ``iso`` within ``hull`` (a superset), with the
    times that place them."""
    cols = (ClaimRow.id, Message.published_at, ClaimRow.period_start, ClaimRow.period_end)
    where = (
        ClaimRow.superseded.is_(False),
        ClaimRow.kind != Kind.NOT_INCIDENT,
        Message.published_at.is_not(None),
        _near(*hull),
    )
    if iso in NATIONAL_LANG:
        stmt = (
            select(*cols)
            .join(Message, Message.id == ClaimRow.message_id)
            .where(
                *where,
                ClaimRow.lang == NATIONAL_LANG[iso],
                or_(ClaimRow.total_destroyed.is_not(None), ClaimRow.launched.is_not(None)),
                ~exists().where(ClaimRegion.claim_id == ClaimRow.id),
            )
        )
    else:
        isos = [iso, *(city for city, parent in ENCLOSING.items() if parent == iso)]
        stmt = (
            select(*cols)
            .select_from(ClaimRegion)
            .join(ClaimRow, ClaimRow.id == ClaimRegion.claim_id)
            .join(Message, Message.id == ClaimRow.message_id)
            .where(ClaimRegion.iso.in_(isos), *where)
        )
    return list({row[0]: (row[0], row[1], row[2], row[3]) for row in session.execute(stmt)}.values())


def _reach(pub: datetime, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """Where a claim's window can lie, widened by the margins (see the module docstring)."""
    if start is None and end is None:
        return pub - UNPINNED_BEFORE, pub + UNPINNED_AFTER
    if start is not None and end is not None:
        a, b = min(start, end), max(start, end)
    elif start is not None:
        a, b = start, max(pub, start)
    else:
        a, b = end - DEFAULT_SPAN, end
    return a - PINNED_MARGIN, b + PINNED_MARGIN


# --------------------------------------------------------------------------------------------- scope


class Ranges:
    """Disjoint, sorted time ranges (ranges less than ``JOIN_GAP`` apart are joined into one)."""

    JOIN_GAP = timedelta(days=1)

    def __init__(self, spans: Iterable[tuple[datetime, datetime]] = ()) -> None:
        self.spans: list[tuple[datetime, datetime]] = []
        for lo, hi in spans:
            self.add(lo, hi)

    def add(self, lo: datetime, hi: datetime) -> None:
        out: list[tuple[datetime, datetime]] = []
        for a, b in sorted([*self.spans, (lo, hi)]):
            if out and a <= out[-1][1] + self.JOIN_GAP:
                out[-1] = (out[-1][0], max(out[-1][1], b))
            else:
                out.append((a, b))
        self.spans = out

    def hull(self) -> Range:
        return (self.spans[0][0], self.spans[-1][1]) if self.spans else (None, None)

    def overlaps(self, a: datetime, b: datetime) -> bool:
        """Whether [a, b] meets any range."""
        i = bisect_right([lo for lo, _ in self.spans], b) - 1
        return i >= 0 and self.spans[i][1] >= a

    def covers(self, a: datetime, b: datetime) -> bool:
        """Whether [a, b] lies inside one range."""
        i = bisect_right([lo for lo, _ in self.spans], a) - 1
        return i >= 0 and self.spans[i][1] >= b


@dataclass
class _Region:
    iso: str
    ranges: Ranges = field(default_factory=Ranges)
    interesting: set[int] = field(default_factory=set)  # claims whose incidents must be rewritten
    incidents: set[int] = field(default_factory=set)  # stored incidents known to be affected
    everything: bool = False  # refresh_all: every claim and every stored incident of the region


def _linked_incidents(
    session: Session, claim_ids: Collection[int], known: dict[int, Incident] | None = None
) -> list[Incident]:
    """Live incidents linked to any of these claims (freshly read, except those already in ``known``)."""
    known = known or {}
    ids: set[int] = set()
    for chunk in _chunks(claim_ids):
        ids.update(session.scalars(_LINKED_IDS, {"ids": chunk}))
    out = [known[i] for i in ids if i in known]
    for chunk in _chunks(ids - known.keys()):
        out += session.scalars(_INCIDENTS, {"ids": chunk})
    return out


def refresh(session: Session, claim_ids: Collection[int]) -> RefreshResult:
    """Merge the given (new or re-extracted) claims into the stored incidents, in the caller's transaction.

    Idempotent: refreshing the same claims twice changes nothing the second time. Also refreshes the
    region statuses the claims declare (``tocsin.region_status.refresh_statuses``).
    """
    from tocsin.region_status import refresh_statuses

    ids = {int(i) for i in claim_ids}
    result = RefreshResult()
    if not ids:
        return result
    session.flush()
    cache = ClaimCache(session)
    seeds = cache.get(ids)
    message_ids = {cache.message_of[i] for i in ids if i in cache.message_of}
    removed: set[int] = {i for i in ids if cache.inputs.get(i) is None}
    for chunk in _chunks(message_ids):
        removed.update(
            session.scalars(
                select(ClaimRow.id).where(ClaimRow.message_id.in_(chunk), ClaimRow.superseded.is_(True))
            )
        )
    regions: dict[str, _Region] = {}
    for ci in seeds:
        for iso in regions_of(ci):
            r = regions.setdefault(iso, _Region(iso))
            start, end, _ = claim_window(ci, iso)
            r.ranges.add(start, end)
            r.interesting.add(int(ci.claim_id))
    for inc in _linked_incidents(session, ids | removed):
        r = regions.setdefault(inc.iso, _Region(inc.iso))
        r.ranges.add(inc.window_start, inc.window_end)
        r.incidents.add(inc.id)
    for iso in sorted(regions):
        result += _refresh_region(session, cache, regions[iso])
    result += refresh_statuses(session, ids)
    return result


def refresh_all(session: Session) -> RefreshResult:
    """Rebuild every incident and region status from the stored current claims (idempotent).

    Region by region, so memory holds one region's claims at a time.
    """
    from tocsin.region_status import refresh_all_statuses

    session.flush()
    isos = set(session.scalars(select(Incident.iso).where(Incident.deleted_at.is_(None)).distinct()))
    claim_isos = set(
        session.scalars(
            select(ClaimRegion.iso)
            .join(ClaimRow, ClaimRow.id == ClaimRegion.claim_id)
            .where(ClaimRow.superseded.is_(False))
            .distinct()
        )
    )
    isos |= claim_isos | {ENCLOSING[i] for i in claim_isos if i in ENCLOSING} | set(NATIONAL_LANG)
    result = RefreshResult()
    for iso in sorted(isos):
        cache = ClaimCache(session)  # one region's claims at a time
        result += _refresh_region(session, cache, _Region(iso, everything=True))
    result += refresh_all_statuses(session)
    return result


def region_lock(session: Session, namespace: int, iso: str) -> None:
    """On PostgreSQL, serialise writers of one region until the transaction ends (``tocsin watch`` may run
    as several processes): a transaction-level advisory lock on (namespace, crc32 of the ISO code). Regions
    are always locked in sorted order, incidents before statuses, so refreshes cannot deadlock each other.
    SQLite has a single writer anyway."""
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(iso.encode()) - (1 << 31)  # a signed int4
        session.execute(text("SELECT pg_advisory_xact_lock(:ns, :key)"), {"ns": namespace, "key": key})


LOCK_INCIDENTS = 0x7463  # "tc"


def _refresh_region(session: Session, cache: ClaimCache, r: _Region) -> RefreshResult:
    region_lock(session, LOCK_INCIDENTS, r.iso)
    if r.everything:
        inputs = cache.get(m[0] for m in _candidates(session, r.iso, (None, None)))
        chosen = _merge_region(r.iso, inputs)
        stored = {
            inc.id: inc
            for inc in session.scalars(
                select(Incident)
                .options(lazyload(Incident.claims))
                .execution_options(populate_existing=True)
                .where(Incident.iso == r.iso, Incident.deleted_at.is_(None))
            )
        }
        return _write(session, r.iso, chosen, list(stored.values()), _links(session, stored))
    stored = {}
    for inc_id in r.incidents:
        inc = session.get(Incident, inc_id, populate_existing=True, options=[lazyload(Incident.claims)])
        if inc is not None and inc.deleted_at is None:
            stored[inc.id] = inc
    ranges = Ranges()
    for lo, hi in r.ranges.spans:
        ranges.add(lo - LOOKAROUND, hi + LOOKAROUND)
    interesting = set(r.interesting)
    while True:  # load the claims near the ranges and merge them
        metas = _candidates(session, r.iso, ranges.hull())
        inputs = cache.get(m[0] for m in metas if ranges.overlaps(*_reach(m[1], m[2], m[3])))
        drafts = _merge_region(r.iso, inputs)
        while True:  # close over stored incidents: their other claims' incidents are rewritten too
            chosen = [d for d in drafts if interesting.intersection(d.claim_ids)]
            involved = interesting.union(*(d.claim_ids for d in chosen))
            for inc in _linked_incidents(session, involved, stored):
                if inc.iso == r.iso:
                    stored[inc.id] = inc
            links = _links(session, stored)
            grown = involved.union(*links.values())
            if grown == interesting:
                break
            interesting = grown
        # complete when nothing written (nor any stored incident) reaches out of the loaded ranges
        spans = [(d.window_start, d.window_end) for d in chosen]
        spans += [(inc.window_start, inc.window_end) for inc in stored.values()]
        outside = [(lo, hi) for lo, hi in spans if not ranges.covers(lo - TOLERANCE, hi + TOLERANCE)]
        if not outside:
            break
        for lo, hi in outside:
            ranges.add(lo - LOOKAROUND, hi + LOOKAROUND)
    return _write(session, r.iso, chosen, list(stored.values()), links)


def _merge_region(iso: str, inputs: list[ClaimInput]) -> list[IncidentDraft]:
    """``[d for d in merge.merge(inputs) if d.iso == iso]`` without building the other regions' incidents
    (a national bulletin names up to a dozen regions; building them all made refreshes several times slower).
    """
    return merge_mod._group_region(iso, merge_mod._by_region(inputs).get(iso, []))


def _links(session: Session, incidents: Collection[int]) -> dict[int, set[int]]:
    """incident id → its claim ids, read from the table (never from a possibly stale collection)."""
    out: dict[int, set[int]] = {i: set() for i in incidents}
    for chunk in _chunks(incidents):
        for inc_id, claim_id in session.execute(_LINKS, {"ids": chunk}):
            out[inc_id].add(claim_id)
    return out


# --------------------------------------------------------------------------------------------- write


def _normal(value: Any) -> Any:
    """The value as it comes back from a JSON column (so comparisons with stored values are exact)."""
    return json.loads(json.dumps(value, ensure_ascii=False))


def _fields(d: IncidentDraft) -> dict[str, Any]:
    return {
        "key": d.key,
        "iso": d.iso,
        "window_start": d.window_start,
        "window_end": d.window_end,
        "time_precision": d.time_precision,
        "geo_precision": d.geo_precision,
        "kind": Kind(d.kind),
        "consensus": _normal(d.consensus),
        "disagreements": _normal(d.disagreements),
    }


_COMPARED = (
    "key",
    "window_start",
    "window_end",
    "time_precision",
    "geo_precision",
    "kind",
    "consensus",
    "disagreements",
)


def summary(inc: Incident | dict[str, Any], claim_ids: Iterable[int]) -> dict[str, Any]:
    """What an audit Event records of an incident's state (JSON-ready); ``inc`` an Incident or its values."""
    get = inc.get if isinstance(inc, dict) else lambda k: getattr(inc, k)
    consensus = get("consensus") or {}
    return {
        "key": get("key"),
        "iso": get("iso"),
        "window_start": get("window_start").isoformat(),
        "window_end": get("window_end").isoformat(),
        "time_precision": get("time_precision"),
        "geo_precision": get("geo_precision"),
        "kind": str(get("kind")),
        "claim_ids": sorted(claim_ids),
        "values": {k: v.get("value") for k, v in consensus.items()},
        "lower_bound": [k for k, v in consensus.items() if v.get("lower_bound")],
        "disagreements": [d.get("line") for d in get("disagreements") or []],
    }


def _event(action: str, entity_id: int, before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict:
    """One audit record as ``repo.append_event`` writes it (actor "merge", entity "incident"). A refresh
    writes hundreds at once with one INSERT; one flush per Event made refreshes several times slower."""
    return {
        "at": utcnow(),
        "actor": ACTOR,
        "action": action,
        "entity": "incident",
        "entity_id": str(entity_id),
        "before": before,
        "after": after,
    }


_INSERT_INCIDENTS = insert(Incident).returning(Incident.id, sort_by_parameter_order=True)


def _match(
    drafts: list[IncidentDraft], stored: list[Incident], claims_of: dict[int, set[int]]
) -> dict[int, Incident]:
    """Draft index → the stored incident it continues (most shared claims, then the oldest id)."""
    pairs = []
    for i, d in enumerate(drafts):
        ids = {int(c) for c in d.claim_ids}
        for inc in stored:
            shared = len(ids & claims_of[inc.id])
            if shared:
                pairs.append((-shared, inc.id, i, inc))
    pairs.sort(key=lambda p: p[:3])
    out: dict[int, Incident] = {}
    used: set[int] = set()
    for _, inc_id, i, inc in pairs:
        if i not in out and inc_id not in used:
            out[i] = inc
            used.add(inc_id)
    return out


def _write(
    session: Session,
    iso: str,
    drafts: list[IncidentDraft],
    stored: list[Incident],
    links: dict[int, set[int]],
) -> RefreshResult:
    result = RefreshResult()
    now = utcnow()
    matched = _match(drafts, stored, links)
    created: list[tuple[dict[str, Any], list[int]]] = []
    events: list[dict[str, Any]] = []
    link_rows: list[dict[str, Any]] = []
    unlink: list[tuple[int, list[int]]] = []
    for i, d in enumerate(drafts):
        values = _fields(d)
        claim_ids = [int(c) for c in d.claim_ids]
        inc = matched.get(i)
        if inc is None:
            created.append(({**values, "created_at": now, "updated_at": now}, claim_ids))
            continue
        old_claims = links[inc.id]
        new_claims = set(claim_ids)
        changed = [k for k in _COMPARED if getattr(inc, k) != values[k]]
        if not changed and old_claims == new_claims:
            continue
        before = summary(inc, old_claims)
        for k in changed:
            setattr(inc, k, values[k])
        inc.updated_at = now
        link_rows += [
            {"incident_id": inc.id, "claim_id": c, "iso": iso} for c in sorted(new_claims - old_claims)
        ]
        if old_claims - new_claims:
            unlink.append((inc.id, sorted(old_claims - new_claims)))
        events.append(_event("update", inc.id, before, summary(inc, new_claims)))
        result.updated += 1
    used = {inc.id for inc in matched.values()}
    for inc in stored:
        if inc.id in used:
            continue
        old_claims = links[inc.id]
        events.append(_event("delete", inc.id, summary(inc, old_claims), None))
        inc.deleted_at = now
        inc.updated_at = now
        unlink.append((inc.id, sorted(old_claims)))
        result.deleted += 1
    if not (created or events):
        return result
    session.flush()  # the updates, before the link rows that refer to them
    for lo in range(0, len(created), 500):
        batch = created[lo : lo + 500]
        ids = session.scalars(_INSERT_INCIDENTS, [values for values, _ in batch]).all()
        for inc_id, (values, claim_ids) in zip(ids, batch, strict=True):
            link_rows += [{"incident_id": inc_id, "claim_id": c, "iso": iso} for c in claim_ids]
            events.append(_event("create", inc_id, None, summary(values, claim_ids)))
    result.created = len(created)
    for inc_id, claim_ids in unlink:
        for chunk in _chunks(claim_ids):
            session.execute(
                delete(IncidentClaim).where(
                    IncidentClaim.incident_id == inc_id, IncidentClaim.claim_id.in_(chunk)
                ),
                execution_options={"synchronize_session": False},
            )
    for lo in range(0, len(link_rows), 500):
        session.execute(insert(IncidentClaim), link_rows[lo : lo + 500])
    for lo in range(0, len(events), 500):
        session.execute(insert(Event), events[lo : lo + 500])
    for inc in stored:
        session.expire(inc, ["claims"])
    return result
