"""``submit_report`` and ``resident_view`` on SQLite and PostgreSQL: what is stored (report, photo rows,
photo files without metadata, the audit Event without the contact), places, clusters, receipt tokens,
idempotency (sequential and concurrent), refused photos storing nothing, and the resident's view."""

from __future__ import annotations

import hashlib
import io
import json
import threading
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine, func, select

from reports.conftest import jpeg_with_metadata, png
from tocsin.domain import CATEGORY_PRIORITY, DispatchStatus, LocationSource, ReportCategory, ReportStatus
from tocsin.photos import PhotoStore
from tocsin.reports import (
    Receipt,
    ReportError,
    idempotency_sha256,
    receipt_token,
    resident_view,
    submit_report,
    token_sha256,
)
from tocsin.settings import Settings
from tocsin.store.engine import make_sessionmaker
from tocsin.store.models import Dispatch, Event, Report, ReportPhoto, Unit

CONTACT = "+7 900 123-45-67 secret@example.org"


def _submit(engine: Engine, settings: Settings, data: dict) -> Receipt:
    with make_sessionmaker(engine)() as session:
        return submit_report(session, settings, data, photo_store=PhotoStore(settings.photo_dir))


def _count(engine: Engine, model) -> int:
    with make_sessionmaker(engine)() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_submit_stores_report_photos_and_event(engine: Engine, settings: Settings) -> None:
    receipt = _submit(
        engine,
        settings,
        {
            "category": "debris",
            "location_text": "в Вязьме, у моста",
            "description": "Обломки на обочине",
            "contact": CONTACT,
            "lang": "ru",
            "photos": [(jpeg_with_metadata(), "image/jpeg"), (png(), None)],
        },
    )
    assert receipt.created and len(receipt.token) == 32
    with make_sessionmaker(engine)() as session:
        report = session.get(Report, receipt.report_id)
        assert report is not None
        assert report.token_sha256 == hashlib.sha256(receipt.token.encode()).hexdigest()
        assert report.category is ReportCategory.DEBRIS
        assert report.priority == CATEGORY_PRIORITY[ReportCategory.DEBRIS]
        assert report.status is ReportStatus.NEW
        assert report.location_source is LocationSource.SETTLEMENT
        assert (report.place_name, report.iso) == ("Vyaz’ma", "RU-SMO")
        assert report.place_geonameid is not None
        assert report.lat is None and report.lon is None  # a settlement's centre is not the report's point
        assert report.location_text == "в Вязьме, у моста"
        assert report.contact == CONTACT
        assert report.idempotency_key is None
        photos = session.scalars(select(ReportPhoto).order_by(ReportPhoto.position)).all()
        assert [p.position for p in photos] == [0, 1]
        assert [p.media_type for p in photos] == ["image/jpeg", "image/png"]
        store = PhotoStore(settings.photo_dir)
        for p in photos:
            path = store.path(p.sha256, p.media_type)
            data = path.read_bytes()
            assert hashlib.sha256(data).hexdigest() == p.sha256 and len(data) == p.size
            assert b"SecretPhone" not in data and b"Model-X1" not in data and b"Exif" not in data
            with Image.open(io.BytesIO(data)) as img:
                assert not img.getexif()
                assert img.size == (p.width, p.height)
            assert Path(settings.photo_dir) in path.parents
        events = session.scalars(select(Event).where(Event.entity == "report")).all()
        assert len(events) == 1
        ev = events[0]
        assert (ev.actor, ev.action, ev.entity_id) == ("resident", "report.created", str(receipt.report_id))
        dumped = json.dumps(ev.after, ensure_ascii=False)
        assert "contact" not in ev.after and "secret@example.org" not in dumped and "123-45-67" not in dumped
        assert ev.after["has_contact"] is True
        assert ev.after["photos"] == [p.sha256 for p in photos]
        assert ev.before is None


def test_coordinates_are_named_and_clustered(engine: Engine, settings: Settings) -> None:
    a = _submit(engine, settings, {"category": "fire", "lat": 54.7800, "lon": 32.0500})
    b = _submit(
        engine, settings, {"category": "fire", "lat": 54.7810, "lon": 32.0510, "location_source": "device"}
    )
    c = _submit(engine, settings, {"category": "damage", "lat": 54.7800, "lon": 32.0500})
    with make_sessionmaker(engine)() as session:
        ra, rb, rc = (session.get(Report, r.report_id) for r in (a, b, c))
        assert (ra.place_name, ra.iso, ra.location_source) == ("Smolensk", "RU-SMO", LocationSource.MAP)
        assert rb.location_source is LocationSource.DEVICE
        assert ra.cluster_id is not None and ra.cluster_id == rb.cluster_id
        assert rc.cluster_id is None  # another category


def test_text_naming_only_a_region(engine: Engine, settings: Settings) -> None:
    r = _submit(engine, settings, {"category": "other", "location_text": "Смоленская область, поле у трассы"})
    with make_sessionmaker(engine)() as session:
        report = session.get(Report, r.report_id)
        assert report.place_name is None and report.place_geonameid is None
        assert report.iso == "RU-SMO"
        assert report.location_source is LocationSource.TEXT


def test_unresolvable_text_is_kept_as_text(engine: Engine, settings: Settings) -> None:
    r = _submit(engine, settings, {"category": "other", "location_text": "у старой водокачки"})
    with make_sessionmaker(engine)() as session:
        report = session.get(Report, r.report_id)
        assert report.iso is None and report.place_name is None
        assert report.location_text == "у старой водокачки"


def test_without_a_key_tokens_are_random(engine: Engine, settings: Settings) -> None:
    data = {"category": "debris", "lat": 54.78, "lon": 32.05}
    a, b = _submit(engine, settings, data), _submit(engine, settings, data)
    assert a.report_id != b.report_id and a.token != b.token
    assert len(a.token) == len(b.token) == 32
    assert _count(engine, Report) == 2


def test_same_key_twice_is_one_report_with_the_same_token(engine: Engine, settings: Settings) -> None:
    key = "k3y-" + "x" * 20
    data = {"category": "debris", "lat": 54.78, "lon": 32.05, "idempotency_key": key, "photos": [png()]}
    first = _submit(engine, settings, data)
    again = _submit(engine, settings, {**data, "description": "a changed body does not matter"})
    assert first.created and not again.created
    assert again.report_id == first.report_id and again.token == first.token
    assert first.token == receipt_token(key)
    assert _count(engine, Report) == 1 and _count(engine, Event) == 1 and _count(engine, ReportPhoto) == 1
    with make_sessionmaker(engine)() as session:
        report = session.get(Report, first.report_id)
        # Neither the key nor the token is stored, only digests: the database alone gives no token.
        assert report.idempotency_key == idempotency_sha256(key) != key
        assert report.token_sha256 == token_sha256(first.token)
        assert report.description is None
    with make_sessionmaker(engine)() as session:
        assert resident_view(session, again.token) is not None


def test_receipt_token_derivation_is_documented_formula() -> None:
    import base64

    key = "AbCdEfGhIjKlMnOp-_42"
    digest = hashlib.sha256(b"tocsin-receipt:" + key.encode()).digest()
    assert receipt_token(key) == base64.urlsafe_b64encode(digest).decode().rstrip("=")[:32]
    assert receipt_token(key) != receipt_token(key + "x")


def test_concurrent_submissions_with_one_key_make_one_report(engine: Engine, settings: Settings) -> None:
    for round_ in range(3):
        key = f"concurrent-key-{round_}-" + "z" * 10
        data = {"category": "injured", "lat": 54.78, "lon": 32.05 + round_, "idempotency_key": key}
        barrier = threading.Barrier(4)
        results: list[Receipt] = []
        errors: list[BaseException] = []

        def worker(data: dict, barrier: threading.Barrier, results: list, errors: list) -> None:
            try:
                barrier.wait()
                results.append(_submit(engine, settings, data))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(data, barrier, results, errors)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len({r.report_id for r in results}) == 1
        assert len({r.token for r in results}) == 1
        assert sum(r.created for r in results) == 1
    assert _count(engine, Report) == 3 and _count(engine, Event) == 3


def test_a_refused_photo_stores_nothing(engine: Engine, settings: Settings) -> None:
    with pytest.raises(ReportError) as info:
        _submit(
            engine,
            settings,
            {
                "category": "debris",
                "lat": 54.78,
                "lon": 32.05,
                "photos": [png(), b"GIF89a not a photo at all"],
            },
        )
    assert [(p.field, p.code) for p in info.value.problems] == [("photos.1", "unsupported_type")]
    assert _count(engine, Report) == 0 and _count(engine, ReportPhoto) == 0 and _count(engine, Event) == 0
    photo_dir = Path(settings.photo_dir)
    assert not photo_dir.exists() or not any(p.is_file() for p in photo_dir.rglob("*"))


@pytest.mark.parametrize(
    ("photo", "code"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 10, "truncated"),
        (png()[:-20], "truncated"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "unsupported_type"),
        (b"plain text", "not_an_image"),
    ],
)
def test_hostile_photos_are_refused_by_field(
    engine: Engine, settings: Settings, photo: bytes, code: str
) -> None:
    with pytest.raises(ReportError) as info:
        _submit(engine, settings, {"category": "debris", "lat": 54.78, "lon": 32.05, "photos": [photo]})
    assert (info.value.field, info.value.problems[0].code) == ("photos.0", code)
    assert _count(engine, Report) == 0


def test_declared_type_must_match(engine: Engine, settings: Settings) -> None:
    with pytest.raises(ReportError) as info:
        _submit(
            engine,
            settings,
            {"category": "debris", "lat": 54.78, "lon": 32.05, "photos": [(png(), "image/jpeg")]},
        )
    assert info.value.problems[0].code == "type_mismatch"


def test_invalid_mapping_is_refused_before_anything_is_stored(engine: Engine, settings: Settings) -> None:
    with pytest.raises(ReportError):
        _submit(engine, settings, {"category": "aliens"})
    assert _count(engine, Report) == 0


def test_resident_view(engine: Engine, settings: Settings) -> None:
    sm = make_sessionmaker(engine)
    mine = _submit(engine, settings, {"category": "fire", "lat": 54.78, "lon": 32.05, "contact": CONTACT})
    peer = _submit(engine, settings, {"category": "fire", "lat": 54.7801, "lon": 32.0501})
    with sm() as session:
        view = resident_view(session, mine.token)
    assert view is not None
    assert set(view) == {"category", "status", "submitted_at", "updated_at", "place_name", "crew_sent"}
    assert view["category"] == "fire" and view["status"] == "new" and view["place_name"] == "Smolensk"
    assert view["crew_sent"] is False
    assert view["submitted_at"].tzinfo is not None
    assert CONTACT not in repr(view)

    with sm() as session:
        assert resident_view(session, "x" * 32) is None
        assert resident_view(session, "short") is None
        assert resident_view(session, "<script>alert(1)</script>") is None
        assert resident_view(session, "a" * 10_000) is None

        unit = Unit(name="Crew 1")
        session.add(unit)
        session.flush()
        # A cancelled dispatch is not a crew sent.
        session.add(Dispatch(unit_id=unit.id, report_id=mine.report_id, status=DispatchStatus.CANCELLED))
        session.commit()
        assert resident_view(session, mine.token)["crew_sent"] is False
        # A dispatch to the cluster counts for every report in it.
        cluster_id = session.get(Report, mine.report_id).cluster_id
        assert cluster_id is not None and cluster_id == session.get(Report, peer.report_id).cluster_id
        session.add(Dispatch(unit_id=unit.id, cluster_id=cluster_id, status=DispatchStatus.EN_ROUTE))
        session.commit()
        assert resident_view(session, mine.token)["crew_sent"] is True
        assert resident_view(session, peer.token)["crew_sent"] is True


def test_a_duplicate_follows_the_dispatch_of_its_original(engine: Engine, settings: Settings) -> None:
    sm = make_sessionmaker(engine)
    original = _submit(engine, settings, {"category": "debris", "location_text": "Вязьма"})
    dup = _submit(engine, settings, {"category": "debris", "location_text": "Вязьма, у вокзала"})
    with sm() as session:
        row = session.get(Report, dup.report_id)
        row.duplicate_of_id = original.report_id
        row.status = ReportStatus.DUPLICATE
        unit = Unit(name="Crew 2")
        session.add(unit)
        session.flush()
        session.add(Dispatch(unit_id=unit.id, report_id=original.report_id))
        session.commit()
        view = resident_view(session, dup.token)
    assert view["status"] == "duplicate" and view["crew_sent"] is True


def test_the_report_is_committed_when_submit_returns(engine: Engine, settings: Settings) -> None:
    receipt = _submit(engine, settings, {"category": "debris", "lat": 54.78, "lon": 32.05})
    with engine.connect() as conn:  # another connection sees it at once
        assert (
            conn.execute(select(Report.id).where(Report.id == receipt.report_id)).scalar()
            == receipt.report_id
        )


def test_inside_a_session_scope_including_a_repeat(engine: Engine, settings: Settings) -> None:
    from tocsin.store.engine import session_scope

    data = {"category": "fire", "lat": 54.78, "lon": 32.05, "idempotency_key": "scope-key-" + "s" * 10}
    receipts = []
    for _ in range(2):
        with session_scope(engine) as session:
            receipts.append(
                submit_report(session, settings, data, photo_store=PhotoStore(settings.photo_dir))
            )
    assert [r.created for r in receipts] == [True, False]
    assert receipts[0].report_id == receipts[1].report_id and _count(engine, Report) == 1
