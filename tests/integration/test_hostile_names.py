"""Hostile names: a table and columns whose names hold quotes, back-ticks, semicolons,
comment markers, spaces, unicode, mixed case and reserved words are audited correctly
(profile, built-in checks, a GX suite, suggest, discover) on every engine, and the
``DROP TABLE`` in the table's name never runs: the victim table survives.

On PostgreSQL and MariaDB the test works in a schema (database) of its own, so that
discovery sees only its tables.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import great_expectations as gx
import pytest
import sqlalchemy as sa
import yaml
from great_expectations import expectations as gxe
from sqlalchemy.sql.elements import quoted_name

from preflight.authoring.discover import discover_source, write_catalog_entries
from preflight.authoring.suggest import write_suggested_suite
from preflight.config import load_config
from preflight.engines import engine_for
from preflight.measure.audit import audit_dataset
from preflight.measure.checks.gx_suite import run_suite_detailed
from preflight.measure.profile import profile_table
from preflight.model.results import DatasetStatus

KEY = "nothing"  # a SQLite keyword SQLAlchemy does not know to quote
NUMBER = "select"
CHOICE = "order"
CODE = "MixedCase"
TEXT_COLUMNS = [
    'dq"uote',
    "it's",
    "back`tick",
    "semi;colon",
    "dash -- comment",
    "/* star */",
    "with space",
    "ünïcødé ✓",
]
ROWS = [
    {KEY: i, NUMBER: i * 10, CHOICE: "ab"[i % 2], CODE: f"Code{i}", **{c: f"v{i}" for c in TEXT_COLUMNS}}
    for i in range(1, 7)
]


def _hostile_table(victim: str) -> str:
    return f"x\"y'z`w; DROP TABLE {victim}; -- /*"


@pytest.fixture
def place(any_scratch) -> Iterator[str | None]:  # noqa: ANN001
    """The schema the test's tables live in (None: the database's default)."""
    if any_scratch.dialect not in ("postgresql", "mariadb"):
        yield None
        return
    schema = f"pf_hostile_{uuid.uuid4().hex[:8]}"
    quoted = any_scratch.engine.dialect.identifier_preparer.quote_identifier(schema)
    kind = "SCHEMA" if any_scratch.dialect == "postgresql" else "DATABASE"
    with any_scratch.engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE {kind} {quoted}")
    try:
        yield schema
    finally:
        cascade = " CASCADE" if any_scratch.dialect == "postgresql" else ""
        with any_scratch.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP {kind} IF EXISTS {quoted}{cascade}")


def _build(scratch, schema: str | None) -> tuple[sa.Table, sa.Table]:  # noqa: ANN001
    meta = sa.MetaData(schema=schema)
    victim = sa.Table(scratch.name("victim"), meta, sa.Column("id", sa.Integer))
    hostile = sa.Table(
        _hostile_table(victim.name),
        meta,
        # The writable scratch engine quotes only what SQLAlchemy knows needs it.
        sa.Column(quoted_name(KEY, True), sa.Integer, primary_key=True, autoincrement=False),
        sa.Column(NUMBER, sa.Integer),
        sa.Column(CHOICE, sa.String(10)),
        sa.Column(CODE, sa.String(20)),
        *(sa.Column(c, sa.String(20)) for c in TEXT_COLUMNS),
    )
    for table, rows in ((victim, [{"id": 1}]), (hostile, ROWS)):
        table.create(scratch.engine)
        with scratch.engine.begin() as conn:
            conn.execute(table.insert(), rows)
        if schema is None:
            scratch.created.append(table)
    scratch.release()
    return victim, hostile


def _write_config(tmp_path: Path, url: str, entries: dict) -> Path:  # noqa: ANN001
    folder = tmp_path / "config"
    folder.mkdir(exist_ok=True)
    body = {
        "settings": {"expectations_dir": str(tmp_path / "expectations")},
        "sources": {"db": {"url": url}},
        "datasets": entries,
    }
    (folder / "catalog.yaml").write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
    return folder


def _suite(tmp_path: Path, dataset: str) -> Path:
    expectations = [
        gxe.ExpectTableRowCountToEqual(value=len(ROWS)),
        gxe.ExpectColumnValuesToBeUnique(column=KEY),
        gxe.ExpectColumnValuesToBeBetween(column=NUMBER, min_value=0, max_value=100),
        gxe.ExpectColumnValuesToBeInSet(column=CHOICE, value_set=["a", "b"]),
        *(gxe.ExpectColumnValuesToNotBeNull(column=c) for c in [CODE, *TEXT_COLUMNS]),
    ]
    suite = gx.ExpectationSuite(name=dataset, expectations=expectations)
    path = tmp_path / "expectations" / f"{dataset}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(suite.to_json_dict()), encoding="utf-8")
    return path


def _victim_survives(engine: sa.Engine, victim: sa.Table) -> None:
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(victim)).scalar_one() == 1


def test_hostile_names_are_audited_and_the_victim_survives(any_scratch, place, tmp_path) -> None:  # noqa: ANN001
    victim, hostile = _build(any_scratch, place)
    entry = {
        "source": "db",
        "table": str(hostile.name),
        "primary_key": [KEY],
        "required_columns": [CODE, *TEXT_COLUMNS],
        "unique_columns": ["semi;colon"],
        "accepted_values": {CHOICE: ["a", "b"]},
        "ranges": {NUMBER: {"min": 0, "max": 100}, KEY: {"min": 1}},
        "patterns": {CODE: "^Code[0-9]+$"},
        "columns": {KEY: "integer", NUMBER: "integer", CHOICE: "varchar", "it's": "varchar"},
        "text_columns": ["with space"],
    }
    if place:
        entry["schema"] = place
    config = load_config(_write_config(tmp_path, any_scratch.url, {"hostile": entry}))
    _suite(tmp_path, "hostile")

    audit = audit_dataset(config, "hostile")

    assert audit.status is DatasetStatus.OK, audit.reason
    assert audit.row_count == len(ROWS)
    assert {c.name for c in audit.profile.columns} == {KEY, NUMBER, CHOICE, CODE, *TEXT_COLUMNS}
    by_id = {c.id: c for c in audit.checks}
    assert not [c.id for c in audit.checks if c.id.endswith("probe_error")], [
        c.message for c in audit.checks if c.id.endswith("probe_error")
    ]
    expected_passing = [
        f"quality.completeness.{KEY}",
        *(f"quality.completeness.{c}" for c in TEXT_COLUMNS),
        "quality.uniqueness.primary_key",
        "quality.uniqueness.semi;colon",
        f"quality.validity.accepted_values.{CHOICE}",
        f"quality.validity.range.{NUMBER}",
        f"quality.validity.range.{KEY}",
        f"quality.validity.pattern.{CODE}",
        "quality.schema",
    ]
    failing = [i for i in expected_passing if i not in by_id or not by_id[i].passed]
    assert failing == [], [by_id[i].message for i in failing if i in by_id]
    gx_checks = [c for c in audit.checks if c.id.startswith("quality.gx.")]
    assert len(gx_checks) == 5 + len(TEXT_COLUMNS) and all(c.passed for c in gx_checks), [
        c.message for c in gx_checks if not c.passed
    ]
    assert audit.facts["gx"]["evaluated"] == len(gx_checks)
    assert audit.facts["sampling"]["with space"]["size"] == len(ROWS)  # sampled through the guard

    engine = engine_for(config.sources["db"])
    _victim_survives(engine, victim)


def test_suggest_and_discover_handle_hostile_names(any_scratch, place, tmp_path) -> None:  # noqa: ANN001
    victim, hostile = _build(any_scratch, place)
    # Discovery writes the hostile table into the catalog...
    config = load_config(_write_config(tmp_path, any_scratch.url, {}))
    entries = discover_source(config, "db", schema=place)
    (name,) = [n for n, e in entries.items() if e["table"] == hostile.name]
    assert set(entries[name]["columns"]) == {KEY, NUMBER, CHOICE, CODE, *TEXT_COLUMNS}
    write_catalog_entries(entries, tmp_path / "config" / "discovered.yaml")
    config = load_config(tmp_path / "config")

    # ... suggest baselines a suite from its profile, verified by GX on the table ...
    engine = engine_for(config.sources["db"])
    profile = profile_table(engine, hostile.name, place)
    path = write_suggested_suite(
        profile,
        dataset=name,
        path=tmp_path / "expectations" / f"{name}.json",
        primary_key=[KEY],
        engine=engine,
    )
    run = run_suite_detailed(engine, hostile.name, path, schema=place, dataset=name)
    assert run.not_evaluated == 0 and run.evaluated == run.successful > len(TEXT_COLUMNS)

    # ... and the discovered entry is audited like any other.
    audit = audit_dataset(config, name)
    assert audit.status is DatasetStatus.OK, audit.reason
    assert not [c.message for c in audit.checks if c.id.endswith("probe_error")]
    _victim_survives(engine, victim)
