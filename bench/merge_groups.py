"""Pairwise precision and recall of "same incident" against the dev set's event groups.

    .venv/bin/python bench/merge_groups.py [STATEMENTS.jsonl] [--verbose]

Runs the real extractor over every statement, merges the claims (``tocsin.merge.merge``) and compares the
pairs of statements that share at least one incident with the pairs that share an ``event`` key. Statements
with a null ``event`` are singletons: every pair with them is a negative.

Inputs built from a dev-set record (the same rules as ``load_inputs``):

- ``published``: an ISO datetime with offset is used as is; a date-only value becomes **12:00 local time** of
  that date — Europe/Kyiv for Ukrainian-language items, Europe/Moscow for Russian ones, and for English items
  the zone of the first region the extractor found (Kyiv for UA-*, Moscow otherwise). Noon keeps a news item
  published "on D" inside the night before D (a morning post's night runs to its publication time) and inside
  a daytime window of D. A null ``published`` cannot be placed in time: the item is left out (a singleton).
- ``authority`` from the genre: telegram_governor, ua_regional, alert → regional; mod_bulletin,
  ua_air_force → federal; news_agency, en_wire, en_padded → media; anything else → other.
- ``source``: the genre, plus the first region for regional genres (each governor is one source, so a
  governor's running posts are one source's running tally).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, time
from itertools import combinations
from pathlib import Path
from zoneinfo import ZoneInfo

from tocsin.domain import Authority
from tocsin.extract import extract
from tocsin.merge import ClaimInput, merge

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SET = REPO.parent / "shared" / "devset" / "statements.jsonl"

AUTHORITY = {
    "telegram_governor": Authority.REGIONAL,
    "ua_regional": Authority.REGIONAL,
    "alert": Authority.REGIONAL,
    "mod_bulletin": Authority.FEDERAL,
    "ua_air_force": Authority.FEDERAL,
    "news_agency": Authority.MEDIA,
    "en_wire": Authority.MEDIA,
    "en_padded": Authority.MEDIA,
}
_KYIV, _MSK = ZoneInfo("Europe/Kyiv"), ZoneInfo("Europe/Moscow")


def published_at(value: str | None, lang: str | None, first_iso: str | None) -> datetime | None:
    """The record's ``published`` as an aware datetime (date-only → 12:00 local; see the module docstring)."""
    if not value:
        return None
    if "T" in value:
        dt = datetime.fromisoformat(value)
        return dt if dt.tzinfo else dt.replace(tzinfo=_MSK)
    ukrainian = lang == "uk" or (lang != "ru" and (first_iso or "").startswith("UA"))
    tz = _KYIV if ukrainian else _MSK
    return datetime.combine(date.fromisoformat(value), time(12), tzinfo=tz)


def load_inputs(path: Path) -> tuple[list[ClaimInput], dict[str, str | None], list[str]]:
    """ClaimInputs for the dated records, each record's event key, and all record ids."""
    inputs, events, ids = [], {}, []
    with path.open(encoding="utf-8-sig") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            ids.append(rec["id"])
            events[rec["id"]] = rec.get("event")
            claim = extract(rec["text"], lang=rec.get("lang"), published=rec.get("published"))
            first = claim.per_region[0].iso if claim.per_region else None
            pub = published_at(rec.get("published"), rec.get("lang"), first)
            if pub is None:
                continue
            authority = AUTHORITY.get(rec.get("genre"), Authority.OTHER)
            source = rec.get("genre") or "unknown"
            if authority == Authority.REGIONAL and first:
                source = f"{source}:{first}"
            inputs.append(ClaimInput(rec["id"], claim, source, authority, pub, rec["text"]))
    return inputs, events, ids


def score(path: Path = DEFAULT_SET, verbose: bool = False) -> dict:
    inputs, events, ids = load_inputs(path)
    incidents = merge(inputs)
    member_of: dict[str, set[str]] = {i: set() for i in ids}
    for inc in incidents:
        for cid in inc.claim_ids:
            member_of[str(cid)].add(inc.key)
    tp = fp = fn = 0
    for a, b in combinations(ids, 2):
        gold = events[a] is not None and events[a] == events[b]
        pred = bool(member_of[a] & member_of[b])
        tp += gold and pred
        fp += pred and not gold
        fn += gold and not pred
        if verbose and gold != pred:
            print(f"  {'FP' if pred else 'FN'} {a}({events[a]}) {b}({events[b]})", file=sys.stderr)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {"statements": len(ids), "incidents": len(incidents), "gold_pairs": tp + fn,
            "predicted_pairs": tp + fp, "true_pairs": tp, "precision": precision, "recall": recall}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", type=Path, default=DEFAULT_SET)
    ap.add_argument("--verbose", action="store_true", help="list the wrong pairs on stderr")
    args = ap.parse_args(argv)
    r = score(args.path, args.verbose)
    print(f"statements={r['statements']} incidents={r['incidents']} gold_pairs={r['gold_pairs']} "
          f"predicted_pairs={r['predicted_pairs']} true_pairs={r['true_pairs']}")
    print(f"pairwise precision={r['precision']:.3f} recall={r['recall']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
