"""Cursor pagination: walking every page with any limit yields each item exactly once, in order."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

V1 = "/api/v1"
LISTS = {
    "incidents": ("/incidents", {}),
    "incidents in one region": ("/incidents", {"region": "RU-SMO"}),
    "incidents of a kind": ("/incidents", {"kind": "interception"}),
    "incident feed": ("/incidents", {"updated_since": "2000-01-01T00:00:00+00:00"}),
    "claims": ("/claims", {}),
    "claims of a region": ("/claims", {"region": "RU-BRY"}),
    "messages": ("/messages", {}),
    "statuses": ("/statuses", {}),
}


def walk(client, path: str, limit: int, query: dict | None = None) -> list[dict]:
    out: list[dict] = []
    cursor = None
    for _ in range(1000):
        params = {**(query or {}), "limit": limit}
        if cursor:
            params["cursor"] = cursor
        r = client.get(V1 + path, params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= limit
        out += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return out
        assert page["items"], "a cursor after an empty page"
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("name", list(LISTS))
def test_walk_matches_one_big_page(client, name):
    path, query = LISTS[name]
    full = client.get(V1 + path, params={**query, "limit": 500}).json()
    assert full["next_cursor"] is None
    assert full["items"]
    for limit in (1, 2, 7, 500):
        assert walk(client, path, limit, query) == full["items"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(limit=st.integers(min_value=1, max_value=40), name=st.sampled_from(sorted(LISTS)))
def test_walk_any_limit_each_item_once(client, limit, name):
    path, query = LISTS[name]
    items = walk(client, path, limit, query)
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids))
    assert ids == [i["id"] for i in client.get(V1 + path, params={**query, "limit": 500}).json()["items"]]


def test_cursor_of_another_list_is_refused(client):
    page = client.get(V1 + "/claims", params={"limit": 1}).json()
    r = client.get(V1 + "/incidents", params={"cursor": page["next_cursor"]})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "bad_cursor"


def test_last_page_has_no_cursor_and_full_last_page(client):
    n = len(client.get(V1 + "/incidents", params={"limit": 500}).json()["items"])
    page = client.get(V1 + "/incidents", params={"limit": n}).json()
    assert len(page["items"]) == n and page["next_cursor"] is None
