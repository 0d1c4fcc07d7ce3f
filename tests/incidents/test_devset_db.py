"""The dev set's event groups through the database: statements stored as messages, extracted, refreshed in
batches, and "same incident" read back from the ``incident_claim`` table.

Inputs follow ``bench/merge_groups.py`` (one Source per genre, per genre + first region for regional
genres; authority from the genre; a date-only ``published`` is 12:00 local time; a null one stays null and
its statement joins no incident). Pairwise precision and recall of "same incident" against the ``event``
keys must both be ≥ 0.95.
"""

from __future__ import annotations

import importlib.util
import json
from itertools import combinations
from pathlib import Path

import pytest
from sqlalchemy import select

from tocsin.domain import Authority, SourceItem, SourceKind
from tocsin.extract import extract
from tocsin.incidents import RefreshResult, refresh, refresh_all
from tocsin.store import repo
from tocsin.store.models import IncidentClaim, Message

REPO = Path(__file__).resolve().parents[2]
DEVSET = REPO.parent / "shared" / "devset" / "statements.jsonl"
BATCHES = 4


def _bench():
    spec = importlib.util.spec_from_file_location("merge_groups", REPO / "bench" / "merge_groups.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.skipif(not DEVSET.exists(), reason=f"dev set not present at {DEVSET}")
def test_devset_event_groups_through_the_database(session):
    bench = _bench()
    records = [
        json.loads(line) for line in DEVSET.read_text(encoding="utf-8-sig").splitlines() if line.strip()
    ]
    events = {r["id"]: r.get("event") for r in records}
    size = -(-len(records) // BATCHES)
    for lo in range(0, len(records), size):  # arrival in batches, as the ingest pipeline does
        entries, claim_ids = [], []
        for rec in records[lo : lo + size]:
            claim = extract(rec["text"], lang=rec.get("lang"), published=rec.get("published"))
            first = claim.per_region[0].iso if claim.per_region else None
            published = bench.published_at(rec.get("published"), rec.get("lang"), first)
            authority = bench.AUTHORITY.get(rec.get("genre"), Authority.OTHER)
            name = rec.get("genre") or "unknown"
            if authority == Authority.REGIONAL and first:
                name = f"{name}:{first}"
            source = repo.get_or_create_source(session, name, SourceKind.JSONL, authority)
            ((message, _),) = repo.upsert_messages(
                session, source, [SourceItem(rec["id"], rec["text"], published, lang=rec.get("lang"))]
            )
            entries.append((message, message.current_version, claim))
        claim_ids = [row.id for row in repo.save_claims(session, entries, "devset")]
        refresh(session, claim_ids)
        session.commit()
    assert refresh_all(session) == RefreshResult()  # incremental batches == a full rebuild

    member_of: dict[str, set[int]] = {r["id"]: set() for r in records}
    rows = session.execute(
        select(Message.external_id, IncidentClaim.incident_id)
        .join_from(IncidentClaim, IncidentClaim.claim)
        .join(Message)
    )
    for external_id, incident_id in rows:
        member_of[external_id].add(incident_id)
    tp = fp = fn = 0
    for a, b in combinations(member_of, 2):
        gold = events[a] is not None and events[a] == events[b]
        pred = bool(member_of[a] & member_of[b])
        tp += gold and pred
        fp += pred and not gold
        fn += gold and not pred
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    incidents = len({i for s in member_of.values() for i in s})
    print(
        f"\ndev set through the database ({session.bind.dialect.name}): statements={len(records)} "
        f"incidents={incidents} gold_pairs={tp + fn} predicted_pairs={tp + fp} "
        f"precision={precision:.3f} recall={recall:.3f}"
    )
    assert precision >= 0.95 and recall >= 0.95
    # the same figures as the pure merge over the same inputs
    pure = bench.score(DEVSET)
    assert (precision, recall) == (pure["precision"], pure["recall"])
