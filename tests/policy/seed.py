"""A database full of residents' reports that must NOT leak, for the publication-policy tests.

Every report carries canary values in its private fields (contact, description, location text, receipt
token hash, idempotency key, a place name a resident might have typed, its photo's EXIF), is claimed by an
operator whose names are canaries, and has exact coordinates with distinctive digits. There is one report
per status × "old enough" / "too recent" × location variant, a cluster, dispatches (unit, note and
dispatcher are canaries), audit events full of canaries, and the incidents, messages and claims of
``tests/web/seed.py`` (reports are linked to its Smolensk incident).

``seed_reports(engine, photo_dir, now)`` → ``ReportSeed`` (ids and receipt tokens, for filling paths).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from PIL import Image
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tocsin.domain import (
    CATEGORY_PRIORITY,
    DispatchStatus,
    LocationSource,
    ReportCategory,
    ReportStatus,
    Role,
    UnitStatus,
)
from tocsin.photos import PhotoStore, sanitize_photo
from tocsin.store.models import (
    ClaimRow,
    Dispatch,
    Message,
    Report,
    ReportCluster,
    ReportPhoto,
    Unit,
    User,
)
from tocsin.store.repo import append_event
from web.seed import seed as seed_incidents

CANARY = "CANARY"
OPERATOR = "CANARY-OPERATOR"
EXACT_LAT, EXACT_LON = 54.781234, 32.041234
# What must never appear on the public side at a precision coarser than "exact" (the 4-decimal rounding
# shown at "exact" included), and at any precision (more than 4 decimals).
COARSE_FORBIDDEN = ("781234", "041234", "54.7812", "32.0412", "54.78123", "32.04123")
ANY_FORBIDDEN = ("781234", "041234", "54.78123", "32.04123")
SMOLENSK_GEONAMEID = 491687
SMOLENSK = (54.77826, 32.05088)  # GeoNames
OLD = timedelta(hours=3)  # submitted this long before "now": past the default 60-minute delay
RECENT = timedelta(minutes=10)  # too recent for the default delay
PUBLIC = (ReportStatus.TRIAGED, ReportStatus.DISPATCHED, ReportStatus.ON_SCENE, ReportStatus.RESOLVED)


@dataclass
class SeededReport:
    id: int
    status: ReportStatus
    submitted_at: datetime
    token: str
    token_sha256: str
    photo_ids: list[int]
    photo_sha256: list[str]
    variant: str
    incident_id: int | None
    place_name: str | None


@dataclass
class ReportSeed:
    now: datetime
    reports: list[SeededReport]
    incident_ids: list[int]
    message_ids: list[int]
    claim_ids: list[int]
    cluster_ids: list[int]
    dispatch_ids: list[int]
    user_ids: list[int]
    unit_ids: list[int]
    private_strings: list[str] = field(default_factory=list)  # every secret value seeded

    def public_ids(self, delay: timedelta) -> set[int]:
        """The reports a policy with this delay makes public at ``now``."""
        return {r.id for r in self.reports if r.status in PUBLIC and r.submitted_at + delay <= self.now}

    @property
    def photo_ids(self) -> list[int]:
        return [p for r in self.reports for p in r.photo_ids]

    def report(self, report_id: int) -> SeededReport:
        return next(r for r in self.reports if r.id == report_id)


# location variants: (name, lat/lon?, geonameid?, stored place name, region)
VARIANTS = (
    ("map+settlement", True, SMOLENSK_GEONAMEID, "Смоленск", "RU-SMO"),
    ("map-only", True, None, "CANARY-PLACE-TYPED", "RU-SMO"),
    ("settlement-only", False, SMOLENSK_GEONAMEID, "CANARY-PLACE-NAME", "RU-SMO"),
    ("text-only", False, None, None, "UA-63"),
)


def photo_bytes(n: int) -> bytes:
    """A small JPEG whose EXIF holds a canary and GPS coordinates (the sanitizer must drop them)."""
    img = Image.new("RGB", (24, 16), ((n * 37) % 256, (n * 91) % 256, 120))
    exif = Image.Exif()
    exif[0x010E] = f"CANARY-EXIF-{n}"  # ImageDescription
    exif[0x8825] = {1: "N", 2: (54.0, 46.0, 52.44), 3: "E", 4: (32.0, 2.0, 28.44)}  # GPS IFD
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def seed_reports(engine: Engine, photo_dir: str, now: datetime) -> ReportSeed:
    """Write the incidents (``web.seed``) and the canary-laden reports; see the module docstring."""
    info = seed_incidents(engine, now)
    store = PhotoStore(photo_dir)
    secrets_seen: list[str] = []
    reports: list[SeededReport] = []
    with Session(engine, expire_on_commit=False) as s, s.begin():
        operator = User(
            username=OPERATOR,
            display_name="CANARY-OPERATOR-NAME",
            role=Role.DISPATCHER,
            password_hash="$argon2id$CANARY-HASH",
            totp_secret="CANARYTOTPSECRET",
        )
        s.add(operator)
        s.flush()
        unit = Unit(
            name="CANARY-UNIT", kind="CANARY-UNIT-KIND", status=UnitStatus.EN_ROUTE, note="CANARY-UNIT-NOTE"
        )
        s.add(unit)
        s.flush()
        cluster = ReportCluster(
            category=ReportCategory.DEBRIS,
            lat=EXACT_LAT,
            lon=EXACT_LON,
            first_at=now - OLD,
            last_at=now - RECENT,
            size=2,
        )
        s.add(cluster)
        s.flush()
        n = 0
        first_of_status: dict[ReportStatus, int] = {}
        categories = list(ReportCategory)
        for status in ReportStatus:
            for age in (OLD, RECENT):
                for variant, has_point, geonameid, place_name, iso in VARIANTS:
                    n += 1
                    token = f"receipt-token-{n:03d}-{'x' * 20}"
                    digest = hashlib.sha256(token.encode()).hexdigest()
                    category = categories[n % len(categories)]
                    report = Report(
                        token_sha256=digest,
                        idempotency_key=f"CANARY-IDEM-{n:03d}-{'k' * 16}",
                        category=category,
                        priority=CATEGORY_PRIORITY[category],
                        status=status,
                        lat=EXACT_LAT if has_point else None,
                        lon=EXACT_LON if has_point else None,
                        location_source=LocationSource.MAP if has_point else LocationSource.SETTLEMENT,
                        location_text=f"CANARY-LOC-{n} ул. Ленина, д. 5, кв. 12",
                        place_name=place_name,
                        place_geonameid=geonameid,
                        district="CANARY-DISTRICT",
                        iso=iso,
                        observed_at=now - age - timedelta(minutes=17, seconds=31),
                        submitted_at=now - age,
                        description=f"CANARY-DESC-{n} <script>alert('desc')</script>",
                        contact=f"CANARY-CONTACT-{n} +7 900 000-00-00",
                        lang="ru",
                        cluster_id=cluster.id if has_point else None,
                        incident_id=info.smolensk if n % 2 else None,
                        locked_by_id=operator.id,
                        lock_expires_at=now + timedelta(minutes=5),
                    )
                    if status is ReportStatus.DUPLICATE and first_of_status.get(ReportStatus.NEW):
                        report.duplicate_of_id = first_of_status[ReportStatus.NEW]
                    s.add(report)
                    s.flush()
                    first_of_status.setdefault(status, report.id)
                    clean = sanitize_photo(photo_bytes(n), max_bytes=1 << 20, max_pixels=1 << 20)
                    store.save(clean)
                    photo = ReportPhoto(
                        report_id=report.id,
                        position=0,
                        sha256=clean.sha256,
                        media_type=clean.media_type,
                        width=clean.width,
                        height=clean.height,
                        size=len(clean.data),
                    )
                    s.add(photo)
                    s.flush()
                    if status in (ReportStatus.DISPATCHED, ReportStatus.ON_SCENE, ReportStatus.RESOLVED):
                        s.add(
                            Dispatch(
                                unit_id=unit.id,
                                report_id=report.id,
                                status=DispatchStatus.ON_SCENE,
                                dispatched_by_id=operator.id,
                                note=f"CANARY-DISPATCH-NOTE-{n}",
                                created_at=now - age + timedelta(minutes=3),
                                on_scene_at=now - age + timedelta(minutes=20),
                            )
                        )
                    append_event(
                        s,
                        OPERATOR,
                        "report.status",
                        "report",
                        report.id,
                        {"status": "new", "contact": report.contact},
                        {"status": status.value, "description": report.description},
                    )
                    secrets_seen += [
                        token,
                        digest,
                        report.idempotency_key,
                        report.contact,
                        report.description,
                        report.location_text,
                    ]
                    reports.append(
                        SeededReport(
                            id=report.id,
                            status=status,
                            submitted_at=report.submitted_at,
                            token=token,
                            token_sha256=digest,
                            photo_ids=[photo.id],
                            photo_sha256=[clean.sha256],
                            variant=variant,
                            incident_id=report.incident_id,
                            place_name=place_name,
                        )
                    )
        s.add(
            Dispatch(
                unit_id=unit.id,
                cluster_id=cluster.id,
                status=DispatchStatus.ASSIGNED,
                dispatched_by_id=operator.id,
                note="CANARY-CLUSTER-DISPATCH",
            )
        )
        s.flush()
        seed = ReportSeed(
            now=now,
            reports=reports,
            incident_ids=[info.smolensk, info.kharkiv, info.older],
            message_ids=list(s.scalars(select(Message.id).order_by(Message.id))),
            claim_ids=list(s.scalars(select(ClaimRow.id).order_by(ClaimRow.id))),
            cluster_ids=[cluster.id],
            dispatch_ids=list(s.scalars(select(Dispatch.id).order_by(Dispatch.id))),
            user_ids=[operator.id],
            unit_ids=[unit.id],
            private_strings=secrets_seen,
        )
    return seed
