"""The ``tocsin`` command line: single texts, JSONL batches, bad input, exit codes.

Extraction *values* are asserted in the extractor's own tests; here only the shape the interface
guarantees (contract keys, ids, order, error lines) is checked.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from tocsin import __version__
from tocsin.cli import main
from tocsin.console import claim_table
from tocsin.domain import Claim, Kind, Period, RegionCount
from tocsin.extract import batch
from tocsin.extract.core import MAX_CHARS

CONTRACT_KEYS = {
    "kind",
    "weapon",
    "total_destroyed",
    "launched",
    "per_region",
    "interceptors",
    "period",
    "killed",
    "injured",
    "infrastructure_damage",
    "debris_fell",
    "fire",
    "emergency_response",
    "speaker",
    "evidence",
}
RU = "За прошедшую ночь над территорией Смоленской области сбиты девять БПЛА. Пострадавших нет."
UK = "Уночі над Харківщиною збито 6 із 9 дронів."
EN = "Air defence systems downed 17 drones over Crimea overnight, the governor said."


def run(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "140", "NO_COLOR": "1", "PYTHONUTF8": "1"}
    return subprocess.run(
        [sys.executable, "-m", "tocsin", *args],
        input=stdin,
        capture_output=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def jl(*records: object) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


def read_out(data: str | bytes) -> list[dict]:
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return [json.loads(line) for line in text.splitlines()]


# ------------------------------------------------------------------------------------------ one text


def test_single_text_prints_a_table(capsys):
    assert main(["extract", RU]) == 0
    out = capsys.readouterr().out
    for label in ("field", "value", "from the text", "kind", "destroyed (total)", "killed", "language"):
        assert label in out
    assert "None" not in out and "null" not in out


def test_single_text_subprocess_and_stdin(tmp_path):
    res = run("extract", UK)
    assert res.returncode == 0, res.stderr
    assert "from the text" in res.stdout.decode()
    res = run("extract", stdin=EN.encode())  # no TEXT, stdin is a pipe
    assert res.returncode == 0, res.stderr
    assert "kind" in res.stdout.decode()
    res = run("extract", "-", "--lang", "ru", stdin=RU.encode())
    assert res.returncode == 0, res.stderr
    assert "ru (given)" in res.stdout.decode()


def test_single_text_json(capsys):
    assert main(["extract", RU, "--json", "--published", "2025-09-06"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= CONTRACT_KEYS
    assert set(data["period"]) == {"text", "start", "end"}


def test_file_with_bom_and_missing_file(tmp_path, capsys):
    f = tmp_path / "s.txt"
    f.write_bytes(b"\xef\xbb\xbf" + RU.encode())
    assert main(["extract", "--file", str(f), "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)) >= CONTRACT_KEYS
    assert main(["extract", "--file", str(tmp_path / "nope.txt")]) == 2
    assert "cannot read" in capsys.readouterr().err
    f.write_bytes(b"\xff\xfe bad")
    assert main(["extract", "--file", str(f)]) == 2
    assert "not UTF-8" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["extract", "   "], 1, "empty"),
        (["extract", "x" * (MAX_CHARS + 1)], 1, f"text too long ({MAX_CHARS + 1} chars, max {MAX_CHARS})"),
        (["extract", RU, "--published", "yesterday"], 2, "ISO date"),
        (["extract", RU, "--lang", "de"], 2, "invalid choice"),
        (["extract", RU, "-o", "out.jsonl"], 2, "--jsonl"),
        (["extract", RU, "--jsonl", "in.jsonl"], 2, "cannot be combined"),
    ],
)
def test_single_text_bad_input(argv, code, message, capsys):
    assert main(argv) == code
    assert message in capsys.readouterr().err


def test_table_never_shows_null_as_zero_and_quotes_evidence():
    text = "Над Смоленской областью сбиты 9 БПЛА. Пострадавших нет."
    claim = Claim(
        kind=Kind.INTERCEPTION,
        total_destroyed=9,
        killed=0,
        injured=None,
        lang="ru",
        per_region=[RegionCount("RU-SMO", None)],
        period=Period(text=None),
    )

    def span(words: str) -> tuple[int, int]:
        return text.index(words), text.index(words) + len(words)

    claim.add_evidence("total_destroyed", span("9"))
    claim.add_evidence("killed", span("Пострадавших нет"))
    claim.add_evidence("per_region", span("Смоленской областью"))
    claim.add_evidence("launched", (10, 10_000))  # a broken span is shown as such, not crashed on
    buf = io.StringIO()
    Console(file=buf, width=160, color_system=None).print(claim_table(claim, text))
    rows = {line.split("│")[1].strip(): line for line in buf.getvalue().splitlines() if line.count("│") >= 3}
    assert "not stated" in rows["injured"] and " 0 " not in rows["injured"]
    assert " 0 " in rows["killed"] and "“Пострадавших нет”" in rows["killed"]
    assert "“9”" in rows["destroyed (total)"]
    assert "RU-SMO: not stated" in rows["regions"] and "“Смоленской областью”" in rows["regions"]
    assert "outside the text" in rows["launched"]
    assert "not stated" in rows["period"]


# -------------------------------------------------------------------------------------------- JSONL


def test_jsonl_round_trip_keeps_order_and_ids(tmp_path):
    records = [
        {"id": "s001", "text": RU, "published": "2025-09-06"},
        {"id": "s002", "text": UK, "lang": "uk", "published": "2025-05-19T07:00:00+03:00"},
        {"id": 3, "text": EN},
        {"id": "s004", "text": "Сегодня в Москве солнечно.", "published": None, "lang": None},
    ]
    src = tmp_path / "in.jsonl"
    src.write_bytes(jl(*records))
    res = run("extract", "--jsonl", str(src), "-o", str(tmp_path / "out.jsonl"))
    assert res.returncode == 0, res.stderr
    assert res.stdout == b""
    out = read_out((tmp_path / "out.jsonl").read_bytes())
    assert [o["id"] for o in out] == ["s001", "s002", 3, "s004"]
    for o in out:
        assert set(o) == {"id", "extraction"} and set(o["extraction"]) >= CONTRACT_KEYS
    # stdin → stdout gives the same lines; Cyrillic is written as is (ensure_ascii=False)
    res = run("extract", "--jsonl", "-", stdin=src.read_bytes())
    assert res.returncode == 0, res.stderr
    assert read_out(res.stdout) == out
    assert "\\u04" not in res.stdout.decode()


def test_jsonl_bad_lines_are_reported_and_skipped(tmp_path, capsys):
    good = {"id": "ok", "text": RU}
    lines = [
        b"\xef\xbb\xbf" + json.dumps({"id": "first", "text": EN}).encode() + b"\r\n",  # 1 BOM + CRLF
        b"{not json\r\n",  # 2
        b"[1, 2]\n",  # 3
        jl({"id": "m", "published": "2025-01-01"}),  # 4 missing text
        jl({"id": "n", "text": 5}),  # 5 non-string text
        jl({"id": "e", "text": "   "}),  # 6 empty text
        jl({"id": "p", "text": RU, "published": "last night"}),  # 7 bad published
        jl({"id": "q", "text": RU, "published": 20250101}),  # 8 published not a string
        jl({"id": "l", "text": RU, "lang": "de"}),  # 9 bad lang
        b'{"id": "u", "text": "\xd0\x9d\xff\xfe"}\n',  # 10 invalid UTF-8
        b"\n",  # 11 blank: skipped, still counted
        jl({"id": "big", "text": "а" * 1_000_001}),  # 12 > 1 MB
        jl(good) + b"   \r\n",  # 13 good, 14 whitespace only
        jl({"id": "last", "text": UK}).rstrip(b"\n"),  # 15 good, no final newline
    ]
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"".join(lines))
    assert main(["extract", "--jsonl", str(src)]) == 0
    cap = capsys.readouterr()
    out = read_out(cap.out)
    ids = ["first", None, None, "m", "n", "e", "p", "q", "l", None, "big", "ok", "last"]
    assert [o["id"] for o in out] == ids
    ok = {o["id"] for o in out if "extraction" in o}
    assert ok == {"first", "ok", "last"}
    errors = {o["id"] if o["id"] is not None else i: o["error"] for i, o in enumerate(out) if "error" in o}
    assert "not valid JSON" in errors[1]
    assert "JSON object" in errors[2]
    assert errors["m"] == 'missing "text"'
    assert "must be a string" in errors["n"]
    assert "empty" in errors["e"]
    assert "published" in errors["p"] and "published" in errors["q"]
    assert "lang" in errors["l"]
    assert "UTF-8" in errors[9]
    assert errors["big"] == f"text too long (1000001 chars, max {MAX_CHARS})"
    for line_no in (2, 3, 4, 5, 6, 7, 8, 9, 10, 12):
        assert f"line {line_no}" in cap.err
    assert "line 11" not in cap.err and "line 14" not in cap.err
    assert 'line 4 (id "m"): missing "text"' in cap.err


def test_jsonl_defaults_for_lang_and_published(capsys):
    src = io.BytesIO(jl({"id": "a", "text": RU}, {"id": "b", "text": RU, "published": "soon"}))
    results = list(batch.extract_jsonl(src, lang="ru", published="2025-09-06"))
    assert [(n, err is None) for n, _, err in results] == [(1, True), (2, False)]


def test_jsonl_library_accepts_str_lines_and_survives_an_extractor_bug(monkeypatch):
    real = batch.extract

    def flaky(text, **kw):
        if "boom" in text:
            raise RuntimeError("kaput")
        return real(text, **kw)

    monkeypatch.setattr(batch, "extract", flaky)
    lines = ['\ufeff{"id": "a", "text": "boom"}\n', "\n", '{"id": "b", "text": "fine"}\r\n']
    results = list(batch.extract_jsonl(lines))
    assert [n for n, _, _ in results] == [1, 3]
    assert results[0][1] == {"id": "a", "error": "extractor failed: RuntimeError: kaput"}
    assert results[1][2] is None and results[1][1]["id"] == "b"


def test_jsonl_every_line_bad_exits_1(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"nope\n" + jl({"id": "x"}))
    res = run("extract", "--jsonl", str(src))
    assert res.returncode == 1
    assert [o["error"] for o in read_out(res.stdout)]
    assert b"line 1" in res.stderr and b"line 2" in res.stderr


def test_jsonl_blank_input_is_not_an_error(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n\r\n  \n")
    assert main(["extract", "--jsonl", str(src)]) == 0
    cap = capsys.readouterr()
    assert cap.out == "" and "no statements" in cap.err


def test_jsonl_missing_input_and_unwritable_output(tmp_path, capsys):
    assert main(["extract", "--jsonl", str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err
    res = run("extract", "--jsonl", str(tmp_path / "missing.jsonl"))
    assert res.returncode == 2 and b"missing.jsonl" in res.stderr and res.stdout == b""
    src = tmp_path / "in.jsonl"
    src.write_bytes(jl({"id": "a", "text": RU}))
    assert main(["extract", "--jsonl", str(src), "-o", str(tmp_path / "no" / "dir" / "out.jsonl")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_jsonl_progress_keeps_stdout_clean(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(jl(*({"id": f"s{i}", "text": EN} for i in range(250))))
    res = run("extract", "--jsonl", str(src), "--progress")
    assert res.returncode == 0, res.stderr
    out = read_out(res.stdout)
    assert [o["id"] for o in out] == [f"s{i}" for i in range(250)]
    assert b"250/250" in res.stderr


# --------------------------------------------------------------------------------------------- misc


def test_help_and_version(capsys):
    assert main(["--help"]) == 0
    assert "examples:" in capsys.readouterr().out
    assert main(["extract", "--help"]) == 0
    assert "--jsonl" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out
    assert main([]) == 2
    res = run("--help")
    assert res.returncode == 0 and b"tocsin extract" in res.stdout
