"""The triage library on SQLite and PostgreSQL: queue order, clusters, claim locks, transitions,
duplicates, incident links and the Events they leave."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from ops.factory import CONTACT, SMOLENSK, T0, far, incident, report, user
from tocsin import audit, triage
from tocsin.domain import REPORT_TRANSITIONS, ReportCategory, ReportStatus, Role
from tocsin.store.engine import make_sessionmaker
from tocsin.store.models import Event, Report
from tocsin.triage import LockedError, NotFoundError, TransitionError

NOW = T0 + timedelta(hours=1)


def _events(session, report_id=None):
    stmt = select(Event).order_by(Event.id)
    if report_id is not None:
        stmt = stmt.where(Event.entity == "report", Event.entity_id == str(report_id))
    return list(session.scalars(stmt))


def _assert_no_contact(session) -> None:
    for ev in _events(session):
        blob = json.dumps([ev.before, ev.after], ensure_ascii=False)
        assert CONTACT not in blob and "contact" not in blob, (ev.action, blob)


# ------------------------------------------------------------------------------------------- queue


def test_queue_orders_by_priority_then_age(session) -> None:
    made = [
        report(session, ReportCategory.DAMAGE, at=T0, where=far(1)),
        report(session, ReportCategory.DEBRIS, at=T0 + timedelta(minutes=5), where=far(2)),
        report(session, ReportCategory.INJURED, at=T0 + timedelta(minutes=30), where=far(3)),
        report(session, ReportCategory.FIRE, at=T0 + timedelta(minutes=10), where=far(4)),
        report(session, ReportCategory.INJURED, at=T0 + timedelta(minutes=20), where=far(5)),
        report(session, ReportCategory.OTHER, at=T0 - timedelta(hours=3), where=far(6)),
        report(session, ReportCategory.SUSPICIOUS_OBJECT, at=T0 + timedelta(minutes=40), where=None),
    ]
    session.commit()
    lines = triage.queue(session, now=NOW)
    assert [line.report_id for line in lines] == [
        made[4].id,  # injured, older
        made[2].id,  # injured, newer
        made[3].id,  # fire
        made[6].id,  # suspicious object (no location: unclustered)
        made[1].id,  # debris
        made[0].id,  # damage
        made[5].id,  # other, though the oldest of all
    ]
    assert all(line.members == 1 and line.cluster_id is None for line in lines)
    assert lines[0].place == "Smolensk" and lines[0].excerpt == "Fragments on the road"
    assert triage.queue(session, now=NOW, limit=2) == lines[:2]


def test_a_cluster_is_one_line_led_by_its_oldest_report(session) -> None:
    a = report(session, ReportCategory.DEBRIS, at=T0 + timedelta(minutes=10))
    b = report(session, ReportCategory.DEBRIS, at=T0, where=(SMOLENSK[0] + 0.001, SMOLENSK[1]))
    c = report(session, ReportCategory.DEBRIS, at=T0 + timedelta(minutes=20), where=(SMOLENSK[0], 32.046))
    alone = report(session, ReportCategory.DEBRIS, at=T0 + timedelta(minutes=1), where=far(3))
    fire = report(session, ReportCategory.FIRE, at=T0 + timedelta(minutes=30))  # same place, other category
    session.commit()
    assert a.cluster_id is not None and a.cluster_id == b.cluster_id == c.cluster_id
    lines = triage.queue(session, now=NOW)
    assert [(line.report_id, line.members) for line in lines] == [(fire.id, 1), (b.id, 3), (alone.id, 1)]
    assert lines[1].cluster_id == a.cluster_id and lines[1].cluster_size == 3
    # the queue counts members in the statuses asked for; the lead is the oldest of those
    b.status = ReportStatus.REJECTED
    session.commit()
    lines = triage.queue(session, now=NOW, category=ReportCategory.DEBRIS)
    assert [(line.report_id, line.members) for line in lines] == [(alone.id, 1), (a.id, 2)]
    rejected = triage.queue(session, now=NOW, statuses=[ReportStatus.REJECTED])
    assert [(line.report_id, line.members, line.cluster_size) for line in rejected] == [(b.id, 1, 3)]
    assert triage.queue(session, now=NOW, statuses=[]) == []


def test_queue_shows_live_lock_holders_only(session) -> None:
    ann, bob = user(session, "ann"), user(session, "bob")
    r1 = report(session, at=T0, where=far(1))
    r2 = report(session, at=T0 + timedelta(minutes=1), where=far(2))
    triage.claim(session, r1.id, ann, minutes=10, now=NOW)
    triage.claim(session, r2.id, bob, minutes=10, now=NOW - timedelta(minutes=30))  # expired by NOW
    session.commit()
    lines = {line.report_id: line for line in triage.queue(session, now=NOW)}
    assert lines[r1.id].lock_holder == "ann" and lines[r1.id].lock_until == NOW + timedelta(minutes=10)
    assert lines[r2.id].lock_holder is None and lines[r2.id].lock_until is None


# ------------------------------------------------------------------------------------------- locks


def test_claim_lock_two_users_extension_expiry_release(session) -> None:
    ann, bob = user(session, "ann"), user(session, "bob")
    r = report(session)
    session.commit()
    until = triage.claim(session, r.id, ann, minutes=10, now=NOW)
    assert until == NOW + timedelta(minutes=10)
    with pytest.raises(LockedError) as err:
        triage.claim(session, r.id, bob, minutes=10, now=NOW + timedelta(minutes=5))
    assert (err.value.holder, err.value.until) == ("ann", until)
    # ann extends her own claim
    later = triage.claim(session, r.id, ann, minutes=10, now=NOW + timedelta(minutes=8))
    assert later == NOW + timedelta(minutes=18)
    with pytest.raises(LockedError):
        triage.claim(session, r.id, bob, minutes=10, now=NOW + timedelta(minutes=17))
    with pytest.raises(LockedError):
        triage.release(session, r.id, bob, now=NOW + timedelta(minutes=17))
    # expired: bob may take it
    assert triage.claim(session, r.id, bob, minutes=5, now=NOW + timedelta(minutes=18)) == NOW + timedelta(
        minutes=23
    )
    assert triage.lock_of(session, r.id, now=NOW + timedelta(minutes=19)).holder == "bob"
    assert triage.lock_of(session, r.id, now=NOW + timedelta(minutes=23)) is None
    assert triage.release(session, r.id, bob, now=NOW + timedelta(minutes=19)) is True
    assert triage.release(session, r.id, bob, now=NOW + timedelta(minutes=19)) is False
    assert triage.lock_of(session, r.id, now=NOW) is None
    session.commit()
    actions = [(e.actor, e.action) for e in _events(session, r.id)]
    assert actions == [
        ("ann", "report.claim"),
        ("ann", "report.claim"),
        ("bob", "report.claim"),
        ("bob", "report.release"),
    ]
    ev = _events(session, r.id)[2]
    assert ev.before == {"locked_by": "ann", "lock_expires_at": (NOW + timedelta(minutes=18)).isoformat()}
    assert ev.after == {"locked_by": "bob", "lock_expires_at": (NOW + timedelta(minutes=23)).isoformat()}
    _assert_no_contact(session)
    with pytest.raises(NotFoundError):
        triage.claim(session, 999_999, ann, minutes=5, now=NOW)
    with pytest.raises(ValueError):
        triage.claim(session, r.id, ann, minutes=0, now=NOW)


def test_claim_is_a_conditional_update_not_a_read_then_write(engine) -> None:
    """Bob's session read the report while it was free; Ann claims and commits; Bob's claim must see
    Ann's lock in the database, not the free lock in his stale copy."""
    maker = make_sessionmaker(engine)
    with maker() as s:
        ann, bob = user(s, "ann"), user(s, "bob")
        r = report(s)
        s.commit()
        ids = (ann.id, bob.id, r.id)
    with maker() as sa, maker() as sb:
        bob_user = sb.get(type(ann), ids[1])
        stale = sb.get(Report, ids[2])
        sb.commit()  # ends Bob's read transaction; his (expire_on_commit=False) copy stays stale
        assert stale.locked_by_id is None
        triage.claim(sa, ids[2], sa.get(type(ann), ids[0]), minutes=10, now=NOW)
        sa.commit()
        with pytest.raises(LockedError) as err:
            triage.claim(sb, ids[2], bob_user, minutes=10, now=NOW + timedelta(minutes=1))
        assert err.value.holder == "ann"
        sb.rollback()
    with maker() as s:
        assert triage.lock_of(s, ids[2], now=NOW).holder == "ann"


def test_simultaneous_claims_have_one_winner(engine) -> None:
    """Several operators claim the same report at the same moment, each in its own transaction:
    exactly one holds it afterwards. (SQLite may refuse a loser with "database is locked" instead of
    LockedError — the point is that no two claims succeed.)"""
    maker = make_sessionmaker(engine)
    with maker() as s:
        users = [user(s, f"op{i}") for i in range(4)]
        r = report(s)
        s.commit()
        uids, rid = [u.id for u in users], r.id
    barrier = threading.Barrier(len(uids))
    results: dict[int, str] = {}

    def worker(uid: int) -> None:
        with maker() as s:
            me = s.get(type(users[0]), uid)
            s.commit()
            barrier.wait()
            try:
                triage.claim(s, rid, me, minutes=10, now=NOW)
                s.commit()
                results[uid] = "won"
            except LockedError:
                s.rollback()
                results[uid] = "locked"
            except OperationalError:
                s.rollback()
                results[uid] = "busy" if engine.dialect.name == "sqlite" else "error"

    threads = [threading.Thread(target=worker, args=(uid,)) for uid in uids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()).count("won") == 1, results
    assert "error" not in results.values()
    winner = next(uid for uid, res in results.items() if res == "won")
    with maker() as s:
        assert triage.lock_of(s, rid, now=NOW).holder_id == winner
        assert len([e for e in _events(s, rid) if e.action == "report.claim"]) == 1


# -------------------------------------------------------------------------------------- transitions

MANUAL = [(old, new) for old, targets in REPORT_TRANSITIONS.items() for new in sorted(targets)]
FORBIDDEN = [
    (old, new)
    for old in ReportStatus
    for new in ReportStatus
    if new not in REPORT_TRANSITIONS[old] and new is not old
]


@pytest.mark.parametrize(("old", "new"), MANUAL, ids=[f"{o}-{n}" for o, n in MANUAL])
def test_every_allowed_transition(session, old: ReportStatus, new: ReportStatus) -> None:
    ann = user(session, "ann")
    original = report(session, where=far(9))
    r = report(session, status=old)
    if old is ReportStatus.DUPLICATE:
        r.duplicate_of_id = original.id
    session.commit()
    kwargs = {"duplicate_of": original.id} if new is ReportStatus.DUPLICATE else {}
    triage.transition(session, r.id, new, ann, note="checked by phone", now=NOW, **kwargs)
    session.commit()
    session.refresh(r)
    assert r.status is new
    assert r.duplicate_of_id == (original.id if new is ReportStatus.DUPLICATE else None)
    events = _events(session, r.id)
    assert [e.action for e in events] == ["report.claim", "report.status"]  # the free lock was taken
    status_event = events[-1]
    assert status_event.actor == "ann"
    assert status_event.before["status"] == old.value
    assert status_event.after["status"] == new.value
    assert status_event.after["note"] == "checked by phone"
    assert triage.lock_of(session, r.id, now=NOW).holder == "ann"
    _assert_no_contact(session)


@pytest.mark.parametrize(("old", "new"), FORBIDDEN, ids=[f"{o}-{n}" for o, n in FORBIDDEN])
def test_forbidden_transitions_change_nothing(session, old: ReportStatus, new: ReportStatus) -> None:
    ann = user(session, "ann")
    original = report(session, where=far(9))
    r = report(session, status=old)
    session.commit()
    kwargs = {"duplicate_of": original.id} if new is ReportStatus.DUPLICATE else {}
    with pytest.raises(TransitionError):
        triage.transition(session, r.id, new, ann, now=NOW, **kwargs)
    session.rollback()
    session.refresh(r)
    assert r.status is old
    assert [e for e in _events(session, r.id) if e.action == "report.status"] == []


def test_transition_needs_the_lock(session) -> None:
    ann, bob = user(session, "ann"), user(session, "bob")
    r = report(session)
    triage.claim(session, r.id, bob, minutes=10, now=NOW)
    session.commit()
    with pytest.raises(LockedError) as err:
        triage.transition(session, r.id, ReportStatus.TRIAGED, ann, now=NOW + timedelta(minutes=1))
    assert err.value.holder == "bob"
    session.rollback()
    # bob, holding it, may; the transition extends his lock without a new claim Event
    triage.transition(session, r.id, ReportStatus.TRIAGED, bob, now=NOW + timedelta(minutes=2))
    # once bob's lock expired, ann takes it with her transition
    triage.transition(session, r.id, ReportStatus.REJECTED, ann, now=NOW + timedelta(minutes=30))
    session.commit()
    assert [(e.actor, e.action) for e in _events(session, r.id)] == [
        ("bob", "report.claim"),
        ("bob", "report.status"),
        ("ann", "report.claim"),
        ("ann", "report.status"),
    ]
    assert session.get(Report, r.id).status is ReportStatus.REJECTED


def test_transition_refuses_dispatch_managed_moves_while_a_dispatch_is_open(session) -> None:
    from tocsin import dispatch

    ann = user(session, "ann", Role.DISPATCHER)
    r = report(session)
    unit = dispatch.add_unit(session, "Crew 1", None, ann)
    dispatch.dispatch(session, unit.id, report_id=r.id, user=ann, now=NOW)
    session.commit()
    with pytest.raises(TransitionError, match="cancel the dispatch"):
        triage.transition(session, r.id, ReportStatus.TRIAGED, ann, now=NOW)


def test_duplicate_rules(session) -> None:
    ann = user(session, "ann")
    a = report(session, where=far(1))
    b = report(session, where=far(2))
    c = report(session, where=far(3))
    session.commit()
    for kwargs, message in [
        ({}, "needs the number"),
        ({"duplicate_of": b.id}, "cannot duplicate itself"),
        ({"duplicate_of": 987_654}, "no report #987654"),
    ]:
        with pytest.raises(TransitionError, match=message):
            triage.transition(session, b.id, ReportStatus.DUPLICATE, ann, now=NOW, **kwargs)
        session.rollback()
    with pytest.raises(TransitionError, match="only a duplicate"):
        triage.transition(session, b.id, ReportStatus.TRIAGED, ann, duplicate_of=a.id, now=NOW)
    session.rollback()
    triage.transition(session, b.id, ReportStatus.DUPLICATE, ann, duplicate_of=a.id, now=NOW)
    session.commit()
    assert session.get(Report, b.id).duplicate_of_id == a.id
    with pytest.raises(TransitionError, match="itself a duplicate"):
        triage.transition(session, c.id, ReportStatus.DUPLICATE, ann, duplicate_of=b.id, now=NOW)
    session.rollback()
    ev = _events(session, b.id)[-1]
    assert ev.before == {"status": "new", "duplicate_of_id": None}
    assert ev.after == {"status": "duplicate", "duplicate_of_id": a.id}
    triage.transition(session, b.id, ReportStatus.TRIAGED, ann, now=NOW)  # reopened: the link goes
    session.commit()
    assert session.get(Report, b.id).duplicate_of_id is None
    assert _events(session, b.id)[-1].before == {"status": "duplicate", "duplicate_of_id": a.id}
    _assert_no_contact(session)


def test_link_and_unlink_incident(session) -> None:
    ann = user(session, "ann", Role.EDITOR)
    inc, other = incident(session), incident(session, "RU-BRY")
    r = report(session)
    session.commit()
    triage.link_incident(session, r.id, inc.id, ann)
    triage.link_incident(session, r.id, inc.id, ann)  # already linked: no new Event
    triage.link_incident(session, r.id, other.id, ann)
    with pytest.raises(NotFoundError):
        triage.link_incident(session, r.id, 424_242, ann)
    with pytest.raises(NotFoundError):
        triage.link_incident(session, 424_242, inc.id, ann)
    triage.unlink_incident(session, r.id, ann)
    triage.unlink_incident(session, r.id, ann)  # nothing linked: no Event
    session.commit()
    assert session.get(Report, r.id).incident_id is None
    assert [(e.action, e.before, e.after) for e in _events(session, r.id)] == [
        ("report.incident", {"incident_id": None}, {"incident_id": inc.id}),
        ("report.incident", {"incident_id": inc.id}, {"incident_id": other.id}),
        ("report.incident", {"incident_id": other.id}, {"incident_id": None}),
    ]
    assert audit.history(session, "report", r.id)[0].after == {"incident_id": inc.id}
    _assert_no_contact(session)


def test_hostile_text_is_stored_as_given_and_events_stay_clean(session) -> None:
    ann = user(session, "ann")
    r = report(session, description="<script>alert(1)</script>", contact="<img src=x onerror=alert(1)>")
    session.commit()
    triage.transition(session, r.id, ReportStatus.TRIAGED, ann, note="<b>note</b>" + "я" * 500, now=NOW)
    session.commit()
    assert _events(session, r.id)[-1].after["note"].startswith("<b>note</b>")
    for ev in _events(session):
        assert "onerror" not in json.dumps([ev.before, ev.after])
