"""RegionStatus (``tocsin.status``): danger / all-clear events and intervals per region."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tocsin.domain import Claim, Kind, Period, RegionCount, Weapon
from tocsin.extract import extract
from tocsin.status import CLEAR, DANGER, StatusEvent, StatusInterval, classify, intervals, status_events

MSK = ZoneInfo("Europe/Moscow")
KYIV = ZoneInfo("Europe/Kyiv")


def at(hm: str, day: str = "2025-02-08", tz=MSK) -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=tz)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("На территории области объявлена угроза атаки БПЛА.", DANGER),
        ("Внимание! Ракетная опасность в регионе.", DANGER),
        ("Введён режим «Беспилотная опасность».", DANGER),
        ("Повітряна тривога в Одеській області.", DANGER),
        ("An air raid alert was declared in Kyiv.", DANGER),
        ("Отбой угрозы атаки БПЛА в 05:40.", CLEAR),
        ("Угроза атаки БПЛА снята.", CLEAR),
        ("Відбій тривоги в Харкові та області.", CLEAR),
        ("The all-clear was sounded after an air raid alert that lasted three hours.", CLEAR),
        ("Объявлена угроза атаки БПЛА. О снятии угрозы сообщу дополнительно.", DANGER),
        ("Объявлена воздушная тревога. Оставайтесь в укрытиях до отбоя.", DANGER),
        ("Движение по мосту восстановлено.", None),
    ],
)
def test_classify(text, expected):
    assert classify(text) == expected


def alert_claim(*isos, start=None, weapon=None, kind=Kind.ATTACK_NO_OUTCOME) -> Claim:
    regions = [RegionCount(i) for i in isos]
    return Claim(kind=kind, weapon=weapon, per_region=regions, period=Period(None, start, start))


def test_status_events_use_regions_pin_and_weapon():
    text = "Повітряна тривога в Києві та області. Загроза балістики!"
    ev = status_events(alert_claim("UA-30", "UA-32"), text, at("02:05", tz=KYIV))
    assert ev == [StatusEvent("UA-30", DANGER, at("02:05", tz=KYIV), "missile"),
                  StatusEvent("UA-32", DANGER, at("02:05", tz=KYIV), "missile")]
    pinned = status_events(alert_claim("RU-SMO", start="2025-02-08T05:40:00+03:00", weapon=Weapon.UAV),
                           "Отбой угрозы атаки БПЛА в 05:40.", at("05:42"))
    assert pinned == [StatusEvent("RU-SMO", CLEAR, at("05:40"), "uav")]


def test_status_events_ignore_non_incidents_and_plain_reports():
    drill = alert_claim("UA-63", kind=Kind.NOT_INCIDENT)
    assert status_events(drill, "Під час навчань можлива повітряна тривога.", at("10:00")) == []
    report = alert_claim("RU-KRS", kind=Kind.INTERCEPTION)
    assert status_events(report, "Ночью сбиты три беспилотника.", at("08:00")) == []
    with pytest.raises(ValueError):
        status_events(report, "Угроза атаки БПЛА.", datetime(2025, 1, 1))


def test_status_events_with_the_real_extractor():
    text = "Смоленская область — отбой угрозы атаки БПЛА в 04:15. Спасибо за выдержку!"
    c = extract(text, lang="ru", published="2025-02-08T04:17:00+03:00")
    (ev,) = status_events(c, text, at("04:17"))
    assert (ev.iso, ev.status, ev.at) == ("RU-SMO", CLEAR, at("04:15"))


def test_intervals_open_close_repeat_and_orphan_clear():
    events = [
        StatusEvent("RU-SMO", DANGER, at("00:10"), "uav"),
        StatusEvent("RU-SMO", DANGER, at("01:00"), "uav"),  # repeated: no second interval
        StatusEvent("RU-SMO", CLEAR, at("03:00"), "uav"),
        StatusEvent("RU-SMO", CLEAR, at("04:00"), None),  # no open danger: zero-length, closed
        StatusEvent("RU-SMO", DANGER, at("22:00"), "missile"),  # still open at the end
        StatusEvent("RU-BRY", DANGER, at("01:30"), "uav"),
        StatusEvent("RU-BRY", DANGER, at("01:40"), "missile"),  # another weapon: mixed
        StatusEvent("RU-BRY", CLEAR, at("02:30"), None),
    ]
    expected = [
        StatusInterval("RU-BRY", at("01:30"), at("02:30"), "mixed"),
        StatusInterval("RU-SMO", at("00:10"), at("03:00"), "uav"),
        StatusInterval("RU-SMO", at("04:00"), at("04:00"), None),
        StatusInterval("RU-SMO", at("22:00"), None, "missile"),
    ]
    assert intervals(events) == expected
    rng = random.Random(3)
    for _ in range(20):
        rng.shuffle(events)
        assert intervals(events) == expected
    assert intervals([]) == []
