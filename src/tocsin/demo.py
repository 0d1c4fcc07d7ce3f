"""Demo data: a few weeks of statements over a dozen regions in Russian, Ukrainian and English.

Every text here is written by the project from templates; counts and times are random but coherent per
night (the defence ministry's list adds up to its total, governors mostly repeat its regional figure but
sometimes differ by one or keep it to themselves, alerts are followed by all-clears). Smolensk region sees
a slowly growing number of active nights, so the trend page has something to show, and the most recent
night is the seed story's: the Smolensk governor reports nine UAVs destroyed, no victims, no damage,
emergency services sent to where the debris fell.

Sources are marked as demo data: their names end in ``[demo]`` and their links point at ``example.org``.

``generate(days, seed)`` returns ``[(SourceSpec, [SourceItem, ...]), ...]`` — deterministic for a given seed
and ``now``. ``statements(...)`` gives the same texts with what each one says (``Statement.expect``), for
tests. ``load(engine)`` puts them through the real pipeline (``tocsin.ingest.ingest``): stored messages,
extracted claims, merged incidents and region statuses, exactly as a real import would.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from tocsin.domain import Authority, SourceItem, SourceKind

DEFAULT_DAYS = 21
DEFAULT_SEED = 20250906
DEMO_URL = "https://example.org/tocsin-demo"
MSK = ZoneInfo("Europe/Moscow")
KYIV = ZoneInfo("Europe/Kyiv")


# --------------------------------------------------------------------------------------------- sources


@dataclass(frozen=True, slots=True)
class DemoSource:
    key: str
    name: str
    kind: SourceKind
    authority: Authority
    lang: str
    author: str | None = None

    @property
    def url(self) -> str:
        return f"{DEMO_URL}/{self.key}"

    def spec(self) -> Any:
        from tocsin.ingest import SourceSpec

        return SourceSpec(name=self.name, kind=self.kind, authority=self.authority, url=self.url)


def _src(key: str, name: str, authority: Authority, lang: str, kind: SourceKind = SourceKind.TELEGRAM_WEB):
    return DemoSource(key, f"{name} [demo]", kind, authority, lang)


R, F, M = Authority.REGIONAL, Authority.FEDERAL, Authority.MEDIA
SOURCES: dict[str, DemoSource] = {
    s.key: s
    for s in (
        _src("mod-ru", "Минобороны России", F, "ru"),
        _src("gov-smo", "Губернатор Смоленской области", R, "ru"),
        _src("gov-bry", "Губернатор Брянской области", R, "ru"),
        _src("gov-krs", "Губернатор Курской области", R, "ru"),
        _src("gov-bel", "Губернатор Белгородской области", R, "ru"),
        _src("gov-vor", "Губернатор Воронежской области", R, "ru"),
        _src("gov-klu", "Губернатор Калужской области", R, "ru"),
        _src("mayor-mow", "Мэр Москвы", R, "ru"),
        _src("af-ua", "Повітряні сили ЗСУ", F, "uk"),
        _src("ova-63", "Харківська ОВА", R, "uk"),
        _src("ova-51", "Одеська ОВА", R, "uk"),
        _src("ova-12", "Дніпропетровська ОВА", R, "uk"),
        _src("kmva-30", "Київська міська ВА", R, "uk"),
        _src("ova-32", "Київська ОВА", R, "uk"),
        _src("wire-en", "Newswire (English)", M, "en", SourceKind.FEED),
    )
}

# --------------------------------------------------------------------------------------------- regions


@dataclass(frozen=True, slots=True)
class DemoRegion:
    iso: str
    gen: str  # "над территорией {gen}" (ru genitive)
    ins: str  # ru: "над {ins}" (instrumental); uk: the place with its preposition ("на Одещині", "у Києві")
    en: str
    source: str | None  # the regional source's key
    activity: Callable[[float], float]  # probability of an active night at progress t ∈ [0, 1]
    max_count: int


RU_REGIONS = (
    DemoRegion(
        "RU-SMO",
        "Смоленской области",
        "Смоленской областью",
        "the Smolensk region",
        "gov-smo",
        lambda t: 0.15 + 0.7 * t,
        10,
    ),
    DemoRegion(
        "RU-BRY", "Брянской области", "Брянской областью", "the Bryansk region", "gov-bry", lambda t: 0.7, 16
    ),
    DemoRegion(
        "RU-KRS", "Курской области", "Курской областью", "the Kursk region", "gov-krs", lambda t: 0.75, 14
    ),
    DemoRegion(
        "RU-BEL",
        "Белгородской области",
        "Белгородской областью",
        "the Belgorod region",
        "gov-bel",
        lambda t: 0.7,
        12,
    ),
    DemoRegion(
        "RU-VOR",
        "Воронежской области",
        "Воронежской областью",
        "the Voronezh region",
        "gov-vor",
        lambda t: 0.45,
        9,
    ),
    DemoRegion(
        "RU-KLU", "Калужской области", "Калужской областью", "the Kaluga region", "gov-klu", lambda t: 0.3, 6
    ),
    DemoRegion(
        "RU-MOS",
        "Московского региона",
        "Московским регионом",
        "the Moscow region",
        "mayor-mow",
        lambda t: 0.3,
        8,
    ),
)
UA_REGIONS = (
    DemoRegion("UA-63", "Харківщини", "на Харківщині", "Kharkiv Oblast", "ova-63", lambda t: 0.7, 12),
    DemoRegion("UA-51", "Одещини", "на Одещині", "Odesa Oblast", "ova-51", lambda t: 0.5, 15),
    DemoRegion(
        "UA-12",
        "Дніпропетровщини",
        "на Дніпропетровщині",
        "Dnipropetrovsk Oblast",
        "ova-12",
        lambda t: 0.55,
        10,
    ),
    DemoRegion("UA-30", "Києва", "у Києві", "Kyiv", "kmva-30", lambda t: 0.35, 8),
    DemoRegion("UA-32", "Київщини", "на Київщині", "Kyiv Oblast", "ova-32", lambda t: 0.4, 10),
)
REGIONS = {r.iso: r for r in (*RU_REGIONS, *UA_REGIONS)}
TREND_REGION = "RU-SMO"

# ----------------------------------------------------------------------------------------- statements


@dataclass(slots=True)
class Statement:
    """One generated text and what it says (for tests: ``expect`` holds the generator's own figures)."""

    source: str
    published: datetime
    text: str
    expect: dict[str, Any] = field(default_factory=dict)
    # expect: kind, regions {iso: destroyed | None}, total, launched, killed, injured, status


# --- words ----------------------------------------------------------------------------------------

RU_WORDS = ["ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять", "десять"]
UK_WORDS = ["нуль", "один", "два", "три", "чотири", "п'ять", "шість", "сім", "вісім", "дев'ять", "десять"]
RU_MONTHS_GEN = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
]
UK_MONTHS_GEN = [
    "січня",
    "лютого",
    "березня",
    "квітня",
    "травня",
    "червня",
    "липня",
    "серпня",
    "вересня",
    "жовтня",
    "листопада",
    "грудня",
]


def plural(n: int, one: str, few: str, many: str) -> str:
    """The Russian/Ukrainian noun form for ``n`` (1 беспилотник, 2 беспилотника, 5 беспилотников)."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _num(n: int, rng: random.Random, words: list[str], p_word: float = 0.4) -> str:
    if 2 <= n < len(words) and rng.random() < p_word:  # "один" needs gender agreement: keep digits
        return words[n]
    return str(n)


def _ru_destroyed(n: int) -> str:
    return "уничтожен" if plural(n, "1", "2", "5") == "1" else "уничтожены"


def _ru_downed(n: int) -> str:
    return "сбит" if plural(n, "1", "2", "5") == "1" else "сбиты"


def _at(day: date, hour: float, tz: ZoneInfo) -> datetime:
    """``hour`` hours after local midnight of ``day`` (may run past 24 into the next day)."""
    base = datetime.combine(day, time(0, 0), tzinfo=tz)
    return (base + timedelta(minutes=round(hour * 60))).astimezone(tz)


def _offset(dt: datetime) -> datetime:
    """The same instant with a fixed numeric offset (as a feed or an export gives it)."""
    off = dt.utcoffset() or timedelta(0)
    return dt.astimezone(timezone(off))


# --- Russian ----------------------------------------------------------------------------------------


UAVS_RU = (
    "украинский беспилотный летательный аппарат",
    "украинских беспилотных летательных аппарата",
    "украинских беспилотных летательных аппаратов",
)


def _mod_night(rng: random.Random, counts: dict[str, int]) -> str:
    total = sum(counts.values())
    noun = plural(total, *UAVS_RU)
    verb = "перехвачен и уничтожен" if plural(total, "1", "2", "5") == "1" else "перехвачены и уничтожены"
    opening = rng.choice(
        [
            "В течение прошедшей ночи дежурными средствами ПВО",
            "Минувшей ночью дежурными средствами противовоздушной обороны",
            "За прошедшую ночь дежурными средствами ПВО",
        ]
    )
    if len(counts) == 1:
        (iso,) = counts
        return f"{opening} {verb} {total} {noun} самолетного типа над территорией {REGIONS[iso].gen}."
    body = ",\n".join(f"{n} – над территорией {REGIONS[iso].gen}" for iso, n in counts.items())
    return f"{opening} {verb} {total} {noun} самолетного типа:\n{body}."


def _clock(hour: float) -> str:
    return f"{int(hour)}.{round(hour % 1 * 60):02d}"


def _mod_day(rng: random.Random, counts: dict[str, int], start: str, end: str) -> str:
    total = sum(counts.values())
    noun = plural(total, *UAVS_RU)
    verb = "перехвачен и уничтожен" if plural(total, "1", "2", "5") == "1" else "перехвачены и уничтожены"
    opening = f"Сегодня в период с {start} до {end} мск дежурными средствами ПВО {verb} {total} {noun}"
    if len(counts) == 1:
        (iso,) = counts
        return f"{opening} над территорией {REGIONS[iso].gen}."
    where = ", ".join(f"{n} – над территорией {REGIONS[iso].gen}" for iso, n in counts.items())
    return f"{opening}: {where}."


CASUALTY_NONE_RU = [
    "Пострадавших нет, объекты инфраструктуры не повреждены.",
    "Пострадавших и разрушений нет.",
    "Обошлось без пострадавших и разрушений.",
    "По предварительной информации, пострадавших нет.",
]


def _governor_night(
    rng: random.Random, region: DemoRegion, figure: int | None, injured: int, killed: int, damage: bool
) -> tuple[str, dict[str, Any]]:
    expect: dict[str, Any] = {"kind": "interception", "regions": {region.iso: figure}, "total": figure}
    if figure is None:
        opening = rng.choice(
            [
                f"Минувшей ночью над {region.ins} силами ПВО уничтожены беспилотники.",
                f"Ночью над территорией {region.gen} дежурные средства ПВО отразили атаку беспилотников.",
            ]
        )
    else:
        n_text = _num(figure, rng, RU_WORDS)
        opening = rng.choice(
            [
                f"В течение ночи над территорией {region.gen} силами ПВО и ВКС {_ru_destroyed(figure)} "
                f"{n_text} БПЛА.",
                f"Минувшей ночью над {region.ins} дежурными средствами ПВО {_ru_downed(figure)} {n_text} "
                f"{plural(figure, 'беспилотник', 'беспилотника', 'беспилотников')}.",
                f"Сегодня ночью в небе над {region.ins} {_ru_destroyed(figure)} {n_text} украинских БПЛА.",
            ]
        )
    parts = [opening]
    if killed or injured:
        if killed:
            parts.append(
                f"К сожалению, {plural(killed, 'погиб', 'погибли', 'погибли')} {killed} "
                f"{plural(killed, 'человек', 'человека', 'человек')}."
            )
            expect["killed"] = killed
        if injured:
            parts.append(
                f"{plural(injured, 'Пострадал', 'Пострадали', 'Пострадали')} {injured} "
                f"{plural(injured, 'человек', 'человека', 'человек')}: осколочные ранения, "
                "медицинская помощь оказывается."
            )
            expect["injured"] = injured
        parts.append("Повреждены частные дома, автомобили и линия электропередачи.")
    elif damage:
        parts.append(
            "Пострадавших нет. В результате падения обломков повреждены кровля и остекление частного дома."
        )
        expect.update(killed=0, injured=0)
    elif rng.random() < 0.85:
        parts.append(rng.choice(CASUALTY_NONE_RU))
        expect.update(killed=0, injured=0)
    if rng.random() < 0.6:
        parts.append(
            rng.choice(
                [
                    "На места падения обломков направлены экстренные службы.",
                    "На месте работают оперативные службы.",
                ]
            )
        )
    if rng.random() < 0.35:
        parts.append("Если вы обнаружили обломки, не подходите к ним и сообщите по телефону 112.")
    return " ".join(parts), expect


def _mayor(rng: random.Random, n: int) -> str:
    drones = plural(n, "беспилотника", "беспилотников", "беспилотников")
    return rng.choice(
        [
            f"Силы ПВО Минобороны отразили атаку {n} {drones}, летевших на Москву. На месте падения обломков "
            "работают специалисты экстренных служб.",
            f"Сбиты ещё {n} БПЛА, летевших на Москву. Экстренные службы работают на месте падения обломков.",
        ]
    )


def _alert_ru(rng: random.Random, region: DemoRegion) -> str:
    return rng.choice(
        [
            f"Внимание! Угроза атаки БПЛА на территории {region.gen}. Оставайтесь в укрытиях, "
            "держитесь подальше от окон.",
            f"Угроза атаки беспилотников в {region.gen}. Просим жителей сохранять "
            "спокойствие и находиться в безопасных местах.",
        ]
    )


def _clear_ru(rng: random.Random, region: DemoRegion) -> str:
    return rng.choice(
        [
            f"Отбой угрозы атаки БПЛА на территории {region.gen}.",
            f"Угроза атаки беспилотников в {region.gen} снята. Отбой.",
        ]
    )


NEGATIVES_RU = [
    "В {d} {m} в Смоленске пройдёт проверка системы оповещения населения: с 10:00 до 10:05 прозвучат "
    "сирены. Это учебное мероприятие, никаких действий от жителей не требуется.",
    "На следующей неделе в школах Брянской области пройдут учения по эвакуации. Просим родителей "
    "отнестись с пониманием.",
    "Напоминаем: при обнаружении подозрительных предметов не трогайте их и звоните по номеру 112.",
]

# --- Ukrainian --------------------------------------------------------------------------------------


def _af_summary(rng: random.Random, day: date, launched: int, destroyed: int, locations: int) -> str:
    prev = day - timedelta(days=1)
    return (
        f"У ніч на {day.day} {UK_MONTHS_GEN[day.month - 1]} (з 18:00 {prev.day} "
        f"{UK_MONTHS_GEN[prev.month - 1]}) противник атакував {launched} ударними БпЛА типу Shahed та "
        "дронами-імітаторами різних типів.\n"
        f"За попередніми даними, станом на 08:30 протиповітряною обороною збито/подавлено {destroyed} "
        "ворожих БпЛА на півночі, півдні, сході та в центрі країни.\n"
        f"Зафіксовано влучання {launched - destroyed} ударних БпЛА на {locations} локаціях."
    )


def _ova_night(
    rng: random.Random, region: DemoRegion, figure: int | None, injured: int, killed: int
) -> tuple[str, dict[str, Any]]:
    expect: dict[str, Any] = {"regions": {region.iso: figure}}
    if figure is None:
        opening = rng.choice(
            [
                f"Вночі ворог атакував ударними БпЛА об'єкти {region.ins}.",
                f"Вночі {region.ins} лунали вибухи: ворог атакував ударними дронами.",
            ]
        )
        expect["kind"] = "attack_no_outcome"
    else:
        n_text = _num(figure, rng, UK_WORDS)
        drones = plural(figure, "ворожий БпЛА", "ворожі БпЛА", "ворожих БпЛА")
        opening = rng.choice(
            [
                f"Вночі {region.ins} сили ППО знищили {n_text} {drones}.",
                f"Протягом ночі {region.ins} збито {n_text} {drones}.",
            ]
        )
        expect["kind"] = "interception"
        expect["total"] = figure
    parts = [opening]
    if killed or injured:
        if killed:
            parts.append(
                f"Внаслідок атаки {plural(killed, 'загинула', 'загинули', 'загинули')} {killed} "
                f"{plural(killed, 'людина', 'людини', 'людей')}."
            )
            expect["killed"] = killed
        if injured:
            parts.append(
                f"{plural(injured, 'Поранена', 'Поранені', 'Поранені')} {injured} "
                f"{plural(injured, 'людина', 'людини', 'людей')}."
            )
            expect["injured"] = injured
        parts.append(
            "Пошкоджено багатоповерховий будинок, автомобілі та лінію електропередачі. На місці "
            "працюють рятувальники ДСНС."
        )
    elif rng.random() < 0.8:
        parts.append(
            rng.choice(
                [
                    "Обійшлося без постраждалих.",
                    "Постраждалих немає.",
                    "Інформації про постраждалих не надходило.",
                ]
            )
        )
        if not parts[-1].startswith("Інформації"):
            expect.update(killed=0, injured=0)
    if rng.random() < 0.3:
        parts.append("Якщо ви знайшли уламки, не наближайтеся до них і телефонуйте 101.")
    return " ".join(parts), expect


def _alert_uk(rng: random.Random, region: DemoRegion) -> str:
    return rng.choice(
        [
            f"Повітряна тривога {region.ins}. Загроза застосування ударних БпЛА. Пройдіть в укриття!",
            f"Увага! Повітряну тривогу оголошено {region.ins}. Залишайтеся в укриттях.",
        ]
    )


def _clear_uk(rng: random.Random, region: DemoRegion) -> str:
    return rng.choice(
        [f"Відбій повітряної тривоги {region.ins}.", f"Відбій тривоги {region.ins}. Будьте уважні."]
    )


NEGATIVES_UK = [
    "Завтра о 12:00 на Одещині перевірять систему оповіщення: лунатимуть сирени. Це навчання, не "
    "повітряна тривога.",
    "У школах Дніпра цього тижня проходять навчання з цивільного захисту.",
]

# --- English ----------------------------------------------------------------------------------------


def _wire_mod(rng: random.Random, total: int, iso: str, n: int) -> str:
    drones = "drone" if total == 1 else "drones"
    return (
        f"Russia's defence ministry said on {rng.choice(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'])} "  # noqa: E501
        f"that its air defences had destroyed {total} Ukrainian {drones} overnight, including {n} over "
        f"{REGIONS[iso].en}. There was no immediate word of casualties."
    )


def _wire_af(launched: int, destroyed: int) -> str:
    return (
        f"Russia launched {launched} drones at Ukraine overnight, Ukraine's air force said, adding that "
        f"{destroyed} of them had been shot down or jammed."
    )


def _wire_strike(region: DemoRegion, injured: int, killed: int) -> str:
    people = "person" if injured == 1 else "people"
    if killed:
        return (
            f"A Russian drone attack on {region.en} overnight killed {killed} "
            f"{'person' if killed == 1 else 'people'} and injured {injured}, the regional governor said."
        )
    return (
        f"A Russian drone attack on {region.en} overnight injured {injured} {people}, local officials said."
    )


NEGATIVES_EN = [
    "The regional administration will hold a civil defence drill on Thursday; sirens will sound at noon "
    "for five minutes.",
]

# ------------------------------------------------------------------------------------------ generation


def _mornings(days: int, now: datetime) -> list[date]:
    """The ``days`` local dates whose morning bulletins are already out at ``now`` (oldest first)."""
    last = (now.astimezone(MSK) - timedelta(hours=10)).date()
    return [last - timedelta(days=k) for k in range(days - 1, -1, -1)]


def statements(
    days: int = DEFAULT_DAYS, seed: int = DEFAULT_SEED, *, now: datetime | None = None
) -> list[Statement]:
    """Every demo statement, oldest first, none published after ``now`` (default: the current time)."""
    if days < 1:
        raise ValueError("days must be >= 1")
    now = datetime.now(UTC) if now is None else now
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    rng = random.Random(seed)
    out: list[Statement] = []
    mornings = _mornings(days, now)
    for index, day in enumerate(mornings):
        t = index / max(1, days - 1)
        last = index == len(mornings) - 1
        out += _ru_night(rng, day, t, seed_night=last)
        out += _ua_night(rng, day, t)
        if rng.random() < 0.2:
            out += _negative(rng, day)
    out += _live_alerts(random.Random(seed * 7919 + 1), now)
    out = [s for s in out if s.published <= now]
    out.sort(key=lambda s: (s.published, s.source))
    return out


def _ru_night(rng: random.Random, day: date, t: float, *, seed_night: bool) -> list[Statement]:
    out: list[Statement] = []
    counts: dict[str, int] = {}
    for region in RU_REGIONS:
        if rng.random() < region.activity(t):
            counts[region.iso] = rng.randint(1, region.max_count)
    if seed_night:
        counts = {"RU-SMO": 9, **{k: v for k, v in counts.items() if k != "RU-SMO"}}
    if not counts:
        return out
    # alerts the evening before, all-clears in the morning
    for iso in counts:
        region = REGIONS[iso]
        if iso in ("RU-MOS", "RU-SMO") or rng.random() > 0.55:
            continue
        start = _at(day, rng.uniform(-1.0, 1.5), MSK)
        out.append(
            Statement(
                region.source,
                start,
                _alert_ru(rng, region),
                {"kind": "attack_no_outcome", "regions": {iso: None}, "status": "danger"},
            )
        )
        end = _at(day, rng.uniform(4.0, 7.0), MSK)
        out.append(
            Statement(
                region.source,
                end,
                _clear_ru(rng, region),
                {"kind": "attack_no_outcome", "regions": {iso: None}, "status": "clear"},
            )
        )
    mod_at = _at(day, rng.uniform(7.0, 8.5), MSK)
    out.append(
        Statement(
            "mod-ru",
            mod_at,
            _mod_night(rng, counts),
            {"kind": "interception", "regions": dict(counts), "total": sum(counts.values())},
        )
    )
    for iso, n in counts.items():
        region = REGIONS[iso]
        if iso == "RU-MOS":
            if rng.random() < 0.7:
                shown = rng.randint(1, n)
                out.append(
                    Statement(
                        "mayor-mow",
                        _at(day, rng.uniform(0.5, 5.5), MSK),
                        _mayor(rng, shown),
                        {"kind": "interception", "regions": {"RU-MOW": shown}, "total": shown},
                    )
                )
            continue
        if seed_night and iso == "RU-SMO":
            out.append(_seed_statement(day))
            continue
        if rng.random() > 0.8:
            continue
        roll = rng.random()
        figure: int | None = n
        if roll < 0.2:
            figure = max(1, n + rng.choice((-1, 1)))  # the governor counts one more or one less
        elif roll < 0.35:
            figure = None  # not disclosed
        injured = killed = 0
        damage = False
        if iso in ("RU-BEL", "RU-KRS", "RU-BRY") and rng.random() < 0.2:
            injured = rng.randint(1, 4)
            killed = 1 if rng.random() < 0.15 else 0
        elif rng.random() < 0.15:
            damage = True
        text, expect = _governor_night(rng, region, figure, injured, killed, damage)
        out.append(Statement(region.source, _at(day, rng.uniform(5.5, 9.5), MSK), text, expect))
    if rng.random() < 0.6 and counts:
        iso = max(counts, key=lambda k: (counts[k], k))
        wire_at = mod_at + timedelta(minutes=rng.randint(10, 90))
        out.append(
            Statement(
                "wire-en",
                _offset(wire_at.astimezone(UTC)),
                _wire_mod(rng, sum(counts.values()), iso, counts[iso]),
                {"kind": "interception", "regions": {iso: counts[iso]}, "total": sum(counts.values())},
            )
        )
    if rng.random() < 0.25:
        day_counts = {
            iso: rng.randint(1, 4) for iso in rng.sample(["RU-KRS", "RU-BEL", "RU-BRY"], rng.randint(1, 2))
        }
        # 13:00-15:00: more than the merge's 2 h tolerance away from the night's last posts (10:00) and
        # from the next evening's alerts (a danger at 23:00 has a window from 17:00), so a separate incident
        start, end = rng.choice(((13, 15), (12.5, 15)))
        out.append(
            Statement(
                "mod-ru",
                _at(day, end + rng.uniform(0.3, 1.0), MSK),
                _mod_day(rng, day_counts, _clock(start), _clock(end)),
                {"kind": "interception", "regions": day_counts, "total": sum(day_counts.values())},
            )
        )
    return out


def _live_alerts(rng: random.Random, now: datetime) -> list[Statement]:
    """A danger declared shortly before ``now`` in one Russian and one Ukrainian region, not yet lifted, so
    that the site shows regions under an alert whenever it is looked at."""
    out = []
    for pool, tz, alert in (
        (("RU-VOR", "RU-KLU"), MSK, _alert_ru),
        (("UA-63", "UA-51"), KYIV, _alert_uk),
    ):
        region = REGIONS[rng.choice(pool)]
        at = (now - timedelta(minutes=rng.randint(15, 150))).astimezone(tz).replace(second=0, microsecond=0)
        out.append(
            Statement(
                region.source,
                _offset(at),
                alert(rng, region),
                {"kind": "attack_no_outcome", "regions": {region.iso: None}, "status": "danger"},
            )
        )
    return out


def _seed_statement(day: date) -> Statement:
    text = (
        "В течение ночи над территорией Смоленской области силами ПВО и ВКС уничтожены девять БПЛА. "
        "Пострадавших нет, объекты инфраструктуры не повреждены. На места падения обломков направлены "
        "экстренные службы."
    )
    return Statement(
        "gov-smo",
        _at(day, 8.25, MSK),
        text,
        {
            "kind": "interception",
            "regions": {"RU-SMO": 9},
            "total": 9,
            "killed": 0,
            "injured": 0,
            "seed": True,
        },
    )


def _ua_night(rng: random.Random, day: date, t: float) -> list[Statement]:
    out: list[Statement] = []
    launched = rng.randint(30, 150)
    destroyed = round(launched * rng.uniform(0.7, 0.92))
    af_at = _at(day, rng.uniform(9.0, 10.0), KYIV)
    out.append(
        Statement(
            "af-ua",
            _offset(af_at),
            _af_summary(rng, day, launched, destroyed, rng.randint(3, 12)),
            {"kind": "interception", "regions": {}, "total": destroyed, "launched": launched},
        )
    )
    if rng.random() < 0.5:
        out.append(
            Statement(
                "wire-en",
                _offset(af_at.astimezone(UTC) + timedelta(minutes=rng.randint(15, 60))),
                _wire_af(launched, destroyed),
                {"kind": "interception", "regions": {}, "total": destroyed, "launched": launched},
            )
        )
    for region in UA_REGIONS:
        if rng.random() >= region.activity(t):
            continue
        if rng.random() < 0.6:
            start = _at(day, rng.uniform(-3.0, 1.0), KYIV)
            out.append(
                Statement(
                    region.source,
                    _offset(start),
                    _alert_uk(rng, region),
                    {"kind": "attack_no_outcome", "regions": {region.iso: None}, "status": "danger"},
                )
            )
            end = _at(day, rng.uniform(4.0, 6.5), KYIV)
            out.append(
                Statement(
                    region.source,
                    _offset(end),
                    _clear_uk(rng, region),
                    {"kind": "attack_no_outcome", "regions": {region.iso: None}, "status": "clear"},
                )
            )
        figure = rng.randint(1, region.max_count) if rng.random() < 0.75 else None
        injured = killed = 0
        if rng.random() < 0.25:
            injured = rng.randint(1, 9)
            killed = rng.randint(1, 3) if rng.random() < 0.2 else 0
        text, expect = _ova_night(rng, region, figure, injured, killed)
        at = _at(day, rng.uniform(6.5, 9.0), KYIV)
        out.append(Statement(region.source, _offset(at), text, expect))
        if injured and rng.random() < 0.6:
            out.append(
                Statement(
                    "wire-en",
                    _offset(at.astimezone(UTC) + timedelta(minutes=rng.randint(20, 120))),
                    _wire_strike(region, injured, killed),
                    {
                        "kind": "attack_no_outcome",
                        "regions": {region.iso: None},
                        "injured": injured,
                        **({"killed": killed} if killed else {}),
                    },
                )
            )
    return out


def _negative(rng: random.Random, day: date) -> list[Statement]:
    lang = rng.choice(("ru", "uk", "en"))
    at = _at(day, rng.uniform(11.0, 17.0), MSK if lang == "ru" else KYIV)
    soon = day + timedelta(days=3)
    if lang == "ru":
        text = rng.choice(NEGATIVES_RU).format(d=soon.day, m=RU_MONTHS_GEN[soon.month - 1])
        source = rng.choice(("gov-smo", "gov-bry"))
    elif lang == "uk":
        text, source = rng.choice(NEGATIVES_UK), rng.choice(("ova-51", "ova-12"))
    else:
        text, source = rng.choice(NEGATIVES_EN), "wire-en"
    return [Statement(source, _offset(at), text, {"kind": "not_incident", "regions": {}})]


def generate(
    days: int = DEFAULT_DAYS, seed: int = DEFAULT_SEED, *, now: datetime | None = None
) -> list[tuple[Any, list[SourceItem]]]:
    """``[(SourceSpec, [SourceItem, ...]), ...]`` per demo source: numbered posts with example.org links."""
    by_source: dict[str, list[SourceItem]] = defaultdict(list)
    for s in statements(days, seed, now=now):
        src = SOURCES[s.source]
        number = 1000 + len(by_source[s.source]) + 1
        by_source[s.source].append(
            SourceItem(
                external_id=f"{s.source}/{number}",
                text=s.text,
                published=s.published,
                url=f"{src.url}/{number}",
                author=src.name.removesuffix(" [demo]"),
                lang=src.lang,
            )
        )
    return [(SOURCES[key].spec(), items) for key, items in sorted(by_source.items())]


# ---------------------------------------------------------------------------------------------- loading


@dataclass
class LoadSummary:
    """What ``load`` stored: counts read back from the database after the import."""

    sources: int = 0
    messages: int = 0  # messages written by this load
    claims: int = 0  # claims extracted by this load
    incidents: int = 0  # live incidents in the database afterwards
    statuses: int = 0  # region-status intervals in the database afterwards
    rejected: list[str] = field(default_factory=list)

    def describe(self) -> str:
        text = (
            f"{self.sources} sources, {self.messages} messages, {self.claims} claims, "
            f"{self.incidents} incidents, {self.statuses} region-status intervals"
        )
        return text + (f", {len(self.rejected)} rejected" if self.rejected else "")


def is_empty(engine: Any) -> bool:
    """True when the database holds no message at all (a fresh install)."""
    from sqlalchemy import select

    from tocsin.store.models import Message

    with engine.connect() as conn:
        return conn.execute(select(Message.id).limit(1)).first() is None


def load(
    engine: Any, days: int = DEFAULT_DAYS, seed: int = DEFAULT_SEED, *, now: datetime | None = None
) -> LoadSummary:
    """Generate the demo statements and ingest them through ``tocsin.ingest.ingest``, one source after the
    other (the schema must exist: ``tocsin.store.engine.upgrade``)."""
    from sqlalchemy import func, select

    from tocsin.ingest import ingest
    from tocsin.store.models import Incident, RegionStatus

    summary = LoadSummary()
    for spec, items in generate(days, seed, now=now):
        result = ingest(engine, spec, items)
        summary.sources += 1
        summary.messages += result.new + result.updated
        summary.claims += result.claims
        summary.rejected += [f"{spec.name}: {r.where}: {r.reason}" for r in result.rejected]
    with engine.connect() as conn:
        summary.incidents = (
            conn.scalar(select(func.count()).select_from(Incident).where(Incident.deleted_at.is_(None))) or 0
        )
        summary.statuses = conn.scalar(select(func.count()).select_from(RegionStatus)) or 0
    return summary
