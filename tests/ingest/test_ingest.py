"""``tocsin.ingest.ingest`` on SQLite and PostgreSQL: counts, idempotence, edits, broken entries, events."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tocsin import incidents
from tocsin.domain import Rejected, SourceItem, SourceKind
from tocsin.extract import MAX_CHARS
from tocsin.ingest import ACTION, SourceSpec, ingest, resolve_source
from tocsin.sources import read_path
from tocsin.sources.telegram_export import iter_export
from tocsin.store import repo
from tocsin.store.engine import make_sessionmaker
from tocsin.store.models import (
    ClaimRegion,
    ClaimRow,
    Event,
    Incident,
    IncidentClaim,
    Message,
    MessageVersion,
    RegionStatus,
    Source,
)

from .exportgen import START, export, message, messages, write_export

GOV = SourceSpec("governor", SourceKind.TELEGRAM_EXPORT, "regional")
TABLES = (
    Source,
    Message,
    MessageVersion,
    ClaimRow,
    ClaimRegion,
    Incident,
    IncidentClaim,
    RegionStatus,
    Event,
)


def count(engine, model, *where) -> int:
    with make_sessionmaker(engine)() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def snapshot(engine) -> dict[str, int]:
    """Row counts of every table and the newest event id: what "nothing changed" compares."""
    with make_sessionmaker(engine)() as s:
        out = {m.__tablename__: s.scalar(select(func.count()).select_from(m)) for m in TABLES}
        out["max_event_id"] = s.scalar(select(func.max(Event.id)))
        out["superseded"] = s.scalar(select(func.count()).select_from(ClaimRow).where(ClaimRow.superseded))
    return out


def current_claims_per_message(engine) -> Counter:
    with make_sessionmaker(engine)() as s:
        rows = s.execute(
            select(Message.id, func.count(ClaimRow.id))
            .outerjoin(ClaimRow, (ClaimRow.message_id == Message.id) & ClaimRow.superseded.is_(False))
            .group_by(Message.id)
        ).all()
    return Counter(n for _mid, n in rows)


# ------------------------------------------------------------------------------------- 10,000 messages


def test_import_10000_then_reimport_changes_nothing(engine, refresh_spy, tmp_path):
    n = 10_000
    path = write_export(tmp_path / "result.json", n)
    progress: list[int] = []

    # one worker process extracts one batch ahead (the path big CLI imports take)
    first = ingest(engine, GOV, read_path(path), progress=lambda s: progress.append(s.entries), workers=1)
    assert (first.new, first.updated, first.unchanged, first.rejected) == (n, 0, 0, [])
    assert first.claims == n and first.batches == 20 and first.events == 20
    assert progress == list(range(500, n + 1, 500))
    assert count(engine, Message) == n and count(engine, MessageVersion) == n
    assert current_claims_per_message(engine) == Counter({1: n})
    # every new claim was handed to the incident merge, in the batch's own transaction (visible there)
    with make_sessionmaker(engine)() as s:
        assert sorted(refresh_spy.ids) == sorted(s.scalars(select(ClaimRow.id)))
    assert refresh_spy.visible == [len(c) for c in refresh_spy.calls]
    assert len(refresh_spy.calls) == 20
    with make_sessionmaker(engine)() as s:
        events = s.scalars(select(Event).where(Event.action == ACTION).order_by(Event.id)).all()
        kinds = Counter(s.scalars(select(ClaimRow.kind)).all())
        langs = Counter(s.scalars(select(ClaimRow.lang)).all())
        regions = s.scalar(select(func.count(func.distinct(ClaimRegion.iso))))
    assert [e.after["new"] for e in events] == [500] * 20
    assert {e.actor for e in events} == {"ingest"} and {e.entity for e in events} == {"source"}
    assert sum(e.after["claims"] for e in events) == n
    # the generated channel is varied: three languages, incidents and non-incidents, many regions
    assert set(langs) == {"ru", "uk", "en"}
    assert kinds["not_incident"] > 0 and kinds["interception"] > n // 2
    assert regions >= 15

    before = snapshot(engine)
    calls_before = len(refresh_spy.calls)
    again = ingest(engine, GOV, read_path(path))
    assert (again.new, again.updated, again.unchanged, again.claims, again.events) == (0, 0, n, 0, 0)
    assert again.rejected == []
    assert snapshot(engine) == before  # not one row written, not even an Event
    assert len(refresh_spy.calls) == calls_before  # nothing to merge


# ----------------------------------------------------------------------------------- edits, real merge


def test_edited_message_adds_version_and_supersedes_claim_with_real_merge(engine, tmp_path):
    msgs = messages(60, seed=3)
    msgs[10]["text"] = "Ночью над Смоленской областью уничтожены 5 БПЛА. Пострадавших нет."
    path = tmp_path / "result.json"
    path.write_text(json.dumps(export(msgs), ensure_ascii=False), "utf-8")
    first = ingest(engine, GOV, read_path(path), batch_size=25)
    assert first.new == 60 and first.claims == 60
    assert first.incidents.created > 0  # the real merge ran
    incidents_before = count(engine, Incident, Incident.deleted_at.is_(None))

    edited_at = datetime.fromtimestamp(int(msgs[10]["date_unixtime"]), UTC) + timedelta(minutes=30)
    msgs[10]["text"] = "Ночью над Смоленской областью уничтожены 7 БПЛА. Пострадавших нет."
    msgs[10]["edited_unixtime"] = str(int(edited_at.timestamp()))
    path.write_text(json.dumps(export(msgs), ensure_ascii=False), "utf-8")
    second = ingest(engine, GOV, read_path(path), batch_size=25)
    assert (second.new, second.updated, second.unchanged, second.claims) == (0, 1, 59, 1)
    assert second.events == 1

    with make_sessionmaker(engine)() as s:
        msg = s.scalar(select(Message).where(Message.external_id == "1001/11"))
        assert msg.current_version == 2
        versions = s.scalars(
            select(MessageVersion).where(MessageVersion.message_id == msg.id).order_by(MessageVersion.version)
        ).all()
        assert [v.version for v in versions] == [1, 2]
        assert "5 БПЛА" in versions[0].text and "7 БПЛА" in versions[1].text  # the old text is kept
        assert versions[1].edited_at == edited_at
        claims = s.scalars(select(ClaimRow).where(ClaimRow.message_id == msg.id).order_by(ClaimRow.id)).all()
        assert [(c.message_version, c.superseded) for c in claims] == [(1, True), (2, False)]
        assert claims[0].total_destroyed == 5 and claims[1].total_destroyed == 7
        # the incident now holds the new claim, not the superseded one
        linked = set(
            s.scalars(
                select(IncidentClaim.claim_id).where(IncidentClaim.claim_id.in_([c.id for c in claims]))
            )
        )
        assert linked == {claims[1].id}
    assert count(engine, Incident, Incident.deleted_at.is_(None)) == incidents_before
    assert current_claims_per_message(engine) == Counter({1: 60})

    third = ingest(engine, GOV, read_path(path), batch_size=25)
    assert (third.new, third.updated, third.unchanged, third.events) == (0, 0, 60, 0)


# -------------------------------------------------------------------------------------- broken entries


def test_broken_entries_reported_and_skipped_the_rest_land(engine, refresh_spy, tmp_path):
    msgs = messages(200, seed=5)
    msgs[3]["date_unixtime"] = "yesterday"  # bad date
    msgs[7]["text"] = "Ночью сбиты\x00 3 БПЛА над Курской областью."  # NUL byte
    msgs[11]["text"] = 42  # not a string
    del msgs[15]["date_unixtime"]  # no date at all
    msgs[19]["text"] = [{"type": "bold", "text": "Внимание"}, {"type": "link"}]  # entity without text
    path = tmp_path / "result.json"
    path.write_text(json.dumps(export(msgs), ensure_ascii=False), "utf-8")

    summary = ingest(engine, GOV, read_path(path), batch_size=50)
    assert summary.new == 195 and summary.claims == 195
    reasons = {r.where: r.reason for r in summary.rejected}
    assert len(reasons) == 5
    assert any(w.endswith("message 4") and "bad date_unixtime 'yesterday'" in r for w, r in reasons.items())
    nul = [r for w, r in reasons.items() if "1001/8" in w]
    assert nul and "NUL" in nul[0] and "position 11" in nul[0]
    assert any("message 12" in w and "neither a string nor a list" in r for w, r in reasons.items())
    assert any("message 16" in w and "no date_unixtime" in r for w, r in reasons.items())
    assert any("message 20" in w and "text part #1" in r for w, r in reasons.items())
    assert count(engine, Message) == 195
    with make_sessionmaker(engine)() as s:
        stored = set(s.scalars(select(Message.external_id)))
    assert {"1001/4", "1001/8", "1001/12", "1001/16", "1001/20"}.isdisjoint(stored)
    with make_sessionmaker(engine)() as s:
        events = s.scalars(select(Event).where(Event.action == ACTION)).all()
    assert sum(e.after["rejected"] for e in events) == 5


def test_bad_items_given_directly_are_rejected_one_by_one(engine, refresh_spy):
    when = datetime(2025, 9, 6, 4, 0, tzinfo=UTC)
    entries = [
        SourceItem("a", "Ночью над Брянской областью сбиты 4 БПЛА.", when),
        SourceItem("b", "naive time", datetime(2025, 9, 6, 4, 0)),
        SourceItem("c", None, when),  # type: ignore[arg-type]
        SourceItem("", "no id", when),
        SourceItem("e", "bad \ud800 surrogate", when),
        Rejected("feed entry #3", "entry has neither title nor content"),
        "not an item at all",
        SourceItem("f", "x" * (MAX_CHARS + 1), when),  # stored, but the extractor refuses it
        SourceItem("g", "Над Курской областью уничтожен 1 беспилотник.", when),
    ]
    summary = ingest(engine, SourceSpec("direct", "jsonl", "media"), entries, batch_size=4)
    assert (summary.new, summary.claims) == (3, 2)
    got = [(r.where, r.reason) for r in summary.rejected]
    assert ("message b", "published 2025-09-06T04:00:00 has no time zone (naive datetime)") in got
    assert ("message c", "text must be a str, got NoneType") in got
    assert any(w == "entry #4" and "no external id" in r for w, r in got)
    assert any(w == "message e" and "unpaired surrogate" in r for w, r in got)
    assert ("feed entry #3", "entry has neither title nor content") in got
    assert ("entry #7", "not a SourceItem (str)") in got
    assert any(
        w == "message f" and r.startswith("stored, but not extracted: ExtractionError") for w, r in got
    )
    assert len(got) == 7
    with make_sessionmaker(engine)() as s:
        assert set(s.scalars(select(Message.external_id))) == {"a", "f", "g"}
    # a re-run: the message that could not be extracted is unchanged, so it is not retried
    again = ingest(engine, "direct", entries, batch_size=4)
    assert (again.new, again.unchanged, again.claims) == (0, 3, 0)


def test_duplicate_ids_in_one_input_become_versions(engine, refresh_spy):
    when = datetime(2025, 9, 6, 4, 0, tzinfo=UTC)
    entries = [
        SourceItem("7", "Ночью над Тульской областью сбиты 2 БПЛА.", when),
        SourceItem("7", "Ночью над Тульской областью сбиты 3 БПЛА.", when),
        SourceItem("7", "Ночью над Тульской областью сбиты 3 БПЛА.", when),
    ]
    summary = ingest(engine, SourceSpec("dups", "jsonl", "media"), entries)
    assert (summary.new, summary.updated, summary.unchanged, summary.claims) == (1, 1, 1, 2)
    assert current_claims_per_message(engine) == Counter({1: 1})
    with make_sessionmaker(engine)() as s:
        current = s.scalar(select(ClaimRow).where(ClaimRow.superseded.is_(False)))
        assert (current.message_version, current.total_destroyed) == (2, 3)


# ------------------------------------------------------------------------------------------- the rest


def test_source_resolution(engine, refresh_spy):
    with make_sessionmaker(engine)() as s, s.begin():
        src = resolve_source(s, GOV)
        sid = src.id
        assert resolve_source(s, sid).id == sid
        assert resolve_source(s, "governor").id == sid
        with pytest.raises(repo.StoreError, match="no source"):
            resolve_source(s, "nobody")
        with pytest.raises(repo.StoreError, match="exists with kind telegram_export"):
            resolve_source(s, SourceSpec("governor", "feed"))
    summary = ingest(engine, sid, [])
    assert (summary.source_id, summary.source_name, summary.stored, summary.batches) == (
        sid,
        "governor",
        0,
        0,
    )
    with pytest.raises(ValueError, match="batch_size"):
        ingest(engine, sid, [], batch_size=0)


def test_in_callers_session_nothing_is_committed(engine, refresh_spy):
    """With a Session, every batch runs in the caller's transaction (``tocsin watch`` relies on it)."""
    chat = export([message(i, f"Ночью над Курской областью сбиты {i} БПЛА.", START) for i in range(1, 8)])
    with make_sessionmaker(engine)() as s:
        s.begin()
        summary = ingest(s, GOV, iter_export(chat), batch_size=3)
        assert summary.new == 7 and summary.batches == 3
        assert s.scalar(select(func.count()).select_from(Message)) == 7
        s.rollback()
    assert count(engine, Message) == 0 and count(engine, Event) == 0


def test_real_merge_runs_once_per_batch_and_reimport_is_silent(engine, tmp_path):
    path = write_export(tmp_path / "result.json", 300, seed=11)
    first = ingest(engine, GOV, read_path(path), batch_size=100)
    assert first.new == 300 and first.incidents.created > 10
    live = count(engine, Incident, Incident.deleted_at.is_(None))
    assert live > 10 and count(engine, IncidentClaim) > 0
    before = snapshot(engine)
    again = ingest(engine, GOV, read_path(path), batch_size=100)
    assert again.unchanged == 300 and again.incidents == incidents.RefreshResult()
    assert snapshot(engine) == before
