"""The ``updated_since`` change feed: updates and deletions (soft-deleted incidents) both appear."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.seed import GOVERNOR, NEWS, T0
from api.test_pagination import walk
from tocsin.domain import SourceItem
from tocsin.ingest import ingest

V1 = "/api/v1"


def feed(client, since: datetime, **params) -> dict:
    r = client.get(V1 + "/incidents", params={"updated_since": since.isoformat(), "limit": 500, **params})
    assert r.status_code == 200, r.text
    return r.json()


def test_feed_reports_updates_and_deletions(fresh_client):
    client, engine = fresh_client
    before_list = client.get(V1 + "/incidents", params={"limit": 500})
    listed = before_list.json()["items"]
    since = datetime.now(UTC)
    assert feed(client, since)["items"] == []

    # the governor corrects night 0's count; the wire service replaces night 0's story with a non-incident
    edited = SourceItem("g0", "Этой ночью над территорией Смоленской области сбиты 9 БПЛА.", T0, lang="ru")
    assert ingest(engine, GOVERNOR, [edited]).updated == 1
    withdrawn = SourceItem(
        "n0", "The regional administration will hold a civil defence drill next week.", T0, lang="en"
    )
    assert ingest(engine, NEWS, [withdrawn]).updated == 1

    items = feed(client, since)["items"]
    deleted = [i for i in items if i["deleted"]]
    updated = [i for i in items if not i["deleted"]]
    assert len(deleted) == 1
    assert set(deleted[0]) == {"id", "deleted", "updated_at"}
    assert datetime.fromisoformat(deleted[0]["updated_at"]) >= since
    gone = next(i for i in listed if i["id"] == deleted[0]["id"])
    assert gone["iso"] == "RU-KRS"
    smo = [i for i in updated if i["iso"] == "RU-SMO"]
    assert [i["consensus"]["destroyed"]["value"] for i in smo] == [9]
    keys = [(i["updated_at"], i["id"]) for i in items]
    assert keys == sorted(keys)

    # the list no longer shows it; its page says it is gone
    ids = {i["id"] for i in client.get(V1 + "/incidents", params={"limit": 500}).json()["items"]}
    assert deleted[0]["id"] not in ids and smo[0]["id"] in ids
    r = client.get(f"{V1}/incidents/{deleted[0]['id']}")
    assert r.status_code == 410
    assert r.json()["error"]["code"] == "gone"

    # a cached list is stale now: its ETag no longer matches
    r = client.get(
        V1 + "/incidents", params={"limit": 500}, headers={"If-None-Match": before_list.headers["etag"]}
    )
    assert r.status_code == 200

    # the feed from the beginning: every incident ever made, deletions included, each once, pageable
    everything = feed(client, datetime(2000, 1, 1, tzinfo=UTC))["items"]
    assert len(everything) == len(listed)
    assert {i["id"] for i in everything} == {i["id"] for i in listed}
    query = {"updated_since": datetime(2000, 1, 1, tzinfo=UTC).isoformat()}
    assert walk(client, "/incidents", 3, query) == everything

    # the feed combines with filters (deleted rows keep their region)
    krs = feed(client, since, region="RU-KRS")["items"]
    assert [i["id"] for i in krs] == [deleted[0]["id"]]
    assert feed(client, since + timedelta(days=1))["items"] == []
