"""Randomised: incremental refreshes in random batches (with edits) always equal a full merge of the stored
claims — pinned and vague windows, chains of windows, multi-region bulletins, cities inside oblasts,
national figures, superseded claims."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from tocsin.domain import Authority, Claim, Kind, Period, RegionCount, SourceItem, SourceKind, Weapon
from tocsin.incidents import RefreshResult, refresh, refresh_all
from tocsin.store import repo

from .helpers import at, full_merge_state, state

ISOS = ["RU-SMO", "RU-BRY", "RU-MOS", "RU-MOW", "UA-32", "UA-30"]
PERIODS = [None, "ночью", "днём", "за сутки", "вечером", "вчера ночью"]
T0 = at("2025-03-01 00:00")


def random_claim(rng: random.Random) -> tuple[Claim, object]:
    published = T0 + timedelta(hours=rng.randrange(0, 24 * 8), minutes=rng.choice([0, 15, 40]))
    regions = rng.sample(ISOS, rng.choice([0, 1, 1, 1, 2, 3]))
    kind = rng.choice([Kind.INTERCEPTION, Kind.INTERCEPTION, Kind.ATTACK_NO_OUTCOME, Kind.NOT_INCIDENT])
    start = end = None
    if rng.random() < 0.25:
        s = published - timedelta(hours=rng.randrange(1, 30))
        start = s.isoformat() if rng.random() < 0.8 else None
        end = (s + timedelta(hours=rng.randrange(1, 10))).isoformat() if rng.random() < 0.8 else None
    claim = Claim(
        kind=kind,
        weapon=rng.choice([None, Weapon.UAV, Weapon.MISSILE]),
        total_destroyed=rng.choice([None, 3, 7, 12]) if kind != Kind.NOT_INCIDENT else None,
        launched=rng.choice([None, None, 20]) if kind != Kind.NOT_INCIDENT else None,
        per_region=[RegionCount(i, rng.choice([None, 1, 2, 5])) for i in regions]
        if kind != Kind.NOT_INCIDENT
        else [],
        period=Period(rng.choice(PERIODS), start, end),
        killed=rng.choice([None, 0, 1]),
        injured=rng.choice([None, 0, 2]),
        fire=rng.choice([None, True, False]),
        lang=rng.choice(["ru", "uk", "en"]),
    )
    return claim, published


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 18])  # 18: an edit takes a city claim out of a long chain
def test_random_incremental_refresh_equals_full_merge(session, seed):
    rng = random.Random(seed)
    sources = [
        repo.get_or_create_source(session, f"src{i}", SourceKind.JSONL, a)
        for i, a in enumerate([Authority.REGIONAL, Authority.FEDERAL, Authority.MEDIA, Authority.REGIONAL])
    ]
    pending: list[tuple[int, str]] = [(rng.randrange(len(sources)), f"m{i}") for i in range(36)]
    pending += [rng.choice(pending) for _ in range(8)]  # edits: the same message again, new text
    rng.shuffle(pending)
    texts: dict[tuple[int, str], int] = {}
    while pending:
        n = rng.randint(1, 6)
        batch, pending = pending[:n], pending[n:]
        ids = []
        for src, ext in batch:
            version = texts[(src, ext)] = texts.get((src, ext), 0) + 1
            claim, published = random_claim(rng)
            ((message, status),) = repo.upsert_messages(
                session, sources[src], [SourceItem(ext, f"{ext} v{version}", published)]
            )
            if status == "unchanged":
                continue
            row = repo.save_claims(session, [(message, message.current_version, claim)], "random")[0]
            ids.append(row.id)
        refresh(session, ids)
        assert state(session) == full_merge_state(session)
    session.commit()
    assert refresh_all(session) == RefreshResult()
