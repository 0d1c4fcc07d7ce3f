"""``tocsin.policy``: the settings, each precision's coordinates, the delay at its boundary, statuses, the
rounded times, place names, photos, counts per incident, pagination — and a property test that a public
report never has a key outside ``PUBLIC_KEYS`` nor any private value, whatever the report holds."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from policy.seed import SMOLENSK, SMOLENSK_GEONAMEID
from tocsin.domain import CATEGORY_PRIORITY, LocationSource, PublicPrecision, ReportCategory, ReportStatus
from tocsin.exports import region_centroids
from tocsin.policy import (
    LOCATION_KEYS,
    PUBLIC_KEYS,
    PUBLIC_STATUS_WORDS,
    PUBLIC_STATUSES,
    PolicyError,
    PublicationPolicy,
    grid_centre,
    linked_report_counts,
    public_photo,
    public_report,
    public_reports,
)
from tocsin.queries import BadCursor, QueryError, encode_cursor
from tocsin.settings import Settings, SettingsError
from tocsin.store.models import Incident, Report, ReportPhoto

T = datetime(2025, 9, 5, 10, 17, 31, 123456, tzinfo=UTC)
LATER = T + timedelta(days=1)
EXACT_PT = (54.781234, 32.041234)


def policy(precision: str = "settlement", minutes: int = 60, photos: bool = False) -> PublicationPolicy:
    return PublicationPolicy.from_settings(
        Settings(public_location_precision=precision, publication_delay_minutes=minutes, public_photos=photos)
    )


_token = iter(range(10**6))


def make_report(**kw) -> Report:
    category = kw.pop("category", ReportCategory.DEBRIS)
    values = {
        "token_sha256": f"{next(_token):064d}",
        "category": category,
        "priority": CATEGORY_PRIORITY[category],
        "status": ReportStatus.TRIAGED,
        "lat": EXACT_PT[0],
        "lon": EXACT_PT[1],
        "location_source": LocationSource.MAP,
        "place_name": None,
        "place_geonameid": None,
        "iso": "RU-SMO",
        "observed_at": T,
        "submitted_at": T,
        "contact": "CANARY-CONTACT",
        "description": "CANARY-DESC",
        "location_text": "CANARY-LOC",
    }
    values.update(kw)
    return Report(**values)


# ------------------------------------------------------------------------------------------ settings


def test_defaults_are_the_cautious_ones():
    p = PublicationPolicy.from_settings(Settings())
    assert p == PublicationPolicy()
    assert (p.precision, p.delay, p.photos) == (PublicPrecision.SETTLEMENT, timedelta(minutes=60), False)
    assert p.describe() == {"precision": "settlement", "delay_minutes": 60, "photos": False}


def test_settings_from_the_environment():
    env = {
        "TOCSIN_PUBLIC_LOCATION_PRECISION": " District ",
        "TOCSIN_PUBLICATION_DELAY_MINUTES": "0",
        "TOCSIN_PUBLIC_PHOTOS": "yes",
    }
    p = PublicationPolicy.from_settings(Settings.from_env(env))
    assert (p.precision, p.delay, p.photos) == (PublicPrecision.DISTRICT, timedelta(0), True)


@pytest.mark.parametrize("value", ["street", "", "exact;drop", "settlement\x00", "точно", "1"])
def test_unknown_precision_is_a_clear_settings_error(value):
    with pytest.raises(PolicyError) as err:
        PublicationPolicy.from_settings(Settings(public_location_precision=value))
    assert isinstance(err.value, SettingsError)
    assert "TOCSIN_PUBLIC_LOCATION_PRECISION" in str(err.value)
    assert "exact, settlement, district, region" in str(err.value)


@pytest.mark.parametrize("minutes", [-1, 10**12, True])
def test_bad_delay_is_a_clear_settings_error(minutes):
    with pytest.raises(PolicyError, match="TOCSIN_PUBLICATION_DELAY_MINUTES"):
        PublicationPolicy.from_settings(Settings(publication_delay_minutes=minutes))


def test_bad_values_built_directly_are_refused():
    with pytest.raises(PolicyError):
        PublicationPolicy(precision="street")  # type: ignore[arg-type]
    with pytest.raises(PolicyError):
        PublicationPolicy(delay=timedelta(minutes=-5))
    with pytest.raises(PolicyError):
        PublicationPolicy(photos="no")  # type: ignore[arg-type]
    with pytest.raises(SettingsError):
        Settings.from_env({"TOCSIN_PUBLICATION_DELAY_MINUTES": "soon"})


# ---------------------------------------------------------------------------------------- precision


def loc(report: Report, precision: str):
    out = public_report(report, policy(precision), now=LATER)
    assert out is not None
    return out["location"]


def test_exact_is_the_point_rounded_to_four_decimals():
    r = make_report(place_name="Смоленск", place_geonameid=SMOLENSK_GEONAMEID)
    assert loc(r, "exact") == {"lat": 54.7812, "lon": 32.0412, "precision": "exact"}
    assert public_report(r, policy("exact"), now=LATER)["place"] == "Smolensk"


def test_settlement_is_the_resolved_settlements_point():
    r = make_report(place_name="Смоленск", place_geonameid=SMOLENSK_GEONAMEID)
    assert loc(r, "settlement") == {"lat": SMOLENSK[0], "lon": SMOLENSK[1], "precision": "settlement"}


def test_settlement_without_a_resolved_place_snaps_to_a_005_degree_grid():
    assert loc(make_report(), "settlement") == {"lat": 54.775, "lon": 32.025, "precision": "settlement"}
    # every point of the cell gives the same centre
    for lat, lon in [(54.75, 32.0), (54.799999, 32.049999), (54.7763, 32.0301)]:
        assert loc(make_report(lat=lat, lon=lon), "settlement") == loc(make_report(), "settlement")


def test_district_snaps_to_a_025_degree_grid():
    r = make_report(place_name="Смоленск", place_geonameid=SMOLENSK_GEONAMEID)
    assert loc(r, "district") == {"lat": 54.875, "lon": 32.125, "precision": "district"}
    assert public_report(r, policy("district"), now=LATER)["place"] is None


def test_region_is_the_regions_centre_or_nothing():
    centre = region_centroids()["RU-SMO"]
    r = make_report(place_name="Смоленск", place_geonameid=SMOLENSK_GEONAMEID)
    assert loc(r, "region") == {"lat": centre[0], "lon": centre[1], "precision": "region"}
    assert public_report(r, policy("region"), now=LATER)["place"] is None
    assert loc(make_report(iso=None), "region") is None
    assert loc(make_report(iso="XX-NOPE"), "region") is None


def test_missing_parts_fall_back_to_coarser_levels_never_finer():
    only_place = make_report(lat=None, lon=None, place_name="Смоленск", place_geonameid=SMOLENSK_GEONAMEID)
    assert loc(only_place, "exact") == {"lat": SMOLENSK[0], "lon": SMOLENSK[1], "precision": "settlement"}
    assert loc(only_place, "district") == {"lat": 54.875, "lon": 32.125, "precision": "district"}
    nothing = make_report(lat=None, lon=None)
    centre = region_centroids()["RU-SMO"]
    for precision in ("exact", "settlement", "district", "region"):
        assert loc(nothing, precision) == {"lat": centre[0], "lon": centre[1], "precision": "region"}
    assert loc(make_report(lat=None, lon=None, iso=None), "exact") is None


@pytest.mark.parametrize(
    "lat, lon", [(math.nan, 32.0), (54.0, math.inf), (91.0, 32.0), (54.0, -181.0), (54.0, None)]
)
def test_unusable_coordinates_count_as_none(lat, lon):
    centre = region_centroids()["RU-SMO"]
    assert loc(make_report(lat=lat, lon=lon), "exact")["precision"] == "region"
    assert loc(make_report(lat=lat, lon=lon), "exact")["lat"] == centre[0]


def test_grid_edges():
    assert grid_centre(-0.01, -0.01, 0.05) == (-0.025, -0.025)
    assert grid_centre(0.0, 0.0, 0.25) == (0.125, 0.125)
    assert grid_centre(90.0, 180.0, 0.05) == (89.975, 179.975)
    assert grid_centre(-90.0, -180.0, 0.25) == (-89.875, -179.875)


@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(-90, 90, allow_nan=False),
    lon=st.floats(-180, 180, allow_nan=False),
    step=st.sampled_from([0.05, 0.25]),
)
def test_grid_centre_is_within_the_cell(lat, lon, step):
    clat, clon = grid_centre(lat, lon, step)
    assert abs(clat - lat) <= step / 2 + 1e-6 and abs(clon - lon) <= step / 2 + 1e-6
    # the centre is a centre: snapping it again changes nothing
    assert grid_centre(clat, clon, step) == (clat, clon)


def test_place_name_is_always_the_geonames_name():
    def place(precision: str = "settlement", **kw):
        return public_report(make_report(**kw), policy(precision), now=LATER)["place"]

    assert place(place_name="Смоленск", place_geonameid=SMOLENSK_GEONAMEID) == "Smolensk"
    assert place("exact", place_name="Smolensk", place_geonameid=SMOLENSK_GEONAMEID) == "Smolensk"
    # whatever is stored with the report (e.g. text a resident typed) is never shown
    assert place(place_name="CANARY-TYPED ул. Ленина 5", place_geonameid=SMOLENSK_GEONAMEID) == "Smolensk"
    assert place(place_name="Смоленск", place_geonameid=None) is None
    assert place(place_name="Смоленск", place_geonameid=1) is None  # not a Russian/Ukrainian settlement
    assert place("district", place_name="Смоленск", place_geonameid=SMOLENSK_GEONAMEID) is None


def test_region_is_shown_only_when_known():
    def region(iso):
        return public_report(make_report(iso=iso), policy(), now=LATER)["region"]

    assert region("RU-SMO") == "RU-SMO"
    assert region("ru-smo") == "RU-SMO"
    assert region("CANARY-REGION") is None
    assert region(None) is None


# ---------------------------------------------------------------------------------------- times


def test_observed_is_rounded_down_to_the_hour_or_minute():
    r = make_report()
    for precision in ("settlement", "district", "region"):
        assert public_report(r, policy(precision), now=LATER)["observed"] == "2025-09-05T10:00:00+00:00"
    assert public_report(r, policy("exact"), now=LATER)["observed"] == "2025-09-05T10:17:00+00:00"
    moscow = timezone(timedelta(hours=3))
    r2 = make_report(observed_at=datetime(2025, 9, 5, 1, 59, 59, tzinfo=moscow))
    assert public_report(r2, policy(), now=LATER)["observed"] == "2025-09-04T22:00:00+00:00"


def test_delay_boundary_in_python():
    r = make_report(submitted_at=T)
    p = policy(minutes=60)
    assert public_report(r, p, now=T + timedelta(minutes=60)) is not None
    assert public_report(r, p, now=T + timedelta(minutes=60) - timedelta(microseconds=1)) is None
    assert public_report(r, policy(minutes=0), now=T) is not None
    assert public_report(r, policy(minutes=0), now=T - timedelta(microseconds=1)) is None


def test_extreme_times_do_not_break_anything(session: Session):
    add(session, submitted_at=datetime(1, 1, 1, tzinfo=UTC))
    session.commit()
    early = datetime(1, 1, 1, 0, 30, tzinfo=UTC)
    assert public_reports(session, policy(minutes=60), now=early).items == []
    late = datetime(9999, 12, 31, 23, 30, tzinfo=UTC)
    assert public_reports(session, policy(minutes=0), now=LATER, since=late).items == []
    assert (
        len(public_reports(session, policy(minutes=0), now=LATER, since=early.replace(minute=0)).items) <= 1
    )


def test_now_must_be_aware():
    with pytest.raises(QueryError):
        public_report(make_report(), policy(), now=datetime(2025, 9, 6))


@pytest.mark.parametrize("status", list(ReportStatus))
def test_only_checked_reports_are_ever_public(status):
    out = public_report(make_report(status=status), policy(minutes=0), now=LATER)
    if status in (ReportStatus.NEW, ReportStatus.REJECTED, ReportStatus.DUPLICATE):
        assert out is None
    else:
        assert status in PUBLIC_STATUSES
        assert out["status"] == PUBLIC_STATUS_WORDS[status]


def test_photos_only_when_enabled():
    r = make_report()
    r.photos = [ReportPhoto(id=7, position=1), ReportPhoto(id=3, position=0)]
    assert public_report(r, policy(photos=False), now=LATER)["photos"] == []
    assert public_report(r, policy(photos=True), now=LATER)["photos"] == [
        "/api/v1/public-reports/photos/3",
        "/api/v1/public-reports/photos/7",
    ]


# ----------------------------------------------------------------------------------- property test

texts = st.text(max_size=40)
private = st.builds(lambda t: f"CANARY{t}", texts)


@st.composite
def reports(draw):
    category = draw(st.sampled_from(list(ReportCategory)))
    r = Report(
        id=draw(st.integers(1, 2**31 - 1)),
        token_sha256=draw(private),
        idempotency_key=draw(st.none() | private),
        category=category,
        priority=CATEGORY_PRIORITY[category],
        status=draw(st.sampled_from(list(ReportStatus))),
        lat=draw(st.none() | st.floats(allow_nan=True, allow_infinity=True)),
        lon=draw(st.none() | st.floats(allow_nan=True, allow_infinity=True)),
        location_source=draw(st.sampled_from(list(LocationSource))),
        location_text=draw(st.none() | private),
        place_name=draw(st.none() | private | st.sampled_from(["Смоленск", "Smolensk", "Vyaz'ma"])),
        place_geonameid=draw(st.none() | st.integers(-(2**31), 2**31) | st.just(SMOLENSK_GEONAMEID)),
        district=draw(st.none() | private),
        iso=draw(st.none() | st.sampled_from(["RU-SMO", "UA-63", "RU", "XX-1"]) | private),
        observed_at=draw(st.datetimes(timezones=st.just(UTC))),
        submitted_at=draw(st.datetimes(timezones=st.just(UTC))),
        description=draw(st.none() | private),
        contact=draw(st.none() | private),
        lang=draw(st.none() | private),
        cluster_id=draw(st.none() | st.integers(1, 10**6)),
        duplicate_of_id=draw(st.none() | st.integers(1, 10**6)),
        incident_id=draw(st.none() | st.integers(1, 10**6)),
        locked_by_id=draw(st.none() | st.integers(1, 10**6)),
    )
    r.photos = [
        ReportPhoto(id=i + 1, position=i, sha256=draw(private)) for i in range(draw(st.integers(0, 3)))
    ]
    return r


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    report=reports(),
    precision=st.sampled_from(list(PublicPrecision)),
    minutes=st.integers(0, 10**6),
    photos=st.booleans(),
    now=st.datetimes(timezones=st.just(UTC)),
)
def test_public_report_keys_and_values_are_always_allowed(report, precision, minutes, photos, now):
    p = PublicationPolicy(precision=precision, delay=timedelta(minutes=minutes), photos=photos)
    out = public_report(report, p, now=now)
    if out is None:
        return
    assert set(out) <= PUBLIC_KEYS
    assert report.status in PUBLIC_STATUSES and report.submitted_at + p.delay <= now
    assert "CANARY" not in json.dumps(out, ensure_ascii=False, default=str)
    if out["location"] is not None:
        assert set(out["location"]) <= LOCATION_KEYS
        order = list(PublicPrecision)
        assert order.index(PublicPrecision(out["location"]["precision"])) >= order.index(precision)
        assert all(math.isfinite(out["location"][k]) for k in ("lat", "lon"))
    if not photos:
        assert out["photos"] == []
    assert out["status"] in PUBLIC_STATUS_WORDS.values()


# ------------------------------------------------------------------------------------------ database


def add(session: Session, **kw) -> Report:
    r = make_report(**kw)
    session.add(r)
    session.flush()
    return r


def test_delay_boundary_in_sql(session: Session):
    r = add(session, submitted_at=T)
    session.commit()
    p = policy(minutes=60)
    at = T + timedelta(minutes=60)
    assert [f["id"] for f in public_reports(session, p, now=at).items] == [r.id]
    assert public_reports(session, p, now=at - timedelta(microseconds=1)).items == []
    assert linked_report_counts(session, [1], p, at - timedelta(microseconds=1)) == {1: 0}


def test_sql_filter_keeps_only_public_statuses_and_pages_by_id(session: Session):
    ids = {s: add(session, status=s).id for s in ReportStatus}
    session.commit()
    p = policy(minutes=0)
    seen, cursor = [], None
    while True:
        page = public_reports(session, p, now=LATER, limit=1, cursor=cursor)
        seen += [f["id"] for f in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted((ids[s] for s in PUBLIC_STATUSES), reverse=True)
    with pytest.raises(BadCursor):
        public_reports(session, p, now=LATER, cursor="not-a-cursor!")
    with pytest.raises(BadCursor):
        public_reports(session, p, now=LATER, cursor=encode_cursor("inc", T.isoformat(), 1))
    with pytest.raises(QueryError):
        public_reports(session, p, now=LATER, limit=0)
    with pytest.raises(QueryError):
        public_reports(session, p, now=LATER, region="XX-NOPE")
    with pytest.raises(QueryError):
        public_reports(session, p, now=LATER, since=datetime(2025, 1, 1))


def test_since_works_on_the_rounded_time_only(session: Session):
    r = add(session)  # observed 10:17:31.123456
    session.commit()

    def found(precision: str, since: datetime) -> bool:
        return [
            f["id"] for f in public_reports(session, policy(precision), now=LATER, since=since).items
        ] == [r.id]

    hour = T.replace(minute=0, second=0, microsecond=0)
    assert found("settlement", hour)
    assert not found("settlement", hour + timedelta(microseconds=1))
    assert not found(
        "settlement", T.replace(minute=17, second=0, microsecond=0)
    )  # the exact minute is hidden
    assert found("exact", T.replace(second=0, microsecond=0))
    assert not found("exact", T.replace(second=1, microsecond=0))
    moscow = timezone(timedelta(hours=3))
    assert found("settlement", hour.astimezone(moscow))


def test_region_filter(session: Session):
    smo = add(session, iso="RU-SMO")
    kh = add(session, iso="UA-63")
    session.commit()
    p = policy(minutes=0)
    assert [f["id"] for f in public_reports(session, p, now=LATER, region="ua-63").items] == [kh.id]
    assert [f["id"] for f in public_reports(session, p, now=LATER, region="RU-SMO").items] == [smo.id]


def test_linked_report_counts(session: Session):
    inc = Incident(
        iso="RU-SMO", window_start=T, window_end=T, time_precision=1, geo_precision=3, kind="interception"
    )
    other = Incident(
        iso="UA-63", window_start=T, window_end=T, time_precision=1, geo_precision=3, kind="interception"
    )
    session.add_all([inc, other])
    session.flush()
    for _ in range(3):
        add(session, incident_id=inc.id)
    add(session, incident_id=inc.id, status=ReportStatus.NEW)
    add(session, incident_id=inc.id, status=ReportStatus.REJECTED)
    add(session, incident_id=inc.id, submitted_at=LATER)  # too recent
    session.commit()
    p = policy(minutes=60)
    assert linked_report_counts(session, [inc.id, other.id, inc.id], p, LATER) == {inc.id: 3, other.id: 0}
    assert linked_report_counts(session, [], p, LATER) == {}


def test_public_photo(session: Session):
    pub = add(session)
    new = add(session, status=ReportStatus.NEW)
    recent = add(session, submitted_at=LATER)
    photos = {}
    for r in (pub, new, recent):
        ph = ReportPhoto(
            report_id=r.id, position=0, sha256="a" * 64, media_type="image/jpeg", width=1, height=1, size=1
        )
        session.add(ph)
        session.flush()
        photos[r.id] = ph.id
    session.commit()
    on, off = policy(photos=True), policy(photos=False)
    assert public_photo(session, on, photos[pub.id], now=LATER).id == photos[pub.id]
    assert public_photo(session, off, photos[pub.id], now=LATER) is None
    assert public_photo(session, on, photos[new.id], now=LATER) is None
    assert public_photo(session, on, photos[recent.id], now=LATER) is None
    assert public_photo(session, on, 10**6, now=LATER) is None
