"""``tocsin.incidents.refresh``: stored claims → stored incidents, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from tocsin.domain import Authority
from tocsin.incidents import RefreshResult, refresh, refresh_all
from tocsin.store.models import Event, Incident, IncidentClaim

from .helpers import at, count, full_merge_state, merge_events, post, state

R, F, M = Authority.REGIONAL, Authority.FEDERAL, Authority.MEDIA

GOV = "За прошедшую ночь над территорией Смоленской области сбиты девять БПЛА. Пострадавших нет."
MOD = (
    "В течение прошедшей ночи дежурными средствами ПВО перехвачены и уничтожены 20 украинских беспилотных "
    "летательных аппаратов: 11 – над территорией Смоленской области, 9 – над территорией Брянской области."
)
WIRE = (
    "Russia's defence ministry said on Saturday its air defences downed 20 Ukrainian drones overnight, "
    "including 11 over the Smolensk region."
)
BRY = "Ночью над Брянской областью уничтожены три беспилотника. Обломки упали в Клинцах, пострадавших нет."
KURSK = "Над Курской областью уничтожены два беспилотника."

# Belgorod: two nights and the day between them. Each window is near the next, but the chain spans 37 h:
# it is cut into three incidents of at most 24 h (merge.MAX_SPAN), never one long one.
BEL_NIGHT1 = "Ночью над Белгородской областью сбиты четыре беспилотника."
BEL_DAY = "Днём над Белгородской областью сбиты два беспилотника."
BEL_NIGHT2 = "Ночью над Белгородской областью сбиты пять беспилотников."
# A morning and an evening post (no period words: the 6 h before each) 4 h apart; the day's post bridges them.
BEL_MORNING = "Над Белгородской областью сбиты четыре беспилотника."
BEL_EVENING = "Над Белгородской областью сбиты пять беспилотников."

STATEMENTS = [
    ("governor_smo", R, "g1", GOV, at("2025-09-06 07:15")),
    ("mod", F, "m1", MOD, at("2025-09-06 08:00")),
    ("wire", M, "w1", WIRE, at("2025-09-06 10:30")),
    ("governor_bry", R, "b1", BRY, at("2025-09-06 07:40")),
    ("governor_bel", R, "n1", BEL_NIGHT1, at("2025-09-06 07:00")),
    ("governor_bel", R, "d1", BEL_DAY, at("2025-09-06 21:00")),
    ("governor_bel", R, "n2", BEL_NIGHT2, at("2025-09-07 07:00")),
    ("governor_krs", R, "k1", KURSK, at("2025-09-10 12:00")),
]


def load(session, statements=STATEMENTS) -> list[int]:
    ids = []
    for source, authority, ext, text, published in statements:
        row = post(session, source, authority, ext, text, published)
        if row is not None:
            ids.append(row.id)
    return ids


def test_refresh_creates_incidents_with_consensus_and_disagreements(session):
    ids = load(session)
    result = refresh(session, ids)
    session.commit()
    assert (result.created, result.updated, result.deleted) == (6, 0, 0)
    incidents = {i.iso: i for i in session.scalars(select(Incident).where(Incident.deleted_at.is_(None)))}
    assert set(incidents) == {"RU-SMO", "RU-BRY", "RU-BEL", "RU-KRS"}
    smo = incidents["RU-SMO"]
    assert len(smo.claims) == 3
    # the governor (regional) beats the MoD for the regional figure; the disagreement is kept
    assert smo.consensus["destroyed"]["value"] == 9
    assert smo.consensus["destroyed"]["source"] == "governor_smo"
    assert smo.consensus["killed"]["value"] == 0 and smo.consensus["injured"]["value"] == 0
    assert smo.consensus["fire"]["value"] is None  # nobody said: null, not false
    assert any(d["field"] == "destroyed" for d in smo.disagreements)
    assert smo.window_start.utcoffset().total_seconds() == 0
    bry = incidents["RU-BRY"]
    assert bry.consensus["destroyed"]["value"] == 3 and bry.consensus["debris_fell"]["value"] is True
    bel = session.scalars(
        select(Incident).where(Incident.iso == "RU-BEL").order_by(Incident.window_start)
    ).all()
    assert [i.consensus["destroyed"]["value"] for i in bel] == [4, 2, 5]  # night, day, night: three events
    assert all(i.window_end - i.window_start <= timedelta(hours=24) for i in bel)
    assert incidents["RU-KRS"].consensus["killed"]["value"] is None
    assert merge_events(session) == 6
    ev = session.scalars(select(Event).where(Event.entity_id == str(smo.id))).one()
    assert (ev.actor, ev.action, ev.entity, ev.before) == ("merge", "create", "incident", None)
    assert ev.after["values"]["destroyed"] == 9 and len(ev.after["claim_ids"]) == 3
    assert state(session) == full_merge_state(session)


def test_refresh_is_idempotent(session):
    ids = load(session)
    refresh(session, ids)
    session.commit()
    before = {i.id: i.updated_at for i in session.scalars(select(Incident))}
    events = merge_events(session)
    assert refresh(session, ids) == RefreshResult()
    assert refresh(session, ids[:3]) == RefreshResult()
    assert refresh_all(session) == RefreshResult()
    session.commit()
    assert merge_events(session) == events
    assert {i.id: i.updated_at for i in session.scalars(select(Incident))} == before


def test_refresh_of_nothing(session):
    assert refresh(session, []) == RefreshResult()
    assert refresh_all(session) == RefreshResult()


def _batches(items: list, rng: random.Random) -> list[list]:
    out, i = [], 0
    while i < len(items):
        n = rng.randint(1, 3)
        out.append(items[i : i + n])
        i += n
    return out


def test_incremental_arrival_in_any_order_gives_the_same_incidents(session):
    load(session)
    refresh_all(session)
    expected = state(session)
    assert expected == full_merge_state(session)
    session.rollback()
    rng = random.Random(20250906)
    orders = [list(STATEMENTS), list(reversed(STATEMENTS))]
    for _ in range(4):
        order = list(STATEMENTS)
        rng.shuffle(order)
        orders.append(order)
    for order in orders:
        nested = session.begin_nested()
        for batch in _batches(order, rng):
            refresh(session, load(session, batch))
        assert state(session) == expected, [s[2] for s in order]
        # the incremental result is what a full rebuild gives: nothing to change
        assert refresh_all(session) == RefreshResult()
        nested.rollback()


def test_claim_bridging_two_incidents_merges_them_and_soft_deletes_one(session):
    n1 = post(session, "governor_bel", R, "n1", BEL_MORNING, at("2025-09-06 12:00"))  # 06:00–12:00
    n2 = post(session, "governor_bel", R, "n2", BEL_EVENING, at("2025-09-06 22:00"))  # 16:00–22:00
    refresh(session, [n1.id, n2.id])
    session.commit()
    first, second = session.scalars(select(Incident).order_by(Incident.id)).all()
    assert first.consensus["destroyed"]["value"] == 4
    day = post(session, "governor_bel", R, "d1", BEL_DAY, at("2025-09-06 21:00"))
    result = refresh(session, [day.id])
    session.commit()
    assert (result.created, result.updated, result.deleted) == (0, 1, 1)
    session.refresh(first)
    session.refresh(second)
    # ties on shared claims keep the older incident; the other is soft-deleted, its links removed
    assert first.deleted_at is None and second.deleted_at is not None
    assert {c.claim_id for c in first.claims} == {n1.id, n2.id, day.id}
    assert count(session, IncidentClaim, IncidentClaim.incident_id == second.id) == 0
    actions = [e.action for e in session.scalars(select(Event).order_by(Event.id))]
    assert actions == ["create", "create", "update", "delete"]
    deleted = session.scalars(select(Event).where(Event.action == "delete")).one()
    assert deleted.before["claim_ids"] == [n2.id] and deleted.after is None
    assert state(session) == full_merge_state(session)


def test_edited_message_moves_its_claim_out(session):
    ids = load(session, STATEMENTS[:3])
    refresh(session, ids)
    session.commit()
    smo = session.scalars(select(Incident).where(Incident.iso == "RU-SMO")).one()
    assert smo.consensus["destroyed"]["value"] == 9
    # the governor edits the post: it was about Kursk, not Smolensk
    edited = post(
        session, "governor_smo", R, "g1", GOV.replace("Смоленской", "Курской"), at("2025-09-06 07:15")
    )
    result = refresh(session, [edited.id])
    session.commit()
    assert (result.created, result.updated, result.deleted) == (1, 1, 0)
    session.refresh(smo)
    assert edited.id not in {c.claim_id for c in smo.claims} and len(smo.claims) == 2
    assert ids[0] not in {c.claim_id for c in smo.claims}  # the superseded claim left
    assert smo.consensus["destroyed"]["value"] == 11 and smo.consensus["destroyed"]["source"] == "mod"
    krs = session.scalars(select(Incident).where(Incident.iso == "RU-KRS")).one()
    assert [c.claim_id for c in krs.claims] == [edited.id]
    assert state(session) == full_merge_state(session)
    assert refresh(session, [edited.id, ids[0]]) == RefreshResult()


def test_edit_that_leaves_an_incident_empty_soft_deletes_it(session):
    row = post(session, "governor_krs", R, "k1", KURSK, at("2025-09-10 12:00"))
    refresh(session, [row.id])
    session.commit()
    inc = session.scalars(select(Incident)).one()
    edited = post(
        session, "governor_krs", R, "k1", "Завтра в школах Курска отменены занятия.", at("2025-09-10 12:00")
    )
    result = refresh(session, [edited.id])
    session.commit()
    assert (result.created, result.updated, result.deleted) == (0, 0, 1)
    session.refresh(inc)
    assert inc.deleted_at is not None and inc.updated_at == inc.deleted_at
    assert count(session, IncidentClaim) == 0
    assert state(session) == [] == full_merge_state(session)
    assert refresh_all(session) == RefreshResult()


def test_refresh_all_rebuilds_and_repairs(session):
    ids = load(session)
    refresh(session, ids)
    session.commit()
    expected = state(session)
    # damage the stored state: drop a link and delete an incident's links entirely
    smo = session.scalars(select(Incident).where(Incident.iso == "RU-SMO")).one()
    session.delete(smo.claims[0])
    session.commit()
    result = refresh_all(session)
    session.commit()
    assert result.updated == 1 and result.created == 0 and result.deleted == 0
    assert state(session) == expected


def test_a_region_reporting_every_six_hours_for_a_week_is_cut_into_day_sized_incidents(session):
    """Issue 3's known flaw: each post's window (the 6 h before it) touches the next, which chained a whole
    week into one incident. Refreshed as the posts arrive, in random batches and order, the week is cut into
    incidents of at most 24 h — the same ones a full merge and a rebuild give."""
    start = at("2025-03-01 00:00")
    week = [
        (
            "governor_bel",
            R,
            f"w{i}",
            f"Над Белгородской областью сбит беспилотник ({i}).",
            start + timedelta(hours=6 * i),
        )
        for i in range(7 * 4)
    ]
    rng = random.Random(28)
    rng.shuffle(week)
    for batch in _batches(week, rng):
        refresh(session, load(session, batch))
    session.commit()
    live = session.scalars(select(Incident).where(Incident.deleted_at.is_(None))).all()
    assert len(live) >= 7
    assert all(inc.window_end - inc.window_start <= timedelta(hours=24) for inc in live)
    claim_ids = [link.claim_id for inc in live for link in inc.claims]
    assert len(claim_ids) == len(set(claim_ids)) == len(week)  # every post in exactly one incident
    assert state(session) == full_merge_state(session)
    assert refresh_all(session) == RefreshResult()
