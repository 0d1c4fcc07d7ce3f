"""Incidents in the database: claims merged (``tocsin.merge``) and stored, kept up to date as claims arrive.

``refresh(session, claim_ids)`` is called by the ingest pipeline inside each batch's transaction (it never
commits); ``refresh_all(session)`` rebuilds every incident and region status from the stored claims.

How a refresh works
-------------------
1. **Scope.** The given claims that are current (not superseded) are the *seeds*. Claims of the same messages
   that are superseded (an edited message re-extracted) and any given claim that is superseded are *removed*:
   they leave their incidents. The regions to rebuild are every region a seed or a removed claim joins
   (``merge.regions_of``: its ``per_region``, the enclosing region of a city, the national "RU"/"UA"
   incident) and every region of an incident that a seed or a removed claim is linked to. Each region gets
   time ranges: those claims' windows there and those incidents' windows. On PostgreSQL every one of those
   regions is then locked (sorted).
2. **Neighbours.** Around each of those windows (± ``LOOKAROUND``, 12 h) the stored current claims that could
   come within the merge's ``TOLERANCE`` (2 h) are loaded — for all the regions at once, with two index range
   scans per time range: a claim whose start is not pinned has its window within [published − 54 h,
   published + 24 h] (``merge.claim_window`` and "Placeable claims"), so claims published from 28 h before to
   58 h after the range are read (``UNPINNED_AFTER``/``UNPINNED_BEFORE``, with an hour's slack for DST); a
   claim whose start is pinned has a window of at most ``MAX_SPAN`` (24 h), so it is read when its pinned
   start lies within 24 h and ``PINNED_MARGIN`` (3 h) of the range. Disjoint ranges stay disjoint (a batch
   with posts from January and June does not read the months between). The incidents those claims are
   linked to, and those incidents' claims, are read in the same bulk (a few ``IN`` lists per batch, not per
   region).
3. **Fixpoint.** Per region, ``merge`` groups the loaded claims. The incidents rewritten are every incident
   of a *chain* (``IncidentDraft.chain``: the merge cuts a long chain of near windows into incidents of at
   most 24 h, so a claim that joins or leaves a chain can move every cut of it) that holds a seed or a claim
   of a stored incident that a seed or a removed claim was linked to (closed over: their other claims'
   stored incidents too), or that comes within ``TOLERANCE`` of a removed claim's window (the chain it left,
   even if it was in no stored incident: a city's claim in a group of context members only). If one of
   those chains, or one of those stored incidents, reaches within ``TOLERANCE`` of the edge of the loaded
   ranges, the ranges widen around it and step 2 repeats for that region. The incidents written are
   therefore complete — exactly what a full ``merge`` of every stored claim gives (tests compare with
   ``refresh_all`` and with a pure ``merge`` over shuffled arrival orders).
4. **Write.** Each new incident is matched to the stored incidents it shares claims with (most shared
   claims first, then the oldest id): a match keeps its id and is updated only if something changed (key,
   window, precision codes, kind, consensus, disagreements, its set of claims) — ``updated_at`` moves only
   then. Unmatched drafts are created; stored incidents left without claims are soft-deleted (``deleted_at``
   set, their ``incident_claim`` rows removed) so that a change feed can report the deletion. Each created,
   updated or deleted incident gets one audit ``Event`` (actor ``"merge"``, with before/after summaries). The
   writes of all regions go out together at the end: one flush for the updates, multi-row INSERTs for the
   new incidents, their links and the Events.

A second refresh of the same claims finds nothing to change: no writes, no Events, no ``updated_at`` bump.

Claims whose message has no ``published_at`` cannot be placed in time and join no incident. Region statuses
(danger / all clear) are refreshed in the same call (``tocsin.region_status``).

Concurrency: on PostgreSQL each region is locked (a transaction-level advisory lock, ``region_lock``) before
its claims and incidents are read, so several ``tocsin watch`` processes never build the same incident
twice; SQLite has one writer.
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

from sqlalchemy import bindparam, delete, exists, func, or_, select, text
from sqlalchemy.orm import Session, lazyload

from tocsin import merge as merge_mod
from tocsin.domain import Authority, Kind
from tocsin.merge import (
    DEFAULT_SPAN,
    ENCLOSING,
    MAX_SPAN,
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
# A window whose start is not pinned lies within [published - 54 h, published + 24 h] (merge.claim_window and
# "Placeable claims"); with the merge tolerance and an hour for a DST change, such a claim can touch
# [published - 57 h, published + 27 h].
UNPINNED_BEFORE = timedelta(hours=58)
UNPINNED_AFTER = timedelta(hours=28)
PINNED_MARGIN = TOLERANCE + timedelta(hours=1)  # a pinned window is known: only the tolerance around it
LOOKAROUND = timedelta(hours=12)  # how far around a seed's window claims are loaded at first
CHUNK = 900  # ids per IN (...) list: well under SQLite's bound-parameter limit
NATIONAL_LANG = {"RU": "ru", "UA": "uk"}
LANG_NATIONAL = {lang: iso for iso, lang in NATIONAL_LANG.items()}

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
    .join(MessageVersion, claim_version_join())
    .where(ClaimRow.id.in_(bindparam("ids", expanding=True)))
)
_LOAD_REGIONS = (
    select(ClaimRegion.claim_id, ClaimRegion.iso, ClaimRegion.destroyed)
    .where(ClaimRegion.claim_id.in_(bindparam("ids", expanding=True)))
    .order_by(ClaimRegion.claim_id, ClaimRegion.position)
)
_SUPERSEDED = select(ClaimRow.id, ClaimRow.message_id).where(
    ClaimRow.message_id.in_(bindparam("ids", expanding=True)), ClaimRow.superseded.is_(True)
)
_LINKED = (
    select(IncidentClaim.claim_id, IncidentClaim.incident_id)
    .join(Incident, Incident.id == IncidentClaim.incident_id)
    .where(IncidentClaim.claim_id.in_(bindparam("ids", expanding=True)), Incident.deleted_at.is_(None))
)
_LINKED_WINDOWS = select(Incident.id, Incident.iso, Incident.window_start, Incident.window_end).where(
    Incident.id.in_(
        select(IncidentClaim.incident_id).where(IncidentClaim.claim_id.in_(bindparam("ids", expanding=True)))
    ),
    Incident.deleted_at.is_(None),
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
        self.earlier: dict[int, ClaimInput] = {}  # what the superseded ones said
        self.message_of: dict[int, int] = {}

    def remember(self, claim_id: int, message_id: int, ci: ClaimInput | None) -> None:
        """Hold a claim the caller has just saved, as ``get`` would read it (``ci`` None: not placeable in
        time): its claim as ``repo.as_stored`` gives it, ``published`` in UTC, the version's text."""
        self.inputs[claim_id] = ci
        self.message_of[claim_id] = message_id

    def get(self, ids: Iterable[int]) -> list[ClaimInput]:
        ids = set(ids)
        missing = ids - self.inputs.keys()
        for chunk in _chunks(missing):
            regions: dict[int, list[Any]] = defaultdict(list)
            for cid, iso, destroyed in self.session.execute(_LOAD_REGIONS, {"ids": chunk}):
                regions[cid].append(SimpleNamespace(iso=iso, destroyed=destroyed))
            for row in self.session.execute(_LOAD, {"ids": chunk}):
                self.message_of[row.id] = row.message_id
                self.inputs[row.id] = None
                if row.published_at is None:
                    continue
                view = SimpleNamespace(**row._mapping, regions=regions.get(row.id, []), evidence={})
                claim = repo.claim_from_row(view)  # type: ignore[arg-type]  # duck-typed row
                ci = ClaimInput(row.id, claim, row.name, Authority(row.authority), row.published_at, row.text)
                if row.superseded:
                    self.earlier[row.id] = ci
                else:
                    self.inputs[row.id] = ci
            for cid in chunk:
                self.inputs.setdefault(cid, None)
        return [ci for cid in ids if (ci := self.inputs.get(cid)) is not None]

    def superseded(self, ids: Iterable[int]) -> list[ClaimInput]:
        """What those of the claims that are superseded said (read like ``get``)."""
        ids = set(ids)
        self.get(ids)
        return [self.earlier[cid] for cid in ids if cid in self.earlier]


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


# Current claims that may join an incident, with what places them in time and in a region (a claim with
# several regions comes once per region; iso NULL: no region). Two shapes, each an index range scan.
_NEAR_COLUMNS = (
    ClaimRow.id,
    ClaimRegion.iso,
    Message.published_at,
    ClaimRow.period_start,
    ClaimRow.period_end,
    ClaimRow.lang,
    ClaimRow.total_destroyed,
    ClaimRow.launched,
)
_NEAR_WHERE = (ClaimRow.superseded.is_(False), ClaimRow.kind != Kind.NOT_INCIDENT)


def _unpinned() -> Any:
    """``period_start IS NULL``, written as an expression: as a plain column test, SQLite answers it from
    ``ix_claim_period_start`` — every unpinned claim ever stored — instead of the publication-time range."""
    return func.coalesce(ClaimRow.period_start, ClaimRow.period_start).is_(None)


_NEAR_BY_PUBLISHED = (  # start not pinned: by ix_message_published_at
    select(*_NEAR_COLUMNS)
    .select_from(Message)
    .join(ClaimRow, ClaimRow.message_id == Message.id)
    .outerjoin(ClaimRegion, ClaimRegion.claim_id == ClaimRow.id)
    .where(
        Message.published_at >= bindparam("lo"),
        Message.published_at <= bindparam("hi"),
        _unpinned(),
        *_NEAR_WHERE,
    )
)
_NEAR_BY_START = (  # start pinned: by ix_claim_period_start
    select(*_NEAR_COLUMNS)
    .select_from(ClaimRow)
    .join(Message, Message.id == ClaimRow.message_id)
    .outerjoin(ClaimRegion, ClaimRegion.claim_id == ClaimRow.id)
    .where(
        ClaimRow.period_start >= bindparam("lo"),
        ClaimRow.period_start <= bindparam("hi"),
        Message.published_at.is_not(None),
        *_NEAR_WHERE,
    )
)


@dataclass(slots=True)
class _Near:
    """A stored claim as the neighbour search sees it."""

    published: datetime
    start: datetime | None
    end: datetime | None
    isos: set[str] = field(default_factory=set)  # the incident regions it may join

    def reach(self) -> tuple[datetime, datetime]:
        return _reach(self.published, self.start, self.end)


class _Neighbours:
    """Stored current claims around time ranges, for every region at once; each range is read once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.read = Ranges(join_gap=timedelta(0))  # exactly what was read: a gap between two reads was not
        self.claims: dict[int, _Near] = {}
        self.by_iso: dict[str, set[int]] = defaultdict(set)

    def load(self, ranges: Ranges) -> None:
        """Read the claims near every part of ``ranges`` not read yet."""
        todo = [(lo, hi) for lo, hi in ranges.spans if not self.read.covers(lo, hi)]
        for lo, hi in todo:
            by_published = {"lo": lo - UNPINNED_AFTER, "hi": hi + UNPINNED_BEFORE}
            by_start = {"lo": lo - PINNED_MARGIN - MAX_SPAN, "hi": hi + PINNED_MARGIN + MAX_SPAN}
            for stmt, params in ((_NEAR_BY_PUBLISHED, by_published), (_NEAR_BY_START, by_start)):
                for row in self.session.execute(stmt, params):
                    self._add(row)
            self.read.add(lo, hi)

    def _add(self, row: Any) -> None:
        cid, iso = row.id, row.iso
        near = self.claims.get(cid)
        if near is None:
            near = self.claims[cid] = _Near(row.published_at, row.period_start, row.period_end)
        if iso is None:
            country = LANG_NATIONAL.get(row.lang or "")
            if country is None or (row.total_destroyed is None and row.launched is None):
                return
            isos = [country]
        else:
            isos = [iso, ENCLOSING[iso]] if iso in ENCLOSING else [iso]
        for i in isos:
            near.isos.add(i)
            self.by_iso[i].add(cid)

    def around(self, iso: str, ranges: Ranges) -> list[int]:
        """The region's claims whose window may come within the tolerance of ``ranges`` (loaded first)."""
        self.load(ranges)
        return [cid for cid in self.by_iso.get(iso, ()) if ranges.overlaps(*self.claims[cid].reach())]


class _Links:
    """Which live incidents hold which claims, and the incidents themselves, read in bulk and kept for the
    refresh (nothing is written before the end of a refresh, so what was read stays true)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.incidents_of: dict[int, set[int]] = {}  # claim → live incidents
        self.claims_of: dict[int, set[int]] = {}  # incident → claims
        self.rows: dict[int, Incident] = {}

    def linked(self, claim_ids: Iterable[int]) -> set[int]:
        """Live incidents holding any of these claims."""
        claim_ids = set(claim_ids)
        for chunk in _chunks(claim_ids - self.incidents_of.keys()):
            for cid in chunk:
                self.incidents_of[cid] = set()
            for cid, inc_id in self.session.execute(_LINKED, {"ids": chunk}):
                self.incidents_of[cid].add(inc_id)
        out: set[int] = set()
        for cid in claim_ids:
            out |= self.incidents_of[cid]
        return out

    def incidents(self, ids: Iterable[int]) -> dict[int, Incident]:
        """The incidents (freshly read once per refresh)."""
        ids = set(ids)
        for chunk in _chunks(ids - self.rows.keys()):
            for inc in self.session.scalars(_INCIDENTS, {"ids": chunk}):
                self.rows[inc.id] = inc
        return {i: self.rows[i] for i in ids if i in self.rows}

    def claims(self, incident_ids: Iterable[int]) -> dict[int, set[int]]:
        """incident id → its claim ids, read from the table (never from a possibly stale collection)."""
        incident_ids = set(incident_ids)
        for chunk in _chunks(incident_ids - self.claims_of.keys()):
            for inc_id in chunk:
                self.claims_of[inc_id] = set()
            for inc_id, cid in self.session.execute(_LINKS, {"ids": chunk}):
                self.claims_of[inc_id].add(cid)
        return {i: self.claims_of[i] for i in incident_ids}


# --------------------------------------------------------------------------------------------- scope


class Ranges:
    """Disjoint, sorted time ranges (ranges less than ``join_gap`` apart are joined into one: reading the
    claims of a short gap costs less than another query)."""

    JOIN_GAP = timedelta(days=1)

    def __init__(
        self, spans: Iterable[tuple[datetime, datetime]] = (), join_gap: timedelta = JOIN_GAP
    ) -> None:
        self.spans: list[tuple[datetime, datetime]] = []
        self.join_gap = join_gap
        for lo, hi in spans:
            self.add(lo, hi)

    def add(self, lo: datetime, hi: datetime) -> None:
        out: list[tuple[datetime, datetime]] = []
        for a, b in sorted([*self.spans, (lo, hi)]):
            if out and a <= out[-1][1] + self.join_gap:
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
    vacated: list[tuple[datetime, datetime]] = field(default_factory=list)  # windows of claims gone from here


def refresh(
    session: Session, claim_ids: Collection[int], *, cache: ClaimCache | None = None
) -> RefreshResult:
    """Merge the given (new or re-extracted) claims into the stored incidents, in the caller's transaction.

    Idempotent: refreshing the same claims twice changes nothing the second time. Also refreshes the
    region statuses the claims declare (``tocsin.region_status.refresh_statuses``). ``cache``: a
    ``ClaimCache`` of this session that already holds some of the claims (the ingest pipeline fills it with
    what it has just saved, ``ClaimCache.remember``), so they are not read back.
    """
    from tocsin.region_status import refresh_statuses

    ids = {int(i) for i in claim_ids}
    result = RefreshResult()
    if not ids:
        return result
    session.flush()
    if cache is None:
        cache = ClaimCache(session)
    seeds = cache.get(ids)
    message_ids = {cache.message_of[i] for i in ids if i in cache.message_of}
    removed: set[int] = {i for i in ids if cache.inputs.get(i) is None}
    edited = {cache.message_of[i] for i in removed if i in cache.message_of}  # messages with older claims
    for chunk in _chunks(message_ids):
        for claim_id, message_id in session.execute(_SUPERSEDED, {"ids": chunk}):
            removed.add(claim_id)
            edited.add(message_id)
    regions: dict[str, _Region] = {}
    for ci in seeds:
        for iso in regions_of(ci):
            r = regions.setdefault(iso, _Region(iso))
            start, end, _ = claim_window(ci, iso)
            r.ranges.add(start, end)
            r.interesting.add(int(ci.claim_id))
    for ci in cache.superseded(removed):
        # the chain it was in loses it: every cut of that chain may move (even when the claim itself was in
        # no stored incident: a city's claim in a group of context members only)
        for iso in regions_of(ci):
            r = regions.setdefault(iso, _Region(iso))
            start, end, _ = claim_window(ci, iso)
            r.ranges.add(start, end)
            r.vacated.append((start, end))
    for chunk in _chunks(ids | removed):
        for inc_id, iso, start, end in session.execute(_LINKED_WINDOWS, {"ids": chunk}):
            r = regions.setdefault(iso, _Region(iso))
            r.ranges.add(start, end)
            r.incidents.add(inc_id)
    for iso in sorted(regions):  # before anything of these regions is read (see region_lock)
        region_lock(session, LOCK_INCIDENTS, iso)
    neighbours, links, writer = _Neighbours(session), _Links(session), _Writer(session)
    everywhere = Ranges()
    for r in regions.values():
        for lo, hi in r.ranges.spans:
            everywhere.add(lo - LOOKAROUND, hi + LOOKAROUND)
    neighbours.load(everywhere)
    # read in bulk what the regions ask for one by one: claims, their incidents, those incidents' claims
    near = {cid for cid, n in neighbours.claims.items() if not n.isos.isdisjoint(regions)}
    cache.get(near)
    links.claims(links.incidents(links.linked(near | ids | removed)))
    for iso in sorted(regions):
        _refresh_region(cache, neighbours, links, writer, regions[iso])
    result += writer.flush()
    result += refresh_statuses(session, ids, edited=edited)
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
        region_lock(session, LOCK_INCIDENTS, iso)
        cache = ClaimCache(session)  # one region's claims at a time
        links = _Links(session)
        drafts = _merge_region(iso, cache.get(_region_claims(session, iso)))
        stored = {
            inc.id: inc
            for inc in session.scalars(
                select(Incident)
                .options(lazyload(Incident.claims))
                .execution_options(populate_existing=True)
                .where(Incident.iso == iso, Incident.deleted_at.is_(None))
            )
        }
        writer = _Writer(session)
        writer.add(iso, drafts, list(stored.values()), links.claims(stored))
        result += writer.flush()
    result += refresh_all_statuses(session)
    return result


def _region_claims(session: Session, iso: str) -> list[int]:
    """Every current claim that may join an incident of ``iso``."""
    where = (ClaimRow.superseded.is_(False), ClaimRow.kind != Kind.NOT_INCIDENT)
    if iso in NATIONAL_LANG:
        stmt = select(ClaimRow.id).where(
            *where,
            ClaimRow.lang == NATIONAL_LANG[iso],
            or_(ClaimRow.total_destroyed.is_not(None), ClaimRow.launched.is_not(None)),
            ~exists().where(ClaimRegion.claim_id == ClaimRow.id),
        )
    else:
        isos = [iso, *(city for city, parent in ENCLOSING.items() if parent == iso)]
        stmt = (
            select(ClaimRow.id)
            .join(ClaimRegion, ClaimRegion.claim_id == ClaimRow.id)
            .where(ClaimRegion.iso.in_(isos), *where)
        )
    return list(set(session.scalars(stmt)))


def region_lock(session: Session, namespace: int, iso: str) -> None:
    """On PostgreSQL, serialise writers of one region until the transaction ends (``tocsin watch`` may run
    as several processes): a transaction-level advisory lock on (namespace, crc32 of the ISO code). Regions
    are always locked in sorted order, incidents before statuses, so refreshes cannot deadlock each other.
    SQLite has a single writer anyway."""
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(iso.encode()) - (1 << 31)  # a signed int4
        session.execute(text("SELECT pg_advisory_xact_lock(:ns, :key)"), {"ns": namespace, "key": key})


LOCK_INCIDENTS = 0x7463  # "tc"


def _refresh_region(
    cache: ClaimCache, neighbours: _Neighbours, links: _Links, writer: _Writer, r: _Region
) -> None:
    stored = {i: inc for i, inc in links.incidents(r.incidents).items() if inc.iso == r.iso}
    ranges = Ranges()
    for lo, hi in r.ranges.spans:
        ranges.add(lo - LOOKAROUND, hi + LOOKAROUND)
    interesting = set(r.interesting)
    while True:  # load the claims near the ranges and cut them into chains
        members = merge_mod._by_region(cache.get(neighbours.around(r.iso, ranges))).get(r.iso, [])
        chains = [(chain, chain.claim_ids) for chain in merge_mod.chains(r.iso, members)]
        while True:  # close over chains and stored incidents: their other claims' incidents are rewritten too
            hit = [
                (chain, ids)
                for chain, ids in chains
                if not interesting.isdisjoint(ids) or _meets(chain.extent, r.vacated)
            ]
            chosen = [chain for chain, _ in hit]
            involved = interesting.union(*(ids for _, ids in hit))
            for inc_id, inc in links.incidents(links.linked(involved)).items():
                if inc.iso == r.iso:
                    stored[inc_id] = inc
            claims_of = links.claims(stored)
            grown = involved.union(*claims_of.values())
            if grown == interesting:
                break
            interesting = grown
        # complete when no chain written (nor any stored incident) reaches out of the loaded ranges
        spans = [chain.extent for chain in chosen]
        spans += [(inc.window_start, inc.window_end) for inc in stored.values()]
        outside = [(lo, hi) for lo, hi in spans if not ranges.covers(lo - TOLERANCE, hi + TOLERANCE)]
        if not outside:
            break
        for lo, hi in outside:
            ranges.add(lo - LOOKAROUND, hi + LOOKAROUND)
    drafts = [d for chain in chosen for d in chain.drafts()]
    writer.add(r.iso, drafts, list(stored.values()), claims_of)


def _meets(extent: tuple[datetime, datetime], windows: list[tuple[datetime, datetime]]) -> bool:
    """Whether a chain comes within the tolerance of any of the windows (so it may have held that claim)."""
    lo, hi = extent
    return any(start <= hi + TOLERANCE and lo - TOLERANCE <= end for start, end in windows)


def _merge_region(iso: str, inputs: list[ClaimInput]) -> list[IncidentDraft]:
    """``[d for d in merge.merge(inputs) if d.iso == iso]`` without building the other regions' incidents
    (a national bulletin names up to a dozen regions; building them all made refreshes several times slower).
    """
    return merge_mod._group_region(iso, merge_mod._by_region(inputs).get(iso, []))


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


_LINK_TABLE = IncidentClaim.__table__
_UNLINK = delete(_LINK_TABLE).where(  # Core: an executemany DELETE
    _LINK_TABLE.c.incident_id == bindparam("u_incident"), _LINK_TABLE.c.claim_id == bindparam("u_claim")
)


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


class _Writer:
    """The writes of a refresh, collected region by region and sent together by ``flush``."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.result = RefreshResult()
        self.now = utcnow()
        self.created: list[tuple[dict[str, Any], list[int]]] = []
        self.events: list[dict[str, Any]] = []
        self.link_rows: list[dict[str, Any]] = []
        self.unlink: list[dict[str, int]] = []
        self.stored: list[Incident] = []

    def add(
        self, iso: str, drafts: list[IncidentDraft], stored: list[Incident], links: dict[int, set[int]]
    ) -> None:
        """Compare one region's drafts with its stored incidents; note what changes."""
        now = self.now
        matched = _match(drafts, stored, links)
        for i, d in enumerate(drafts):
            values = _fields(d)
            claim_ids = [int(c) for c in d.claim_ids]
            inc = matched.get(i)
            if inc is None:
                self.created.append(({**values, "created_at": now, "updated_at": now}, claim_ids))
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
            self.link_rows += [
                {"incident_id": inc.id, "claim_id": c, "iso": iso} for c in sorted(new_claims - old_claims)
            ]
            self.unlink += [{"u_incident": inc.id, "u_claim": c} for c in sorted(old_claims - new_claims)]
            self.events.append(_event("update", inc.id, before, summary(inc, new_claims)))
            self.result.updated += 1
        used = {inc.id for inc in matched.values()}
        for inc in stored:
            if inc.id in used:
                continue
            old_claims = links[inc.id]
            self.events.append(_event("delete", inc.id, summary(inc, old_claims), None))
            inc.deleted_at = now
            inc.updated_at = now
            self.unlink += [{"u_incident": inc.id, "u_claim": c} for c in sorted(old_claims)]
            self.result.deleted += 1
        self.stored += stored

    def flush(self) -> RefreshResult:
        """Write everything noted; return what changed."""
        session = self.session
        if self.created or self.events:
            session.flush()  # the updates, before the link rows that refer to them
            for lo in range(0, len(self.created), 500):
                batch = self.created[lo : lo + 500]
                # new incidents are told apart by (iso, key): keys are unique within a region
                ids = repo.insert_rows(session, Incident.__table__, [v for v, _ in batch], ("iso", "key"))
                for (values, claim_ids), inc_id in zip(batch, ids, strict=True):
                    iso = values["iso"]
                    self.link_rows += [{"incident_id": inc_id, "claim_id": c, "iso": iso} for c in claim_ids]
                    self.events.append(_event("create", inc_id, None, summary(values, claim_ids)))
            self.result.created = len(self.created)
            if self.unlink:
                session.connection().execute(_UNLINK, self.unlink)
            for lo in range(0, len(self.link_rows), 500):
                session.execute(_LINK_TABLE.insert(), self.link_rows[lo : lo + 500])
            for lo in range(0, len(self.events), 500):
                session.execute(Event.__table__.insert(), self.events[lo : lo + 500])
            for inc in self.stored:
                session.expire(inc, ["claims"])
        result, self.result = self.result, RefreshResult()
        self.created, self.events, self.link_rows, self.unlink, self.stored = [], [], [], [], []
        return result
