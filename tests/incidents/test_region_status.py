"""RegionStatus rows from stored claims (danger declared / all clear), refreshed with the incidents."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tocsin.domain import Authority
from tocsin.incidents import RefreshResult, refresh, refresh_all
from tocsin.store.models import RegionStatus

from .helpers import at, post

R = Authority.REGIONAL
DANGER = "Внимание! Угроза атаки БПЛА на территории Смоленской области. Оставайтесь в укрытиях."
DANGER_AGAIN = "Повторно объявлена угроза атаки БПЛА в Смоленской области."
CLEAR = "Отбой угрозы атаки БПЛА в Смоленской области."
MISSILE = "Ракетная опасность в Брянской области! Всем пройти в укрытия."


def rows(session, iso="RU-SMO"):
    session.flush()
    return [
        (str(r.status), r.started_at, r.ended_at, None if r.weapon is None else str(r.weapon), r.message_id)
        for r in session.scalars(
            select(RegionStatus)
            .execution_options(populate_existing=True)
            .where(RegionStatus.iso == iso)
            .order_by(RegionStatus.started_at)
        )
    ]


def alert(session, ext, text, when):
    return post(session, "governor_smo", R, ext, text, at(when))


def test_danger_then_clear_is_one_closed_interval(session):
    d = alert(session, "a1", DANGER, "2025-09-05 23:10")
    c = alert(session, "a2", CLEAR, "2025-09-06 05:40")
    result = refresh(session, [d.id, c.id])
    assert result.statuses_added == 1
    assert rows(session) == [("danger", at("2025-09-05 23:10"), at("2025-09-06 05:40"), "uav", d.message_id)]
    assert refresh(session, [d.id, c.id]) == RefreshResult()
    assert refresh_all(session) == RefreshResult()
    assert len(rows(session)) == 1


def test_repeated_dangers_do_not_open_a_second_interval(session):
    d1 = alert(session, "a1", DANGER, "2025-09-05 23:10")
    d2 = alert(session, "a2", DANGER_AGAIN, "2025-09-06 01:00")
    refresh(session, [d1.id, d2.id])
    assert rows(session) == [("danger", at("2025-09-05 23:10"), None, "uav", d1.message_id)]  # still open
    c = alert(session, "a3", CLEAR, "2025-09-06 05:40")
    result = refresh(session, [c.id])
    assert (result.statuses_added, result.statuses_removed) == (
        1,
        1,
    )  # the open row is replaced by the closed
    assert rows(session) == [("danger", at("2025-09-05 23:10"), at("2025-09-06 05:40"), "uav", d1.message_id)]
    assert refresh(session, [d1.id, d2.id, c.id]) == RefreshResult()


def test_out_of_order_arrival_and_a_late_clear(session):
    c = alert(session, "a2", CLEAR, "2025-09-06 05:40")
    refresh(session, [c.id])
    # a clear with no danger seen: a zero-length "clear" row
    assert rows(session) == [("clear", at("2025-09-06 05:40"), at("2025-09-06 05:40"), "uav", c.message_id)]
    d = alert(session, "a1", DANGER, "2025-09-05 23:10")
    refresh(session, [d.id])
    assert rows(session) == [("danger", at("2025-09-05 23:10"), at("2025-09-06 05:40"), "uav", d.message_id)]
    # a danger whose all-clear comes days later (beyond the refresh margin) is still closed by it
    d2 = alert(session, "a3", DANGER, "2025-09-10 22:00")
    refresh(session, [d2.id])
    late = alert(session, "a4", CLEAR, "2025-09-15 06:00")
    refresh(session, [late.id])
    assert rows(session)[-1] == (
        "danger",
        at("2025-09-10 22:00"),
        at("2025-09-15 06:00"),
        "uav",
        d2.message_id,
    )
    assert refresh_all(session) == RefreshResult()


def test_statuses_per_region_and_weapon(session):
    m = post(session, "governor_bry", R, "b1", MISSILE, at("2025-09-06 14:00"))
    d = alert(session, "a1", DANGER, "2025-09-06 14:05")
    refresh(session, [m.id, d.id])
    assert rows(session, "RU-BRY") == [("danger", at("2025-09-06 14:00"), None, "missile", m.message_id)]
    assert [r[0] for r in rows(session)] == ["danger"]


def test_edited_alert_removes_its_status(session):
    d = alert(session, "a1", DANGER, "2025-09-05 23:10")
    refresh(session, [d.id])
    assert len(rows(session)) == 1
    edited = alert(
        session, "a1", "Уважаемые жители Смоленской области! Завтра плановые работы.", "2025-09-05 23:10"
    )
    result = refresh(session, [edited.id])
    assert result.statuses_removed == 1
    assert rows(session) == []


def test_refresh_all_builds_statuses_from_scratch(session):
    d = alert(session, "a1", DANGER, "2025-09-05 23:10")
    c = alert(session, "a2", CLEAR, "2025-09-06 05:40")
    assert d and c
    result = refresh_all(session)
    assert result.statuses_added == 1
    assert rows(session)[0][1:3] == (
        at("2025-09-05 23:10"),
        at("2025-09-05 23:10") + timedelta(hours=6, minutes=30),
    )
    assert refresh_all(session) == RefreshResult()


def test_edited_all_clear_reopens_the_danger_it_had_closed(session):
    # the all-clear's message owns no row (the danger row is the danger's message's): its edit must still
    # reopen the danger, which lasts until the next all-clear, days later
    d = alert(session, "a1", DANGER, "2025-09-05 23:10")
    c = alert(session, "a2", CLEAR, "2025-09-06 05:40")
    later = alert(session, "a3", CLEAR, "2025-09-12 06:00")
    refresh(session, [d.id, c.id, later.id])
    assert [r[:3] for r in rows(session)] == [
        ("danger", at("2025-09-05 23:10"), at("2025-09-06 05:40")),
        ("clear", at("2025-09-12 06:00"), at("2025-09-12 06:00")),
    ]
    edited = alert(
        session, "a2", "Уважаемые жители Смоленской области! Завтра плановые работы.", "2025-09-06 05:40"
    )
    result = refresh(session, [edited.id])
    assert (result.statuses_added, result.statuses_removed) == (1, 2)
    assert rows(session) == [("danger", at("2025-09-05 23:10"), at("2025-09-12 06:00"), "uav", d.message_id)]
    assert refresh_all(session) == RefreshResult()
