"""The operator pages under /ops through the real app (TestClient, signed in through the real sign-in form),
on SQLite and PostgreSQL: roles, CSRF, every page's content, forms (Post/Redirect/Get), escaping of hostile
text, photos only for signed-in users, hostile paths, queries and bodies."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import Engine, select

from ops.factory import SMOLENSK, incident, report
from support.ops import HTML, make_user, ops_client, sign_in
from tocsin import dispatch, triage
from tocsin.domain import DispatchStatus, ReportStatus, Role, UnitStatus
from tocsin.photos import PhotoStore
from tocsin.settings import Settings
from tocsin.store.engine import session_scope
from tocsin.store.models import Dispatch, Event, Report, ReportPhoto, Unit, User
from tocsin.web.app import create_app
from tocsin.web.routes import ops as ops_routes
from tocsin.web.security import DISPATCH, LINK_INCIDENT, READ_AUDIT, TRIAGE, VIEW_REPORTS
from web.htmlcheck import find, parse

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
XSS_ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
ROLES = [Role.OPERATOR, Role.DISPATCHER, Role.EDITOR, Role.ADMIN]


@dataclass
class World:
    """The app on one engine, with a report (in a cluster of two), a lone report, a unit, a dispatch,
    an incident and a stored photo."""

    app: object
    engine: Engine
    photo_dir: str
    report_id: int
    peer_id: int
    lone_id: int
    cluster_id: int
    unit_id: int
    spare_unit_id: int
    dispatch_id: int
    incident_id: int
    photo_id: int
    photo_bytes: bytes
    usernames: list[str] = field(default_factory=list)

    def client(self, role: Role | None = None):
        """A client, signed in as a new user of ``role`` (anonymous for None): ``(client, csrf)``; the
        user's name is appended to ``usernames``."""
        client = ops_client(self.app, raise_server_exceptions=False)
        if role is None:
            return client, None
        username, password = make_user(self.engine, role)
        self.usernames.append(username)
        return client, sign_in(client, username, password)


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def world(engine: Engine, tmp_path) -> Iterator[World]:
    photo_dir = tmp_path / "photos"
    data = _png()
    sha = hashlib.sha256(data).hexdigest()
    target = PhotoStore(photo_dir).path(sha, "image/png")
    target.parent.mkdir(parents=True)
    target.write_bytes(data)
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        r = report(
            s,
            at=now - timedelta(minutes=12),
            description=f"Debris {XSS}",
            contact=f"call {XSS}",
            location_text=f"near {XSS}",
            place_name=f"Smolensk {XSS}",
        )
        peer = report(s, at=now - timedelta(minutes=5), where=(SMOLENSK[0] + 0.001, SMOLENSK[1]))
        lone = report(s, at=now - timedelta(minutes=30), where=None, description="Smoke over the field")
        s.add(
            ReportPhoto(
                report_id=r.id,
                position=0,
                sha256=sha,
                media_type="image/png",
                width=8,
                height=6,
                size=len(data),
            )
        )
        s.flush()
        photo_id = s.scalar(select(ReportPhoto.id))
        crew = dispatch.add_unit(s, f"Crew {XSS}", f"kind {XSS}", "test")
        spare = dispatch.add_unit(s, "Spare crew", None, "test")
        busy = dispatch.add_unit(s, "Busy crew", None, "test")
        row = dispatch.dispatch(s, busy.id, report_id=lone.id, user="test", note=f"note {XSS}")
        inc = incident(s)
        ids = (r.id, peer.id, lone.id, r.cluster_id, crew.id, spare.id, row.id, inc.id, photo_id)
    assert ids[3] is not None
    app = create_app(
        Settings(default_lang="en", photo_dir=str(photo_dir), max_body_bytes=100_000), engine=engine
    )
    yield World(app, engine, str(photo_dir), *ids, photo_bytes=data)


def _post(client, path: str, csrf: str | None, **data):
    if csrf is not None:
        data["csrf_token"] = csrf
    return client.post(path, data=data, headers=HTML, follow_redirects=False)


def _db_report(world: World, rid: int) -> Report:
    with session_scope(world.engine) as s:
        return s.get(Report, rid)


# ------------------------------------------------------------------------------------- roles, CSRF


def _ops_routes(app=None) -> list[tuple[str, str, frozenset | None]]:
    """Every route of ``tocsin.web.routes.ops`` (sign-in, sign-out and /ops/me belong to the auth routes):
    ``(method, path, the roles its require() dependency allows)``."""
    out = []
    for route in ops_routes.router.routes:
        roles = [d.call.roles for d in route.dependant.dependencies if hasattr(d.call, "roles")]
        for method in sorted(route.methods):
            out.append((method, route.path, roles[0] if roles else None))
    return out


def test_every_ops_route_declares_its_roles(world: World) -> None:
    routes = _ops_routes(world.app)
    assert len(routes) >= 18
    missing = [(m, p) for m, p, roles in routes if roles is None]
    assert missing == []
    by_path = {(m, p): roles for m, p, roles in routes}
    assert by_path[("GET", "/ops/")] == VIEW_REPORTS
    assert by_path[("GET", "/ops/photos/{photo_id}")] == VIEW_REPORTS
    assert by_path[("POST", "/ops/reports/{report_id}/status")] == TRIAGE
    assert by_path[("POST", "/ops/reports/{report_id}/claim")] == TRIAGE
    assert by_path[("POST", "/ops/reports/{report_id}/incident")] == LINK_INCIDENT
    assert by_path[("POST", "/ops/dispatches")] == DISPATCH
    assert by_path[("POST", "/ops/units")] == DISPATCH
    assert by_path[("GET", "/ops/audit")] == READ_AUDIT


def _concrete(world: World, path: str) -> str:
    return (
        path.replace("{report_id}", str(world.report_id))
        .replace("{photo_id}", str(world.photo_id))
        .replace("{cluster_id}", str(world.cluster_id))
        .replace("{unit_id}", str(world.spare_unit_id))
        .replace("{dispatch_id}", str(world.dispatch_id))
        .replace("{what}", "times")
    )


def test_anonymous_users_get_nothing(world: World) -> None:
    client, _ = world.client(None)
    with client:
        for method, path, _roles in _ops_routes(world.app):
            url = _concrete(world, path)
            html = client.request(method, url, headers=HTML, follow_redirects=False)
            assert html.status_code in (303, 403), (method, url, html.status_code)
            if method == "GET":
                assert html.headers["location"].startswith("/ops/login"), url
            api = client.request(method, url, headers={"Accept": "application/json"}, follow_redirects=False)
            assert api.status_code in (401, 403), (method, url, api.status_code)
            assert XSS not in html.text and "secret" not in html.text


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(world: World, role: Role) -> None:
    """Every /ops route: 403 for a role outside its set; never 403 (nor a server error) inside it."""
    client, csrf = world.client(role)
    with client:
        for method, path, roles in _ops_routes(world.app):
            url = _concrete(world, path)
            data = {
                "csrf_token": csrf,
                "status": "triaged",
                "name": f"Unit {role}",
                "unit_id": str(world.spare_unit_id),
            }
            if path == "/ops/dispatches":
                data["report_id"] = str(world.peer_id)
            if path.endswith("/advance"):
                data["status"] = "en_route"
            if path.endswith("/units/{unit_id}/status"):
                data["status"] = "available"
            r = client.request(
                method, url, data=data if method == "POST" else None, headers=HTML, follow_redirects=False
            )
            if role in roles:
                assert r.status_code not in (401, 403) and r.status_code < 500, (
                    role,
                    method,
                    url,
                    r.status_code,
                )
            else:
                assert r.status_code == 403, (role, method, url, r.status_code)


def test_csrf_missing_or_wrong_is_refused_and_changes_nothing(world: World) -> None:
    client, csrf = world.client(Role.ADMIN)
    with client:
        for path, data in [
            (f"/ops/reports/{world.report_id}/claim", {}),
            (f"/ops/reports/{world.report_id}/status", {"status": "rejected"}),
            ("/ops/units", {"name": "Sneaky"}),
            ("/ops/dispatches", {"unit_id": str(world.spare_unit_id), "report_id": str(world.report_id)}),
        ]:
            assert client.post(path, data=data, headers=HTML, follow_redirects=False).status_code == 403
            wrong = {**data, "csrf_token": csrf[:-2] + "xx"}
            assert client.post(path, data=wrong, headers=HTML, follow_redirects=False).status_code == 403
    r = _db_report(world, world.report_id)
    assert r.status is ReportStatus.NEW and r.locked_by_id is None
    with session_scope(world.engine) as s:
        assert s.scalar(select(Unit).where(Unit.name == "Sneaky")) is None
        assert s.scalar(select(Dispatch).where(Dispatch.unit_id == world.spare_unit_id)) is None


# -------------------------------------------------------------------------------------------- pages


@pytest.mark.parametrize("role", ROLES)
def test_pages_show_their_content_escaped(world: World, role: Role) -> None:
    client, _ = world.client(role)
    with client:
        pages = {
            "/ops/": ["Smolensk", "Smoke over the field", "2 reports here", "minutes ago"],
            f"/ops/reports/{world.report_id}": [
                "Contact (private)",
                f"/ops/photos/{world.photo_id}",
                f"/ops/reports/{world.peer_id}",
                "54.782600, 32.045300",
            ],
            f"/ops/clusters/{world.cluster_id}": [f"/ops/reports/{world.peer_id}", "Reports in this cluster"],
            "/ops/units": ["Spare crew", "Busy crew", f"/ops/dispatches/{world.dispatch_id}"],
            f"/ops/dispatches/{world.dispatch_id}": [
                "Busy crew",
                f"/ops/reports/{world.lone_id}",
                "Timeline",
            ],
            "/ops/stats": ["Figures", "/ops/stats/counts.svg?days=14"],
            "/ops/audit": ["unit dispatched", "Audit log"],
        }
        for url, needles in pages.items():
            r = client.get(url, headers=HTML)
            assert r.status_code == 200, (url, r.status_code, r.text[:300])
            assert r.headers["cache-control"] == "no-store"
            for needle in needles:
                assert needle in r.text, (url, needle)
            assert "<script>alert" not in r.text and "<img src=x" not in r.text, url
            assert not find(parse(r.text), "script", src=None), url  # no inline script at all
        report_page = client.get(f"/ops/reports/{world.report_id}", headers=HTML).text
        for text in (
            f"Debris {XSS_ESCAPED}",
            f"call {XSS_ESCAPED}",
            f"near {XSS_ESCAPED}",
            f"Smolensk {XSS_ESCAPED}",
        ):
            assert text in report_page
        assert f"Crew {XSS_ESCAPED}" in client.get("/ops/units", headers=HTML).text
        assert f"note {XSS_ESCAPED}" in client.get(f"/ops/dispatches/{world.dispatch_id}", headers=HTML).text
        # forms appear only for the roles that may use them
        assert (f'action="/ops/reports/{world.report_id}/claim"' in report_page) == (role in TRIAGE)
        assert ('action="/ops/dispatches"' in report_page) == (role in DISPATCH)
        assert (f'action="/ops/reports/{world.report_id}/incident"' in report_page) == (role in LINK_INCIDENT)


def test_photo_route_serves_bytes_only_when_signed_in(world: World) -> None:
    anonymous, _ = world.client(None)
    with anonymous:
        r = anonymous.get(f"/ops/photos/{world.photo_id}", follow_redirects=False)
        assert r.status_code in (303, 401) and r.content != world.photo_bytes
    client, _ = world.client(Role.EDITOR)
    with client:
        r = client.get(f"/ops/photos/{world.photo_id}")
        assert r.status_code == 200 and r.content == world.photo_bytes
        assert r.headers["content-type"] == "image/png"
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["content-disposition"] == "inline"
        for bad in ("999999", "0", "-1", "abc", "99999999999999999999", "1%00", "..%2F..%2Fetc"):
            assert client.get(f"/ops/photos/{bad}").status_code == 404, bad
        with session_scope(world.engine) as s:  # a row whose file is gone, and one with a hostile digest
            rid = world.report_id
            s.add(
                ReportPhoto(
                    report_id=rid,
                    position=1,
                    sha256="a" * 64,
                    media_type="image/png",
                    width=1,
                    height=1,
                    size=1,
                )
            )
            s.add(
                ReportPhoto(
                    report_id=rid,
                    position=2,
                    sha256="../../x",
                    media_type="text/html",
                    width=1,
                    height=1,
                    size=1,
                )
            )
            s.flush()
            ids = [
                p.id
                for p in s.scalars(
                    select(ReportPhoto).where(ReportPhoto.position > 0).order_by(ReportPhoto.position)
                )
            ]
        for pid in ids:
            r = client.get(f"/ops/photos/{pid}")
            assert r.status_code == 404 and r.headers["content-type"].startswith("text/plain")


# -------------------------------------------------------------------------------------------- forms


def test_claim_and_status_forms_post_redirect_get(world: World) -> None:
    ann_client, ann_csrf = world.client(Role.OPERATOR)
    bob_client, bob_csrf = world.client(Role.DISPATCHER)
    rid = world.report_id
    with ann_client, bob_client:
        r = _post(ann_client, f"/ops/reports/{rid}/claim", ann_csrf)
        assert r.status_code == 303 and r.headers["location"] == f"/ops/reports/{rid}"
        page = ann_client.get(r.headers["location"], headers=HTML).text
        assert "Extend my claim" in page and f'action="/ops/reports/{rid}/release"' in page
        # bob cannot claim nor move it while ann holds it: the page says who has it
        r = _post(bob_client, f"/ops/reports/{rid}/claim", bob_csrf)
        assert (
            r.status_code == 409 and "is claimed by operator-" in r.text and "Nothing was changed" in r.text
        )
        r = _post(bob_client, f"/ops/reports/{rid}/status", bob_csrf, status="rejected")
        assert r.status_code == 409
        assert "claimed by operator-" in bob_client.get("/ops/", headers=HTML).text
        # ann triages with a note, then releases
        r = _post(ann_client, f"/ops/reports/{rid}/status", ann_csrf, status="triaged", note=f"checked {XSS}")
        assert r.status_code == 303
        assert _db_report(world, rid).status is ReportStatus.TRIAGED
        page = ann_client.get(f"/ops/reports/{rid}", headers=HTML).text
        assert f"checked {XSS_ESCAPED}" in page and XSS not in page
        assert _post(ann_client, f"/ops/reports/{rid}/release", ann_csrf).status_code == 303
        # a move the rules forbid, bad values
        r = _post(bob_client, f"/ops/reports/{rid}/status", bob_csrf, status="on_scene")
        assert r.status_code == 409 and "not allowed" in r.text
        for bad in ({"status": "bogus"}, {"status": ""}, {}, {"status": "triaged", "note": "a\x00b"}):
            r = _post(bob_client, f"/ops/reports/{rid}/status", bob_csrf, **bad)
            assert r.status_code in (400, 409), bad
            assert "<script>alert" not in r.text
        # duplicate: of '#peer' works; of nonsense is a 400 with the form still there
        for bad in ("abc", "", "99999999999999999999", str(rid)):
            r = _post(
                bob_client, f"/ops/reports/{rid}/status", bob_csrf, status="duplicate", duplicate_of=bad
            )
            assert r.status_code in (400, 409), bad
        r = _post(
            bob_client,
            f"/ops/reports/{rid}/status",
            bob_csrf,
            status="duplicate",
            duplicate_of=f"#{world.peer_id}",
        )
        assert r.status_code == 303
        assert _db_report(world, rid).duplicate_of_id == world.peer_id
        page = bob_client.get(f"/ops/reports/{rid}", headers=HTML).text
        assert f'href="/ops/reports/{world.peer_id}"' in page and "Duplicate of:" in page
        for missing in ("999999", "abc", "99999999999999999999"):
            assert _post(bob_client, f"/ops/reports/{missing}/claim", bob_csrf).status_code == 404
    with session_scope(world.engine) as s:
        actions = [
            e.action
            for e in s.scalars(select(Event).where(Event.entity_id == str(rid), Event.entity == "report"))
        ]
    assert actions == ["report.claim", "report.status", "report.release", "report.claim", "report.status"]


def test_incident_link_form(world: World) -> None:
    client, csrf = world.client(Role.EDITOR)
    rid = world.report_id
    with client:
        r = _post(client, f"/ops/reports/{rid}/incident", csrf, incident_id=str(world.incident_id))
        assert r.status_code == 303
        page = client.get(f"/ops/reports/{rid}", headers=HTML).text
        assert f'href="/incidents/{world.incident_id}"' in page
        assert _post(client, f"/ops/reports/{rid}/incident", csrf, incident_id="424242").status_code == 404
        assert _post(client, f"/ops/reports/{rid}/incident", csrf, incident_id="x<y").status_code == 400
        assert _db_report(world, rid).incident_id == world.incident_id
        r = _post(
            client, f"/ops/reports/{rid}/incident", csrf, incident_id=str(world.incident_id), unlink="1"
        )
        assert r.status_code == 303 and _db_report(world, rid).incident_id is None
        # an editor may link but not triage
        assert _post(client, f"/ops/reports/{rid}/claim", csrf).status_code == 403


def test_dispatch_forms_and_lifecycle(world: World) -> None:
    client, csrf = world.client(Role.DISPATCHER)
    with client:
        # to the cluster
        r = _post(
            client,
            "/ops/dispatches",
            csrf,
            unit_id=str(world.unit_id),
            cluster_id=str(world.cluster_id),
            note="gate B",
        )
        assert r.status_code == 303
        did = int(r.headers["location"].rsplit("/", 1)[1])
        assert _db_report(world, world.report_id).status is ReportStatus.DISPATCHED
        assert _db_report(world, world.peer_id).status is ReportStatus.DISPATCHED
        # the same unit again: refused on the page the form was on
        r = _post(client, "/ops/dispatches", csrf, unit_id=str(world.unit_id), report_id=str(world.report_id))
        assert r.status_code == 409 and "already on dispatch" in r.text and "Report #" in r.text
        for bad in (
            {"unit_id": "x"},
            {"unit_id": str(world.spare_unit_id), "report_id": "x"},
            {"unit_id": "1", "cluster_id": "-3"},
        ):
            assert _post(client, "/ops/dispatches", csrf, **bad).status_code == 400, bad
        assert (
            _post(
                client, "/ops/dispatches", csrf, unit_id="999999", report_id=str(world.report_id)
            ).status_code
            == 404
        )
        page = client.get(f"/ops/dispatches/{did}", headers=HTML).text
        for s in ("en_route", "on_scene", "cancelled"):
            assert f'value="{s}"' in page
        for step in ("en_route", "on_scene"):
            assert _post(client, f"/ops/dispatches/{did}/advance", csrf, status=step).status_code == 303
        assert _db_report(world, world.peer_id).status is ReportStatus.ON_SCENE
        r = _post(client, f"/ops/dispatches/{did}/advance", csrf, status="cancelled")
        assert r.status_code == 409 and "not allowed" in r.text
        assert _post(client, f"/ops/dispatches/{did}/advance", csrf, status="nonsense").status_code == 400
        assert _post(client, "/ops/dispatches/777777/advance", csrf, status="en_route").status_code == 404
        assert (
            _post(
                client, f"/ops/dispatches/{did}/advance", csrf, status="completed", note="all clear"
            ).status_code
            == 303
        )
        assert _db_report(world, world.report_id).status is ReportStatus.RESOLVED
        page = client.get(f"/ops/dispatches/{did}", headers=HTML).text
        assert "Completed" in page and "all clear" in page and 'name="status"' not in page
        with session_scope(world.engine) as s:
            assert s.get(Unit, world.unit_id).status is UnitStatus.AVAILABLE
            assert s.get(Dispatch, did).status is DispatchStatus.COMPLETED


def test_unit_forms(world: World) -> None:
    client, csrf = world.client(Role.ADMIN)
    with client:
        r = _post(client, "/ops/units", csrf, name=f"New {XSS}", kind="EOD")
        assert r.status_code == 303 and r.headers["location"] == "/ops/units"
        page = client.get("/ops/units", headers=HTML).text
        assert f"New {XSS_ESCAPED}" in page and XSS not in page
        r = _post(client, "/ops/units", csrf, name="Spare crew")
        assert r.status_code == 409 and "exists already" in r.text
        assert _post(client, "/ops/units", csrf, name="").status_code == 400
        assert _post(client, "/ops/units", csrf, name="x" * 5000).status_code == 400
        r = _post(client, f"/ops/units/{world.spare_unit_id}/status", csrf, status="off_duty", note="rest")
        assert r.status_code == 303
        busy = client.get("/ops/units", headers=HTML).text
        assert "Off duty" in busy
        assert (
            _post(client, f"/ops/units/{world.spare_unit_id}/status", csrf, status="asleep").status_code
            == 400
        )
        assert _post(client, "/ops/units/999999/status", csrf, status="available").status_code == 404
        with session_scope(world.engine) as s:
            busy_unit = s.scalar(select(Unit).where(Unit.name == "Busy crew"))
        r = _post(client, f"/ops/units/{busy_unit.id}/status", csrf, status="off_duty")
        assert r.status_code == 409 and "advance or cancel" in r.text


def test_hostile_requests_get_clear_answers(world: World) -> None:
    client, csrf = world.client(Role.ADMIN)
    with client:
        for url in (
            "/ops/reports/99999999999999999999",
            "/ops/reports/-1",
            "/ops/reports/0",
            "/ops/reports/1e3",
            "/ops/reports/%EF%BC%91",  # a full-width digit
            "/ops/clusters/abc",
            "/ops/dispatches/99999999999",
        ):
            r = client.get(url, headers=HTML)
            assert r.status_code == 404 and "Not found" in r.text, url
        for url in (
            "/ops/?category=<script>&view=%00",
            "/ops/?category=" + "x" * 5000,
            "/ops/audit?before=abc&entity=<b>&entity_id=%00&actor=" + "a" * 3000,
            "/ops/audit?before=-5&action=%ff",
            "/ops/stats?days=abc",
            "/ops/stats?days=99999999999999999999",
            "/ops/stats/counts.svg?days=-1",
        ):
            r = client.get(url, headers=HTML)
            assert r.status_code == 200, (url, r.status_code)
            assert "<script>" not in r.text.replace('<script src="', "")
        assert client.get("/ops/stats/evil.svg").status_code == 404
        # a body that is not a form, a multipart form with a file where text belongs, an oversized body
        r = client.post(
            f"/ops/reports/{world.report_id}/status",
            content=b"\xff\xfe\x00garbage",
            headers={**HTML, "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf},
            follow_redirects=False,
        )
        assert r.status_code == 400
        r = client.post(
            f"/ops/reports/{world.report_id}/status",
            data={"csrf_token": csrf, "status": "triaged"},
            files={"note": ("note.txt", b"<script>", "text/plain")},
            headers=HTML,
            follow_redirects=False,
        )
        assert r.status_code == 303  # the file part is ignored; the status changed without a note
        r = client.post("/ops/units", data={"csrf_token": csrf, "name": "x" * 200_000}, headers=HTML)
        assert r.status_code == 413


def test_stats_page_and_charts(world: World) -> None:
    fixed = datetime(2025, 9, 7, 12, 0, tzinfo=UTC)
    world.app.state.clock = lambda: fixed
    with session_scope(world.engine) as s:
        u = dispatch.add_unit(s, "Stats crew", None, "test")
        r = report(s, at=fixed - timedelta(hours=2), where=(50.0, 30.0))
        d = dispatch.dispatch(
            s, u.id, report_id=r.id, user="test", now=fixed - timedelta(hours=2) + timedelta(minutes=25)
        )
        dispatch.advance(s, d.id, DispatchStatus.ON_SCENE, "test", now=d.created_at + timedelta(minutes=14))
    client, _ = world.client(Role.OPERATOR)
    with client:
        page = client.get("/ops/stats?days=7", headers=HTML)
        assert page.status_code == 200
        rows = [row for row in find(parse(page.text), "tr") if find(row.children, "th", scope="row")]
        assert len(rows) == 7
        text = page.text
        assert re.search(
            r"<td class=\"num\">25</td>\s*<td class=\"num\">25</td>\s*<td class=\"num\">14</td>", text
        )
        assert text.count("no data") == 6 * 4  # six days without dispatches: unknown, not 0
        for what in ("counts", "times"):
            svg = client.get(f"/ops/stats/{what}.svg?days=7")
            assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
            assert "<script" not in svg.text and svg.headers["cache-control"] == "no-store"


def test_audit_page_filters_and_pages(world: World) -> None:
    client, _ = world.client(Role.OPERATOR)
    with session_scope(world.engine) as s:
        me = s.scalar(select(User).where(User.username == world.usernames[-1]))
        for i in range(ops_routes.AUDIT_PAGE + 5):
            triage.claim(s, world.lone_id, me, minutes=1 + i)
    with session_scope(world.engine) as s:  # signing in may have left Events of its own
        total = len(s.scalars(select(Event.id).where(Event.actor == me.username)).all())
    assert total >= ops_routes.AUDIT_PAGE + 5
    with client:
        first = client.get(f"/ops/audit?actor={me.username}", headers=HTML)
        assert first.status_code == 200
        assert first.text.count('class="audit-item"') == ops_routes.AUDIT_PAGE
        older = re.search(r'href="(/ops/audit\?[^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
        second = client.get(older, headers=HTML)
        assert second.text.count('class="audit-item"') == total - ops_routes.AUDIT_PAGE
        assert 'rel="next"' not in second.text
        only_units = client.get("/ops/audit?entity=unit", headers=HTML).text
        assert only_units.count('class="audit-item"') == 3 and f"Crew {XSS_ESCAPED}" in only_units
        by_id = client.get(f"/ops/audit?entity=dispatch&entity_id={world.dispatch_id}", headers=HTML).text
        assert by_id.count('class="audit-item"') == 1 and f"note {XSS_ESCAPED}" in by_id


@pytest.mark.parametrize(("lang", "word"), [("ru", "Очередь"), ("uk", "Черга"), ("en", "Triage queue")])
def test_pages_speak_three_languages(world: World, lang: str, word: str) -> None:
    client, _ = world.client(Role.OPERATOR)
    with client:
        for url in ("/ops/", f"/ops/reports/{world.report_id}", "/ops/units", "/ops/stats", "/ops/audit"):
            r = client.get(f"{url}?lang={lang}", headers=HTML)
            assert r.status_code == 200 and r.headers["content-language"] == lang
        assert word in client.get(f"/ops/?lang={lang}", headers=HTML).text
