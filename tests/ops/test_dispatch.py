"""Units and dispatches on SQLite and PostgreSQL: the lifecycle keeps units and reports in step, cancel,
clusters, the timeline, the daily figures, the audit log reader."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ops.factory import CONTACT, SMOLENSK, T0, far, report, user
from tocsin import audit, dispatch, triage
from tocsin.dispatch import DispatchError, DispatchNotFoundError, UnitNotFoundError
from tocsin.domain import DISPATCH_TRANSITIONS, DispatchStatus, ReportStatus, Role, UnitStatus
from tocsin.store.models import Event, Report, Unit

NOW = T0 + timedelta(minutes=30)


def _status(session, *reports: Report) -> list[ReportStatus]:
    return [session.get(Report, r.id, populate_existing=True).status for r in reports]


def _unit_status(session, unit: Unit) -> UnitStatus:
    return session.get(Unit, unit.id, populate_existing=True).status


@pytest.fixture
def desk(session):
    """A dispatcher and two units."""
    d = user(session, "dina", Role.DISPATCHER)
    u1 = dispatch.add_unit(session, "Fire crew 12", "fire crew", d)
    u2 = dispatch.add_unit(session, "EOD team 3", "explosive ordnance", d)
    session.commit()
    return d, u1, u2


# -------------------------------------------------------------------------------------------- units


def test_units_add_list_status(session) -> None:
    d = user(session, "dina", Role.DISPATCHER)
    a = dispatch.add_unit(session, "  Crew B  ", None, d)
    dispatch.add_unit(session, "Crew A", "fire crew", "cli")
    assert a.name == "Crew B" and a.status is UnitStatus.AVAILABLE
    for bad, message in [("Crew A", "exists already"), ("   ", "empty"), ("x" * 201, "longer than")]:
        with pytest.raises(DispatchError, match=message):
            dispatch.add_unit(session, bad, None, d)
    with pytest.raises(DispatchError, match="NUL"):
        dispatch.add_unit(session, "Crew\x00C", None, d)
    session.commit()
    assert [u.name for u in dispatch.list_units(session)] == ["Crew A", "Crew B"]
    dispatch.set_unit_status(session, a.id, UnitStatus.OFF_DUTY, d, note="shift over")
    dispatch.set_unit_status(session, a.id, UnitStatus.OFF_DUTY, d)  # no change: no Event
    session.commit()
    assert [u.name for u in dispatch.list_units(session, status=UnitStatus.OFF_DUTY)] == ["Crew B"]
    assert [u.name for u in dispatch.available_units(session)] == ["Crew A"]
    assert dispatch.find_unit(session, "Crew B").id == a.id
    with pytest.raises(UnitNotFoundError):
        dispatch.find_unit(session, "nobody")
    with pytest.raises(UnitNotFoundError):
        dispatch.set_unit_status(session, 31337, UnitStatus.AVAILABLE, d)
    events = audit.history(session, "unit", a.id)
    assert [(e.actor, e.action) for e in events] == [("dina", "unit.add"), ("dina", "unit.status")]
    assert events[0].after == {"name": "Crew B", "kind": None, "status": "available"}
    assert events[1].before == {"status": "available", "note": None}
    assert events[1].after == {"status": "off_duty", "note": "shift over"}
    assert audit.history(session, "unit", dispatch.find_unit(session, "Crew A").id)[0].actor == "cli"


# ----------------------------------------------------------------------------------------- lifecycle


def test_dispatch_to_a_new_report_through_completion(session, desk) -> None:
    d, unit, _ = desk
    r = report(session)
    session.commit()
    row = dispatch.dispatch(session, unit.id, report_id=r.id, user=d, note="use the north gate", now=NOW)
    session.commit()
    assert row.status is DispatchStatus.ASSIGNED and row.created_at == NOW and row.dispatched_by_id == d.id
    assert _status(session, r) == [ReportStatus.DISPATCHED]
    assert _unit_status(session, unit) is UnitStatus.AVAILABLE  # assigned: not yet on the way …
    assert [u.name for u in dispatch.available_units(session)] == ["EOD team 3"]  # … but taken
    with pytest.raises(DispatchError, match="already on dispatch"):
        dispatch.dispatch(session, unit.id, report_id=r.id, user=d, now=NOW)
    session.rollback()
    with pytest.raises(DispatchError, match="advance or cancel"):
        dispatch.set_unit_status(session, unit.id, UnitStatus.OFF_DUTY, d)
    session.rollback()

    dispatch.advance(session, row.id, DispatchStatus.EN_ROUTE, d, now=NOW + timedelta(minutes=2))
    assert _unit_status(session, unit) is UnitStatus.EN_ROUTE
    assert _status(session, r) == [ReportStatus.DISPATCHED]
    dispatch.advance(session, row.id, DispatchStatus.ON_SCENE, d, now=NOW + timedelta(minutes=14))
    assert _unit_status(session, unit) is UnitStatus.ON_SCENE
    assert _status(session, r) == [ReportStatus.ON_SCENE]
    with pytest.raises(DispatchError, match="not allowed"):
        dispatch.advance(session, row.id, DispatchStatus.CANCELLED, d, now=NOW)
    dispatch.advance(session, row.id, DispatchStatus.COMPLETED, d, now=NOW + timedelta(minutes=50))
    session.commit()
    assert _unit_status(session, unit) is UnitStatus.AVAILABLE
    assert _status(session, r) == [ReportStatus.RESOLVED]
    row = dispatch.get_dispatch(session, row.id)
    assert (row.en_route_at, row.on_scene_at, row.closed_at) == (
        NOW + timedelta(minutes=2),
        NOW + timedelta(minutes=14),
        NOW + timedelta(minutes=50),
    )
    assert [(e.action, e.before, e.after.get("status")) for e in dispatch.timeline(session, row.id)] == [
        ("dispatch.create", None, "assigned"),
        ("dispatch.status", {"status": "assigned"}, "en_route"),
        ("dispatch.status", {"status": "en_route"}, "on_scene"),
        ("dispatch.status", {"status": "on_scene"}, "completed"),
    ]
    created = dispatch.timeline(session, row.id)[0].after
    assert created["unit"] == "Fire crew 12" and created["reports"] == [r.id]
    assert created["note"] == "use the north gate"
    # the NEW report was triaged on the way, with its own Event
    report_events = audit.history(session, "report", r.id)
    assert [(e.before["status"], e.after["status"]) for e in report_events] == [
        ("new", "triaged"),
        ("triaged", "dispatched"),
        ("dispatched", "on_scene"),
        ("on_scene", "resolved"),
    ]
    assert all(e.after["dispatch_id"] == row.id and e.actor == "dina" for e in report_events)
    unit_events = audit.history(session, "unit", unit.id)
    assert [e.after["status"] for e in unit_events] == ["available", "en_route", "on_scene", "available"]
    _assert_no_contact(session)


def test_every_dispatch_transition_and_the_forbidden_ones(session, desk) -> None:
    d, unit, _ = desk
    for old in DispatchStatus:
        for new in DispatchStatus:
            r = report(session, where=far(1), status=ReportStatus.TRIAGED)
            row = dispatch.dispatch(session, unit.id, report_id=r.id, user=d, now=NOW)
            path = {
                DispatchStatus.ASSIGNED: [],
                DispatchStatus.EN_ROUTE: [DispatchStatus.EN_ROUTE],
                DispatchStatus.ON_SCENE: [DispatchStatus.ON_SCENE],
                DispatchStatus.COMPLETED: [DispatchStatus.ON_SCENE, DispatchStatus.COMPLETED],
                DispatchStatus.CANCELLED: [DispatchStatus.CANCELLED],
            }[old]
            for step in path:
                dispatch.advance(session, row.id, step, d, now=NOW)
            if new in DISPATCH_TRANSITIONS[old]:
                dispatch.advance(session, row.id, new, d, now=NOW)
                assert dispatch.get_dispatch(session, row.id).status is new
            else:
                with pytest.raises(DispatchError, match="not allowed"):
                    dispatch.advance(session, row.id, new, d, now=NOW)
            session.rollback()
    with pytest.raises(DispatchNotFoundError):
        dispatch.advance(session, 555_555, DispatchStatus.EN_ROUTE, d, now=NOW)


def test_dispatch_refusals(session, desk) -> None:
    d, unit, other = desk
    r = report(session)
    gone = report(session, where=far(2), status=ReportStatus.RESOLVED)
    dispatch.set_unit_status(session, other.id, UnitStatus.OFF_DUTY, d)
    session.commit()
    cases = [
        ({"unit_id": other.id, "report_id": r.id}, DispatchError, "not available"),
        ({"unit_id": 999_999, "report_id": r.id}, UnitNotFoundError, "no unit"),
        ({"unit_id": unit.id, "report_id": 999_999}, DispatchNotFoundError, "no report"),
        ({"unit_id": unit.id, "cluster_id": 999_999}, DispatchNotFoundError, "no cluster"),
        ({"unit_id": unit.id}, DispatchError, "one report or to one cluster"),
        ({"unit_id": unit.id, "report_id": r.id, "cluster_id": 1}, DispatchError, "one report or"),
        ({"unit_id": unit.id, "report_id": gone.id}, DispatchError, "no active report"),
    ]
    for kwargs, error, message in cases:
        unit_id = kwargs.pop("unit_id")
        with pytest.raises(error, match=message):
            dispatch.dispatch(session, unit_id, user=d, now=NOW, **kwargs)
        session.rollback()
    assert session.scalars(select(Event).where(Event.entity == "dispatch")).all() == []
    assert _status(session, r) == [ReportStatus.NEW]


def test_dispatch_to_a_cluster_moves_every_active_member(session, desk) -> None:
    d, unit, _ = desk
    a = report(session, at=T0)
    b = report(session, at=T0 + timedelta(minutes=5), where=(SMOLENSK[0] + 0.001, SMOLENSK[1]))
    c = report(session, at=T0 + timedelta(minutes=7), where=(SMOLENSK[0], SMOLENSK[1] + 0.001))
    session.commit()
    assert a.cluster_id == b.cluster_id == c.cluster_id is not None
    c.status = ReportStatus.REJECTED
    b.status = ReportStatus.TRIAGED
    session.commit()
    row = dispatch.dispatch(session, unit.id, cluster_id=a.cluster_id, user=d, now=NOW)
    session.commit()
    assert _status(session, a, b, c) == [
        ReportStatus.DISPATCHED,
        ReportStatus.DISPATCHED,
        ReportStatus.REJECTED,
    ]
    assert dispatch.timeline(session, row.id)[0].after["reports"] == [a.id, b.id]
    assert [x.id for x in dispatch.dispatches_for(session, report=b)] == [row.id]
    assert [x.id for x in dispatch.dispatches_for(session, cluster_id=a.cluster_id)] == [row.id]
    dispatch.advance(session, row.id, DispatchStatus.ON_SCENE, d, now=NOW + timedelta(minutes=9))
    assert _status(session, a, b, c) == [ReportStatus.ON_SCENE, ReportStatus.ON_SCENE, ReportStatus.REJECTED]
    dispatch.advance(session, row.id, DispatchStatus.COMPLETED, d, now=NOW + timedelta(minutes=40))
    session.commit()
    assert _status(session, a, b, c) == [ReportStatus.RESOLVED, ReportStatus.RESOLVED, ReportStatus.REJECTED]
    assert _unit_status(session, unit) is UnitStatus.AVAILABLE


def test_cancel_sends_reports_back_to_triage_unless_another_dispatch_is_open(session, desk) -> None:
    d, u1, u2 = desk
    r = report(session)
    session.commit()
    first = dispatch.dispatch(session, u1.id, report_id=r.id, user=d, now=NOW)
    second = dispatch.dispatch(session, u2.id, report_id=r.id, user=d, now=NOW + timedelta(minutes=1))
    dispatch.advance(session, first.id, DispatchStatus.EN_ROUTE, d, now=NOW + timedelta(minutes=2))
    assert _unit_status(session, u1) is UnitStatus.EN_ROUTE
    dispatch.advance(session, first.id, DispatchStatus.CANCELLED, d, now=NOW + timedelta(minutes=3))
    assert _unit_status(session, u1) is UnitStatus.AVAILABLE
    assert _status(session, r) == [ReportStatus.DISPATCHED]  # the second unit is still on its way
    dispatch.advance(session, second.id, DispatchStatus.CANCELLED, d, note="false alarm", now=NOW)
    session.commit()
    assert _status(session, r) == [ReportStatus.TRIAGED]
    assert _unit_status(session, u2) is UnitStatus.AVAILABLE
    assert dispatch.timeline(session, second.id)[-1].after["note"] == "false alarm"
    # completing one of two open dispatches leaves the report on scene until the other closes
    third = dispatch.dispatch(session, u1.id, report_id=r.id, user=d, now=NOW)
    fourth = dispatch.dispatch(session, u2.id, report_id=r.id, user=d, now=NOW)
    dispatch.advance(session, third.id, DispatchStatus.ON_SCENE, d, now=NOW)
    dispatch.advance(session, third.id, DispatchStatus.COMPLETED, d, now=NOW)
    assert _status(session, r) == [ReportStatus.ON_SCENE]
    dispatch.advance(session, fourth.id, DispatchStatus.ON_SCENE, d, now=NOW)
    dispatch.advance(session, fourth.id, DispatchStatus.COMPLETED, d, now=NOW)
    assert _status(session, r) == [ReportStatus.RESOLVED]
    assert [x.id for x in dispatch.list_dispatches(session)] == [fourth.id, third.id, second.id, first.id]
    assert dispatch.list_dispatches(session, open_only=True) == []


def _assert_no_contact(session) -> None:
    for ev in session.scalars(select(Event)):
        blob = json.dumps([ev.before, ev.after], ensure_ascii=False)
        assert CONTACT not in blob and "contact" not in blob


# ------------------------------------------------------------------------------------------ figures


def test_daily_figures_exact_medians_and_none_for_days_without_data(session, desk) -> None:
    d, u1, u2 = desk
    day1 = datetime(2025, 9, 4, 8, 0, tzinfo=UTC)
    day3 = datetime(2025, 9, 6, 8, 0, tzinfo=UTC)
    # day 1: three reports dispatched after 10, 20 and 60 minutes; on scene 5, 15 and (never) minutes later
    waits = [(10, 5), (20, 15), (60, None)]
    for i, (wait, scene) in enumerate(waits):
        r = report(session, at=day1 + timedelta(minutes=i), where=far(i + 1))
        row = dispatch.dispatch(
            session, u1.id, report_id=r.id, user=d, now=r.submitted_at + timedelta(minutes=wait)
        )
        if scene is not None:
            dispatch.advance(
                session, row.id, DispatchStatus.ON_SCENE, d, now=row.created_at + timedelta(minutes=scene)
            )
            dispatch.advance(
                session, row.id, DispatchStatus.COMPLETED, d, now=row.created_at + timedelta(hours=1)
            )
        else:
            dispatch.advance(
                session, row.id, DispatchStatus.CANCELLED, d, now=row.created_at + timedelta(minutes=1)
            )
    # day 1 also: one report never dispatched
    report(session, at=day1 + timedelta(hours=3), where=far(9))
    # day 3: a cluster of two, dispatched 30 min after its first report (the second came 20 min later)
    a = report(session, at=day3)
    report(session, at=day3 + timedelta(minutes=20), where=(SMOLENSK[0] + 0.001, SMOLENSK[1]))
    dispatch.dispatch(session, u2.id, cluster_id=a.cluster_id, user=d, now=day3 + timedelta(minutes=30))
    session.commit()

    figures = dispatch.daily_figures(session, days=4, now=datetime(2025, 9, 7, 12, 0, tzinfo=UTC))
    assert [f.day for f in figures] == [
        date(2025, 9, 4),
        date(2025, 9, 5),
        date(2025, 9, 6),
        date(2025, 9, 7),
    ]
    one, two, three, four = figures
    assert (one.received, one.dispatches) == (4, 3)
    assert one.to_dispatch_median == 20.0 and one.to_dispatch_p90 == 60.0 and one.to_dispatch_n == 3
    assert one.to_scene_median == 10.0 and one.to_scene_p90 == 15.0 and one.to_scene_n == 2
    for empty in (two, four):
        assert (empty.received, empty.dispatches) == (0, 0)
        assert empty.to_dispatch_median is None and empty.to_dispatch_p90 is None
        assert empty.to_scene_median is None and empty.to_scene_p90 is None
    assert (three.received, three.dispatches) == (2, 1)
    assert three.to_dispatch_median == 30.0 and three.to_dispatch_p90 == 30.0
    assert three.to_scene_median is None  # dispatched, not on scene yet: unknown, not 0

    # a zone east of UTC moves a report submitted at 22:30 UTC into the next local day
    late = report(session, at=datetime(2025, 9, 5, 22, 30, tzinfo=UTC), where=far(7))
    session.commit()
    utc = dispatch.daily_figures(session, days=4, now=datetime(2025, 9, 7, 12, 0, tzinfo=UTC))
    msk = dispatch.daily_figures(
        session, days=4, tz=ZoneInfo("Europe/Moscow"), now=datetime(2025, 9, 7, 12, 0, tzinfo=UTC)
    )
    assert [f.received for f in utc] == [4, 1, 2, 0]
    assert [f.received for f in msk] == [4, 0, 3, 0]
    assert late.id
    assert len(dispatch.daily_figures(session, days=0, now=NOW)) == 1
    assert len(dispatch.daily_figures(session, days=10_000, now=NOW)) == dispatch.MAX_DAYS


def test_percentiles() -> None:
    assert dispatch.median([]) is None and dispatch.p90([]) is None
    assert dispatch.median([7.0]) == 7.0 and dispatch.p90([7.0]) == 7.0
    assert dispatch.median([1.0, 2.0, 3.0, 10.0]) == 2.5
    values = [float(v) for v in range(1, 11)]
    assert dispatch.p90(values) == 9.0
    assert dispatch.p90([*values, 11.0]) == 10.0


# ------------------------------------------------------------------------------------------- audit


@pytest.mark.usefixtures("desk")
def test_audit_events_newest_first_with_filters_and_keyset_pages(session) -> None:
    ann = user(session, "ann")
    reports = [report(session, where=far(i + 1)) for i in range(5)]
    for r in reports:
        triage.claim(session, r.id, ann, minutes=5, now=NOW)
    session.commit()
    everything = audit.events(session, limit=500)
    ids = [e.id for e in everything]
    assert ids == sorted(ids, reverse=True) and len(ids) == 7  # 2 unit.add + 5 claims
    by_ann = audit.events(session, actor="ann", limit=2)
    assert [e.entity_id for e in by_ann] == [str(reports[4].id), str(reports[3].id)]
    rest = audit.events(session, actor="ann", before_id=by_ann[-1].id, limit=50)
    assert [e.entity_id for e in rest] == [str(r.id) for r in reversed(reports[:3])]
    assert [e.action for e in audit.events(session, entity="unit")] == ["unit.add", "unit.add"]
    assert [e.actor for e in audit.events(session, entity="report", entity_id=reports[0].id)] == ["ann"]
    assert audit.events(session, action="report.claim", actor="dina") == []
    first = audit.page(session, limit=3)
    assert len(first.events) == 3 and first.next_before == first.events[-1].id
    second = audit.page(session, limit=3, before_id=first.next_before)
    third = audit.page(session, limit=3, before_id=second.next_before)
    assert len(third.events) == 1 and third.next_before is None
    assert [e.id for e in first.events + second.events + third.events] == ids
    assert audit.page(session, limit=7).next_before is None
    assert len(audit.events(session, limit=-5)) == 1
