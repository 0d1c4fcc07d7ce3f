"""The tables, named after the design's vocabulary (Source, Message, Claim, Incident, RegionStatus, Event).

Rules that hold for every table:

- every datetime column is a ``UTCDateTime`` (aware in, aware UTC out);
- a count or flag nobody stated is NULL — no column defaults a count to 0 or a flag to false;
- enums are stored as their string values in VARCHAR columns (no native PostgreSQL enum types), so the
  same migrations serve SQLite and PostgreSQL and new values need no ALTER TYPE.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Enum,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    and_,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from tocsin.domain import (
    Authority,
    DispatchStatus,
    Kind,
    LocationSource,
    ReportCategory,
    ReportStatus,
    Role,
    SourceKind,
    UnitStatus,
    Weapon,
)
from tocsin.store.types import JSONType, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ISO_LEN = 16  # ISO 3166-2 codes ("RU-SMO", "UA-63") with room to spare
EXTERNAL_ID_LEN = 512  # a Telegram post number, a feed GUID/URL …; kept short enough for a btree index


def utcnow() -> datetime:
    return datetime.now(UTC)


def _enum(cls: type[StrEnum], name: str, length: int = 32) -> Enum:
    """A string-valued enum column (stores ``"telegram_export"``, not the member name)."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        length=length,
        create_constraint=False,
        validate_strings=True,
        values_callable=lambda e: [m.value for m in e],
    )


class RegionStatusValue(StrEnum):
    """A region's alert state: danger declared ("угроза атаки БПЛА") or all clear ("отбой")."""

    DANGER = "danger"
    CLEAR = "clear"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
    }


class Source(Base):
    """One inbound channel (a Telegram channel, a feed, a file import)."""

    __tablename__ = "source"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[SourceKind] = mapped_column(_enum(SourceKind, "source_kind"))
    authority: Mapped[Authority] = mapped_column(_enum(Authority, "authority"))
    url: Mapped[str | None] = mapped_column(Text)  # URL or file path
    poll_interval_s: Mapped[int | None] = mapped_column(Integer)  # None: never polled (file imports)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_fetched_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)  # HTTP ETag of the last fetch
    last_modified: Mapped[str | None] = mapped_column(Text)  # HTTP Last-Modified, verbatim
    cursor: Mapped[str | None] = mapped_column(Text)  # where pagination stopped (e.g. ?before=)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    messages: Mapped[list[Message]] = relationship(back_populates="source", lazy="raise_on_sql")


class Message(Base):
    """One raw inbound text, identified by (source, external_id); its text lives in its versions."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id"),
        Index("ix_message_published_at", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    external_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_LEN))
    url: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(16))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    current_version: Mapped[int] = mapped_column(Integer, default=1)

    source: Mapped[Source] = relationship(back_populates="messages")
    versions: Mapped[list[MessageVersion]] = relationship(
        back_populates="message", order_by="MessageVersion.version", lazy="raise_on_sql"
    )


class MessageVersion(Base):
    """The verbatim text of a message as of one edit; version 1 is the first text seen."""

    __tablename__ = "message_version"
    __table_args__ = (UniqueConstraint("message_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    edited_at: Mapped[datetime | None]  # when the source says it was edited, if it says
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    text_sha256: Mapped[str] = mapped_column(String(64))

    message: Mapped[Message] = relationship(back_populates="versions")


class ClaimRow(Base):
    """A stored ``domain.Claim``: what one version of one message says about one event."""

    __tablename__ = "claim"
    __table_args__ = (
        ForeignKeyConstraint(
            ["message_id", "message_version"],
            ["message_version.message_id", "message_version.version"],
            name="fk_claim_message_id_message_version_message_version",
        ),
        Index("ix_claim_message_id_superseded", "message_id", "superseded"),
        Index("ix_claim_period_start", "period_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"))
    message_version: Mapped[int] = mapped_column(Integer)
    extracted_at: Mapped[datetime] = mapped_column(default=utcnow)
    extractor_version: Mapped[str] = mapped_column(String(64))
    kind: Mapped[Kind] = mapped_column(_enum(Kind, "claim_kind"))
    weapon: Mapped[Weapon | None] = mapped_column(_enum(Weapon, "weapon"))
    total_destroyed: Mapped[int | None] = mapped_column(Integer)
    launched: Mapped[int | None] = mapped_column(Integer)
    killed: Mapped[int | None] = mapped_column(Integer)
    injured: Mapped[int | None] = mapped_column(Integer)
    infrastructure_damage: Mapped[bool | None] = mapped_column(Boolean)
    debris_fell: Mapped[bool | None] = mapped_column(Boolean)
    fire: Mapped[bool | None] = mapped_column(Boolean)
    emergency_response: Mapped[bool | None] = mapped_column(Boolean)
    period_text: Mapped[str | None] = mapped_column(Text)
    period_start: Mapped[datetime | None]
    period_end: Mapped[datetime | None]
    speaker: Mapped[str | None] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(16))
    interceptors: Mapped[list[Any]] = mapped_column(JSONType, default=list)  # ["air_defense", …]
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # field → [[start, end], …]
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)

    message: Mapped[Message] = relationship(lazy="raise_on_sql")
    regions: Mapped[list[ClaimRegion]] = relationship(
        back_populates="claim", order_by="ClaimRegion.position", lazy="selectin"
    )


class ClaimRegion(Base):
    """One entry of a claim's ``per_region``, in the claim's order; ``destroyed`` NULL when not given."""

    __tablename__ = "claim_region"
    __table_args__ = (Index("ix_claim_region_iso", "iso"),)

    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso: Mapped[str] = mapped_column(String(ISO_LEN))
    destroyed: Mapped[int | None] = mapped_column(Integer)

    claim: Mapped[ClaimRow] = relationship(back_populates="regions")


class Incident(Base):
    """One real-world event in one region and time window, built from claims by the merge."""

    __tablename__ = "incident"
    __table_args__ = (
        Index("ix_incident_iso_window_start", "iso", "window_start"),
        Index("ix_incident_key", "key"),
        Index("ix_incident_window_start_id", "window_start", "id"),  # newest-first list (0002)
        Index("ix_incident_updated_at_id", "updated_at", "id"),  # change feed (0002)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(
        String(64)
    )  # the merge's IncidentDraft.key ("RU-SMO:2025-09-05T22")
    iso: Mapped[str] = mapped_column(String(ISO_LEN))
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    time_precision: Mapped[int] = mapped_column(Integer)  # ACLED-style: 1 day … 3 month
    geo_precision: Mapped[int] = mapped_column(Integer)  # ACLED-style: 1 place … 3 region
    kind: Mapped[Kind] = mapped_column(_enum(Kind, "incident_kind"))
    consensus: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # field → {"value": …, "source": …, "lower_bound": bool}
    disagreements: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None]

    claims: Mapped[list[IncidentClaim]] = relationship(back_populates="incident", lazy="selectin")


class IncidentClaim(Base):
    """A claim's contribution to an incident, for one region of the claim."""

    __tablename__ = "incident_claim"
    __table_args__ = (Index("ix_incident_claim_claim_id", "claim_id"),)

    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claim.id"), primary_key=True)
    iso: Mapped[str] = mapped_column(String(ISO_LEN), primary_key=True)

    incident: Mapped[Incident] = relationship(back_populates="claims")
    claim: Mapped[ClaimRow] = relationship(lazy="raise_on_sql")


class RegionStatus(Base):
    """An interval of danger or all-clear for a region; ``ended_at`` NULL while it lasts."""

    __tablename__ = "region_status"
    __table_args__ = (
        Index("ix_region_status_iso_started_at", "iso", "started_at"),
        Index("ix_region_status_message_id", "message_id"),  # refreshes of edited messages (0004)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    iso: Mapped[str] = mapped_column(String(ISO_LEN))
    status: Mapped[RegionStatusValue] = mapped_column(_enum(RegionStatusValue, "region_status_value", 16))
    weapon: Mapped[Weapon | None] = mapped_column(_enum(Weapon, "weapon"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))


class Event(Base):
    """Append-only audit record: who changed what, before and after. Never updated, never deleted.

    Enforced three ways: the repo only offers ``append_event``; the ORM refuses to flush a changed or
    deleted Event; database triggers (created by the migration) refuse UPDATE and DELETE.
    """

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_entity_entity_id", "entity", "entity_id"),
        Index("ix_event_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(128))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class AppendOnlyError(RuntimeError):
    """An attempt to change or delete an audit Event."""


@event.listens_for(Event, "before_update")
def _refuse_event_update(mapper: Any, connection: Any, target: Event) -> None:
    raise AppendOnlyError(f"Event {target.id} is append-only: it cannot be changed")


@event.listens_for(Event, "before_delete")
def _refuse_event_delete(mapper: Any, connection: Any, target: Event) -> None:
    raise AppendOnlyError(f"Event {target.id} is append-only: it cannot be deleted")


# ------------------------------------------------------------------ resident reports, triage, dispatch
# Private data (a reporter's contact, the exact location, the description, photos) lives in these tables;
# the public side reads reports only through ``tocsin.policy``, which decides what may be shown.


class ReportCluster(Base):
    """Reports of one category close in space and time (``tocsin.triage``'s radius and window)."""

    __tablename__ = "report_cluster"
    __table_args__ = (Index("ix_report_cluster_category_lat", "category", "lat"),)  # clustering (0005)

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[ReportCategory] = mapped_column(_enum(ReportCategory, "report_category"))
    lat: Mapped[float] = mapped_column(Float)  # mean of the members' locations
    lon: Mapped[float] = mapped_column(Float)
    first_at: Mapped[datetime]  # earliest member's observed_at
    last_at: Mapped[datetime]
    size: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Report(Base):
    """What a resident submitted: category, location, time, description, photos, optional contact."""

    __tablename__ = "report"
    __table_args__ = (
        Index("ix_report_status_priority_submitted_at", "status", "priority", "submitted_at"),
        Index("ix_report_category_observed_at", "category", "observed_at"),
        Index("ix_report_cluster_id", "cluster_id"),
        Index("ix_report_incident_id", "incident_id"),
        Index("ix_report_category_lat", "category", "lat"),  # clustering's neighbour search (0005)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)  # the receipt token's hash
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    category: Mapped[ReportCategory] = mapped_column(_enum(ReportCategory, "report_category"))
    priority: Mapped[int] = mapped_column(Integer)  # domain.CATEGORY_PRIORITY; lower is more urgent
    status: Mapped[ReportStatus] = mapped_column(
        _enum(ReportStatus, "report_status"), default=ReportStatus.NEW
    )
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    location_source: Mapped[LocationSource] = mapped_column(_enum(LocationSource, "location_source"))
    location_text: Mapped[str | None] = mapped_column(Text)  # what the resident typed
    place_name: Mapped[str | None] = mapped_column(Text)  # resolved settlement (GeoNames)
    place_geonameid: Mapped[int | None] = mapped_column(Integer)
    district: Mapped[str | None] = mapped_column(Text)  # admin level 2 where known
    iso: Mapped[str | None] = mapped_column(String(ISO_LEN))  # region, where known
    observed_at: Mapped[datetime]  # when the resident saw it (defaults to submission time)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    description: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(Text)  # PRIVATE: never on a public page or endpoint
    lang: Mapped[str | None] = mapped_column(String(16))
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("report_cluster.id"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    lock_expires_at: Mapped[datetime | None]

    photos: Mapped[list[ReportPhoto]] = relationship(
        back_populates="report", order_by="ReportPhoto.position", lazy="selectin"
    )


class ReportPhoto(Base):
    """A resident's photo, re-encoded without metadata, stored as a file outside the web root."""

    __tablename__ = "report_photo"
    __table_args__ = (UniqueConstraint("report_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"))
    position: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))  # of the stored (re-encoded) bytes; also its file name
    media_type: Mapped[str] = mapped_column(String(32))  # image/jpeg, image/png, image/webp
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)  # bytes stored
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    report: Mapped[Report] = relationship(back_populates="photos")


class User(Base):
    """An operator-side account (``tocsin user add``). Residents have no accounts."""

    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role, "role", 16))
    password_hash: Mapped[str] = mapped_column(Text)  # argon2id (argon2-cffi's PasswordHasher)
    totp_secret: Mapped[str | None] = mapped_column(String(64))  # base32; None: no second factor
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]


class UserSession(Base):
    """A signed-in browser. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "user_session"
    __table_args__ = (Index("ix_user_session_user_id", "user_id"),)

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    second_factor_ok: Mapped[bool] = mapped_column(Boolean, default=False)  # TOTP passed (or not needed)

    user: Mapped[User] = relationship(lazy="joined")


class Unit(Base):
    """An emergency-service crew or team."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str | None] = mapped_column(String(100))  # "fire crew", "explosive ordnance team", …
    status: Mapped[UnitStatus] = mapped_column(
        _enum(UnitStatus, "unit_status", 16), default=UnitStatus.AVAILABLE
    )
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Dispatch(Base):
    """A unit sent to a report or to a cluster of reports; its timeline is in the Event table
    (entity ``dispatch``) and in the timestamps below, which feed time-to-dispatch and time-to-scene."""

    __tablename__ = "dispatch"
    __table_args__ = (
        Index("ix_dispatch_unit_id_status", "unit_id", "status"),
        Index("ix_dispatch_report_id", "report_id"),
        Index("ix_dispatch_cluster_id", "cluster_id"),
        Index("ix_dispatch_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"))
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("report_cluster.id"))
    status: Mapped[DispatchStatus] = mapped_column(
        _enum(DispatchStatus, "dispatch_status", 16), default=DispatchStatus.ASSIGNED
    )
    dispatched_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  # when the unit was assigned
    en_route_at: Mapped[datetime | None]
    on_scene_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]  # completed or cancelled

    unit: Mapped[Unit] = relationship(lazy="joined")


def claim_version_join():
    """The join condition from a claim to the message version it was read from (its verbatim text)."""
    return and_(
        MessageVersion.message_id == ClaimRow.message_id, MessageVersion.version == ClaimRow.message_version
    )
