"""The ingest pipeline hands the merge the claims it has just saved (not read back) and extracts in this
process what the workers have not started: the incidents and region statuses it leaves are exactly what a
full rebuild gives, whatever the arrival order, with edits, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import random
from concurrent.futures import Future

from incidents.helpers import full_merge_state, state
from tocsin import ingest as ingest_mod
from tocsin.domain import SourceItem
from tocsin.incidents import RefreshResult, refresh_all
from tocsin.ingest import SourceSpec, ingest
from tocsin.sources import read_path
from tocsin.store.engine import make_sessionmaker

from .exportgen import write_export

GOV = SourceSpec("governor", "telegram_export", "regional")


def test_shuffled_batches_and_edits_leave_what_a_rebuild_gives(engine, tmp_path):
    items = list(read_path(write_export(tmp_path / "result.json", 900, seed=5)))
    rng = random.Random(5)
    rng.shuffle(items)
    first = ingest(engine, GOV, items, batch_size=97)
    assert first.new == 900 and first.incidents.created > 100
    # edits: a tenth of the posts now say what another post said (other regions, alerts, all-clears)
    texts = [i.text for i in items]
    edits = [dataclasses.replace(i, text=rng.choice(texts) + " (уточнено)") for i in rng.sample(items, 90)]
    edits.append(dataclasses.replace(edits[0], text=edits[0].text + " Ещё раз."))  # twice in one batch
    second = ingest(engine, GOV, edits, batch_size=40)
    assert second.updated == 91
    with make_sessionmaker(engine)() as session:
        assert state(session) == full_merge_state(session)
        assert refresh_all(session) == RefreshResult()  # incidents and region statuses alike


def test_tasks_no_worker_has_started_are_extracted_here():
    items = [SourceItem(str(i), f"Ночью над Брянской областью сбиты {i + 1} БПЛА.", None) for i in range(3)]
    started: Future = Future()
    started.set_running_or_notify_cancel()  # a worker has it: its result is awaited
    started.set_result([ingest_mod._Failed("from the worker")])
    waiting: Future = Future()  # queued, not started: taken back and extracted in this process
    ahead = ingest_mod._Ahead([(items[:1], started), (items[1:], waiting)])
    out = ahead.results()
    assert out[id(items[0])] == ingest_mod._Failed("from the worker")
    assert [out[id(i)] for i in items[1:]] == [ingest_mod._extract(i) for i in items[1:]]
    assert waiting.cancelled()
