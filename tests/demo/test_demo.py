"""The demo generator: deterministic, coherent per night, readable by the extractor, loadable."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from tocsin import demo
from tocsin.domain import Authority, SourceItem
from tocsin.ingest import SourceSpec

NOW = datetime(2025, 9, 6, 12, 0, tzinfo=UTC)
SEED_TEXT = (
    "уничтожены девять БПЛА. Пострадавших нет, объекты инфраструктуры не повреждены. На места падения "
    "обломков направлены экстренные службы."
)


@pytest.fixture(scope="module")
def statements() -> list[demo.Statement]:
    return demo.statements(21, demo.DEFAULT_SEED, now=NOW)


def test_same_seed_same_data_other_seed_other_data() -> None:
    def flat(seed: int) -> list[tuple[str, str, str, str]]:
        return [
            (spec.name, item.external_id, item.text, item.published.isoformat())
            for spec, items in demo.generate(14, seed, now=NOW)
            for item in items
        ]

    assert flat(5) == flat(5)
    assert flat(5) != flat(6)


def test_generate_shape() -> None:
    out = demo.generate(21, 1, now=NOW)
    names = [spec.name for spec, _ in out]
    assert len(names) == len(set(names)) >= 12
    for spec, items in out:
        assert isinstance(spec, SourceSpec)
        assert spec.name.endswith("[demo]")
        assert spec.url.startswith("https://example.org/")
        ids = [item.external_id for item in items]
        assert len(ids) == len(set(ids))
        for item in items:
            assert isinstance(item, SourceItem)
            assert item.published.utcoffset() is not None
            assert item.published <= NOW
            assert item.url.startswith(spec.url + "/")
            assert item.lang in ("ru", "uk", "en")
        # numbered in publication order, like a channel's posts
        assert [i.published for i in items] == sorted(i.published for i in items)
    authorities = {spec.authority for spec, _ in out}
    assert authorities == {Authority.REGIONAL, Authority.FEDERAL, Authority.MEDIA}


def test_three_languages_many_regions_all_kinds(statements: list[demo.Statement]) -> None:
    langs = Counter(demo.SOURCES[s.source].lang for s in statements)
    assert set(langs) == {"ru", "uk", "en"}
    regions = {iso for s in statements for iso in s.expect.get("regions", {})}
    assert len(regions) >= 10
    kinds = Counter(s.expect["kind"] for s in statements)
    assert kinds["interception"] > 100 and kinds["attack_no_outcome"] > 30 and kinds["not_incident"] >= 1
    statuses = Counter(s.expect.get("status") for s in statements)
    assert statuses["danger"] >= 10 and statuses["clear"] >= 10
    assert any(s.expect.get("killed") for s in statements)
    assert any(s.expect.get("injured") for s in statements)
    # times carry their offsets: Moscow +03:00, Kyiv +02:00/+03:00, the wire in UTC
    offsets = {s.published.utcoffset() for s in statements}
    assert timedelta(hours=3) in offsets and timedelta(0) in offsets


def test_the_mod_list_adds_up_to_its_total(statements: list[demo.Statement]) -> None:
    bulletins = [s for s in statements if s.source == "mod-ru"]
    assert len(bulletins) >= 15
    for s in bulletins:
        total = int(re.search(r"уничтожены? (\d+) ", s.text).group(1))
        listed = [int(n) for n in re.findall(r"(\d+) – над территорией", s.text)]
        if len(s.expect["regions"]) == 1:  # "… уничтожены 5 … над территорией X": no list
            assert not listed
            listed = [total]
        assert total == sum(listed) == s.expect["total"] == sum(s.expect["regions"].values()), s.text


def test_governors_mostly_agree_sometimes_differ_by_one_or_keep_quiet(statements) -> None:
    mod: dict[tuple[str, object], int] = {}
    for s in statements:
        if s.source == "mod-ru" and s.published.astimezone(demo.MSK).hour < 11:
            for iso, n in s.expect["regions"].items():
                mod[iso, s.published.astimezone(demo.MSK).date()] = n
    outcome = Counter()
    for s in statements:
        if not s.source.startswith("gov-") or s.expect["kind"] != "interception":
            continue
        ((iso, figure),) = s.expect["regions"].items()
        theirs = mod[iso, s.published.astimezone(demo.MSK).date()]
        if figure is None:
            outcome["undisclosed"] += 1
        else:
            assert abs(figure - theirs) <= 1
            outcome["same" if figure == theirs else "off by one"] += 1
    assert outcome["same"] > outcome["off by one"] >= 3
    assert outcome["undisclosed"] >= 3


def test_the_seed_night_is_the_latest(statements: list[demo.Statement]) -> None:
    seeds = [s for s in statements if s.expect.get("seed")]
    assert len(seeds) == 1
    seed = seeds[0]
    assert seed.source == "gov-smo" and SEED_TEXT in seed.text
    assert seed.expect["regions"] == {"RU-SMO": 9}
    night = seed.published.astimezone(demo.MSK).date()
    assert night == max(s.published.astimezone(demo.MSK).date() for s in statements if s.source == "mod-ru")
    mod = [s for s in statements if s.source == "mod-ru" and s.published.astimezone(demo.MSK).date() == night]
    assert mod[0].expect["regions"]["RU-SMO"] == 9


def test_smolensk_nights_grow_more_frequent() -> None:
    halves = Counter()
    for seed in range(5):
        nights = sorted({s.published.astimezone(demo.MSK).date() for s in demo.statements(28, seed, now=NOW)})
        mid = nights[len(nights) // 2]
        for s in demo.statements(28, seed, now=NOW):
            if s.source == "mod-ru" and "RU-SMO" in s.expect["regions"]:
                halves["late" if s.published.astimezone(demo.MSK).date() >= mid else "early"] += 1
    assert halves["late"] > 1.5 * halves["early"]


def test_nothing_from_the_future() -> None:
    now = datetime(2025, 9, 6, 6, 30, tzinfo=UTC)  # 09:30 in Moscow: part of the morning is still to come
    out = demo.statements(3, 1, now=now)
    assert out and max(s.published for s in out) <= now


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        demo.statements(0, 1, now=NOW)
    with pytest.raises(ValueError):
        demo.statements(3, 1, now=datetime(2025, 9, 6, 12))


def test_plural_forms() -> None:
    forms = ("беспилотник", "беспилотника", "беспилотников")
    assert [demo.plural(n, *forms) for n in (1, 2, 5, 11, 12, 21, 22, 25, 111)] == [
        "беспилотник", "беспилотника", "беспилотников", "беспилотников", "беспилотников",
        "беспилотник", "беспилотника", "беспилотников", "беспилотников",
    ]  # fmt: skip


def test_the_extractor_reads_what_the_generator_wrote(statements: list[demo.Statement]) -> None:
    """The templates are written to be read: every figure the generator put in, the extractor takes out."""
    from tocsin.extract import extract
    from tocsin.status import classify

    misses: dict[str, list[str]] = defaultdict(list)
    checked = Counter()
    for s in statements:
        claim = extract(s.text, lang=demo.SOURCES[s.source].lang, published=s.published)
        got = {
            "kind": str(claim.kind),
            "regions": {r.iso: r.destroyed for r in claim.per_region},
            "total": claim.total_destroyed,
            "launched": claim.launched,
            "killed": claim.killed,
            "injured": claim.injured,
            "status": classify(s.text),
        }
        for key, want in s.expect.items():
            if key == "seed":
                continue
            checked[key] += 1
            if got[key] != want:
                misses[key].append(f"want {want!r}, got {got[key]!r}: {s.text}")
    for key, count in checked.items():
        assert len(misses[key]) <= count // 50, "\n".join(misses[key][:5])  # ≥ 98 % per field


# ------------------------------------------------------------------------------------------- loading


def _load_and_check(engine) -> None:
    from sqlalchemy import func, select

    from tocsin.store.engine import upgrade
    from tocsin.store.models import Incident, Message, RegionStatus

    upgrade(engine)
    assert demo.is_empty(engine)
    summary = demo.load(engine, 21, demo.DEFAULT_SEED, now=NOW)
    assert not summary.rejected
    assert summary.sources == len(demo.SOURCES)
    assert summary.messages == summary.claims == len(demo.statements(21, demo.DEFAULT_SEED, now=NOW))
    assert not demo.is_empty(engine)
    with engine.connect() as conn:
        live = conn.execute(select(Incident).where(Incident.deleted_at.is_(None))).all()
        assert summary.incidents == len(live) > 100
        assert len({i.iso for i in live}) >= 12
        assert sum(1 for i in live if i.disagreements) >= 3
        (seed,) = [
            i for i in live if i.iso == "RU-SMO" and i.window_start.date() == datetime(2025, 9, 5).date()
        ]
        assert seed.consensus["destroyed"]["value"] == 9
        assert seed.consensus["injured"]["value"] == 0
        assert conn.scalar(select(func.count()).select_from(RegionStatus)) == summary.statuses > 20
        messages = conn.scalar(select(func.count()).select_from(Message))
    again = demo.load(engine, 21, demo.DEFAULT_SEED, now=NOW)  # the same export twice changes nothing
    assert again.messages == again.claims == 0 and again.incidents == summary.incidents
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Message)) == messages


def test_load_sqlite(tmp_path) -> None:
    from tocsin.store.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        _load_and_check(engine)
    finally:
        engine.dispose()


def test_load_postgresql() -> None:
    import os
    import secrets

    from sqlalchemy import text

    from tocsin.store.engine import make_engine

    admin = os.environ.get("TOCSIN_TEST_DATABASE_URL", "").strip()
    if not admin:
        pytest.skip("PostgreSQL: TOCSIN_TEST_DATABASE_URL not set")
    schema = f"demo_{secrets.token_hex(6)}"
    admin_engine = make_engine(admin, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(admin, connect_args={"options": f"-csearch_path={schema}"})
    try:
        _load_and_check(engine)
    finally:
        engine.dispose()
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin_engine.dispose()
