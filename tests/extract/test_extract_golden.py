"""End-to-end golden tables: one statement in, the contract fields that matter for it checked.

Every statement here was written for these tests (not taken from the development set), so the tables
measure how the extractor generalises. Expectations follow ``contract/labelling.md`` exactly; where the
extractor disagrees with a correct expectation the row is kept and marked ``xfail(strict=True)`` with the
general pattern that fails.
"""

from __future__ import annotations

from typing import Any

import pytest

from tocsin.extract import extract

_PERIOD = {"period_text": "text", "period_start": "start", "period_end": "end"}


def row(case_id: str, text: str, *, published: str | None = None, lang: str | None = None,
        xfail: str | None = None, **expected: Any):
    """One golden row; ``xfail`` names the general pattern the extractor gets wrong."""
    xfail = xfail or XFAIL.get(case_id)
    marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
    return pytest.param(text, published, lang, expected, id=case_id, marks=marks)


def compare(contract: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """The mismatches between ``expected`` (a dict of contract fields) and ``contract``.

    ``per_region`` is compared as a set of (iso, destroyed) pairs, ``regions`` as a set of isos only,
    ``interceptors`` as a set, ``period_text``/``period_start``/``period_end`` against ``period``.
    """
    bad = []
    for key, want in expected.items():
        if key == "per_region":
            got: Any = {(r["iso"], r["destroyed"]) for r in contract["per_region"]}
            want = set(want)
        elif key == "regions":
            got = {r["iso"] for r in contract["per_region"]}
            want = set(want)
        elif key == "interceptors":
            got = set(contract["interceptors"])
            want = set(want)
        elif key in _PERIOD:
            got = contract["period"][_PERIOD[key]]
        else:
            got = contract[key]
        if got != want:
            bad.append(f"{key}: expected {want!r}, got {got!r}")
    return bad


def check(text: str, published: str | None, lang: str | None, expected: dict[str, Any]) -> None:
    claim = extract(text, lang=lang, published=published)
    contract = claim.to_contract()
    bad = compare(contract, expected)
    assert not bad, "\n".join([text, *bad])
    # every non-null value asserted here carries valid evidence
    for key, want in expected.items():
        field = {"regions": "per_region"}.get(key, key)
        if field in ("kind", "weapon", "speaker") or field in _PERIOD or want in (None, [], set()):
            continue
        spans = contract["evidence"].get(field)
        assert spans, f"{field} = {want!r} has no evidence"
        for start, end in spans:
            assert 0 <= start < end <= len(text)


# Rows the extractor gets wrong today, with the general pattern that fails (see the module docstring).
# Empty: every pattern found while writing these tables has been fixed in the rules.
XFAIL: dict[str, str] = {}

INTERCEPTION = "interception"
ATTACK = "attack_no_outcome"
NOT = "not_incident"

# ------------------------------------------------------------------------------------------- Russian
RU = [
    row("ru-one-digit",
        "Над территорией Брянской области дежурными средствами ПВО уничтожен 1 беспилотник самолётного "
        "типа. Пострадавших нет.",
        kind=INTERCEPTION, weapon="uav", total_destroyed=1, per_region=[("RU-BRY", 1)],
        interceptors=["air_defense"], killed=0, injured=0, launched=None),
    row("ru-words-genitive",
        "Силами противовоздушной обороны над Курской областью сбито семь беспилотных летательных "
        "аппаратов.",
        kind=INTERCEPTION, weapon="uav", total_destroyed=7, per_region=[("RU-KRS", 7)],
        interceptors=["air_defense"]),
    row("ru-words-compound-accusative",
        "Дежурные средства ПВО перехватили и уничтожили двадцать три украинских беспилотника над "
        "территорией Ростовской области.",
        kind=INTERCEPTION, weapon="uav", total_destroyed=23, per_region=[("RU-ROS", 23)]),
    row("ru-words-instrumental",
        "Над Воронежской областью расчёты ПВО справились с пятнадцатью беспилотниками: все они сбиты.",
        kind=INTERCEPTION, weapon="uav", total_destroyed=15, regions=["RU-VOR"]),
    row("ru-mod-list-sea-left-out",
        "В течение прошедшей ночи дежурными средствами ПВО перехвачены и уничтожены 41 украинский "
        "беспилотный летательный аппарат: 18 – над территорией Брянской области, 11 – над территорией "
        "Курской области, 7 – над территорией Орловской области, 5 – над акваторией Чёрного моря.",
        kind=INTERCEPTION, weapon="uav", total_destroyed=41,
        per_region=[("RU-BRY", 18), ("RU-KRS", 11), ("RU-ORL", 7)], interceptors=["air_defense"],
        period_text="В течение прошедшей ночи", period_start=None, period_end=None),
    row("ru-sum-without-total",
        "Над Белгородской областью сбиты 4 беспилотника, над Курской областью — ещё 3.",
        kind=INTERCEPTION, total_destroyed=7, per_region=[("RU-BEL", 4), ("RU-KRS", 3)]),
    row("ru-regions-without-counts",
        "Беспилотники сбиты над Тульской и Калужской областями, сообщили в оперштабах.",
        kind=INTERCEPTION, weapon="uav", total_destroyed=None,
        per_region=[("RU-TUL", None), ("RU-KLU", None)]),
    row("ru-more-than-vague",
        "Над Липецкой областью сбиты более десяти беспилотников.",
        kind=INTERCEPTION, total_destroyed=None, per_region=[("RU-LIP", None)]),
    row("ru-about-n",
        "По словам губернатора, над Воронежской областью уничтожено около 20 дронов.",
        kind=INTERCEPTION, total_destroyed=20, per_region=[("RU-VOR", 20)]),
    row("ru-at-least-words-crimea",
        "Над Крымом перехвачены не менее пяти крылатых ракет.",
        kind=INTERCEPTION, weapon="missile", total_destroyed=5, per_region=[("UA-43", 5)]),
    row("ru-sevastopol-air-targets",
        "Над Севастополем силами ПВО сбиты две воздушные цели. Обломки упали на пустырь, пострадавших нет.",
        kind=INTERCEPTION, weapon=None, total_destroyed=2, per_region=[("UA-40", 2)],
        interceptors=["air_defense"], debris_fell=True, killed=0, injured=0),
    row("ru-moscow-city",
        "Мэр Москвы Сергей Собянин сообщил, что силы ПВО сбили три беспилотника, летевших на Москву. "
        "На месте падения обломков работают экстренные службы.",
        kind=INTERCEPTION, weapon="uav", total_destroyed=3, per_region=[("RU-MOW", 3)],
        debris_fell=True, emergency_response=True, speaker="Сергей Собянин"),
    row("ru-moscow-oblast",
        "В Московской области над Раменским городским округом уничтожены 2 беспилотника.",
        kind=INTERCEPTION, total_destroyed=2, per_region=[("RU-MOS", 2)]),
    row("ru-running-tally",
        "Ещё два беспилотника сбиты на подлёте к Москве. Всего за ночь уничтожено уже восемь.",
        kind=INTERCEPTION, total_destroyed=8, regions=["RU-MOW"]),
    row("ru-ew-suppressed",
        "Средствами РЭБ над Псковской областью подавлены шесть беспилотников.",
        kind=INTERCEPTION, total_destroyed=6, per_region=[("RU-PSK", 6)],
        interceptors=["electronic_warfare"]),
    row("ru-split-by-means",
        "Над Калужской областью средствами ПВО сбиты 4 беспилотника, ещё 3 подавлены средствами РЭБ.",
        kind=INTERCEPTION, total_destroyed=7, interceptors=["air_defense", "electronic_warfare"],
        regions=["RU-KLU"]),
    row("ru-aviation-missiles",
        "Истребители ВКС уничтожили две крылатые ракеты над Ростовской областью.",
        kind=INTERCEPTION, weapon="missile", total_destroyed=2, per_region=[("RU-ROS", 2)],
        interceptors=["aviation"]),
    row("ru-mixed-attack",
        "Ночью противник атаковал Белгородскую область ракетами и беспилотниками. Сбиты пять БПЛА.",
        kind=INTERCEPTION, weapon="mixed", total_destroyed=5),
    row("ru-launched-vs-destroyed",
        "Из 30 запущенных по Курской области беспилотников уничтожены 25.",
        kind=INTERCEPTION, weapon="uav", launched=30, total_destroyed=25),
    row("ru-alert",
        "В Липецкой области объявлен режим беспилотной опасности. Просим жителей оставаться дома.",
        kind=ATTACK, weapon="uav", regions=["RU-LIP"], total_destroyed=None),
    row("ru-all-clear",
        "Отбой беспилотной опасности в Курской области.",
        kind=ATTACK, regions=["RU-KRS"]),
    row("ru-strike-casualties",
        "В результате удара беспилотника по Белгороду ранены два человека, повреждены три частных дома.",
        kind=ATTACK, weapon="uav", injured=2, killed=None, infrastructure_damage=True,
        regions=["RU-BEL"], total_destroyed=None),
    row("ru-killed-and-injured-words",
        "При атаке дронов на Курск погиб мирный житель, ещё трое ранены.",
        kind=ATTACK, killed=1, injured=3),
    row("ru-drill",
        "В Смоленской области 12 сентября пройдут учения МЧС с включением сирен.",
        kind=NOT),
    row("ru-month-statistics",
        "За август средствами ПВО над Брянской областью было уничтожено более трёхсот беспилотников, "
        "подвёл итоги губернатор.",
        kind=NOT),
    row("ru-infrastructure-news",
        "В Курской области завершён ремонт подстанции, электроснабжение посёлков восстановлено.",
        kind=NOT),
    row("ru-casualties-being-clarified",
        "Над Брянской областью сбит беспилотник. Информация о пострадавших уточняется.",
        kind=INTERCEPTION, total_destroyed=1, killed=None, injured=None),
    row("ru-no-wounded-only",
        "Над Белгородом сбиты две ракеты, раненых нет.",
        kind=INTERCEPTION, weapon="missile", total_destroyed=2, injured=0, killed=None),
    row("ru-grass-fire-no-damage",
        "Над Тверской областью уничтожен беспилотник. Обломки упали в поле, загорелась сухая трава. "
        "Разрушений нет.",
        kind=INTERCEPTION, debris_fell=True, fire=True, infrastructure_damage=False),
    row("ru-silent-consequences",
        "Над Орловской областью сбиты 3 беспилотника.",
        kind=INTERCEPTION, killed=None, injured=None, infrastructure_damage=None, debris_fell=None,
        fire=None, emergency_response=None, interceptors=[]),
    row("ru-pinned-moscow-time",
        "С 20:00 до 23:00 по московскому времени над Брянской областью уничтожены 6 беспилотников.",
        published="2025-02-03",
        kind=INTERCEPTION, total_destroyed=6, period_text="С 20:00 до 23:00 по московскому времени",
        period_start="2025-02-03T20:00:00+03:00", period_end="2025-02-03T23:00:00+03:00"),
    row("ru-readiness-not-interceptor",
        "В Тамбовской области объявлена угроза атаки БПЛА, силы ПВО в готовности.",
        kind=ATTACK, interceptors=[], regions=["RU-TAM"]),
    row("ru-moscow-region-convention",
        "Минобороны: над территорией Московского региона уничтожены 3 беспилотника.",
        kind=INTERCEPTION, total_destroyed=3, per_region=[("RU-MOS", 3)]),
    row("ru-repelling-in-progress",
        "Продолжается отражение атаки БПЛА на Белгородскую область.",
        kind=ATTACK, weapon="uav", regions=["RU-BEL"], total_destroyed=None),
    row("ru-ew-landed",
        "Над Курской областью средствами РЭБ приземлены два беспилотника.",
        kind=INTERCEPTION, total_destroyed=2, per_region=[("RU-KRS", 2)],
        interceptors=["electronic_warfare"]),
    row("ru-no-victims-services-in-readiness",
        "Над Брянской областью сбиты 2 беспилотника. Жертв нет. Экстренные службы в готовности.",
        kind=INTERCEPTION, killed=0, injured=0, emergency_response=None),
    row("ru-city-and-its-oblast",
        "ПВО сбила над Воронежем шесть беспилотников, еще два — над Воронежской областью.",
        kind=INTERCEPTION, total_destroyed=8, per_region=[("RU-VOR", 8)], interceptors=["air_defense"]),
    row("ru-drones-and-missiles-summed",
        "Над Ростовской областью уничтожены 12 беспилотников и 2 ракеты.",
        kind=INTERCEPTION, weapon="mixed", total_destroyed=14, per_region=[("RU-ROS", 14)]),
    row("ru-crimea-and-sevastopol",
        "Над Крымом сбиты 6 беспилотников, над Севастополем — 2.",
        kind=INTERCEPTION, total_destroyed=8, per_region=[("UA-43", 6), ("UA-40", 2)]),
    row("ru-did-not-reach-but-suppressed",
        "Вражеские БПЛА не долетели до целей: 7 из них подавлены РЭБ над Тамбовской областью.",
        kind=INTERCEPTION, total_destroyed=7, interceptors=["electronic_warfare"]),
]

# ----------------------------------------------------------------------------------------- Ukrainian
UK = [
    row("uk-digits-poltava",
        "Вночі над Полтавщиною сили ППО знищили 8 ударних БпЛА.",
        kind=INTERCEPTION, weapon="uav", total_destroyed=8, per_region=[("UA-53", 8)],
        interceptors=["air_defense"]),
    row("uk-words-odesa",
        "Над Одещиною збито одинадцять безпілотників.",
        kind=INTERCEPTION, weapon="uav", total_destroyed=11, per_region=[("UA-51", 11)]),
    row("uk-words-compound",
        "Захисники неба знищили двадцять один ударний БпЛА над Херсонщиною.",
        kind=INTERCEPTION, total_destroyed=21, per_region=[("UA-65", 21)]),
    row("uk-launched-mixed-sum",
        "Протягом ночі противник атакував 62 ударними БпЛА типу Shahed та 4 крилатими ракетами. "
        "Збито 55 дронів і 3 ракети.",
        kind=INTERCEPTION, weapon="mixed", launched=66, total_destroyed=58),
    row("uk-out-of-n",
        "У ніч на 5 березня ворог атакував Україну ударними БпЛА та ракетами. З 120 засобів повітряного "
        "нападу збито 97.",
        kind=INTERCEPTION, weapon="mixed", launched=120, total_destroyed=97,
        period_text="У ніч на 5 березня", period_start=None),
    row("uk-kyiv-city-vague",
        "У Києві сили ППО знищили понад десять ворожих дронів.",
        kind=INTERCEPTION, total_destroyed=None, per_region=[("UA-30", None)]),
    row("uk-kyiv-oblast-damage",
        "На Київщині збито 5 безпілотників, пошкоджено два приватні будинки.",
        kind=INTERCEPTION, total_destroyed=5, per_region=[("UA-32", 5)], infrastructure_damage=True),
    row("uk-mobile-fire-groups-aviation",
        "Мобільні вогневі групи та авіація збили над Житомирщиною шість дронів.",
        kind=INTERCEPTION, total_destroyed=6, per_region=[("UA-18", 6)],
        interceptors=["mobile_fire_groups", "aviation"]),
    row("uk-ew-and-lost-from-radar",
        "Над Черкащиною знищено 12 дронів, ще 9 подавлено засобами РЕБ, 14 локаційно втрачено.",
        kind=INTERCEPTION, total_destroyed=21, interceptors=["electronic_warfare"]),
    row("uk-about-n",
        "Над Харківщиною збито близько 30 шахедів.",
        kind=INTERCEPTION, weapon="uav", total_destroyed=30, per_region=[("UA-63", 30)]),
    row("uk-several",
        "Над Миколаєвом збито кілька дронів.",
        kind=INTERCEPTION, total_destroyed=None, per_region=[("UA-48", None)]),
    row("uk-alert-ballistic",
        "Повітряна тривога в Дніпропетровській області. Загроза застосування балістичних ракет.",
        kind=ATTACK, weapon="missile", regions=["UA-12"]),
    row("uk-all-clear",
        "Відбій повітряної тривоги у Львівській області.",
        kind=ATTACK, regions=["UA-46"]),
    row("uk-strike-casualties",
        "Внаслідок ракетного удару по Запоріжжю загинули троє людей, ще 12 отримали поранення.",
        kind=ATTACK, weapon="missile", killed=3, injured=12, regions=["UA-23"]),
    row("uk-drill",
        "Завтра у Львові перевірятимуть систему оповіщення: лунатимуть сирени, це планові навчання.",
        kind=NOT),
    row("uk-month-statistics",
        "У липні сили оборони збили понад шість тисяч дронів — це рекорд з початку року.",
        kind=NOT),
    row("uk-infrastructure-news",
        "У Чернігові відновили рух тролейбусів після ремонту контактної мережі.",
        kind=NOT),
    row("uk-nobody-hurt",
        "На Сумщині збито 3 БпЛА, ніхто не постраждав.",
        kind=INTERCEPTION, total_destroyed=3, per_region=[("UA-59", 3)], killed=0, injured=0),
    row("uk-casualties-being-clarified",
        "Над Чернігівщиною знищено 4 дрони. Інформація щодо постраждалих уточнюється.",
        kind=INTERCEPTION, total_destroyed=4, killed=None, injured=None),
    row("uk-debris-fire-services",
        "Над Вінниччиною збито 4 дрони. Уламки впали на дах складу, виникла пожежа. На місці працюють "
        "рятувальники ДСНС.",
        kind=INTERCEPTION, total_destroyed=4, debris_fell=True, fire=True, emergency_response=True,
        infrastructure_damage=True),
    row("uk-pinned-summer",
        "З 01:00 до 05:30 над Київщиною збито 7 дронів.",
        published="2025-07-14",
        kind=INTERCEPTION, total_destroyed=7, per_region=[("UA-32", 7)],
        period_start="2025-07-14T01:00:00+03:00", period_end="2025-07-14T05:30:00+03:00"),
    row("uk-pinned-winter",
        "З 19:00 до 23:00 над Київщиною збито 7 дронів.",
        published="2025-01-14",
        kind=INTERCEPTION, total_destroyed=7,
        period_start="2025-01-14T19:00:00+02:00", period_end="2025-01-14T23:00:00+02:00"),
    row("uk-two-regions-sum",
        "Над Харківською областю знищено 6 дронів, над Сумською областю — 4.",
        kind=INTERCEPTION, total_destroyed=10, per_region=[("UA-63", 6), ("UA-59", 4)]),
    row("uk-aviation-and-zrv-missiles",
        "Авіація та зенітні ракетні війська знищили 3 крилаті ракети Х-101 над Кіровоградщиною.",
        kind=INTERCEPTION, weapon="missile", total_destroyed=3, per_region=[("UA-35", 3)],
        interceptors=["aviation", "air_defense"]),
    row("uk-no-victims-no-damage",
        "Над Рівненщиною збито ракету. Жертв та руйнувань немає.",
        kind=INTERCEPTION, weapon="missile", total_destroyed=1, killed=0, injured=0,
        infrastructure_damage=False),
    row("uk-no-wounded-only",
        "Над Полтавою збито 2 дрони, поранених немає.",
        kind=INTERCEPTION, injured=0, killed=None),
    row("uk-running-tally",
        "Ще два дрони знищено над Києвом. Загалом від початку атаки збито вже дев'ять.",
        kind=INTERCEPTION, total_destroyed=9, regions=["UA-30"]),
    row("uk-no-cue-letters",
        "Збито 12 БпЛА: 5 — над Сумщиною, 7 — над Полтавщиною.",
        kind=INTERCEPTION, weapon="uav", total_destroyed=12, per_region=[("UA-59", 5), ("UA-53", 7)]),
    row("uk-kyiv-city-vs-oblast",
        "Над Києвом збито 3 ракети, над Київською областю — 2.",
        kind=INTERCEPTION, weapon="missile", total_destroyed=5, per_region=[("UA-30", 3), ("UA-32", 2)]),
    row("uk-lost-from-radar-same-sentence",
        "Над Сумщиною збито 31 дрон, ще 9 локаційно втрачено.",
        kind=INTERCEPTION, total_destroyed=31, per_region=[("UA-59", 31)]),
    row("uk-air-force-bare-count",
        "У ніч на 10 квітня ворог атакував 40 ударними БпЛА. Збито 31, ще 9 локаційно втрачені.",
        kind=INTERCEPTION, weapon="uav", launched=40, total_destroyed=31),
    row("uk-killed-zero-injured-count",
        "Внаслідок атаки на Одесу пошкоджено портову інфраструктуру, виникла пожежа. Загиблих немає, двоє "
        "людей поранені.",
        kind=ATTACK, killed=0, injured=2, infrastructure_damage=True, fire=True, regions=["UA-51"]),
    row("uk-air-defence-at-work",
        "Вночі ППО працювала на Київщині. Інформація про наслідки уточнюється.",
        kind=ATTACK, regions=["UA-32"], total_destroyed=None),
    row("uk-count-shared-with-sea",
        "Над Кримом та Чорним морем збито 20 дронів.",
        kind=INTERCEPTION, total_destroyed=20, per_region=[("UA-43", None)]),
]

# ------------------------------------------------------------------------------------------- English
EN = [
    row("en-mod-list-sea-left-out",
        "Russia's defence ministry said air defence units destroyed 24 Ukrainian drones overnight: 10 over "
        "the Belgorod region, 8 over the Kursk region and 6 over the Black Sea.",
        kind=INTERCEPTION, weapon="uav", total_destroyed=24,
        per_region=[("RU-BEL", 10), ("RU-KRS", 8)], interceptors=["air_defense"],
        period_text="overnight", period_start=None),
    row("en-words",
        "Air defences shot down fifteen drones over the Rostov region.",
        kind=INTERCEPTION, weapon="uav", total_destroyed=15, per_region=[("RU-ROS", 15)],
        interceptors=["air_defense"]),
    row("en-out-of",
        "Ukraine's air force said it downed 45 of 60 drones launched by Russia overnight.",
        kind=INTERCEPTION, weapon="uav", total_destroyed=45, launched=60),
    row("en-about",
        "About 30 drones were destroyed over the Bryansk region, the governor said.",
        kind=INTERCEPTION, total_destroyed=30, per_region=[("RU-BRY", 30)]),
    row("en-several",
        "Several drones were shot down over the Tula region.",
        kind=INTERCEPTION, total_destroyed=None, per_region=[("RU-TUL", None)]),
    row("en-at-least-kyiv",
        "At least seven missiles were intercepted over Kyiv.",
        kind=INTERCEPTION, weapon="missile", total_destroyed=7, per_region=[("UA-30", 7)]),
    row("en-kyiv-oblast-no-casualties",
        "Two drones were destroyed over the Kyiv region, with no casualties reported.",
        kind=INTERCEPTION, total_destroyed=2, per_region=[("UA-32", 2)], killed=0, injured=0),
    row("en-moscow-city",
        "Moscow Mayor Sergei Sobyanin said air defences shot down three drones flying towards Moscow.",
        kind=INTERCEPTION, total_destroyed=3, per_region=[("RU-MOW", 3)], speaker="Sergei Sobyanin"),
    row("en-moscow-oblast",
        "Four drones were downed over the Moscow region's Podolsk district.",
        kind=INTERCEPTION, total_destroyed=4, per_region=[("RU-MOS", 4)]),
    row("en-crimea-sea",
        "Russian air defences intercepted 11 drones over Crimea and five over the Sea of Azov.",
        kind=INTERCEPTION, total_destroyed=16, per_region=[("UA-43", 11)]),
    row("en-sevastopol",
        "Two missiles were shot down over Sevastopol, the city's Russian-installed governor said; falling "
        "debris damaged a house.",
        kind=INTERCEPTION, weapon="missile", total_destroyed=2, per_region=[("UA-40", 2)],
        debris_fell=True, infrastructure_damage=True),
    row("en-running-tally",
        "Sobyanin said another drone was downed on approach to Moscow, bringing the total to five.",
        kind=INTERCEPTION, total_destroyed=5, regions=["RU-MOW"]),
    row("en-ew",
        "Electronic warfare suppressed eight drones over the Kaluga region.",
        kind=INTERCEPTION, total_destroyed=8, per_region=[("RU-KLU", 8)],
        interceptors=["electronic_warfare"]),
    row("en-aviation",
        "Tactical aviation destroyed two cruise missiles over the Kursk region.",
        kind=INTERCEPTION, weapon="missile", total_destroyed=2, interceptors=["aviation"]),
    row("en-mobile-fire-groups",
        "Mobile fire groups shot down nine Shahed drones over the Chernihiv region.",
        kind=INTERCEPTION, weapon="uav", total_destroyed=9, per_region=[("UA-74", 9)],
        interceptors=["mobile_fire_groups"]),
    row("en-alert",
        "An air raid alert has been declared in the Kharkiv region due to the threat of ballistic missiles.",
        kind=ATTACK, weapon="missile", regions=["UA-63"]),
    row("en-all-clear",
        "The air raid alert in the Poltava region is over; the all-clear has been given.",
        kind=ATTACK, regions=["UA-53"]),
    row("en-strike-casualties",
        "A Russian missile strike on Dnipro killed four people and injured 19, the regional governor said.",
        kind=ATTACK, weapon="missile", killed=4, injured=19, regions=["UA-12"], total_destroyed=None),
    row("en-drill",
        "Civil defence drills with sirens will be held in Ryazan on Thursday.",
        kind=NOT),
    row("en-month-statistics",
        "Over the past three months, Russian air defences have destroyed more than 5,000 drones, the "
        "ministry said in a summary.",
        kind=NOT),
    row("en-infrastructure-news",
        "The city council approved funds to repair the Kharkiv metro.",
        kind=NOT),
    row("en-no-one-injured",
        "A drone was shot down over the Voronezh region; no one was injured.",
        kind=INTERCEPTION, total_destroyed=1, injured=0, killed=None),
    row("en-casualties-being-clarified",
        "Three drones were shot down over the Lipetsk region. Information on casualties is being clarified.",
        kind=INTERCEPTION, total_destroyed=3, killed=None, injured=None),
    row("en-debris-fire-firefighters",
        "Debris from a downed drone fell on a fuel depot in the Tambov region and started a fire; "
        "firefighters are working at the scene.",
        kind=INTERCEPTION, debris_fell=True, fire=True, emergency_response=True,
        infrastructure_damage=True),
    row("en-no-damage",
        "Air defences destroyed six drones over the Oryol region. There was no damage.",
        kind=INTERCEPTION, total_destroyed=6, infrastructure_damage=False, fire=None, debris_fell=None),
    row("en-pinned-moscow",
        "Between 20:00 and 23:00 Moscow time, air defences destroyed 12 drones over the Bryansk region.",
        published="2025-03-01",
        kind=INTERCEPTION, total_destroyed=12,
        period_start="2025-03-01T20:00:00+03:00", period_end="2025-03-01T23:00:00+03:00"),
    row("en-pinned-kyiv-summer",
        "From 18:00 to 22:00 on 3 August, air defence shot down 7 drones over the Kyiv region.",
        published="2025-08-04",
        kind=INTERCEPTION, total_destroyed=7,
        period_start="2025-08-03T18:00:00+03:00", period_end="2025-08-03T22:00:00+03:00"),
    row("en-pinned-kyiv-winter",
        "Between 19:00 and 23:00 on December 10, air defence shot down 5 drones over the Kyiv region.",
        published="2024-12-11",
        kind=INTERCEPTION, total_destroyed=5,
        period_start="2024-12-10T19:00:00+02:00", period_end="2024-12-10T23:00:00+02:00"),
    row("en-mixed-launched",
        "Russia attacked Ukraine overnight with 50 drones and 6 missiles; air defence destroyed 40 drones.",
        kind=INTERCEPTION, weapon="mixed", launched=56, total_destroyed=40),
    row("en-nobody-hurt",
        "Five drones were downed over the Smolensk region and nobody was hurt.",
        kind=INTERCEPTION, total_destroyed=5, per_region=[("RU-SMO", 5)], killed=0, injured=0),
    row("en-injured-no-interception",
        "Three people were injured when a drone hit an apartment block in Kharkiv, blowing out windows on "
        "three floors.",
        kind=ATTACK, weapon="uav", injured=3, killed=None, infrastructure_damage=True, regions=["UA-63"]),
    row("en-being-repelled",
        "An attack by drones on Moscow is being repelled, Sobyanin said.",
        kind=ATTACK, weapon="uav", regions=["RU-MOW"], total_destroyed=None),
    row("en-no-information-on-casualties",
        "Three drones were destroyed over the Kursk region. There is no information on casualties.",
        kind=INTERCEPTION, total_destroyed=3, killed=None, injured=None),
    row("en-debris-services-kyiv",
        "Air defence destroyed 14 drones over Kyiv overnight. Drone debris fell on a house in the "
        "Darnytskyi district; emergency services are at the scene.",
        kind=INTERCEPTION, total_destroyed=14, per_region=[("UA-30", 14)], debris_fell=True,
        emergency_response=True, period_text="overnight"),
    row("en-died-of-wounds",
        "A man wounded in the drone attack on Belgorod died in hospital, the governor said.",
        kind=ATTACK, killed=1, injured=None, regions=["RU-BEL"]),
    row("en-weekly-launch-statistics",
        "Over 1,000 drones were launched at Ukraine in a week, Zelensky said.",
        kind=NOT),
]


@pytest.mark.parametrize(("text", "published", "lang", "expected"), RU)
def test_russian(text, published, lang, expected):
    check(text, published, lang, expected)


@pytest.mark.parametrize(("text", "published", "lang", "expected"), UK)
def test_ukrainian(text, published, lang, expected):
    check(text, published, lang, expected)


@pytest.mark.parametrize(("text", "published", "lang", "expected"), EN)
def test_english(text, published, lang, expected):
    check(text, published, lang, expected)


@pytest.mark.parametrize(("table", "lang"), [(RU, "ru"), (UK, "uk"), (EN, "en")])
def test_tables_are_big_enough_and_detected(table, lang):
    from tocsin.extract.lang import detect

    assert len(table) >= 25
    for param in table:
        if param.marks:
            continue  # known failures, some of them language detection itself
        assert detect(param.values[0]) == lang, param.id


def test_compare_helper():
    contract = extract("Над Смоленской областью сбиты 2 беспилотника.").to_contract()
    assert compare(contract, {"per_region": [("RU-SMO", 2)], "total_destroyed": 2}) == []
    assert compare(contract, {"total_destroyed": 3}) == ["total_destroyed: expected 3, got 2"]
