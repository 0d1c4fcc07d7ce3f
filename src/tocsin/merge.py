"""Claims → incidents: one incident per (region, time window), consensus per field, disagreements.

Pure library code: no database, no I/O. ``merge(claims)`` builds every incident from scratch;
``attach(existing, new_claims)`` recomputes only the regions the new claims touch and returns the same list a
full ``merge`` of all claims would (tests prove it over shuffled arrival orders).

Rules (the contract the storage layer and the UI rely on)
---------------------------------------------------------
**Claim window.** A claim's time window is, in this order:

- its pinned ``period.start``/``period.end`` (only a start: start → published; only an end: end − 6 h → end);
- else the period words, read in the region's local time (``Europe/Moscow`` for RU-*, ``Europe/Simferopol``
  for Crimea and Sevastopol, ``Europe/Kyiv`` for the rest of UA-*), with "вчера/вчора/yesterday" moving the
  day back by one:
  past 24 hours ("за минувшие сутки", "in the past 24 hours") → published − 24 h → published;
  night ("ночью", "вночі", "за ночь", "в ночь на D", "минулої доби", "overnight", "small hours") → in a post
  published 00:00–14:00 local: 18:00 of the day before → published (time precision 1); in a later post: 18:00
  of the day before → 08:00 (the night before, time precision 2: it might mean the coming night);
  day ("днём", "вдень", "в течение дня", "during the daytime") → 06:00–20:00 that day;
  morning → 04:00–12:00; evening → 17:00–24:00; "сегодня/today" alone → 00:00 → published;
- else (no period words, or words not understood): published − 6 h → published. An alert or an all-clear
  thus gets a short window just before it was published.

**Placeable claims.** A claim whose window is longer than ``MAX_SPAN`` (24 h: a summary of several nights,
"с 1 по 7 сентября") does not describe one event and joins no incident; neither does a claim with only a
pinned end further than 48 h before or 24 h after its publication (``END_ONLY_BEFORE``/``END_ONLY_AFTER``:
the extractor never pins an end alone; such an end is not trusted). Both stay stored and exported as claims.
So every window that joins an incident is at most 24 h long and, unless its start is pinned, lies within
[published − 54 h, published + 24 h] — which lets ``tocsin.incidents`` find a claim's neighbours with index
range scans.

**Grouping.** A claim joins the incident of every region in its ``per_region`` (a multi-region bulletin
contributes to each). Claims about a city-region that lies inside another region (Moscow in Moscow Oblast,
St Petersburg in Leningrad Oblast, Kyiv in Kyiv Oblast, Sevastopol in Crimea — ``ENCLOSING``) also join the
enclosing region's incident, as *context* members (sources and the MoD's "Московский регион" do not tell the
city from the oblast): they are listed in ``claim_ids`` and widen the window, but never give a consensus value
or a disagreement (what the mayor of Moscow says is not a figure for the oblast), and an incident made only of
context members is dropped. ``not_incident`` claims and claims without a region are left out, except a
region-less claim that states a national figure (``total_destroyed`` or ``launched``) whose country is known
from its language (uk → UA, ru → RU): it forms a *national* incident with ``iso`` ``"RU"`` or ``"UA"``
(English region-less wire copy is left out: its country is not known here).

Within a region, two claims are *near* when their windows overlap or lie within ``TOLERANCE`` (2 h) of each
other; a *chain* is a connected component of that relation (found by a sweep over window starts). A chain is
cut into incidents that each span at most ``MAX_SPAN`` (24 h) — one night's attack wave with its alerts and
the morning's reports, or one day — so that a region reporting every night and day, each report near the
previous one, never becomes one long incident. The cut is a sweep over the chain's claims by window start: a
claim joins the current incident while it is near it and the incident still spans at most 24 h, measured
from the start of its first *precise* member (a window of at most ``VAGUE_SPAN``, 20 h) to the latest end;
otherwise it starts the next incident. A day-long window ("за минувшие сутки", 24 h) is not precise: it joins
the incident it reaches and may widen its window, but does not stretch the 24 h measured from the precise
windows (the MoD's daily summary at 09:00 stays with the night's alerts and the afternoon's follow-up); an
incident of such windows only is measured from its first start. A chain that spans at most 24 h is one
incident, as before. Each draft records its chain (``IncidentDraft.chain``: the chain's earliest start and
latest end), since a claim added to a chain can move every cut after it.

**Key.** ``f"{iso}:{start:%Y-%m-%dT%H}"`` of the incident's earliest window start in the region's local time.
The same claims always give the same keys, whatever their order; a claim that widens an incident's window
backwards changes its key (callers re-key by ``claim_ids``). Incidents of different chains never share a key
(chains lie more than 2 h apart); the rare second incident of a chain starting in the same hour as the one
before it gets ``~2`` appended (``~3`` …), so keys stay unique within a region.

**Consensus.** For each field, the value of the first member that states it (null is "not said", never a
value), ordered by ``AUTHORITY_RANK`` (regional, federal, media, other),
then the latest published, then the claim id. ``destroyed`` is the member's ``per_region`` figure for the
incident's region (never a national total); ``interceptors`` is the union of all members' lists. Each entry is
``{"value", "source", "claim_id", "lower_bound"}``; a field nobody states is ``{"value": None, ...None,
"lower_bound": False}``.

``destroyed`` is a **lower bound** when some own interception member names the region without a count
(undisclosed) and that member's window is not contained in the chosen member's window (widened by the
tolerance): the chosen figure may not cover what that source reported. ``total_destroyed`` and ``launched``
are the chosen statement's own totals (a governor's regional total beats the MoD's national one); they are
marked lower bounds when another member states a larger total (the attack as a whole was at least that big).

**Disagreements.** For each field, each source's own value is that of its latest-published member stating it
(a running tally's earlier, lower figure is superseded by its later total, so it is not a disagreement). When
two sources' values differ, the field is listed with every source's value and a human line such as
``destroyed: 27 (mod_bulletin) vs 28 (governor)`` (sources named by ``ClaimInput.source``).
``total_destroyed`` is compared only between *closed* members (their per-region figures are all known and sum
to the total: no sea, no unlisted region) with the same set of regions, and ``launched`` only between members
with the same set of regions (the MoD's 27 over four regions does not contradict a governor's 11);
``weapon`` "mixed" does not contradict "uav" or "missile"; ``interceptors``, ``period`` and context members
are never compared. Null never disagrees.

**Precision codes** (ACLED-style). ``time_precision``: 1 = the day is known (pinned windows — at most 24 h,
see above —, a night in a morning post, any window inferred from a known publication time), 2 = the day is
ambiguous (a night word in an afternoon post: the night before, or the coming one); 3 (about a month) is
no longer produced, since windows longer than 24 h join no incident; the incident takes the best of its
members. ``geo_precision``: 1 = a town or settlement of the region is named (or the region is itself a city:
Moscow, St Petersburg, Kyiv, Sevastopol), 2 = a district is named, 3 = only the region; read from
``ClaimInput.text`` when given, else 3; the incident takes the best.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from tocsin.domain import AUTHORITY_RANK, Authority, Claim, Kind, Weapon

TOLERANCE = timedelta(hours=2)
DEFAULT_SPAN = timedelta(hours=6)
MAX_SPAN = timedelta(hours=24)  # the longest window of a claim that joins an incident, and of an incident
VAGUE_SPAN = timedelta(hours=20)  # a longer window (a day-long summary) does not anchor an incident's span
END_ONLY_BEFORE = timedelta(hours=48)  # an end pinned alone is trusted this long before publication …
END_ONLY_AFTER = timedelta(hours=24)  # … and this long after it
MORNING_CUTOFF = 14  # local hour: a night word in a post before this means the night just ended
ENCLOSING = {"RU-MOW": "RU-MOS", "RU-SPE": "RU-LEN", "UA-30": "UA-32", "UA-40": "UA-43"}
CITY_REGIONS = frozenset(ENCLOSING)

COUNT_FIELDS = ("destroyed", "total_destroyed", "launched", "killed", "injured")
BOOL_FIELDS = ("infrastructure_damage", "debris_fell", "fire", "emergency_response")
FIELDS = (*COUNT_FIELDS, *BOOL_FIELDS, "weapon", "interceptors", "period")
_SCOPED = ("total_destroyed", "launched")

_MSK, _KYIV, _SIMF = ZoneInfo("Europe/Moscow"), ZoneInfo("Europe/Kyiv"), ZoneInfo("Europe/Simferopol")

_P = {
    "day24": re.compile(r"сутк|суток|24\s*(?:hours|час|год)|past day", re.I),
    "night": re.compile(r"ноч|нічь|ніч|вночі|доби|overnight|night|small hours", re.I),
    "day": re.compile(
        r"днём|днем|дневн|вдень|протягом дня|в течение дня|daytime|during the day|"
        r"начала дня|початку дня",
        re.I,
    ),
    "morning": re.compile(r"утр|вранці|зранку|ранку|morning", re.I),
    "evening": re.compile(r"вечер|ввечері|вечор|evening", re.I),
    "today": re.compile(r"сегодня|сьогодні|today|this ", re.I),
}
_YESTERDAY = re.compile(r"вчера|вчора|yesterday", re.I)


@dataclass(frozen=True, slots=True)
class ClaimInput:
    """One extracted claim with where it came from. ``published`` must be timezone-aware.

    ``text`` (optional) is the statement itself; when given it refines ``geo_precision``.
    """

    claim_id: str | int
    claim: Claim
    source: str
    authority: Authority
    published: datetime
    text: str | None = None


@dataclass(slots=True)
class IncidentDraft:
    """One incident as the merge proposes it (not yet stored)."""

    key: str
    iso: str
    window_start: datetime
    window_end: datetime
    time_precision: int
    geo_precision: int
    kind: str
    claim_ids: list = field(default_factory=list)
    consensus: dict[str, dict[str, Any]] = field(default_factory=dict)
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    lower_bound_fields: list[str] = field(default_factory=list)
    members: tuple[ClaimInput, ...] = field(default=(), repr=False, compare=False)
    chain: tuple[datetime, datetime] | None = field(default=None, repr=False, compare=False)
    """The (earliest start, latest end) of the chain of near windows the incident was cut from."""


Member = tuple[ClaimInput, bool]  # a claim and whether it is a context member (see "Grouping")
Window = tuple[datetime, datetime, int]  # start, end, time precision (``claim_window``)


# --- windows ------------------------------------------------------------------------------------------


def local_zone(iso: str) -> ZoneInfo:
    """The local time zone of a region (or of a national incident "RU"/"UA")."""
    if iso in ("UA-43", "UA-40"):
        return _SIMF
    return _KYIV if iso.startswith("UA") else _MSK


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt if dt.tzinfo is not None else None


def _at(day, hour: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=tz)


def _span_precision(start: datetime, end: datetime) -> int:
    span = end - start
    return 1 if span <= timedelta(hours=36) else 2 if span <= timedelta(days=8) else 3


def claim_window(ci: ClaimInput, iso: str) -> Window:
    """``(start, end, time_precision)`` of a claim for one region, by the rules in the module docstring."""
    pub = ci.published
    if pub.tzinfo is None:
        raise ValueError(f"claim {ci.claim_id!r}: published must be timezone-aware")
    period = ci.claim.period
    start, end = _parse(period.start), _parse(period.end)
    if start or end:
        if start and end:
            start, end = min(start, end), max(start, end)
        elif start:
            end = max(pub, start)
        else:
            start = end - DEFAULT_SPAN
        return start, end, _span_precision(start, end)
    tz = local_zone(iso)
    loc = pub.astimezone(tz)
    text = period.text or ""
    day = loc.date() - timedelta(days=1) if _YESTERDAY.search(text) else loc.date()
    shifted = day != loc.date()
    if _P["day24"].search(text):
        return pub - timedelta(hours=24), pub, 1
    if _P["night"].search(text):
        if not shifted and loc.hour < MORNING_CUTOFF:
            return _at(day - timedelta(days=1), 18, tz), pub, 1
        return _at(day - timedelta(days=1), 18, tz), _at(day, 8, tz), 1 if shifted else 2
    for name, (h0, h1) in (("day", (6, 20)), ("morning", (4, 12)), ("evening", (17, 24))):
        if _P[name].search(text):
            end = _at(day, 0, tz) + timedelta(hours=h1)
            return _at(day, h0, tz), end, 1
    if _P["today"].search(text) and not shifted:
        return _at(day, 0, tz), pub, 1
    return pub - DEFAULT_SPAN, pub, 1


# --- membership ---------------------------------------------------------------------------------------


def _national_country(claim: Claim) -> str | None:
    if claim.total_destroyed is None and claim.launched is None:
        return None
    return {"uk": "UA", "ru": "RU"}.get(claim.lang or "")


def placeable(ci: ClaimInput) -> bool:
    """Whether the claim's window can be one event (see "Placeable claims" in the module docstring). Only a
    pinned period can fail: an unpinned window is at most 24 h long and near its publication."""
    period = ci.claim.period
    start, end = _parse(period.start), _parse(period.end)
    if start and end:
        return abs(end - start) <= MAX_SPAN
    if start:
        return ci.published - start <= MAX_SPAN
    if end:
        return ci.published - END_ONLY_BEFORE <= end <= ci.published + END_ONLY_AFTER
    return True


def regions_of(ci: ClaimInput) -> dict[str, bool]:
    """The incident regions a claim joins → True when it is a context member (via ``ENCLOSING``)."""
    c = ci.claim
    if c.kind == Kind.NOT_INCIDENT or not placeable(ci):
        return {}
    out: dict[str, bool] = {}
    for rc in c.per_region:
        out[rc.iso] = False
    for rc in c.per_region:
        parent = ENCLOSING.get(rc.iso)
        if parent and parent not in out:
            out[parent] = True
    if not out:
        country = _national_country(c)
        if country:
            out[country] = False
    return out


# --- consensus ----------------------------------------------------------------------------------------


def _value(ci: ClaimInput, name: str, iso: str, context: bool) -> Any:
    c = ci.claim
    if context:
        return None
    if name == "destroyed":
        return next((rc.destroyed for rc in c.per_region if rc.iso == iso), None)
    if name == "weapon":
        return None if c.weapon is None else str(c.weapon)
    if name == "interceptors":
        return [str(i) for i in c.interceptors] or None
    if name == "period":
        p = c.period
        if p.text is None and p.start is None and p.end is None:
            return None
        return {"text": p.text, "start": p.start, "end": p.end}
    return getattr(c, name)


def _scope(ci: ClaimInput) -> frozenset[str]:
    return frozenset(rc.iso for rc in ci.claim.per_region)


def _rank(ci: ClaimInput) -> int:
    return AUTHORITY_RANK[Authority(ci.authority)]


def _closed(ci: ClaimInput) -> bool:
    """The claim's total is the sum of its regions' figures (no sea, no unlisted region, no unknown)."""
    c = ci.claim
    counts = [rc.destroyed for rc in c.per_region]
    return bool(counts) and None not in counts and sum(counts) == c.total_destroyed


def _build(iso: str, members: list[Member], known: dict[int, Window] | None = None) -> IncidentDraft:
    """One incident of ``members``; ``known``: windows by ``id(ClaimInput)`` computed already."""
    if known is None:
        windows = {id(ci): claim_window(ci, iso) for ci, _ in members}
    else:
        windows = {id(ci): known[id(ci)] for ci, _ in members}
    ranked = sorted(
        members,
        key=lambda m: (m[1], _rank(m[0]), -m[0].published.timestamp(), str(m[0].claim_id)),
    )
    consensus: dict[str, dict[str, Any]] = {}
    disagreements: list[dict[str, Any]] = []
    for name in FIELDS:
        stating = [(ci, ctx, v) for ci, ctx in ranked if (v := _value(ci, name, iso, ctx)) is not None]
        entry: dict[str, Any] = {"value": None, "source": None, "claim_id": None, "lower_bound": False}
        if stating:
            ci0, _, v0 = stating[0]
            if name == "interceptors":
                v0 = sorted({i for _, _, v in stating for i in v})
            entry = {"value": v0, "source": ci0.source, "claim_id": ci0.claim_id, "lower_bound": False}
            entry["lower_bound"] = _lower_bound(name, iso, ci0, members, windows)
            disagreement = _disagreement(name, [(ci, v) for ci, ctx, v in stating if not ctx])
            if disagreement:
                disagreements.append(disagreement)
        consensus[name] = entry
    start = min(w[0] for w in windows.values())
    end = max(w[1] for w in windows.values())
    kinds = {str(ci.claim.kind) for ci, ctx in members if not ctx}
    kind = str(Kind.INTERCEPTION) if str(Kind.INTERCEPTION) in kinds else str(Kind.ATTACK_NO_OUTCOME)
    local_start = start.astimezone(local_zone(iso))
    ordered = sorted(members, key=lambda m: (windows[id(m[0])][0], m[0].published, str(m[0].claim_id)))
    return IncidentDraft(
        key=f"{iso}:{local_start:%Y-%m-%dT%H}",
        iso=iso,
        window_start=start,
        window_end=end,
        time_precision=min(w[2] for w in windows.values()),
        geo_precision=min(_geo_precision(ci, iso) for ci, _ in members),
        kind=kind,
        claim_ids=[ci.claim_id for ci, _ in ordered],
        consensus=consensus,
        disagreements=disagreements,
        lower_bound_fields=[n for n in FIELDS if consensus[n]["lower_bound"]],
        members=tuple(ci for ci, _ in ordered),
    )


def _lower_bound(name, iso, chosen: ClaimInput, members, windows) -> bool:
    if name == "destroyed":
        s0, e0, _ = windows[id(chosen)]
        for ci, ctx in members:
            if ctx or ci.claim.kind != Kind.INTERCEPTION or _value(ci, name, iso, ctx) is not None:
                continue
            s, e, _ = windows[id(ci)]
            if s < s0 - TOLERANCE or e > e0 + TOLERANCE:
                return True
        return False
    if name in _SCOPED:
        v0 = _value(chosen, name, iso, False)
        return any((v := _value(ci, name, iso, ctx)) is not None and v > v0 for ci, ctx in members)
    return False


def _disagreement(name: str, stating: list[tuple[ClaimInput, Any]]) -> dict[str, Any] | None:
    if name in ("interceptors", "period"):
        return None
    groups: dict[Any, list[tuple[ClaimInput, Any]]] = defaultdict(list)
    for ci, v in stating:
        if name == "total_destroyed" and not _closed(ci):
            continue
        groups[_scope(ci) if name in _SCOPED else None].append((ci, v))
    for items in groups.values():
        latest: dict[str, tuple[ClaimInput, Any]] = {}
        for ci, v in items:
            seen = latest.get(ci.source)
            if seen is None or (ci.published, str(ci.claim_id)) > (seen[0].published, str(seen[0].claim_id)):
                latest[ci.source] = (ci, v)
        vals = {v for _, v in latest.values()}
        if name == "weapon" and str(Weapon.MIXED) in vals:
            vals.discard(str(Weapon.MIXED))
        if len(vals) < 2:
            continue
        rows = sorted(
            latest.values(),
            key=lambda x: (_rank(x[0]), -x[0].published.timestamp(), x[0].source),
        )
        values = [{"value": v, "source": ci.source, "claim_id": ci.claim_id} for ci, v in rows]
        line = " vs ".join(f"{_fmt(v)} ({ci.source})" for ci, v in rows)
        return {"field": name, "values": values, "line": f"{name}: {line}"}
    return None


def _fmt(v: Any) -> str:
    return {True: "yes", False: "no"}.get(v, str(v)) if isinstance(v, bool) else str(v)


@lru_cache(maxsize=4096)
def _places(text: str) -> tuple[tuple[str, str | None], ...]:
    from tocsin.extract.regions import find_places
    from tocsin.extract.tokens import prepare

    return tuple((p.kind, p.iso) for p in find_places(prepare(text)))


def _geo_precision(ci: ClaimInput, iso: str) -> int:
    if iso in CITY_REGIONS and any(rc.iso == iso for rc in ci.claim.per_region):
        return 1
    if not ci.text:
        return 3
    kinds = {k for k, p_iso in _places(ci.text) if p_iso == iso}
    return 1 if "city" in kinds else 2 if "district" in kinds else 3


# --- grouping -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Chain:
    """One chain of near windows of a region, already cut into groups of at most ``MAX_SPAN``."""

    iso: str
    extent: tuple[datetime, datetime]  # earliest start, latest end
    groups: list[list[Member]]
    windows: dict[int, Window] = field(repr=False, compare=False)  # id(ClaimInput) → its window here

    @property
    def claim_ids(self) -> set[Any]:
        return {ci.claim_id for group in self.groups for ci, _ in group}

    def drafts(self) -> list[IncidentDraft]:
        """The chain's incidents (groups of context members only are dropped), keys made unique."""
        out: list[IncidentDraft] = []
        keys: dict[str, int] = {}
        for group in self.groups:
            if all(ctx for _, ctx in group):
                continue
            draft = _build(self.iso, group, self.windows)
            draft.chain = self.extent
            keys[draft.key] = n = keys.get(draft.key, 0) + 1
            if n > 1:
                draft.key = f"{draft.key}~{n}"
            out.append(draft)
        return out


def chains(iso: str, members: list[Member]) -> list[Chain]:
    """The region's chains (see "Grouping"), in time order, without building their incidents yet."""
    wins = [claim_window(ci, iso) for ci, _ in members]
    order = sorted(range(len(members)), key=lambda i: (wins[i][0], wins[i][1], str(members[i][0].claim_id)))
    found: list[list[int]] = []
    reach: datetime | None = None
    for i in order:  # sweep by start: overlapping-or-near intervals chain into one component
        if reach is None or wins[i][0] > reach + TOLERANCE:
            found.append([])
            reach = wins[i][1]
        found[-1].append(i)
        reach = max(reach, wins[i][1])
    return [
        Chain(
            iso,
            (wins[chain[0]][0], max(wins[i][1] for i in chain)),
            [[members[i] for i in group] for group in _cut(chain, wins)],
            {id(members[i][0]): wins[i] for i in chain},
        )
        for chain in found
    ]


def _cut(chain: list[int], wins: list[Window]) -> list[list[int]]:
    """A chain (sorted by window start) cut into incidents of at most ``MAX_SPAN`` (see "Grouping")."""
    groups: list[list[int]] = []
    lo = lo_precise = hi = None  # the group's first start, first precise start, latest end
    for i in chain:
        start, end, _ = wins[i]
        precise = end - start <= VAGUE_SPAN
        if groups and start <= hi + TOLERANCE:
            anchor = lo_precise if lo_precise is not None else start if precise else lo
            if max(hi, end) - anchor <= MAX_SPAN:
                groups[-1].append(i)
                hi = max(hi, end)
                if precise and lo_precise is None:
                    lo_precise = start
                continue
        groups.append([i])
        lo, hi, lo_precise = start, end, start if precise else None
    return groups


def _group_region(iso: str, members: list[Member]) -> list[IncidentDraft]:
    return [d for chain in chains(iso, members) for d in chain.drafts()]


def _by_region(claims: Iterable[ClaimInput]) -> dict[str, list[Member]]:
    latest: dict[str, ClaimInput] = {}
    for ci in claims:
        latest[str(ci.claim_id)] = ci  # a later input with the same id replaces the earlier one (an edit)
    out: dict[str, list[Member]] = defaultdict(list)
    for ci in latest.values():
        for iso, ctx in regions_of(ci).items():
            out[iso].append((ci, ctx))
    return out


def _sorted(drafts: Iterable[IncidentDraft]) -> list[IncidentDraft]:
    return sorted(drafts, key=lambda d: (d.iso, d.window_start, d.key))


def merge(claims: Iterable[ClaimInput]) -> list[IncidentDraft]:
    """Every incident the claims make, sorted by (iso, window_start, key). Deterministic, order-free."""
    drafts: list[IncidentDraft] = []
    for iso, members in _by_region(claims).items():
        drafts.extend(_group_region(iso, members))
    return _sorted(drafts)


def attach(existing: Sequence[IncidentDraft], new_claims: Iterable[ClaimInput]) -> list[IncidentDraft]:
    """Add claims to the incidents of an earlier ``merge``/``attach``; equal to a full re-merge.

    Only the regions the new claims touch (and those of any claim they replace by id) are rebuilt; the other
    drafts are returned unchanged. ``existing`` must carry its ``members`` (as ``merge`` returns them).
    """
    new = list(new_claims)
    new_ids = {str(ci.claim_id) for ci in new}
    touched = {iso for ci in new for iso in regions_of(ci)}
    for d in existing:
        for ci in d.members:
            if str(ci.claim_id) in new_ids:
                touched.update(regions_of(ci))
    keep = [d for d in existing if d.iso not in touched]
    pool: dict[str, ClaimInput] = {}
    for d in existing:  # a city claim may sit in no incident of the oblast yet (context-only, dropped)
        for ci in d.members:
            if str(ci.claim_id) not in pool and touched.intersection(regions_of(ci)):
                pool[str(ci.claim_id)] = ci
    for ci in new:
        pool[str(ci.claim_id)] = ci
    rebuilt = [d for d in merge(pool.values()) if d.iso in touched]
    return _sorted([*keep, *rebuilt])
