"""Accuracy on labelled statements, scored by the project's own scorer (``shared/tools/score_extraction.py``).

The development set and the two check sets were used while writing the rules, so these thresholds guard
against regressions; they do not measure generalisation (a held-out set of real statements does).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from tocsin.extract import extract

HERE = Path(__file__).parent
SHARED = Path(__file__).resolve().parents[3] / "shared"
SCORER = SHARED / "tools" / "score_extraction.py"

SETS = {
    "devset": (SHARED / "devset" / "statements.jsonl", 0.99),
    "checkset": (HERE / "data" / "checkset.jsonl", 0.97),
    "checkset2": (HERE / "data" / "checkset2.jsonl", 0.97),
}


def _scorer():
    if not SCORER.exists():
        pytest.skip(f"the project's scorer is not at {SCORER}")
    spec = importlib.util.spec_from_file_location("score_extraction", SCORER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", sorted(SETS))
def test_labelled_set_accuracy(name, tmp_path):
    path, threshold = SETS[name]
    if not path.exists():
        pytest.skip(f"{path} is not here")
    scorer = _scorer()
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    pred = tmp_path / "pred.jsonl"
    with pred.open("w", encoding="utf-8") as out:
        for row in rows:
            claim = extract(row["text"], lang=row.get("lang"), published=row.get("published"))
            line = json.dumps({"id": row["id"], "extraction": claim.to_contract()}, ensure_ascii=False)
            out.write(line + "\n")
    gold = {row["id"]: row for row in rows}
    preds = {json.loads(line)["id"]: json.loads(line)["extraction"] for line in pred.read_text().splitlines()}
    fields: dict[str, list[bool]] = {}
    covered = total = 0
    for sid, row in gold.items():
        for field, ok in scorer.compare(row["gold"], preds[sid]).items():
            fields.setdefault(field, []).append(ok)
        have, n = scorer.evidence_coverage(row["text"], preds[sid])
        covered, total = covered + have, total + n
    accuracy = {f: sum(v) / len(v) for f, v in fields.items()}
    overall = sum(accuracy.values()) / len(accuracy)
    print(f"{name}: overall {overall:.3f}", {f: round(a, 3) for f, a in accuracy.items()})
    assert overall >= threshold, accuracy
    assert covered == total, "every non-null value carries evidence"
