"""Generated Telegram Desktop exports with varied, realistic statements (ru / uk / en).

Used by the ingest tests and by ``bench/ingest.py`` (loaded there by file path). Deterministic for a given
``seed``. Each message has a region, a count and a time; about one in seven is not an incident at all
(advice, an exercise announcement), so the extractor sees the mix a real channel has.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

START = datetime(2024, 9, 1, 3, 0, tzinfo=UTC)

RU_REGIONS = [
    ("Смоленской области", "Смоленская область"),
    ("Брянской области", "Брянская область"),
    ("Курской области", "Курская область"),
    ("Белгородской области", "Белгородская область"),
    ("Калужской области", "Калужская область"),
    ("Тульской области", "Тульская область"),
    ("Орловской области", "Орловская область"),
    ("Воронежской области", "Воронежская область"),
    ("Ростовской области", "Ростовская область"),
    ("Липецкой области", "Липецкая область"),
]
UK_REGIONS = [
    ("Харківщиною", "Харківщині"),
    ("Київщиною", "Київщині"),
    ("Одещиною", "Одещині"),
    ("Сумщиною", "Сумщині"),
    ("Полтавщиною", "Полтавщині"),
    ("Дніпропетровщиною", "Дніпропетровщині"),
    ("Миколаївщиною", "Миколаївщині"),
    ("Черкащиною", "Черкащині"),
]
EN_REGIONS = ["Smolensk", "Bryansk", "Kursk", "Belgorod", "Kaluga", "Tula", "Oryol", "Voronezh"]

# Posts of the morning after an attack night: "ночью"/"вночі"/"overnight" in a morning post means the night
# before it, so nights never chain into one another (days are quiet apart from alerts at night).
RU = [
    "За прошедшую ночь над территорией {g} дежурными средствами ПВО уничтожены {n} БПЛА. "
    "Пострадавших нет, разрушений нет.",
    "Ночью силами ПВО сбиты {n} беспилотников над {g}. На месте падения обломков работают "
    "экстренные службы. Просьба к жителям: если вы обнаружили обломки, не подходите к ним и сообщите по 112.",
    "Этой ночью над {g} уничтожено {n} беспилотных летательных аппаратов. "
    "Информация о пострадавших уточняется.",
    "В результате ночной атаки БПЛА на {g} пострадали {k} человека, повреждены окна жилого дома. "
    "Всего ночью сбито {n} дронов.",
]
RU_ALERT = ["Угроза атаки БПЛА в {l}. Будьте внимательны и осторожны.", "Отбой угрозы атаки БПЛА в {l}."]
UK = [
    "Вночі над {g} сили ППО знищили {n} ударних БпЛА. Постраждалих немає.",
    "Цієї ночі ворог атакував {g}: збито {n} дронів, пошкоджено {k} приватних будинки.",
    "Протягом ночі над {g} знешкоджено {n} шахедів. Внаслідок падіння уламків виникла пожежа, "
    "яку ліквідували рятувальники ДСНС.",
]
UK_ALERT = ["Повітряна тривога в {l}. Прямуйте до укриття.", "Відбій повітряної тривоги в {l}."]
EN = [
    "Air defence systems destroyed {n} drones over {r} region overnight, the governor said. No one was hurt.",
    "Overnight, {n} Ukrainian UAVs were shot down over {r} region, the Russian defence ministry said.",
    "Debris from a drone downed overnight fell in {r} region; {k} people were injured, officials said.",
]
NON_INCIDENT = [
    "Уважаемые жители! Напоминаем правила поведения при обнаружении подозрительных предметов.",
    "Завтра с 10:00 до 12:00 пройдут плановые учения МЧС. Возможна работа сирен.",
    "Шановні мешканці! Перевірте свої тривожні валізки та запаси води.",
    "The regional administration will hold a press briefing on shelter readiness at noon.",
]
PER_DAY = 48  # posts per day: a busy aggregated channel


def statement(rng: random.Random, night: bool = False) -> str:
    """One post. ``night``: an alert or an all-clear (posted during the night)."""
    n, k = rng.randint(1, 40), rng.randint(1, 9)
    if night:
        if rng.random() < 0.5:
            return rng.choice(RU_ALERT).format(l=rng.choice(RU_REGIONS)[0])
        return rng.choice(UK_ALERT).format(l=rng.choice(UK_REGIONS)[1])
    roll = rng.random()
    if roll < 0.12:
        return rng.choice(NON_INCIDENT)
    if roll < 0.55:
        return rng.choice(RU).format(g=rng.choice(RU_REGIONS)[0], n=n, k=k)
    if roll < 0.8:
        return rng.choice(UK).format(g=rng.choice(UK_REGIONS)[0], n=n, k=k)
    return rng.choice(EN).format(r=rng.choice(EN_REGIONS), n=n, k=k)


def message(mid: int, text: str, when: datetime, *, entities: bool = False) -> dict[str, Any]:
    unix = int(when.timestamp())
    body: Any = text
    if entities:
        head, _, tail = text.partition(" ")
        body = [{"type": "bold", "text": head}, " " + tail]
    return {
        "id": mid,
        "type": "message",
        "date": when.strftime("%Y-%m-%dT%H:%M:%S"),
        "date_unixtime": str(unix),
        "from": "Governor",
        "from_id": "channel1001",
        "text": body,
    }


def messages(n: int, *, seed: int = 7, start_id: int = 1) -> list[dict[str, Any]]:
    """``n`` text messages with ids ``start_id …`` in time order, ``PER_DAY`` a day from ``START``:
    a few alerts during the night (22:00–02:00 UTC), the rest in the morning (04:00–09:00 UTC)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        day, slot = divmod(i, PER_DAY)
        base = START.replace(hour=0) + timedelta(days=day)
        night = slot < 4
        if night:
            when = base - timedelta(hours=2) + timedelta(minutes=slot * 60 + rng.randint(0, 50))
        else:
            when = base + timedelta(hours=4, minutes=(slot - 4) * 6 + rng.randint(0, 5))
        out.append(message(start_id + i, statement(rng, night), when, entities=rng.random() < 0.1))
    return out


def export(msgs: list[dict[str, Any]], *, chat_id: int = 1001, name: str = "Governor") -> dict[str, Any]:
    return {"name": name, "type": "public_channel", "id": chat_id, "messages": msgs}


def write_export(path: Path, n: int, *, seed: int = 7, chat_id: int = 1001) -> Path:
    path.write_text(json.dumps(export(messages(n, seed=seed), chat_id=chat_id), ensure_ascii=False), "utf-8")
    return path
