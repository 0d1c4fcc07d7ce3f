"""``tocsin ingest``, ``tocsin sources add|list`` (in-process, against a file SQLite database)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tocsin.cli import main

from .exportgen import export, messages, write_export


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "cli.db"
    monkeypatch.setenv("TOCSIN_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("COLUMNS", "200")
    return path


def rows(db, sql):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def flat(text: str) -> str:
    return " ".join(text.split())


def test_ingest_export_twice_and_default_name(db, tmp_path, capsys, refresh_spy):
    folder = tmp_path / "ChatExport_2025-09-06"
    folder.mkdir()
    path = write_export(folder / "result.json", 120)
    assert main(["ingest", str(path), "--authority", "regional", "--no-progress"]) == 0
    out = flat(capsys.readouterr().out)
    assert "ingest into source 'ChatExport_2025-09-06'" in out
    assert "new messages │ 120 │" in out and "claims extracted │ 120 │" in out
    assert rows(db, "SELECT name, kind, authority, url FROM source") == [
        ("ChatExport_2025-09-06", "telegram_export", "regional", str(path.resolve()))
    ]
    assert main(["ingest", str(path), "--no-progress"]) == 0  # an existing source keeps its authority
    out = flat(capsys.readouterr().out)
    assert "unchanged │ 120 │" in out and "new messages │ 0 │" in out and "claims extracted │ 0 │" in out
    assert rows(db, "SELECT count(*) FROM message") == [(120,)]


def test_ingest_jsonl_with_bad_lines(db, tmp_path, capsys, refresh_spy):
    lines = [
        json.dumps(
            {
                "id": i,
                "text": f"Ночью над Курской областью сбиты {i} БПЛА.",
                "published": "2025-09-06T05:00:00+00:00",
            },
            ensure_ascii=False,
        )
        for i in range(1, 31)
    ]
    lines[4] = "{not json"
    lines[9] = json.dumps({"id": 10, "text": "", "published": "2025-09-06"})
    lines[14] = json.dumps({"id": 15, "text": "Сбиты 2 БПЛА", "published": "вчера"}, ensure_ascii=False)
    lines[19] = json.dumps(["a", "list"])
    lines[24] = json.dumps({"id": 25, "text": "NUL \u0000 inside", "published": "2025-09-06"})
    path = tmp_path / "wire.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    assert main(["ingest", str(path), "--source", "wire", "--authority", "media", "--batch-size", "7"]) == 0
    out = flat(capsys.readouterr().out)
    assert "new messages │ 25 │" in out and "rejected │ 5 │" in out
    assert f"{path} line 5: not JSON" in out
    assert f"{path} line 10: no 'text'" in out
    assert f"{path} line 15: bad 'published'" in out
    assert f"{path} line 20: not a JSON object" in out
    assert "message 25: text contains a NUL character" in out
    assert rows(db, "SELECT count(*) FROM message") == [(25,)]
    assert rows(db, "SELECT kind, authority FROM source WHERE name = 'wire'") == [("jsonl", "media")]


def test_ingest_lists_twenty_reasons_then_counts_the_rest(db, tmp_path, capsys, refresh_spy):
    msgs = messages(40)
    for m in msgs[:25]:
        m["date_unixtime"] = "soon"
    path = tmp_path / "result.json"
    path.write_text(json.dumps(export(msgs), ensure_ascii=False), "utf-8")
    assert main(["ingest", str(path), "--source", "gov"]) == 0
    out = capsys.readouterr().out
    assert out.count("bad date_unixtime 'soon'") == 20
    assert "… and 5 more" in out


def test_ingest_errors(db, tmp_path, capsys):
    assert main(["ingest", str(tmp_path / "missing.json")]) == 2
    assert "missing.json: no such file" in capsys.readouterr().err
    assert main(["ingest", "ftp://example.org/feed"]) == 2
    assert "only http(s) URLs" in capsys.readouterr().err
    assert main(["ingest", "http://127.0.0.1/feed"]) == 2
    assert "local or private address" in capsys.readouterr().err
    assert main(["ingest", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    bad = tmp_path / "result.json"
    bad.write_text("{not json", "utf-8")
    assert main(["ingest", str(bad), "--source", "x"]) == 1  # nothing readable
    assert "invalid JSON" in capsys.readouterr().out
    good = tmp_path / "wire.jsonl"
    good.write_text('{"id": 1, "text": "t", "published": "2025-09-06"}\n', "utf-8")
    assert main(["ingest", str(good), "--source", "x"]) == 2  # x is a telegram_export source
    assert "exists with kind telegram_export" in capsys.readouterr().err


def test_sources_add_and_list(db, tmp_path, capsys, refresh_spy):
    export_path = write_export(tmp_path / "result.json", 10)
    assert (
        main(
            [
                "sources",
                "add",
                "smolensk",
                "--kind",
                "telegram_web",
                "--authority",
                "regional",
                "--url",
                "https://t.me/smolensk_gov",
                "--interval",
                "300",
            ]
        )
        == 0
    )
    assert "added source 'smolensk'" in capsys.readouterr().out
    assert (
        main(
            [
                "sources",
                "add",
                "mod",
                "--authority",
                "federal",
                "--url",
                "https://mil.example.org/rss",
                "--interval",
                "900",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "sources",
                "add",
                "archive",
                "--kind",
                "telegram_export",
                "--authority",
                "regional",
                "--url",
                str(export_path),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["ingest", str(export_path), "--source", "archive"]) == 0
    capsys.readouterr()
    assert rows(db, "SELECT name, kind, url, poll_interval_s FROM source ORDER BY id") == [
        ("smolensk", "telegram_web", "https://t.me/s/smolensk_gov", 300),
        ("mod", "feed", "https://mil.example.org/rss", 900),
        ("archive", "telegram_export", str(export_path.resolve()), None),
    ]
    assert (
        rows(db, "SELECT actor, action FROM event WHERE action = 'source.add'") == [("cli", "source.add")] * 3
    )

    assert main(["sources", "list"]) == 0
    out = capsys.readouterr().out
    lines = {line.split("│")[1].strip(): flat(line) for line in out.splitlines() if line.count("│") > 5}
    assert set(lines) == {"archive", "mod", "smolensk"}
    assert "telegram_web │ regional │ https://t.me/s/smolensk_gov │ 300 s │ never" in lines["smolensk"]
    assert lines["archive"].endswith("│ 10 │")
    assert lines["mod"].endswith("│ 0 │") and "900 s" in lines["mod"]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--kind", "feed", "--url", "file:///etc/passwd"], "only http(s) URLs"),
        (["--kind", "feed", "--url", "ftp://example.org/rss"], "only http(s) URLs"),
        (["--kind", "feed", "--url", "https://10.0.0.1/rss"], "local or private address"),
        (
            ["--kind", "telegram_export", "--url", "https://example.org/result.json"],
            "is a file path, not a URL",
        ),
        (["--kind", "jsonl", "--url", "/nonexistent/wire.jsonl"], "no such file"),
        (["--kind", "telegram_web", "--url", "https://t.me/s/x"], "not a public Telegram channel name"),
    ],
)
def test_sources_add_refuses(db, capsys, args, error):
    assert main(["sources", "add", "s", "--authority", "media", *args]) == 2
    assert error in capsys.readouterr().err
    assert not db.exists()  # refused before the database is even opened


def test_sources_add_twice_and_empty_list(db, capsys):
    assert main(["sources", "list"]) == 0
    assert "no sources yet" in capsys.readouterr().out
    args = ["sources", "add", "s", "--authority", "media", "--url", "https://example.org/rss"]
    assert main(args) == 0
    assert main(args) == 2
    assert "exists already" in capsys.readouterr().err


def test_watch_once_with_nothing_due(db, capsys):
    assert main(["watch", "--once"]) == 0
    assert "watch: 1 cycle(s), 0 poll(s)" in capsys.readouterr().err
