"""The seed statement (a long English rewrite of a Smolensk governor's post) end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tocsin.extract import extract

SEED = Path(__file__).parents[3] / "shared/seed/000_91a390e11809452a.txt"

# field -> words one of which every evidence span of that field must quote (case-insensitive)
EVIDENCE_WORDS = {
    "kind": ("intercept", "shot down"),
    "weapon": ("uav", "unmanned aerial", "drone"),
    "total_destroyed": ("nine",),
    "per_region": ("smolensk",),
    "interceptors": ("air defense", "vks", "air and space forces"),
    "killed": ("no victims",),
    "injured": ("no victims",),
    "infrastructure_damage": ("damaged",),
    "debris_fell": ("debris",),
    "emergency_response": ("services",),
    "speaker": ("anokhin",),
}


@pytest.fixture(scope="module")
def seed() -> tuple[str, dict]:
    if not SEED.exists():
        pytest.skip(f"seed statement {SEED} is absent (the shared folder is not mounted next to the repo)")
    text = SEED.read_text(encoding="utf-8")
    return text, extract(text).to_contract()


def test_seed_values(seed):
    _, got = seed
    assert got["kind"] == "interception"
    assert got["weapon"] == "uav"
    assert got["per_region"] == [{"iso": "RU-SMO", "destroyed": 9}]
    assert got["total_destroyed"] == 9
    assert got["launched"] is None
    assert set(got["interceptors"]) == {"air_defense", "aviation"}
    assert got["killed"] == 0
    assert got["injured"] == 0
    assert got["infrastructure_damage"] is False
    assert got["debris_fell"] is True
    assert got["emergency_response"] is True
    assert got["period"]["start"] is None and got["period"]["end"] is None
    json.dumps(got)


def test_seed_language_detected(seed):
    _, got = seed
    assert got["lang"] == "en"


@pytest.mark.parametrize("field", sorted(EVIDENCE_WORDS))
def test_seed_evidence_quotes_the_words(seed, field):
    text, got = seed
    spans = got["evidence"].get(field)
    assert spans, f"{field} has no evidence"
    for start, end in spans:
        assert 0 <= start < end <= len(text)
        quoted = text[start:end].lower()
        assert any(w in quoted for w in EVIDENCE_WORDS[field]), (field, quoted)


def test_seed_every_value_has_evidence(seed):
    _, got = seed
    for field in ("total_destroyed", "per_region", "interceptors", "killed", "injured",
                  "infrastructure_damage", "debris_fell", "emergency_response"):
        assert got["evidence"].get(field), field
