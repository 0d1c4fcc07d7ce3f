"""Claims → incidents (``tocsin.merge``): grouping, consensus, disagreements, precision, incrementality."""

from __future__ import annotations

import importlib.util
import random
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.domain import Authority, Claim, Interceptor, Kind, Period, RegionCount, Weapon
from tocsin.merge import MAX_SPAN, TOLERANCE, ClaimInput, attach, claim_window, merge

MSK = ZoneInfo("Europe/Moscow")
KYIV = ZoneInfo("Europe/Kyiv")
REPO = Path(__file__).resolve().parent.parent
DEVSET = REPO.parent / "shared" / "devset" / "statements.jsonl"


def at(day: str, hm: str = "12:00", tz=MSK) -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=tz)


def claim(regions: dict[str, int | None], *, kind=Kind.INTERCEPTION, total=None, period=None, start=None,
          end=None, lang="ru", **kw) -> Claim:
    return Claim(
        kind=kind,
        weapon=kw.pop("weapon", Weapon.UAV),
        total_destroyed=total,
        per_region=[RegionCount(iso, n) for iso, n in regions.items()],
        period=Period(period, start, end),
        lang=lang,
        **kw,
    )


def ci(cid, c: Claim, source: str, authority: Authority, published: datetime, text=None) -> ClaimInput:
    return ClaimInput(cid, c, source, authority, published, text)


R, F, M = Authority.REGIONAL, Authority.FEDERAL, Authority.MEDIA


# --- one night: the MoD's multi-region bulletin, the governor, the wire ---

def night_claims() -> list[ClaimInput]:
    mod = ci("mod", claim({"RU-SMO": 27, "RU-BRY": 8}, total=35, period="В течение прошедшей ночи",
                          interceptors=[Interceptor.AIR_DEFENSE]),
             "Минобороны", F, at("2024-09-01", "09:00"))
    gov = ci("gov", claim({"RU-SMO": 28}, total=28, period="Минувшей ночью", killed=0, injured=0,
                          infrastructure_damage=False, debris_fell=True,
                          interceptors=[Interceptor.ELECTRONIC_WARFARE]),
             "governor", R, at("2024-09-01", "07:12"),
             "Минувшей ночью над Смоленщиной уничтожены 28 беспилотников. Обломки упали в Ярцево.")
    wire = ci("wire", claim({"RU-SMO": 27}, total=35, period="overnight", lang="en", injured=0),
              "wire", M, at("2024-09-01", "10:30"))
    return [mod, gov, wire]


def by_iso(drafts):
    out = {}
    for d in drafts:
        out.setdefault(d.iso, []).append(d)
    return out


def test_multi_region_bulletin_governor_and_wire_make_one_incident_per_region():
    drafts = by_iso(merge(night_claims()))
    assert set(drafts) == {"RU-SMO", "RU-BRY"}
    (smo,), (bry,) = drafts["RU-SMO"], drafts["RU-BRY"]
    assert sorted(smo.claim_ids) == ["gov", "mod", "wire"]
    assert bry.claim_ids == ["mod"]
    # the governor's figure for the region beats the MoD's list entry for that region
    assert smo.consensus["destroyed"] == {"value": 28, "source": "governor", "claim_id": "gov",
                                          "lower_bound": False}
    # the region's figure comes from its per_region entry, never the bulletin's national total
    assert bry.consensus["destroyed"]["value"] == 8
    assert bry.consensus["total_destroyed"]["value"] == 35
    assert smo.consensus["interceptors"]["value"] == ["air_defense", "electronic_warfare"]
    assert smo.consensus["killed"]["value"] == 0 and smo.consensus["injured"]["source"] == "governor"
    assert smo.window_start == at("2024-08-31", "18:00")
    assert smo.key == "RU-SMO:2024-08-31T18"
    assert smo.time_precision == 1
    assert smo.geo_precision == 1  # Ярцево is named
    assert bry.geo_precision == 3
    (d,) = [x for x in smo.disagreements if x["field"] == "destroyed"]
    assert d["line"] == "destroyed: 28 (governor) vs 27 (Минобороны) vs 27 (wire)"
    assert {(v["source"], v["value"]) for v in d["values"]} == {("governor", 28), ("Минобороны", 27),
                                                               ("wire", 27)}
    # the MoD's 35 over two regions does not contradict the governor's regional 28; the wire's 35 is not
    # closed either (its region list does not add up to it)
    assert not [x for x in smo.disagreements if x["field"] == "total_destroyed"]
    assert smo.consensus["total_destroyed"]["lower_bound"] is True  # others state a larger total


def test_authority_tie_goes_to_the_latest_published():
    a = ci("a", claim({"RU-KRS": 5}), "gov-post", R, at("2025-01-01", "03:00"))
    b = ci("b", claim({"RU-KRS": 7}), "hq", R, at("2025-01-01", "04:00"))
    (inc,) = merge([a, b])
    assert inc.consensus["destroyed"]["claim_id"] == "b"
    assert inc.disagreements[0]["line"] == "destroyed: 7 (hq) vs 5 (gov-post)"


def test_vague_overnight_morning_posts_join_the_mods_clock_window():
    mod = ci("mod", claim({"RU-KRS": 19, "RU-BRY": 9}, start="2024-11-25T20:00:00+03:00",
                          end="2024-11-26T07:00:00+03:00"), "Минобороны", F, at("2024-11-26", "08:00"))
    gov = ci("gov", claim({"RU-KRS": 19}, period="Ночью"), "gov", R, at("2024-11-26", "08:40"))
    ua_style = ci("bry", claim({"RU-BRY": 9}, period="в ночь на 26 ноября"), "bry", R,
                  at("2024-11-26", "09:10"))
    next_night = ci("gov2", claim({"RU-KRS": 4}, period="Ночью"), "gov", R, at("2024-11-27", "07:30"))
    drafts = by_iso(merge([mod, gov, ua_style, next_night]))
    first, second = drafts["RU-KRS"]
    assert sorted(first.claim_ids) == ["gov", "mod"] and second.claim_ids == ["gov2"]
    assert sorted(drafts["RU-BRY"][0].claim_ids) == ["bry", "mod"]
    assert first.consensus["destroyed"]["value"] == 19 and not first.disagreements
    assert first.time_precision == 1


def test_windows_from_period_words():
    def w(period, pub, iso="RU-SMO", **kw):
        return claim_window(ci("x", claim({iso: 1}, period=period, **kw), "s", R, pub), iso)

    pub = at("2025-06-14", "14:37")
    assert w("Сегодня днём", pub)[:2] == (at("2025-06-14", "06:00"), at("2025-06-14", "20:00"))
    assert w("за минувшие сутки", pub)[:2] == (pub - timedelta(hours=24), pub)
    assert w(None, pub)[:2] == (pub - timedelta(hours=6), pub)
    # a night word in an afternoon post: the night before, with an ambiguous day
    assert w("ночью", pub) == (at("2025-06-13", "18:00"), at("2025-06-14", "08:00"), 2)
    # Kyiv local time for UA-*
    kpub = at("2025-01-31", "07:25", KYIV)
    assert w("Вночі", kpub, iso="UA-51")[:2] == (at("2025-01-30", "18:00", KYIV), kpub)
    assert w("вчера вечером", pub)[:2] == (at("2025-06-13", "17:00"), at("2025-06-14", "00:00"))
    # a pinned instant (an all-clear at 05:40)
    pinned = w("в 05:40", pub, start="2024-09-01T05:40:00+03:00", end="2024-09-01T05:40:00+03:00")
    assert pinned[0] == pinned[1] == at("2024-09-01", "05:40")


def test_tolerance_joins_near_windows_but_not_far_ones():
    noon = at("2025-02-07", "12:00")  # window 06:00–12:00
    alert = ci("alert", claim({"RU-SMO": None}, kind=Kind.ATTACK_NO_OUTCOME), "gov", R, noon)
    near = ci("near", claim({"RU-SMO": 2}), "gov", R, noon + TOLERANCE + timedelta(hours=5))  # starts 13:00
    far = ci("far", claim({"RU-SMO": 3}), "gov", R, noon + TOLERANCE + timedelta(hours=7))  # starts 15:00
    assert [d.claim_ids for d in merge([alert, near])] == [["alert", "near"]]
    assert [d.claim_ids for d in merge([alert, far])] == [["alert"], ["far"]]


def test_transitive_joining():
    a = ci("a", claim({"RU-TUL": 1}), "s", R, at("2025-05-10", "20:00"))  # 14:00–20:00
    b = ci("b", claim({"RU-TUL": 1}), "s", R, at("2025-05-11", "01:00"))  # 19:00–01:00
    c = ci("c", claim({"RU-TUL": 1}), "s", R, at("2025-05-11", "06:30"))  # 00:30–06:30
    (inc,) = merge([c, a, b])
    assert inc.claim_ids == ["a", "b", "c"]
    assert inc.window_start == at("2025-05-10", "14:00") and inc.window_end == at("2025-05-11", "06:30")


# --- nulls, running tallies, lower bounds -------------------------------------------------------------------

def test_nulls_never_become_zero_and_never_disagree():
    a = ci("a", claim({"RU-BEL": None}, killed=0, injured=0), "gov", R, at("2024-05-17", "08:00"))  # 0/0
    b = ci("b", claim({"RU-BEL": None}, injured=0), "agency", M, at("2024-05-17", "09:00"))
    (inc,) = merge([a, b])
    unknown = {"value": None, "source": None, "claim_id": None, "lower_bound": False}
    assert inc.consensus["destroyed"] == unknown
    assert inc.consensus["fire"]["value"] is None
    assert inc.consensus["launched"]["value"] is None
    assert inc.consensus["killed"]["value"] == 0
    assert inc.disagreements == []
    (only_b,) = merge([b])
    assert only_b.consensus["killed"]["value"] is None  # "no injuries" says nothing about deaths


def test_running_tally_from_one_source_is_not_a_disagreement():
    first = ci("p1", claim({"RU-MOW": 2}), "mayor", R, at("2024-11-10", "02:14"))
    later = ci("p2", claim({"RU-MOW": 11}, period="с начала ночи"), "mayor", R, at("2024-11-10", "04:47"))
    (inc,) = merge([later, first])
    assert inc.consensus["destroyed"]["value"] == 11
    assert inc.disagreements == []
    assert inc.lower_bound_fields == []


def test_lower_bound_when_an_undisclosed_count_is_not_covered():
    mod = ci("mod", claim({"RU-VOR": None, "RU-BEL": 9}, total=30, period="В течение прошедшей ночи"),
             "Минобороны", F, at("2024-07-22", "09:00"))
    gov = ci("gov", claim({"RU-VOR": 5}), "gov", R, at("2024-07-22", "03:00"))  # a tally at 03:00
    inc = by_iso(merge([mod, gov]))["RU-VOR"][0]
    assert inc.consensus["destroyed"] == {"value": 5, "source": "gov", "claim_id": "gov", "lower_bound": True}
    assert "destroyed" in inc.lower_bound_fields
    # the governor's morning summary covers the whole night: not a lower bound
    summary = ci("gov2", claim({"RU-VOR": 12}, period="Ночью"), "gov", R, at("2024-07-22", "08:00"))
    inc = by_iso(merge([mod, gov, summary]))["RU-VOR"][0]
    assert inc.consensus["destroyed"]["value"] == 12
    assert inc.consensus["destroyed"]["lower_bound"] is False
    assert inc.disagreements == []  # 5 then 12 from one source is a running tally


# --- scope: what is merged and where ---

def test_not_incident_and_regionless_claims():
    neg = ci("neg", claim({}, kind=Kind.NOT_INCIDENT, weapon=None), "x", Authority.OTHER, at("2025-01-01"))
    en = ci("en", claim({}, total=355, lang="en"), "wire", M, at("2025-10-05"))
    ua = ci("ua", claim({}, total=355, launched=412, lang="uk", period="У ніч на 5 жовтня"), "Air Force", F,
            at("2025-10-05", "10:00", KYIV))
    (nat,) = merge([neg, en, ua])
    assert nat.iso == "UA" and nat.claim_ids == ["ua"] and nat.key == "UA:2025-10-04T18"
    assert nat.consensus["launched"]["value"] == 412


def test_city_claims_join_the_enclosing_region_as_context():
    mayor = ci("mayor", claim({"RU-MOW": 11}, killed=0), "mayor", R, at("2024-11-10", "04:47"))
    mod = ci("mod", claim({"RU-MOS": 11, "RU-BRY": 14}, total=38, period="В течение прошедшей ночи"),
             "Минобороны", F, at("2024-11-10", "09:00"))
    drafts = by_iso(merge([mayor, mod]))
    mos, mow = drafts["RU-MOS"][0], drafts["RU-MOW"][0]
    assert sorted(mos.claim_ids) == ["mayor", "mod"] and mow.claim_ids == ["mayor"]
    assert mos.consensus["destroyed"]["claim_id"] == "mod"
    assert mos.consensus["killed"]["value"] is None  # the mayor speaks for the city, not the oblast
    assert mow.geo_precision == 1
    # an oblast incident of city claims only is not made, but the city claim joins it when the oblast's does
    assert {d.iso for d in merge([mayor])} == {"RU-MOW"}
    assert attach(merge([mayor]), [mod]) == merge([mayor, mod])
    assert sorted(by_iso(attach(merge([mayor]), [mod]))["RU-MOS"][0].claim_ids) == ["mayor", "mod"]


def test_naive_published_is_rejected():
    bad = ci("x", claim({"RU-SMO": 1}), "s", R, datetime(2025, 1, 1, 8, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        merge([bad])


# --- determinism, idempotency, incrementality ---

def many_claims() -> list[ClaimInput]:
    rng = random.Random(7)
    regions = ["RU-SMO", "RU-BRY", "RU-KRS", "RU-MOW", "RU-MOS", "UA-30", "UA-32"]
    periods = [None, "Ночью", "Сегодня днём", "за минувшие сутки", "overnight"]
    out = list(night_claims())
    base = at("2025-03-01", "00:00")
    for i in range(40):
        isos = rng.sample(regions, rng.choice([1, 1, 2, 3]))
        pub = base + timedelta(hours=rng.randrange(0, 24 * 4))
        kind = rng.choice([Kind.INTERCEPTION, Kind.ATTACK_NO_OUTCOME])
        c = claim({iso: rng.choice([None, 1, 2, 3]) for iso in isos}, period=rng.choice(periods),
                  killed=rng.choice([None, 0, 1]), kind=kind)
        source = rng.choice(["gov", "mod", "wire", "agency"])
        out.append(ci(f"c{i:02d}", c, source, rng.choice([R, F, M]), pub))
    return out


def test_merge_is_idempotent_and_order_free():
    claims = many_claims()
    once = merge(claims)
    assert merge(claims) == once
    assert merge(list(reversed(claims))) == once
    assert merge(claims + claims) == once  # the same claim twice changes nothing
    assert len({d.key for d in once}) == len(once)
    assert attach(once, claims[:5]) == once  # re-attaching known claims changes nothing


@settings(max_examples=60, deadline=None)
@given(st.permutations(list(range(len(many_claims())))), st.lists(st.integers(1, 8), min_size=1, max_size=12))
def test_incremental_attach_equals_full_merge(order, batch_sizes):
    claims = many_claims()
    shuffled = [claims[i] for i in order]
    drafts: list = []
    i = 0
    sizes = iter(batch_sizes * len(shuffled))
    while i < len(shuffled):
        n = next(sizes)
        drafts = attach(drafts, shuffled[i:i + n])
        i += n
    full = merge(claims)
    assert drafts == full
    assert [d.claim_ids for d in drafts] == [d.claim_ids for d in full]


def test_attach_replaces_an_edited_claim_by_id():
    claims = night_claims()
    drafts = merge(claims)
    edited = ci("gov", claim({"RU-BRY": 3}, period="Ночью"), "governor", R, at("2024-09-01", "07:30"))
    assert attach(drafts, [edited]) == merge([*claims[:1], edited, claims[2]])


# --- the dev set's event groups ---

@pytest.mark.skipif(not DEVSET.exists(), reason="dev set not present")
def test_devset_event_groups_pairwise_precision_and_recall():
    spec = importlib.util.spec_from_file_location("merge_groups", REPO / "bench" / "merge_groups.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    r = mod.score(DEVSET)
    assert r["gold_pairs"] == 97
    assert r["precision"] >= 0.95, r
    assert r["recall"] >= 0.95, r


# --- long chains: an incident stays one event (at most MAX_SPAN) ---

def every_six_hours(days: int = 7, iso: str = "RU-BEL") -> list[ClaimInput]:
    """A region that reports every 6 hours, night and day: each post's window (the 6 h before it) touches the
    next one, so the near-relation chains the whole week."""
    start = at("2025-03-01", "00:00")
    return [ci(f"p{i:02d}", claim({iso: 1}), "gov", R, start + timedelta(hours=6 * i))
            for i in range(days * 4)]


def test_a_region_reporting_every_six_hours_for_a_week_is_not_one_incident():
    claims = every_six_hours()
    drafts = merge(claims)
    assert len(drafts) > 1
    assert len(drafts) >= 7  # at least one incident per day of the week
    assert all(d.window_end - d.window_start <= MAX_SPAN for d in drafts)
    members = [c for d in drafts for c in d.claim_ids]
    assert sorted(members) == sorted(c.claim_id for c in claims)  # every post in exactly one incident
    assert len({d.key for d in drafts}) == len(drafts)
    assert len({d.chain for d in drafts}) == 1  # one chain, cut into day-sized incidents
    # the cuts do not depend on the order the posts arrive in
    assert merge(list(reversed(claims))) == drafts
    shuffled = list(claims)
    random.Random(3).shuffle(shuffled)
    incremental: list = []
    for i in range(0, len(shuffled), 5):
        incremental = attach(incremental, shuffled[i : i + 5])
    assert incremental == drafts


def test_one_night_with_alerts_and_the_morning_summary_stays_one_incident():
    alert = claim({"RU-BEL": None}, kind=Kind.ATTACK_NO_OUTCOME)
    day = "за минувшие сутки"
    night = [
        ci("alert", alert, "gov", R, at("2025-03-01", "22:10")),
        ci("again", alert, "gov", R, at("2025-03-02", "01:30")),
        ci("summary", claim({"RU-BEL": 12}, period="Ночью"), "gov", R, at("2025-03-02", "08:00")),
        ci("mod", claim({"RU-BEL": 11}, period=day), "Минобороны", F, at("2025-03-02", "09:00")),
        ci("follow", claim({"RU-BEL": None}, debris_fell=True), "gov", R, at("2025-03-02", "13:00")),
    ]
    (inc,) = merge(night)
    assert sorted(inc.claim_ids) == ["again", "alert", "follow", "mod", "summary"]
    # the MoD's day-long window widens the incident but does not stretch the 24 h of the precise windows:
    # the alert at 16:10 to the follow-up at 13:00 is 20 h 50 min
    assert (inc.window_start, inc.window_end) == (at("2025-03-01", "09:00"), at("2025-03-02", "13:00"))
    # the next day's summary starts the next incident, with that night's alert
    next_day = [
        ci("mod2", claim({"RU-BEL": 3}, period=day), "Минобороны", F, at("2025-03-03", "09:00")),
        ci("alert2", alert, "gov", R, at("2025-03-02", "23:00")),
    ]
    first, second = merge(night + next_day)
    assert first == inc and sorted(second.claim_ids) == ["alert2", "mod2"]


def test_daily_summaries_alone_are_one_incident_a_day():
    days = [
        ci(f"d{i}", claim({"UA-63": i}, period="in the past 24 hours", lang="en"), "agency", M,
           at("2025-03-02", "09:00", KYIV) + timedelta(days=i))
        for i in range(5)
    ]
    drafts = merge(days)
    assert [d.claim_ids for d in drafts] == [[f"d{i}"] for i in range(5)]
    assert len({d.chain for d in drafts}) == 1  # the windows touch: one chain, cut every day


def test_a_window_longer_than_a_day_joins_no_incident():
    week = ci("week", claim({"RU-KRS": 50}, start="2025-03-01T00:00:00+03:00",
                            end="2025-03-07T23:59:00+03:00"), "Минобороны", F, at("2025-03-08", "10:00"))
    day = ci("day", claim({"RU-KRS": 5}, period="за минувшие сутки"), "gov", R, at("2025-03-05", "10:00"))
    assert [d.claim_ids for d in merge([week, day])] == [["day"]]
    assert merge([week]) == []
    # an end pinned alone, days away from the post, is not trusted either
    pub = at("2025-03-05", "10:00")
    stale = ci("stale", claim({"RU-KRS": 1}, end="2025-02-01T05:00:00+03:00"), "gov", R, pub)
    fresh = ci("fresh", claim({"RU-KRS": 1}, end="2025-03-05T05:00:00+03:00"), "gov", R, pub)
    assert [d.claim_ids for d in merge([stale, fresh])] == [["fresh"]]
    assert claim_window(fresh, "RU-KRS")[:2] == (at("2025-03-04", "23:00"), at("2025-03-05", "05:00"))


def test_a_cut_starting_in_the_same_hour_gets_a_distinct_key():
    def pinned(cid, start, end):
        return ci(cid, claim({"RU-ORL": 1}, start=start, end=end), "gov", R, at("2025-03-03", "12:00"))

    a = pinned("a", "2025-03-01T10:00:00+03:00", "2025-03-02T10:00:00+03:00")  # 24 h
    b = pinned("b", "2025-03-01T10:40:00+03:00", "2025-03-02T10:40:00+03:00")  # would make 24 h 40 min
    first, second = merge([b, a])
    assert (first.claim_ids, second.claim_ids) == (["a"], ["b"])
    assert (first.key, second.key) == ("RU-ORL:2025-03-01T10", "RU-ORL:2025-03-01T10~2")
    assert merge([a, b]) == [first, second]
