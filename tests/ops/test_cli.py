"""``tocsin unit add / list / status`` against a real database (SQLite and PostgreSQL) through ``--url``."""

from __future__ import annotations

from sqlalchemy import Engine, text

from ops.factory import report, user
from tocsin import audit, dispatch
from tocsin.cli import main
from tocsin.domain import Role, UnitStatus
from tocsin.store.engine import session_scope


def _url(engine: Engine) -> str:
    """The engine's URL, with the test's PostgreSQL schema as the search path (the fixture gives it to the
    engine as a connect argument, which a URL must carry itself)."""
    url = engine.url
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def test_unit_add_list_status(engine, capsys) -> None:
    url = _url(engine)
    assert main(["unit", "list", "--url", url]) == 0
    assert "no units yet" in capsys.readouterr().out
    assert main(["unit", "add", "Fire crew 12", "--kind", "fire crew", "--url", url]) == 0
    assert "'Fire crew 12' added (available)" in capsys.readouterr().out
    assert main(["unit", "add", "EOD 3", "--url", url]) == 0
    capsys.readouterr()
    assert main(["unit", "add", "Fire crew 12", "--url", url]) == 1
    assert "exists already" in capsys.readouterr().err
    assert main(["unit", "add", "   ", "--url", url]) == 1
    assert "empty" in capsys.readouterr().err

    assert main(["unit", "status", "EOD 3", "off_duty", "--note", "shift over", "--url", url]) == 0
    assert "available → off_duty" in capsys.readouterr().out
    assert main(["unit", "status", "nobody", "available", "--url", url]) == 1
    assert "no unit named 'nobody'" in capsys.readouterr().err
    assert main(["unit", "status", "EOD 3", "asleep", "--url", url]) == 2  # not a status: usage error
    capsys.readouterr()

    with session_scope(engine) as s:
        d = user(s, "dina", Role.DISPATCHER)
        r = report(s)
        crew = dispatch.find_unit(s, "Fire crew 12")
        row = dispatch.dispatch(s, crew.id, report_id=r.id, user=d)
        dispatch_id = row.id
    assert main(["unit", "list", "--url", url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert any("EOD 3" in line and "off_duty" in line for line in out)
    assert any(
        "Fire crew 12" in line and "[fire crew]" in line and f"dispatch #{dispatch_id}" in line
        for line in out
    )
    assert main(["unit", "status", "Fire crew 12", "off_duty", "--url", url]) == 1
    assert "advance or cancel" in capsys.readouterr().err

    with session_scope(engine) as s:
        eod = dispatch.find_unit(s, "EOD 3")
        assert eod.status is UnitStatus.OFF_DUTY and eod.note == "shift over"
        events = audit.history(s, "unit", eod.id)
        assert [(e.actor, e.action) for e in events] == [("cli", "unit.add"), ("cli", "unit.status")]


def test_unit_commands_report_a_missing_schema(tmp_path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main(["unit", "list", "--url", url]) == 1
    assert "tocsin db upgrade" in capsys.readouterr().err
    assert main(["unit", "add", "X", "--url", "nosuchdriver://x"]) == 1
    assert "cannot open the database" in capsys.readouterr().err
