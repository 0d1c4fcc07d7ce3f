"""How many objects were destroyed and launched, read from the event sentences.

A *count* is a number that belongs to the attack's objects: it is followed by a drone / missile /
target word, stands right next to a destroy verb, opens a list item ("11 – над территорией …"), or is
marked as a part ("13 of them", "в том числе 16"). Numbers about people, houses, times and dates are
not counts. Within a sentence, a head followed by parts that add up to it is the total ("355 цілей:
331 БпЛА та 24 ракети"); otherwise coordinated counts add up ("4 ракети та 7 БпЛА"). Across sentences,
"ещё / ще / more" adds, a tally ("Всего с начала ночи — 11") replaces, and a repeat changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tocsin.extract.doc import Doc, Sentence
from tocsin.extract.events import Roles
from tocsin.extract.numbers import Number

_OBJECTS = ("drone", "missile", "target")
_OF = frozenset({"з", "із", "зі", "из", "of"})
_THEM = frozenset({"них", "them", "which", "those", "которых"})
_ITEM_PREP = frozenset({"над", "over", "above", "в", "у", "во", "in", "near", "по"})
_DASHES = frozenset("–—-")
_LIST_DASHES = frozenset("–—")
_COLON_SEMI = frozenset(":;")
_MAX_OBJECT_GAP = 5


@dataclass(slots=True)
class Count:
    """One count in the text with what it refers to (slotted: its fields are read often)."""

    number: Number | None
    value: int | None
    span: tuple[int, int]
    tok: int
    end_tok: int
    sentence: Sentence
    obj: str | None = None  # "drone" / "missile" / "target" when a noun follows
    also: bool = False  # "ещё 2", "six more", "another"
    part: bool = False  # "13 of them", "в том числе 16", "41 из них"
    of_launched: bool = False  # "58 of 67": 67 was launched
    tally: bool = False  # "Всего … — 11", "a total of 5"
    item: bool = False  # opens a list item: "11 – над …", "three over the Kursk region"
    vague: bool = False  # "более десяти", "several", "dozens"


@dataclass
class Counts:
    total_destroyed: int | None = None
    destroyed_spans: list[tuple[int, int]] = field(default_factory=list)
    launched: int | None = None
    launched_spans: list[tuple[int, int]] = field(default_factory=list)
    destroy_counts: list[Count] = field(default_factory=list)
    vague: bool = False  # the total is stated vaguely ("более десяти", "dozens"): unknown, not a sum


def _object_after(doc: Doc, number: Number, limit: int) -> str | None:
    start = number.tok_end
    people = doc.covering("people")
    drone, missile, target = doc.covering("drone"), doc.covering("missile"), doc.covering("target")
    for k in range(start, min(start + _MAX_OBJECT_GAP, limit)):
        if k > start and not _COLON_SEMI.isdisjoint(doc.gap(k - 1)):
            break
        if k in people:
            return None  # "двое раненых": the number's noun is not an object
        if k in drone:
            return "drone"
        if k in missile:
            return "missile"
        if k in target:
            return "target"
        if k in doc.number_starts:
            return None  # another number comes first
    return None


def _is_people(doc: Doc, number: Number, limit: int) -> bool:
    people = doc.covering("people")
    drone, missile, target = doc.covering("drone"), doc.covering("missile"), doc.covering("target")
    for k in range(number.tok_end, min(number.tok_end + 3, limit)):
        if k in people:
            return True
        if k in drone or k in missile or k in target:
            return False
    if number.collective:
        return True
    prev = number.tok_start - 1
    return prev >= 0 and (
        prev in people
        or prev in doc.covering("injured_w")
        or prev in doc.covering("killed_w")
        or prev in doc.covering("victims_w")
    )


def _near(doc: Doc, concept: str, k: int, before: int, after: int) -> bool:
    """A tag of ``concept`` overlapping tokens ``[k - before, k + after]``."""
    if concept not in doc.by_concept:
        return False  # the usual case: the statement has no such word at all
    for t in doc.find(concept, max(0, k - before - _LONGEST_TAG), k + after + 1):  # noqa: SIM110 - hot path
        if t.j >= k - before:
            return True
    return False


_LONGEST_TAG = 6  # tokens in the longest lexicon pattern


def _is_item_start(doc: Doc, number: Number, limit: int) -> bool:
    """ "11 – над …", "2 – Брянской", "three over the Kursk region", "2 в районе …"."""
    gap = doc.gap(number.tok_end - 1)
    k = number.tok_end
    if k >= limit:
        return False
    if not _DASHES.isdisjoint(gap):
        return True
    word = doc.words[k]
    if word in _ITEM_PREP:
        return (
            any(p.tok_start in (k + 1, k + 2, k + 3) for p in doc.places)
            or doc.has("sea_words", k, k + 4)
            or (k + 1 < limit and doc.words[k + 1] in ("районе", "area", "территорией"))
        )
    return word in ("more", "more,")


def _lost(doc: Doc, n: Number) -> bool:
    """ "ще 9 локаційно втрачено", "28 were lost": the number's own clause says the objects were lost
    (and no destroy verb stands between: "79 were shot down and 28 were lost" keeps the 79)."""
    if not doc.has("lost"):
        return False
    _i, j = doc.clause(n.tok_start)
    lost = doc.find("lost", n.tok_end, j)
    return bool(lost) and not doc.has("destroy", n.tok_end, lost[0].i)


def sentence_counts(doc: Doc, s: Sentence) -> list[Count]:
    """The counts of one sentence, in order."""
    out: list[Count] = []
    for n in doc.numbers_in(s.i, s.j):
        if n.context is not None:
            continue
        if n.tok_end < s.j and doc.words[n.tok_end] in _OF and n.value == 1:
            continue  # "одного из них", "one of the drones"
        if _lost(doc, n) or _near(doc, "hits", n.tok_start, 3, 0):
            continue  # "ще 9 локаційно втрачено", "влучання 12 ракет": not destroyed
        if _is_people(doc, n, s.j) or (n.tok_end < s.j and doc.covers("place_count", n.tok_end)):
            continue  # "двое раненых", "over 11 regions", "в 14 населених пунктах"
        obj = _object_after(doc, n, s.j)
        adjacent = _near(doc, "destroy", n.tok_start, 2, 2) or _near(doc, "repel_done", n.tok_start, 1, 1)
        item = _is_item_start(doc, n, s.j)
        nxt = doc.words[n.tok_end] if n.tok_end < s.j else ""
        after2 = doc.words[n.tok_end + 1] if n.tok_end + 1 < s.j else ""
        part = (nxt in _OF and after2 in _THEM) or _near(doc, "of_them", n.tok_start, 3, 0)
        tally = _near(doc, "tally", n.tok_start, 4, 0)
        prev = doc.words[n.tok_start - 1] if n.tok_start > s.i else ""
        of_launched = (
            prev in _OF
            and not part
            and (
                prev != "of"
                or (n.tok_start >= 2 and doc.words[n.tok_start - 2].isdigit())
                or n.tok_start - 2 in doc.number_starts
            )
        ) or (prev == "of" and n.tok_start >= 3 and doc.words[n.tok_start - 2] == "out")
        also = _near(doc, "also", n.tok_start, 2, 0) or nxt in ("more", "others")
        # "над Курской областью — ещё 3", "над Севастополем — 2": the list item's place comes first
        dash_item = not _LIST_DASHES.isdisjoint(doc.gap(n.tok_start - 1)) and bool(
            doc.places_in(s.i, n.tok_start)
        )
        if not (obj or adjacent or item or part or tally or of_launched or also or dash_item):
            continue
        item = item or dash_item
        out.append(
            Count(
                number=n,
                value=n.value if n.qualifier not in ("more_than", "less_than", "vague") else None,
                span=(n.start, n.end),
                tok=n.tok_start,
                end_tok=n.tok_end,
                sentence=s,
                obj=obj,
                also=also,
                part=part,
                of_launched=of_launched,
                tally=tally,
                item=item,
                vague=n.qualifier in ("more_than", "less_than", "vague") or n.value is None,
            )
        )
    if out:
        out.extend(_unnumbered_in_list(doc, s, out))
        out.sort(key=lambda c: c.tok)
    return out


def _singular_object(doc: Doc, tag) -> bool:
    """ "ракета HARM", "the Iskander-K", "a Kh-59": one object named without a numeral."""
    word = doc.words[tag.i]
    if doc.lang == "en":
        before = {doc.words[k] for k in range(max(0, tag.i - 2), tag.i)}
        return bool(before & {"a", "an", "the", "one"}) and not doc.words[tag.j - 1].endswith("s")
    return word in _SINGULAR.get(doc.lang, ())


def _unnumbered_in_list(doc: Doc, s: Sentence, counts: list[Count]) -> list[Count]:
    """ "4 бомбы JDAM, 3 снаряда HIMARS, ракета HARM, а также 112 БПЛА": a lone object in a list is one."""
    numbered: set[int] = set()
    objects = [t.i for t in doc.find("drone", s.i, s.j)]
    objects += [t.i for t in doc.find("missile", s.i, s.j)]
    objects += [t.i for t in doc.find("target", s.i, s.j)]
    objects.sort()
    for n in doc.numbers_in(s.i, s.j):  # a number owns its object nouns: "сім ударних БпЛА «Шахед»"
        own = n.tok_end
        for k in objects:
            if own <= k < own + (_MAX_OBJECT_GAP if own == n.tok_end else 2):
                own = k + 1
        numbered.update(range(n.tok_start, own + 1))
    extra = []
    for concept in ("drone", "missile"):
        for tag in doc.find(concept, s.i, s.j):
            if tag.i in numbered or not _singular_object(doc, tag):
                continue
            if not (counts[0].tok < tag.i) or any(doc.covers("people", k) for k in range(tag.i - 2, tag.i)):
                continue
            span = doc.span(tag.i, tag.j)
            extra.append(Count(None, 1, span, tag.i, tag.j, s, obj=concept))
    return extra


def _sentence_value(doc: Doc, counts: list[Count]) -> tuple[int | None, bool, list[Count]]:
    """(value, vague, the counts that make it) for the destroy counts of one sentence."""
    if not counts:
        return None, False, []
    tallies = [c for c in counts if c.tally]
    if tallies:
        c = tallies[-1]
        return c.value, c.vague, [c]
    head, rest = counts[0], counts[1:]
    if rest:
        colon = ":" in doc.text.norm[head.span[1] : rest[0].span[0]]
        parts = any(c.part for c in rest)
        known = [c.value for c in rest if c.value is not None]
        adds_up = len(known) == len(rest) and sum(known) == head.value
        if head.value is not None and (parts or colon or adds_up) and (parts or sum(known) <= head.value):
            return head.value, head.vague, [head]
    if any(c.vague for c in counts):
        return None, True, counts
    return sum(c.value for c in counts), False, counts


def _implicit_one(doc: Doc, s: Sentence) -> tuple[int, int] | None:
    """ "сбит беспилотник", "уничтожен один", "shot down a drone": one object without a numeral."""
    has_object = any(doc.has(c, s.i, s.j) for c in _OBJECTS)
    for tag in doc.find("destroy", s.i, s.j):
        word = doc.words[tag.j - 1]
        if has_object and doc.lang == "ru" and word.endswith(("ен", "ит", "ан", "ена", "ита", "ана")):
            return doc.span(tag.i, tag.j)
    for concept in _OBJECTS:
        for tag in doc.find(concept, s.i, s.j):
            word = doc.words[tag.i]
            before = doc.words[tag.i - 1] if tag.i > s.i else ""
            before2 = doc.words[tag.i - 2] if tag.i - 1 > s.i else ""
            if doc.lang == "en" and ("a" in (before, before2) or "an" in (before, before2)):
                return doc.span(tag.i, tag.j)
            if doc.lang in ("ru", "uk") and word in _SINGULAR[doc.lang]:
                return doc.span(tag.i, tag.j)
    return None


_SINGULAR = {
    "ru": frozenset({"беспилотник", "дрон", "ракета", "ракету", "шахед", "квадрокоптер", "коптер"}),
    "uk": frozenset({"безпілотник", "дрон", "ракета", "ракету", "шахед", "квадрокоптер"}),
}


def _launch_sentence(doc: Doc, s: Sentence) -> bool:
    return doc.has("launch", s.i, s.j) and not doc.has("hits", s.i, s.j)


def _detected_destroyed(doc: Doc, tag) -> bool:
    """ "обнаружены и уничтожены пять": detected-and-destroyed is destroyed (and launched, see below)."""
    return bool(doc.covers("detected", tag.i)) and _near(doc, "destroy", tag.i, 3, 3)


def _nearest_is_launch(doc: Doc, c: Count) -> bool:
    """In a sentence with both launch and destroy verbs: which one does this number belong to?

    Its own clause decides when only one of them is there ("attacked with 50 drones and 6 missiles;
    air defence destroyed 40"); otherwise the nearer verb.
    """
    i, j = doc.clause(c.tok)
    launch_here = any(not _detected_destroyed(doc, t) for t in doc.find("launch", i, j))
    destroy_here = doc.has("destroy", i, j) or doc.has("repel_done", i, j)
    if launch_here != destroy_here:
        return launch_here

    def dist(concept: str) -> int:
        tags = doc.find(concept, c.sentence.i, c.sentence.j)
        if concept == "launch":
            tags = [t for t in tags if not _detected_destroyed(doc, t)]
        return min((abs(t.i - c.tok) if t.i >= c.tok else c.tok - t.j + 1 for t in tags), default=10_000)

    return dist("launch") < min(dist("destroy"), dist("repel_done"))


def count(doc: Doc, roles: Roles) -> Counts:
    """Total destroyed and launched for the statement."""
    result = Counts()
    launched: list[Count] = []
    total: int | None = None
    vague_total = False
    first = True
    destroy_idx = {s.index for s in roles.destroy_sents}
    prev_role = None
    for s in doc.sentences:
        is_destroy = s.index in destroy_idx
        if not (is_destroy or doc.has("launch", s.i, s.j) or doc.has("tally", s.i, s.j)):
            if s in roles.attack_sents:
                prev_role = "launch"
            continue  # no counts of the attack's objects can stand here; don't look for them
        counts = sentence_counts(doc, s)
        if not is_destroy:
            tallies = [c for c in counts if c.tally]
            if prev_role == "destroy" and tallies and not _launch_sentence(doc, s):
                counts, is_destroy = tallies, True
            else:
                if _launch_sentence(doc, s) or (prev_role == "launch" and tallies):
                    launched.extend(c for c in counts if c.obj)
                    prev_role = "launch"
                elif s in roles.attack_sents:
                    prev_role = "launch"
                continue
        destroy_counts = []
        for c in counts:
            if c.of_launched or (_launch_sentence(doc, s) and not c.part and _nearest_is_launch(doc, c)):
                launched.append(c)
            else:
                destroy_counts.append(c)
        prev_role = "destroy"
        value, vague, used = _sentence_value(doc, destroy_counts)
        if not destroy_counts:
            one = _implicit_one(doc, s) if first and not vague_total else None
            if one:
                total, first = 1, False
                result.destroyed_spans = [one]
            continue
        result.destroy_counts.extend(destroy_counts)
        if vague and not _any_tally(used):
            if first:  # a vague head ("более десяти", "dozens"); a later vague part changes nothing
                vague_total, total, first = True, None, False
            continue
        if vague_total and not _any_tally(used):
            continue  # "свыше 30 … больше всего — 12 — над Брянской": a part of an unknown total
        spans = [c.span for c in used]
        if first or total is None:
            total, first = value, False
            result.destroyed_spans = spans
        elif _any_tally(used):
            total = value
            result.destroyed_spans = spans
            vague_total = False
        elif any(c.also for c in used) and value is not None:
            total += value
            result.destroyed_spans += spans
        elif value is not None and value != total:
            known = [c.value for c in destroy_counts if c.value is not None]
            if sum(known) != total and value > total:
                total = value
                result.destroyed_spans = spans
        # detected and destroyed: "обнаружены и уничтожены пять" → launched five as well
        if (
            value is not None
            and doc.has("detected")
            and any(_near(doc, "detected", t.i, 2, 2) for t in doc.find("destroy", s.i, s.j))
        ):
            launched.append(Count(None, value, spans[0], used[0].tok, used[0].end_tok, s, obj="drone"))
    if vague_total and not _any_tally(result.destroy_counts):
        total = None
        result.destroyed_spans = []
    result.total_destroyed = total
    result.vague = vague_total
    result.launched, result.launched_spans = _launched(launched)
    return result


def _any_tally(counts: list[Count]) -> bool:
    for c in counts:  # noqa: SIM110 - a loop: cheaper than any() over a generator
        if c.tally:
            return True
    return False


def _launched(candidates: list[Count]) -> tuple[int | None, list[tuple[int, int]]]:
    """Launched: per sentence the figures add up by object type (a head with its breakdown counts once);
    across sentences each type takes its largest figure, since the same drones get mentioned twice
    ("Всього виявлено 14 … збито 9 з 14"). Drones and missiles are then summed.
    """
    cands = [c for c in candidates if c.value is not None]
    if not cands:
        return None, []
    for i, head in enumerate(cands):  # "412 засобів …, з них 376 БпЛА і 36 ракет": the head only
        rest = [c for c in cands[i + 1 :] if c.sentence is head.sentence]
        if len(rest) >= 2 and sum(c.value for c in rest) == head.value:
            cands = [c for c in cands if c not in rest]
            break
    best: dict[str, tuple[int, list[tuple[int, int]]]] = {}
    sentences: dict[int, dict[str, tuple[int, list[tuple[int, int]]]]] = {}
    for c in cands:
        per_type = sentences.setdefault(c.sentence.index, {})
        value, spans = per_type.get(c.obj or "target", (0, []))
        per_type[c.obj or "target"] = (value + c.value, [*spans, c.span])
    for per_type in sentences.values():
        for key, (value, spans) in per_type.items():
            if key not in best or value > best[key][0]:
                best[key] = (value, spans)
    target = best.get("target")
    others = sum(v for k, (v, _) in best.items() if k != "target")
    if target and len(best) > 1 and target[0] >= others:
        return target  # "242 засоби повітряного нападу" covers the drones and missiles listed under it
    return sum(v for v, _ in best.values()), [span for _, spans in best.values() for span in spans]
