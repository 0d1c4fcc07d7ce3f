"""Which regions a statement reports on, each with its own count where the text gives one.

For an interception: the places named in the sentences that report destruction — list items
("11 – над территорией Смоленской области") carry their own counts; a lone region takes the total.
When those sentences name no place ("над областью", "over the region"), the regions of the attack
sentences stand in for them, unless the statement is national ("по Україні", "the country").
Launch areas ("з напрямку Курськ"), seas, countries and officials' titles ("Moscow Mayor") are not
regions of the event.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from tocsin.domain import Kind, RegionCount
from tocsin.extract.counts import Counts
from tocsin.extract.doc import Doc, Sentence
from tocsin.extract.events import Roles
from tocsin.extract.regions import Place, find_places
from tocsin.extract.tokens import prepare

_FROM = frozenset({"з", "із", "зі", "из", "с", "со", "from"})
_SURROUNDING = {"UA-30": "UA-32", "RU-MOW": "RU-MOS"}
_OBLAST_WORDS = frozenset(
    {
        "області",
        "области",
        "область",
        "region",
        "oblast",
        "областю",
        "областью",
        "region's",
        "регіоні",
        "регионе",
    }
)
_ADJ_SUFFIX = {"ru": " области", "uk": " області", "en": " region"}


@dataclass
class _Found:
    iso: str
    place: Place | None
    span: tuple[int, int]
    tok: int


def _launch_area(doc: Doc, p: Place, memo: dict[int, bool]) -> bool:
    """A place the attack came from ("з напрямку Курськ", "from Bryansk"), not one it reached.

    ``memo`` (one per statement, by the place's first token) keeps a list of places from being
    re-read for every place that follows it.
    """
    known = memo.get(p.tok_start)
    if known is None:
        known = memo[p.tok_start] = _launch_area_of(doc, p, memo)
    return known


def _launch_area_of(doc: Doc, p: Place, memo: dict[int, bool]) -> bool:
    s = doc.sentence_of(p.tok_start)
    if doc.has("launch_area"):
        for t in doc.find("launch_area", s.i, p.tok_start):
            if t.j <= p.tok_start:
                return True
    k = p.tok_start - 1
    while k >= s.i and doc.words[k] in (
        "the",
        "територій",
        "території",
        "территории",
        "тимчасово",
        "окупованої",
        "окупованих",
        "оккупированной",
    ):
        k -= 1
    if k >= s.i and doc.words[k] in _FROM:
        return True
    # "з Брянської, Курської, Воронезької областей": the list shares its first item's "з"
    prev = None  # the last place before this one that ends at most two words before it
    for q in reversed(doc.places_in(s.i, p.tok_start)):
        if q.tok_end >= p.tok_start - 2:
            prev = q
            break
    if prev is None:
        return False
    for m in range(prev.tok_end, p.tok_start):
        if doc.words[m] not in _LIST_JOINERS:
            return False
    return _launch_area(doc, prev, memo)


_LIST_JOINERS = frozenset({"та", "і", "й", "и", "and", "or", "або", "или"})


_SPEAKS = frozenset(
    {
        "says",
        "said",
        "claims",
        "claimed",
        "accuses",
        "accused",
        "denies",
        "denied",
        "insists",
        "has",
        "have",
        "wants",
        "argues",
        "blames",
        "blamed",
    }
)


def _title(doc: Doc, p: Place) -> bool:
    """A place inside an official's title ("Moscow Mayor", "губернатор Брянской области") or standing for
    a government ("which Kyiv says", "annexed by Moscow")."""
    nxt = p.tok_end
    if (
        doc.lang == "en"
        and p.kind == "city"
        and (
            (nxt < len(doc.words) and doc.words[nxt] in _SPEAKS)
            or (p.tok_start and doc.words[p.tok_start - 1] == "by")
        )
    ):
        return True
    if nxt < len(doc.words) and doc.covers("title", nxt) and doc.words[nxt] not in ("said", "says"):
        return doc.lang == "en"
    for k in range(max(p.tok_start - 2, 0), p.tok_start):
        tag = doc.covers("title", k)
        if tag and doc.words[k] not in ("сообщил", "сообщила", "заявил", "said", "повідомив", "по", "за"):
            return True
    return False


@lru_cache(maxsize=4096)
def _adjective_region(word: str, lang: str) -> Place | None:
    hits = find_places(prepare(word + _ADJ_SUFFIX[lang]), lang)
    if len(hits) == 1 and hits[0].iso and hits[0].kind == "region":
        return hits[0]
    return None


def _elliptic(doc: Doc, k: int) -> Place | None:
    """A bare region adjective in a list item ("9 – Брянской"), read as "<adjective> области"."""
    word = doc.tokens[k]
    h = _adjective_region(doc.text.raw[word.start : word.end], doc.lang)
    if h is None:
        return None
    return Place(h.iso, word.start, word.end, "region", h.name, h.candidates, k, k + 1)


def _dateline(doc: Doc, p: Place) -> bool:
    """ "KYIV, Dec 7 (Reuters) -", "MOSCOW (AP) —": where the wire filed from, not where it happened."""
    name = doc.text.raw[p.start : p.end]
    return (
        p.tok_start <= 2
        and name.isupper()
        and len(name) > 2
        and doc.gap(p.tok_end - 1).strip()[:1] in (",", "(")
    )


def _region_places(doc: Doc, sentences: list[Sentence], memo: dict[int, bool]) -> list[Place]:
    out = []
    for s in sentences:
        for p in doc.places_in(s.i, s.j):
            if (
                p.iso
                and p.kind != "sea"
                and p.kind != "country"
                and not _launch_area(doc, p, memo)
                and not _dateline(doc, p)
            ):
                out.append(p)
    return out


def _disambiguate(doc: Doc, p: Place) -> str:
    if len(p.candidates) <= 1:
        return p.iso
    others = {q.iso for q in doc.places if q is not p and q.iso}
    for cand in p.candidates:
        if cand in others:
            return cand
    return p.iso


def _national(doc: Doc, roles: Roles) -> bool:
    return any(doc.has("national", s.i, s.j) for s in roles.event_sents)


def regions(
    doc: Doc, roles: Roles, kind: Kind, counts: Counts
) -> tuple[list[RegionCount], list[tuple[int, int]]]:
    """per_region and its evidence spans."""
    if kind == Kind.NOT_INCIDENT:
        return [], []
    memo: dict[int, bool] = {}  # launch areas, by place
    if kind == Kind.INTERCEPTION:
        places = _region_places(doc, roles.destroy_sents, memo)
        if not places and not _national(doc, roles):
            places = _region_places(doc, roles.attack_sents + roles.alert_sents + roles.launch_sents, memo)
            if not places:
                places = next((ps for s in doc.sentences if (ps := _region_places(doc, [s], memo))), [])
    else:
        places = _region_places(doc, roles.event_sents, memo) or _region_places(doc, doc.sentences, memo)
    non_title = [p for p in places if not _title(doc, p)]
    if non_title:
        places = non_title
    found: dict[str, _Found] = {}
    for p in sorted(places, key=lambda p: p.start):
        iso = _disambiguate(doc, p)
        found.setdefault(iso, _Found(iso, p, (p.start, p.end), p.tok_start))
        after = p.tok_end
        # "в Києві та області", "Kyiv and the surrounding region"
        if (
            iso in _SURROUNDING
            and any(doc.words[k] in _OBLAST_WORDS for k in range(after, min(after + 4, len(doc.words))))
            and any(
                doc.words[k] in ("та", "і", "и", "and", "й")
                for k in range(after, min(after + 2, len(doc.words)))
            )
        ):
            found.setdefault(
                _SURROUNDING[iso], _Found(_SURROUNDING[iso], None, (p.start, p.end), p.tok_start)
            )
    result = {iso: RegionCount(iso) for iso in found}
    spans = [f.span for f in found.values()]
    if kind == Kind.INTERCEPTION:
        _assign_counts(doc, counts, result, found, spans, memo)
    if "RU-MOS" in result and "RU-MOW" in result and doc.has("moscow_region"):
        # "Московский регион" covers the city: "6 – Московского региона, в том числе 4, летевших на Москву"
        del result["RU-MOW"]
    return list(result.values()), spans


def _enumeration_end(doc: Doc, k: int, stop: int) -> int:
    """Where the clause after token ``k`` ends, letting a comma-separated list of places run on
    ("у Київській, Чернігівській та Черкаській областях")."""
    starts = doc.place_starts
    for b in doc.clause_breaks(k, stop):
        if b + 1 < stop and b + 1 not in starts:
            return b + 1
    return stop


def _item_place(
    doc: Doc, c, stop: int, others: list, memo: dict[int, bool]
) -> tuple[str | None, bool, list[Place]]:
    """The place(s) a count's list item names: (iso, is_sea, places).

    Looked for after the count, up to the next count and within its clause ("11 – над …", "17 over
    Crimea and six more over the Black Sea"); failing that, before it in its clause when no other count
    stands there ("над Курской областью сбиты 5, над Белгородской — ещё 3").
    """
    ci, _cj = doc.clause(c.tok)
    lo, hi = c.end_tok, _enumeration_end(doc, c.end_tok, stop)
    places = doc.places_in(lo, hi)
    # a sea anywhere in the item ("6 целей в районе Бельбека, Качи и над морем") splits the figure
    sea = doc.has("sea_words", lo, stop) or _has_sea(doc.places_in(lo, stop))
    if not places and not sea and not _count_between(others, ci, c.tok):
        lo, hi = ci, c.tok
        places = doc.places_in(lo, hi)
        sea = doc.has("sea_words", lo, hi) or _has_sea(places)
    regions = [
        p for p in places if p.iso and p.kind not in ("sea", "country") and not _launch_area(doc, p, memo)
    ]
    if not regions and not sea and c.end_tok < stop:
        k = c.end_tok
        while k < stop and doc.words[k] in ("над", "территорией", "територією", "over", "the"):
            k += 1
        if k < stop:
            e = _elliptic(doc, k)
            if e:
                regions = [e]
    isos = {_disambiguate(doc, p) for p in regions}
    if sea:  # "21 над Краснодаром и акваторией Чёрного моря": no figure of the region's own
        return None, True, regions
    return (isos.pop() if len(isos) == 1 else None), False, regions


def _has_sea(places: list[Place]) -> bool:
    for p in places:  # noqa: SIM110 - a loop: cheaper than any() over a generator
        if p.kind == "sea":
            return True
    return False


def _count_between(counts: list, i: int, j: int) -> bool:
    """A count starting at a token in ``[i, j)``."""
    for o in counts:  # noqa: SIM110 - a loop: cheaper than any() over a generator
        if i <= o.tok < j:
            return True
    return False


def _assign_counts(
    doc: Doc,
    counts: Counts,
    result: dict[str, RegionCount],
    found: dict[str, _Found],
    spans: list,
    memo: dict[int, bool],
) -> None:
    items: list[tuple[str | None, bool, int | None, object]] = []
    dcounts = counts.destroy_counts
    for idx, c in enumerate(dcounts):
        nxt = (
            dcounts[idx + 1].tok
            if idx + 1 < len(dcounts) and dcounts[idx + 1].sentence is c.sentence
            else c.sentence.j
        )
        iso, sea, regs = _item_place(doc, c, nxt, dcounts, memo)
        if iso and iso not in result:
            result[iso] = RegionCount(iso)
            spans.append((regs[0].start, regs[0].end))
        items.append((iso, sea, c.value, c))
    placed = [(iso, v, c) for iso, sea, v, c in items if iso]
    has_sea = any(sea for _, sea, _, _ in items)
    parts = any(c.part for _, _, _, c in items)
    unplaced = [(v, c) for iso, sea, v, c in items if not iso and not sea and (c.item or c.part)]
    vague_only = {c.sentence.index for c in dcounts if c.vague}
    vague_only -= {c.sentence.index for c in dcounts if not c.vague}
    if len(result) == 1 and not has_sea and not parts and counts.total_destroyed is not None:
        only = next(iter(result.values()))
        place = found[only.iso].place if only.iso in found else None
        if place is None or doc.sentence_of(place.tok_start).index not in vague_only:
            only.destroyed = counts.total_destroyed  # "where air defences brought down several": no figure
        return
    by_iso: dict[str, int | None] = {}
    for iso, v, _c in placed:
        by_iso[iso] = v if iso not in by_iso or by_iso[iso] is None or v is None else by_iso[iso] + v
    for iso, v in by_iso.items():
        result[iso].destroyed = v
    lacking = [r for r in result.values() if r.destroyed is None]
    if len(lacking) == 1 and len(unplaced) == 1:
        lacking[0].destroyed = unplaced[0][0]
