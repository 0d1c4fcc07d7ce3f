"""Extraction in worker processes, one batch ahead, gives exactly what in-process extraction gives."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from tocsin import ingest as ingest_mod
from tocsin.domain import SourceItem
from tocsin.ingest import SourceSpec, ingest
from tocsin.store import repo
from tocsin.store.engine import make_sessionmaker
from tocsin.store.models import ClaimRow, Message

from .exportgen import messages


def _items(n: int, *, seed: int = 9) -> list[SourceItem]:
    out = []
    for m in messages(n, seed=seed):
        text = (
            m["text"]
            if isinstance(m["text"], str)
            else "".join(p if isinstance(p, str) else p["text"] for p in m["text"])
        )
        out.append(SourceItem(str(m["id"]), text, datetime.fromtimestamp(int(m["date_unixtime"]), UTC)))
    return out


def _claims(engine, source_id: int) -> dict[tuple[str, int], tuple[bool, dict]]:
    with make_sessionmaker(engine)() as s:
        rows = s.execute(
            select(Message.external_id, ClaimRow)
            .join(ClaimRow, ClaimRow.message_id == Message.id)
            .where(Message.source_id == source_id)
        ).all()
        return {
            (ext, row.message_version): (row.superseded, repo.claim_from_row(row).to_contract())
            for ext, row in rows
        }


def test_workers_give_the_same_claims(engine, refresh_spy, monkeypatch):
    items = _items(450)
    items[100] = SourceItem("100", "x" * 200_001, items[100].published)  # fails in the worker too
    items.append(SourceItem("1", items[0].text + " Обновлено.", items[0].published))  # an edit, same run
    inline = ingest(engine, SourceSpec("a", "jsonl", "regional"), items, batch_size=64)
    # a second source in the same database, extracted ahead: by the worker, or here from the tasks it had not
    # started yet (``_Ahead.results``), never item by item after the fact
    here: list[str] = []
    real = ingest_mod._extract
    monkeypatch.setattr(ingest_mod, "_extract", lambda item: here.append(item.external_id) or real(item))
    ahead = ingest(engine, SourceSpec("b", "jsonl", "regional"), items, batch_size=64, workers=1)
    assert (ahead.new, ahead.updated, ahead.claims) == (inline.new, inline.updated, inline.claims)
    assert [r.reason for r in ahead.rejected] == [r.reason for r in inline.rejected]
    expected = _claims(engine, inline.source_id)
    assert len(expected) == inline.claims
    assert _claims(engine, ahead.source_id) == expected
    assert here == []
