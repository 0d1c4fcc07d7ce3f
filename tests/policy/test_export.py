"""Residents' reports as open data: ``tocsin.report_exports`` and ``tocsin export reports`` give exactly the
public view of the policy (same reports, same coarse values), in JSON Lines, CSV and GeoJSON, and nothing
private."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from policy.conftest import Seeded
from policy.seed import CANARY, COARSE_FORBIDDEN
from tocsin.cli import main
from tocsin.exports import ExportError
from tocsin.policy import PublicationPolicy, public_reports
from tocsin.report_exports import REPORT_COLUMNS, export_reports, report_row
from tocsin.settings import Settings

DEFAULT = PublicationPolicy()


def export(seeded: Seeded, fmt: str, policy: PublicationPolicy = DEFAULT, **kw) -> tuple[int, str]:
    out = io.StringIO()
    with Session(seeded.engine) as session:
        n = export_reports(session, policy, fmt, out, now=seeded.seed.now, **kw)
    return n, out.getvalue()


def api_rows(seeded: Seeded, policy: PublicationPolicy) -> list[dict]:
    with Session(seeded.engine) as session:
        page = public_reports(session, policy, now=seeded.seed.now, limit=500)
    return sorted((report_row(item) for item in page.items), key=lambda r: r["id"])


def assert_private_free(text: str) -> None:
    for s in (CANARY, *COARSE_FORBIDDEN):
        assert s not in text


@pytest.mark.parametrize("precision", ["settlement", "district", "region"])
def test_every_format_is_the_public_view(seeded: Seeded, precision: str):
    policy = PublicationPolicy.from_settings(Settings(public_location_precision=precision))
    expected = api_rows(seeded, policy)
    assert [r["id"] for r in expected] == sorted(seeded.seed.public_ids(policy.delay))

    n, text = export(seeded, "jsonl", policy)
    assert n == len(expected)
    assert [json.loads(line) for line in text.splitlines()] == expected
    assert_private_free(text)

    n, text = export(seeded, "csv", policy)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert n == len(rows) == len(expected)
    assert tuple(rows[0]) == REPORT_COLUMNS
    for row, want in zip(rows, expected, strict=True):
        assert row["id"] == str(want["id"]) and row["precision"] == (want["precision"] or "")
        assert row["place"] == (want["place"] or "") and row["incident_id"] == str(want["incident_id"] or "")
    assert_private_free(text)

    n, text = export(seeded, "geojson", policy)
    data = json.loads(text)
    assert data["type"] == "FeatureCollection" and data["policy"] == policy.describe()
    assert [f["properties"] for f in data["features"]] == expected
    for f in data["features"]:
        p = f["properties"]
        assert f["geometry"] is None or f["geometry"]["coordinates"] == [p["lon"], p["lat"]]
    assert_private_free(text)


def test_filters_and_errors(seeded: Seeded):
    n_all, _ = export(seeded, "jsonl")
    n_ua, text = export(seeded, "jsonl", region="UA-63")
    assert 0 < n_ua < n_all and all(json.loads(x)["region"] == "UA-63" for x in text.splitlines())
    n_future, _ = export(seeded, "jsonl", since=seeded.seed.now + timedelta(hours=1))
    assert n_future == 0
    with pytest.raises(ExportError):
        export(seeded, "xlsx")
    with pytest.raises(ExportError):
        export(seeded, "csv", since=datetime(2025, 1, 1))
    with pytest.raises(ExportError):
        export(seeded, "csv", region="XX-NOPE")


def test_photos_are_listed_only_when_public(seeded: Seeded):
    _, text = export(seeded, "jsonl")
    assert all(json.loads(x)["photos"] == [] for x in text.splitlines())
    on = PublicationPolicy(photos=True)
    _, text = export(seeded, "jsonl", on)
    rows = [json.loads(x) for x in text.splitlines()]
    assert rows and all(
        r["photos"] == [f"/api/v1/public-reports/photos/{p}" for p in seeded.seed.report(r["id"]).photo_ids]
        for r in rows
    )
    _, text = export(seeded, "csv", on)
    assert "/api/v1/public-reports/photos/" in text


# ------------------------------------------------------------------------------------------------ CLI


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "geojson"])
def test_cli_export_reports(seeded: Seeded, fmt, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TOCSIN_DATABASE_URL", seeded.url)
    monkeypatch.setenv("TOCSIN_PUBLIC_LOCATION_PRECISION", "district")
    monkeypatch.setenv("TOCSIN_PUBLICATION_DELAY_MINUTES", "60")
    out = tmp_path / f"reports.{fmt}"
    assert main(["export", "reports", "--format", fmt, "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    policy = PublicationPolicy.from_settings(Settings(public_location_precision="district"))
    expected = len(seeded.seed.public_ids(policy.delay))
    assert f"{expected} rows" in capsys.readouterr().err
    assert_private_free(text)
    if fmt == "geojson":
        data = json.loads(text)
        assert len(data["features"]) == expected
        assert {f["properties"]["precision"] for f in data["features"]} <= {"district", "region"}
    assert (
        main(
            [
                "export",
                "reports",
                "--format",
                fmt,
                "--region",
                "ua-63",
                "--since",
                "2000-01-01",
                "-o",
                str(out),
            ]
        )
        == 0
    )


def test_cli_export_reports_to_stdout(seeded: Seeded, monkeypatch, capfd):
    monkeypatch.setenv("TOCSIN_DATABASE_URL", seeded.url)
    assert main(["export", "reports", "--format", "jsonl"]) == 0
    captured = capfd.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == len(seeded.seed.public_ids(DEFAULT.delay))
    assert_private_free(captured.out)


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (
            ["--format", "csv"],
            {"TOCSIN_PUBLIC_LOCATION_PRECISION": "street"},
            "TOCSIN_PUBLIC_LOCATION_PRECISION",
        ),
        (["--format", "csv"], {"TOCSIN_PUBLICATION_DELAY_MINUTES": "-5"}, "TOCSIN_PUBLICATION_DELAY_MINUTES"),
        (["--format", "csv"], {"TOCSIN_PUBLIC_PHOTOS": "perhaps"}, "TOCSIN_PUBLIC_PHOTOS"),
        (["--format", "xlsx"], {}, "invalid choice"),
        (["--format", "csv", "--region", "XX-NOPE"], {}, "not a known ISO 3166-2 region code"),
        (["--format", "csv", "--since", "last week"], {}, "is not an ISO date"),
    ],
)
def test_cli_errors(seeded: Seeded, argv, env, message, monkeypatch, capsys):
    monkeypatch.setenv("TOCSIN_DATABASE_URL", seeded.url)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert main(["export", "reports", *argv]) == 2
    assert message in capsys.readouterr().err


def test_cli_help_names_the_policy(capsys):
    assert main(["export", "reports", "--help"]) == 0
    assert "TOCSIN_PUBLIC_LOCATION_PRECISION" in capsys.readouterr().out
