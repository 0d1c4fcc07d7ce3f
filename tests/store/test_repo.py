"""The repo functions the ingest and merge code call, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from tocsin.domain import (
    Authority,
    Claim,
    Interceptor,
    Kind,
    Period,
    RegionCount,
    SourceItem,
    SourceKind,
    Weapon,
)
from tocsin.store import repo
from tocsin.store.models import AppendOnlyError, ClaimRow, Event, Message, MessageVersion, Source

MSK = timezone(timedelta(hours=3))
PUBLISHED = datetime(2025, 9, 6, 7, 15, tzinfo=MSK)
TEXT = "За прошедшую ночь над территорией Смоленской области сбиты девять БПЛА. Пострадавших нет."


def item(external_id: str = "101", text: str = TEXT, **kw) -> SourceItem:
    return SourceItem(external_id=external_id, text=text, published=kw.pop("published", PUBLISHED), **kw)


@pytest.fixture
def source(session) -> Source:
    return repo.get_or_create_source(session, "governor", SourceKind.TELEGRAM_EXPORT, Authority.REGIONAL)


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


# ------------------------------------------------------------------------------------------ sources


def test_get_or_create_source_is_idempotent(session):
    a = repo.get_or_create_source(session, "gov", "telegram_web", "regional", url="https://t.me/s/gov")
    b = repo.get_or_create_source(session, "gov", SourceKind.TELEGRAM_WEB, Authority.REGIONAL)
    assert a.id == b.id and count(session, Source) == 1
    assert (a.kind, a.authority, a.url, a.enabled) == (
        SourceKind.TELEGRAM_WEB,
        Authority.REGIONAL,
        "https://t.me/s/gov",
        True,
    )
    assert a.created_at.tzinfo is not None
    with pytest.raises(repo.StoreError, match="exists with kind telegram_web"):
        repo.get_or_create_source(session, "gov", SourceKind.FEED, Authority.REGIONAL)


# ----------------------------------------------------------------------------------------- messages


def test_upsert_new_unchanged_updated(session, source):
    msg, status = repo.upsert_message(session, source, item(url="https://t.me/gov/101", author="Governor"))
    assert status == "new" and msg.current_version == 1 and msg.id is not None
    assert msg.published_at == PUBLISHED and msg.published_at.utcoffset() == timedelta(0)
    session.commit()

    again, status = repo.upsert_message(session, source, item())
    assert status == "unchanged" and again.id == msg.id and again.current_version == 1
    assert not session.dirty and not session.new
    assert count(session, MessageVersion) == 1

    edited_at = datetime(2025, 9, 6, 8, 0, tzinfo=MSK)
    edited, status = repo.upsert_message(
        session, source, item(text=TEXT + " Обломки упали.", edited=edited_at)
    )
    assert status == "updated" and edited.id == msg.id and edited.current_version == 2
    session.commit()

    versions = session.scalars(
        select(MessageVersion).where(MessageVersion.message_id == msg.id).order_by(MessageVersion.version)
    ).all()
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].text == TEXT and versions[1].text == TEXT + " Обломки упали."
    assert versions[0].edited_at is None and versions[1].edited_at == edited_at
    assert versions[1].text_sha256 == repo.text_sha256(TEXT + " Обломки упали.")
    assert repo.current_text(session, edited) == TEXT + " Обломки упали."
    assert msg.url == "https://t.me/gov/101" and msg.author == "Governor"  # not erased by a bare re-import


def test_importing_the_same_batch_twice_changes_nothing(session, source):
    batch = [item(str(i), f"{TEXT} #{i}") for i in range(50)]
    assert {repo.upsert_message(session, source, it)[1] for it in batch} == {"new"}
    session.commit()
    assert {repo.upsert_message(session, source, it)[1] for it in batch} == {"unchanged"}
    session.commit()
    assert count(session, Message) == 50 and count(session, MessageVersion) == 50


def test_same_external_id_in_two_sources_is_two_messages(session, source):
    other = repo.get_or_create_source(session, "wire", SourceKind.FEED, Authority.MEDIA)
    a, _ = repo.upsert_message(session, source, item("1"))
    b, status = repo.upsert_message(session, other, item("1"))
    assert status == "new" and a.id != b.id


def test_source_and_external_id_are_unique_in_the_database(session, source):
    repo.upsert_message(session, source, item("7"))
    session.commit()
    session.add(Message(source_id=source.id, external_id="7", current_version=1))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    assert count(session, Message) == 1


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (dict(text="сбиты\x00 девять"), r"text contains a NUL character \(U\+0000\) at position 5"),
        (dict(author="gov\x00"), "author contains a NUL"),
        (dict(external_id="1\x002"), "external_id contains a NUL"),
        (dict(text="half a pair \ud83d here"), "unpaired surrogate"),
        (dict(published=datetime(2025, 9, 6, 7, 15)), "published .* has no time zone"),
        (dict(edited=datetime(2025, 9, 6, 7, 15)), "edited .* has no time zone"),
        (dict(external_id=""), "no external id"),
        (dict(external_id="x" * 513), "more than 512"),
        (dict(text=None), "text must be a str"),
    ],
)
def test_hostile_items_are_refused_clearly_and_nothing_is_written(session, source, bad, match):
    repo.upsert_message(session, source, item("good"))
    with pytest.raises(repo.BadMessage, match=match):
        repo.upsert_message(session, source, item(**{"external_id": "bad", **bad}))
    session.commit()  # the session is still usable; the good message lands
    assert session.scalars(select(Message.external_id)).all() == ["good"]


@pytest.mark.parametrize(
    "text",
    [
        "🚨🛸 Угроза атаки БПЛА! ⚠️ 👨‍👩‍👧 🇺🇦",
        "Ukrainian: Повітряна тривога — відбій. ʼ apostrophe; Arabic: إنذار; RTL mark\u200f; ZWJ\u200d",
        "combining: й (и + \u0306), e\u0301; tab\tand\r\nCRLF; 'quotes' \"and\" ; DROP TABLE message; --",
        "x" * 2_000_000,
        " \n leading and trailing whitespace kept \n ",
    ],
    ids=["emoji", "scripts", "combining-sql", "2MB", "whitespace"],
)
def test_hostile_but_valid_text_round_trips_verbatim(engine, session, source, text):
    msg, _ = repo.upsert_message(session, source, item("h", text))
    session.commit()
    session.expunge_all()
    stored = session.scalar(select(MessageVersion.text).where(MessageVersion.message_id == msg.id))
    assert stored == text


# ------------------------------------------------------------------------------------------- claims


def full_claim() -> Claim:
    return Claim(
        kind=Kind.INTERCEPTION,
        weapon=Weapon.UAV,
        total_destroyed=9,
        per_region=[RegionCount("RU-SMO", 9), RegionCount("RU-BRY", None)],
        interceptors=[Interceptor.AIR_DEFENSE],
        period=Period("За прошедшую ночь", "2025-09-05T23:00:00+03:00", "2025-09-06T07:00:00+03:00"),
        killed=0,
        injured=0,
        infrastructure_damage=False,
        debris_fell=True,
        speaker="губернатор",
        lang="ru",
        evidence={"total_destroyed": [(66, 72)], "per_region": [(34, 52)]},
    )


def test_claim_round_trip_keeps_nulls_null(session, source):
    msg, _ = repo.upsert_message(session, source, item())
    bare = Claim(kind=Kind.ATTACK_NO_OUTCOME)  # nothing stated
    row = repo.save_claim(session, msg, 1, bare, "x-1")
    session.commit()
    cols = (
        "weapon, total_destroyed, launched, killed, injured, infrastructure_damage, debris_fell, fire, "
        "emergency_response, period_text, period_start, period_end, speaker, lang"
    )
    raw = session.execute(text(f"SELECT {cols} FROM claim WHERE id = :id"), {"id": row.id}).one()
    assert all(v is None for v in raw), raw
    session.expunge_all()
    back = repo.claim_from_row(session.get(ClaimRow, row.id))
    assert back == bare


def test_claim_round_trip_full(session, source):
    msg, _ = repo.upsert_message(session, source, item())
    claim = full_claim()
    row = repo.save_claim(session, msg, 1, claim, "x-1")
    session.commit()
    session.expunge_all()
    stored = session.get(ClaimRow, row.id)
    assert stored.period_start == datetime(2025, 9, 5, 20, 0, tzinfo=UTC)
    assert [(r.iso, r.destroyed) for r in stored.regions] == [("RU-SMO", 9), ("RU-BRY", None)]
    assert stored.fire is None and stored.infrastructure_damage is False and stored.killed == 0
    back = repo.claim_from_row(stored)
    assert back.period.start == "2025-09-05T20:00:00+00:00"  # same instant, in UTC
    back.period = claim.period
    assert back == claim


def test_new_claim_supersedes_the_previous_ones(session, source):
    msg, _ = repo.upsert_message(session, source, item())
    first = repo.save_claim(session, msg, 1, full_claim(), "x-1")
    msg, status = repo.upsert_message(session, source, item(text=TEXT + " Уточнение: сбиты десять БПЛА."))
    assert status == "updated"
    second = repo.save_claim(session, msg, 2, full_claim(), "x-1")
    other_msg, _ = repo.upsert_message(session, source, item("other"))
    other = repo.save_claim(session, other_msg, 1, full_claim(), "x-1")
    session.commit()
    session.expunge_all()
    flags = dict(session.execute(select(ClaimRow.id, ClaimRow.superseded)).all())
    assert flags == {first.id: True, second.id: False, other.id: False}


def test_claim_must_point_at_an_existing_version(session, source):
    msg, _ = repo.upsert_message(session, source, item())
    with pytest.raises(IntegrityError):
        repo.save_claim(session, msg, 5, full_claim(), "x-1")


def test_claim_with_a_naive_period_is_refused(session, source):
    msg, _ = repo.upsert_message(session, source, item())
    claim = Claim(period=Period("ночью", "2025-09-06T01:00:00", None))
    with pytest.raises(repo.StoreError, match="no UTC offset"):
        repo.save_claim(session, msg, 1, claim, "x-1")


# ------------------------------------------------------------------------------------------- events


def test_append_event_stores_json_and_cannot_be_changed(session, source):
    when = datetime(2025, 9, 6, 7, 15, tzinfo=MSK)
    ev = repo.append_event(
        session,
        "cli",
        "create",
        "source",
        source.id,
        None,
        {"name": source.name, "kind": source.kind, "at": when, "tags": ("a", "b")},
    )
    session.commit()
    session.expunge_all()
    got = session.get(Event, ev.id)
    assert got.before is None
    assert got.after == {
        "name": "governor",
        "kind": "telegram_export",
        "at": when.isoformat(),
        "tags": ["a", "b"],
    }
    assert got.entity_id == str(source.id) and got.at.tzinfo is not None

    got.actor = "mallory"
    with pytest.raises(AppendOnlyError, match="append-only"):
        session.flush()
    session.rollback()
    session.delete(session.get(Event, ev.id))
    with pytest.raises(AppendOnlyError, match="append-only"):
        session.flush()
    session.rollback()
    assert session.scalar(select(Event.actor)) == "cli"
    assert not hasattr(repo, "update_event") and not hasattr(repo, "delete_event")


def test_event_before_null_is_sql_null(session):
    repo.append_event(session, "cli", "delete", "source", 3, {"name": "x"}, None)
    session.commit()
    assert session.execute(text("SELECT count(*) FROM event WHERE after IS NULL")).scalar() == 1


def test_superseding_updates_claims_already_in_the_session(session, source):
    msg, _ = repo.upsert_message(session, source, item())
    first = repo.save_claim(session, msg, 1, full_claim(), "x-1")
    assert first.superseded is False
    repo.save_claim(session, msg, 1, full_claim(), "x-2")  # re-extraction with a newer extractor
    assert first.superseded is True


def test_batches_apply_items_in_order(session, source):
    items = [item("a", "one"), item("b", "two"), item("a", "one, edited"), item("a", "one, edited")]
    results = repo.upsert_messages(session, source, items)
    assert [(m.external_id, status) for m, status in results] == [
        ("a", "new"),
        ("b", "new"),
        ("a", "updated"),
        ("a", "unchanged"),
    ]
    a = results[0][0]
    assert a is results[2][0] and a.current_version == 2
    assert repo.current_text(session, a) == "one, edited"

    rows = repo.save_claims(
        session, [(a, 1, full_claim()), (results[1][0], 1, Claim()), (a, 2, full_claim())], "x-1"
    )
    assert [r.superseded for r in rows] == [True, False, False]
    assert [[g.iso for g in r.regions] for r in rows] == [["RU-SMO", "RU-BRY"], [], ["RU-SMO", "RU-BRY"]]
    session.commit()
    assert count(session, MessageVersion) == 3 and count(session, ClaimRow) == 3


def test_one_bad_item_in_a_batch_writes_nothing(session, source):
    with pytest.raises(repo.BadMessage, match="'bad'"):
        repo.upsert_messages(session, source, [item("ok"), item("bad", "x\x00")])
    assert count(session, Message) == 0
    repo.check_item(item("ok"))
    with pytest.raises(repo.BadMessage):
        repo.check_item(item("bad", "x\x00"))


def test_incident_with_claims_and_region_status_round_trip(session, source):
    from tocsin.store.models import Incident, IncidentClaim, RegionStatus

    msg, _ = repo.upsert_message(session, source, item())
    claim = repo.save_claim(session, msg, 1, full_claim(), "x-1")
    consensus = {
        "total_destroyed": {"value": 9, "source": "governor", "lower_bound": False},
        "killed": {"value": None, "source": None, "lower_bound": False},  # not disclosed: null, not 0
    }
    incident = Incident(
        key="RU-SMO:2025-09-05T22",
        iso="RU-SMO",
        window_start=datetime(2025, 9, 5, 22, 0, tzinfo=MSK),
        window_end=datetime(2025, 9, 6, 7, 0, tzinfo=MSK),
        time_precision=1,
        geo_precision=3,
        kind=Kind.INTERCEPTION,
        consensus=consensus,
        disagreements=[{"field": "total_destroyed", "values": [[9, "governor"], [8, "wire"]]}],
    )
    session.add(incident)
    session.flush()
    session.add(IncidentClaim(incident_id=incident.id, claim_id=claim.id, iso="RU-SMO"))
    session.add(
        RegionStatus(iso="RU-SMO", status="danger", weapon="uav", started_at=PUBLISHED, message_id=msg.id)
    )
    session.commit()
    session.expunge_all()

    got = session.scalars(select(Incident).where(Incident.iso == "RU-SMO")).one()
    assert got.consensus == consensus and got.deleted_at is None
    assert got.window_start == datetime(2025, 9, 5, 19, 0, tzinfo=UTC)
    assert got.created_at.tzinfo is not None and got.updated_at.tzinfo is not None
    assert [(c.claim_id, c.iso) for c in got.claims] == [(claim.id, "RU-SMO")]
    status = session.scalars(select(RegionStatus)).one()
    assert (status.status, status.weapon, status.ended_at) == ("danger", Weapon.UAV, None)


# ------------------------------------------------------------------------------------ bulk, no ORM objects


def test_store_messages_and_insert_claims_without_orm_objects(session, source):
    """The bulk path ``tocsin.ingest`` uses: the same rows as the ORM functions, ids in input order."""
    items = [item(f"b{i}", f"{TEXT} #{i}", url=f"https://t.me/gov/{i}") for i in range(700)]  # two chunks
    stored = repo.store_messages(session, source.id, items)
    assert [status for _, status in stored] == ["new"] * 700
    assert [m.external_id for m, _ in stored] == [f"b{i}" for i in range(700)]
    ids = [m.id for m, _ in stored]
    assert ids == sorted(ids) and len(set(ids)) == 700
    assert session.get(Message, ids[5]).url == "https://t.me/gov/5"
    # an edit keeps the fields the new version does not give, changes those it gives
    edited = repo.store_messages(
        session,
        source.id,
        [item("b5", TEXT + " Уточнение.", url=None, author="Governor"), item("b6", f"{TEXT} #6")],
    )
    assert [(m.id, m.current_version, s) for m, s in edited] == [
        (ids[5], 2, "updated"),
        (ids[6], 1, "unchanged"),
    ]
    message = session.get(Message, ids[5], populate_existing=True)
    assert (message.current_version, message.url, message.author) == (2, "https://t.me/gov/5", "Governor")
    assert repo.current_text(session, message) == TEXT + " Уточнение."

    claims = [(m.id, m.current_version, full_claim()) for m, _ in stored[:600]]
    claims.append((ids[5], 2, Claim(kind=Kind.NOT_INCIDENT)))  # the edit: supersedes the first claim of b5
    claim_ids = repo.insert_claims(session, claims, "x-1")
    assert len(claim_ids) == 601 and claim_ids == sorted(claim_ids)
    first = session.get(ClaimRow, claim_ids[0])
    assert [(r.iso, r.destroyed) for r in first.regions] == [("RU-SMO", 9), ("RU-BRY", None)]
    superseded = dict(session.execute(select(ClaimRow.id, ClaimRow.superseded)).all())
    assert superseded[claim_ids[5]] is True and superseded[claim_ids[-1]] is False
    assert sum(not v for v in superseded.values()) == 600


def test_as_stored_is_what_reading_the_claim_back_gives(session, source):
    msg, _ = repo.upsert_message(session, source, item())
    claim = full_claim()
    row = repo.save_claim(session, msg, 1, claim, "x-1")
    session.commit()
    session.expunge_all()
    back = repo.claim_from_row(session.get(ClaimRow, row.id))
    back.evidence = {}
    assert repo.as_stored(claim) == back
    assert repo.as_stored(claim).period.start == "2025-09-05T20:00:00+00:00"
    with pytest.raises(repo.StoreError, match="no UTC offset"):
        repo.as_stored(Claim(period=Period("ночью", "2025-09-06T01:00:00", None)))


def test_insert_rows_needs_a_key_that_tells_the_rows_apart(session, source):
    rows = [
        {"source_id": source.id, "external_id": "k1", "current_version": 1},
        {"source_id": source.id, "external_id": "k2", "current_version": 1},
    ]
    ids = repo.insert_rows(session, Message.__table__, rows, ("external_id",))
    assert [session.get(Message, i).external_id for i in ids] == ["k1", "k2"]
    assert repo.insert_rows(session, Message.__table__, [], ("external_id",)) == []
    with pytest.raises(ValueError, match="does not tell the rows apart"):
        repo.insert_rows(session, Message.__table__, rows, ("source_id",))
