"""Each endpoint's shape (validated against the OpenAPI response models) and its filters."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tocsin.web.routes import api

V1 = "/api/v1"


def get(client, path: str, **params):
    r = client.get(V1 + path, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["cache-control"] == "public, max-age=60"
    assert r.headers["etag"].startswith('W/"')
    return r.json()


def all_incidents(client, **params) -> list[dict]:
    return get(client, "/incidents", limit=500, **params)["items"]


def test_index_lists_endpoints(client):
    data = api.ApiIndex.model_validate(get(client, "/")).model_dump()
    for path in ("/api/v1/incidents", "/api/v1/export/acled.csv", "/api/v1/regions/{iso}"):
        assert path in data["endpoints"]


def test_incidents_shape_and_order(client, seeded):
    page = get(client, "/incidents", limit=500)
    api.IncidentPage.model_validate(page)
    items = page["items"]
    assert page["next_cursor"] is None
    # 4 regions × nights, plus the evening alerts of the last day in Smolensk
    assert len(items) == 4 * seeded.info.nights + 1
    keys = [(i["window_start"], i["id"]) for i in items]
    assert keys == sorted(keys, reverse=True)
    for item in items:
        assert item["deleted"] is False
        assert set(item["consensus"]) == set(api.Consensus.model_fields)
        assert datetime.fromisoformat(item["window_start"]).utcoffset() is not None
        assert item["window_start"].endswith("+00:00")
        assert item["source_count"] == len(item["sources"]) >= 1
        assert item["region"]["en"] and item["region"]["ru"] and item["region"]["uk"]


def test_not_disclosed_is_null_never_zero(client):
    kursk = all_incidents(client, region="RU-KRS")
    assert kursk
    for item in kursk:  # the wire copy gives no figure at all
        for name in ("destroyed", "total_destroyed", "launched", "killed", "injured"):
            assert item["consensus"][name]["value"] is None
            assert item["consensus"][name]["source"] is None
    smolensk = all_incidents(client, region="RU-SMO", kind="interception")
    # "Пострадавших нет" is a stated 0; a night without that sentence leaves killed undisclosed
    killed = {i["consensus"]["killed"]["value"] for i in smolensk}
    assert killed == {0, None}


def test_disagreement_is_listed(client):
    items = all_incidents(client, region="RU-SMO")
    lines = [d["line"] for i in items for d in i["disagreements"]]
    assert "destroyed: 4 (smolensk_governor) vs 5 (mod_bulletin)" in lines
    (inc,) = [i for i in items if i["disagreements"]]
    d = inc["disagreements"][0]
    assert d["field"] == "destroyed"
    assert {v["source"]: v["value"] for v in d["values"]} == {"smolensk_governor": 4, "mod_bulletin": 5}
    assert inc["consensus"]["destroyed"] == {
        "value": 4,
        "source": "smolensk_governor",
        "claim_id": inc["consensus"]["destroyed"]["claim_id"],
        "lower_bound": False,
    }


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"region": "RU-SMO"}, lambda i: i["iso"] == "RU-SMO"),
        ({"region": "ru-smo"}, lambda i: i["iso"] == "RU-SMO"),
        ({"region": "UA-63"}, lambda i: i["iso"] == "UA-63"),
        ({"kind": "attack_no_outcome"}, lambda i: i["kind"] == "attack_no_outcome"),
        ({"kind": "interception"}, lambda i: i["kind"] == "interception"),
    ],
)
def test_incident_filters(client, params, check):
    items = all_incidents(client, **params)
    assert items
    assert all(check(i) for i in items)
    assert len(items) < len(all_incidents(client))


def test_time_range_is_window_overlap(client):
    everything = all_incidents(client)
    start, end = "2025-09-02T00:00:00+00:00", "2025-09-03T00:00:00+00:00"
    items = all_incidents(client, start=start, end=end)
    s, e = datetime.fromisoformat(start), datetime.fromisoformat(end)
    expected = [
        i["id"]
        for i in everything
        if datetime.fromisoformat(i["window_end"]) >= s and datetime.fromisoformat(i["window_start"]) < e
    ]
    assert [i["id"] for i in items] == expected
    assert 0 < len(items) < len(everything)
    # no offset: read as UTC
    assert [i["id"] for i in all_incidents(client, start="2025-09-02T00:00:00", end="2025-09-03")] == expected
    # same instant written with another offset
    same = all_incidents(client, start="2025-09-02T03:00:00+03:00", end="2025-09-03T03:00:00+03:00")
    assert [i["id"] for i in same] == expected


def test_incident_detail_with_claims_and_quotes(client):
    items = all_incidents(client, region="RU-SMO", kind="interception")
    inc = next(i for i in items if i["disagreements"])
    detail = get(client, f"/incidents/{inc['id']}")
    api.IncidentDetail.model_validate(detail)
    assert {k: detail[k] for k in inc} == inc
    assert len(detail["claims"]) == detail["claim_count"] == 2
    assert {c["source"]["name"] for c in detail["claims"]} == {"smolensk_governor", "mod_bulletin"}
    for claim in detail["claims"]:
        text = claim["text"]
        assert claim["message"]["published"].endswith("+00:00")
        assert claim["context"] is False
        assert claim["evidence"], claim
        for name, spans in claim["evidence"].items():
            for (a, b), quote in zip(spans, claim["quotes"][name], strict=True):
                assert 0 <= a < b <= len(text)
                assert text[a:b] == quote
    gov = next(c for c in detail["claims"] if c["source"]["name"] == "smolensk_governor")
    assert gov["message"]["url"].startswith("https://t.me/smolensk_gov/")
    assert gov["source"]["authority"] == "regional"
    # the consensus value points at the claim whose quote a page can highlight
    chosen = detail["consensus"]["destroyed"]["claim_id"]
    assert chosen == gov["id"]
    assert "4" in "".join(gov["quotes"]["per_region"] + gov["quotes"].get("total_destroyed", []))


def test_claims_list(client):
    page = get(client, "/claims", limit=500)
    api.ClaimPage.model_validate(page)
    ids = [c["id"] for c in page["items"]]
    assert ids == sorted(ids, reverse=True)
    assert all("text" not in c for c in page["items"])
    linked = [c for c in page["items"] if c["incident_ids"]]
    assert linked
    bry = get(client, "/claims", region="RU-BRY", limit=500)["items"]
    assert bry and all(any(r["iso"] == "RU-BRY" for r in c["per_region"]) for c in bry)
    en = get(client, "/claims", start="2025-09-03T00:00:00+00:00", end="2025-09-04T00:00:00+00:00")["items"]
    assert en and all("2025-09-03" in c["message"]["published"] for c in en)


def test_messages_list_and_detail(client, seeded):
    page = get(client, "/messages", limit=500)
    api.MessagePage.model_validate(page)
    assert len(page["items"]) == seeded.info.messages
    news = get(client, "/messages", source="wire_news")["items"]
    assert news and all(m["source"]["name"] == "wire_news" for m in news)
    # stored verbatim; JSON is not HTML: the payload is data, escaped by whoever renders it
    assert any("<script>alert(1)</script>" in m["text"] for m in news)
    detail = get(client, f"/messages/{news[0]['id']}")
    api.MessageDetail.model_validate(detail)
    assert detail["versions"][-1]["text"] == detail["text"]


def test_regions(client):
    data = get(client, "/regions")
    api.RegionList.model_validate(data)
    by_iso = {r["iso"]: r for r in data["items"]}
    assert {"RU", "UA", "RU-SMO", "UA-63", "UA-43"} <= set(by_iso)
    smo = by_iso["RU-SMO"]
    assert smo["status"] == "danger"  # the last alert has no all-clear yet
    assert smo["lat"] and smo["lon"]
    assert by_iso["RU-TUL"]["status"] is None
    # the seed lies in 2025: nothing in the last 7 days of today
    assert smo["incidents_7d"] == 0


def test_region_counts_24h_7d(seeded):
    from datetime import UTC, datetime

    from tocsin import queries

    with seeded.sessionmaker() as session:
        now = datetime(2025, 9, 6, 12, 0, tzinfo=UTC)
        by_iso = {r["iso"]: r for r in queries.list_regions(session, now=now)}
        live = queries.list_incidents(session, region="RU-SMO", limit=500).items
    ends = [
        datetime.fromisoformat(i["window_end"])
        for i in live
        if datetime.fromisoformat(i["window_start"]) <= now
    ]
    smo = by_iso["RU-SMO"]
    assert smo["incidents_24h"] == sum(1 for e in ends if e >= now - timedelta(hours=24)) == 2
    assert smo["incidents_7d"] == sum(1 for e in ends if e >= now - timedelta(days=7)) == 7


def test_region_detail_counts(client):
    data = get(client, "/regions/RU-SMO", start="2025-08-30", end="2025-09-08")
    api.RegionDetail.model_validate(data)
    assert data["range"] == {"start": "2025-08-30", "end": "2025-09-08", "timezone": "Europe/Moscow"}
    assert len(data["days"]) == 10
    assert sum(d["incidents"] for d in data["days"]) == 7
    assert sum(w["incidents"] for w in data["weeks"]) == 7
    empty = data["days"][0]
    assert empty == {"date": "2025-08-30", "incidents": 0, "destroyed": None, "destroyed_undisclosed": 0}
    # the alert-only evening discloses no figure: counted apart, not as 0
    last = next(d for d in data["days"] if d["date"] == "2025-09-06")
    assert last["incidents"] == 1 and last["destroyed"] is None and last["destroyed_undisclosed"] == 1
    disclosed = [d["destroyed"] for d in data["days"] if d["destroyed"] is not None]
    assert sum(disclosed) == sum(w["destroyed"] or 0 for w in data["weeks"])
    assert [s["status"] for s in data["statuses"]] == ["danger", "danger"]
    assert data["statuses"][0]["ended_at"] is None
    assert data["incidents"] and all(i["iso"] == "RU-SMO" for i in data["incidents"])


def test_region_detail_default_range_and_unknown(client):
    data = get(client, "/regions/UA-63")
    assert len(data["days"]) == 90
    assert data["range"]["timezone"] == "Europe/Kyiv"
    r = client.get(V1 + "/regions/XX-123")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_statuses(client):
    data = get(client, "/statuses")
    api.StatusPage.model_validate(data)
    assert len(data["items"]) == 2
    active = get(client, "/statuses", active="true")["items"]
    assert [s["ended_at"] for s in active] == [None]
    assert get(client, "/statuses", region="UA-63")["items"] == []


def test_sources_show_only_public_fields(client):
    data = get(client, "/sources")
    api.SourceList.model_validate(data)
    by_name = {s["name"]: s for s in data["items"]}
    assert set(by_name) == {"smolensk_governor", "mod_bulletin", "wire_news", "kharkiv_ova"}
    assert by_name["wire_news"]["url"] is None  # a server file path is not public
    assert by_name["smolensk_governor"]["url"] == "https://t.me/s/smolensk_gov"
    for s in data["items"]:
        assert not {"etag", "cursor", "last_modified"} & set(s)
    assert sum(s["message_count"] for s in data["items"]) == 27


def test_no_endpoint_exposes_private_data(client):
    for path in ("/incidents", "/claims", "/messages", "/sources", "/statuses"):
        body = client.get(V1 + path, params={"limit": 500} if path != "/sources" else {}).text
        assert "/srv/private" not in body
        assert '"actor"' not in body  # audit events are never served
