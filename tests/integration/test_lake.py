"""Files in a lake: ``path:`` datasets (Parquet or CSV, a file or a glob) read through
DuckDB and audited like tables: profile, checks, GX suites, samples, lineage naming."""

# ruff: noqa: S608 - these tests write fixtures and attempt writes on purpose, with quoted names

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import great_expectations as gx
import pytest
import sqlalchemy as sa
import yaml
from great_expectations import expectations as gxe

from preflight.config import load_config
from preflight.engines import engine_for_dataset
from preflight.errors import ConfigError
from preflight.measure.audit import audit_dataset
from preflight.measure.checks.lineage.naming import catalog_identities
from preflight.measure.profile import profile_table
from preflight.model.results import DatasetStatus

ROWS = 1_000_000


def _write(sql: str) -> None:
    """Build a lake file with a DuckDB of the test's own (not Preflight's guarded one)."""
    conn = duckdb.connect()
    try:
        conn.execute("SET enable_progress_bar = false")
        conn.execute(sql)
    finally:
        conn.close()


@pytest.fixture(scope="module")
def big_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lake") / "big.parquet"
    _write(
        f"""COPY (SELECT range AS id,
                   (range * 7919) % 100003 AS bucket,
                   CASE WHEN range % 17 = 0 THEN NULL ELSE (range % 1000) / 7.0 END AS amount,
                   CASE WHEN range % 13 = 0 THEN NULL ELSE 'name_' || (range % 50000)::VARCHAR END AS name,
                   DATE '2020-01-01' + (range % 2000)::INTEGER AS day,
                   range % 3 = 0 AS flag
            FROM range({ROWS})) TO '{path}' (FORMAT parquet)"""
    )
    return path


def _config(tmp_path: Path, datasets: dict, **extra: object):  # noqa: ANN202
    folder = tmp_path / "config"
    folder.mkdir(exist_ok=True)
    body = {"datasets": datasets, **extra}
    (folder / "catalog.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
    return load_config(folder)


def test_a_million_row_parquet_file_is_profiled_in_one_statement_like_pandas(big_parquet, tmp_path) -> None:  # noqa: ANN001
    config = _config(tmp_path, {"big": {"path": str(big_parquet)}})
    engine = engine_for_dataset(config, "big")
    profile = profile_table(engine, config.datasets["big"].table)

    reader = duckdb.connect()
    frame = reader.execute(f"SELECT * FROM read_parquet('{big_parquet}')").df()
    reader.close()

    assert profile.statements == 1
    assert profile.row_count == len(frame) == ROWS
    columns = {c.name: c for c in profile.columns}
    assert [c.kind for c in profile.columns] == ["numeric", "numeric", "numeric", "text", "temporal", "boolean"]
    for name in ("id", "bucket", "amount", "name", "day", "flag"):
        series = frame[name]
        figures = columns[name]
        assert figures.null_count == int(series.isna().sum()), name
        assert figures.distinct_count == series.nunique(), name
    for name in ("id", "bucket", "amount"):
        series, figures = frame[name], columns[name]
        assert (figures.min, figures.max) == (series.min(), series.max()), name
        # Means and standard deviations are sums of a million floats: the summation order
        # differs, so they agree to the last few bits, not bit for bit.
        assert math.isclose(figures.mean, series.mean(), rel_tol=1e-12), name
        assert math.isclose(figures.stddev, series.std(), rel_tol=1e-12), name
    names, lengths = frame["name"].dropna(), frame["name"].dropna().str.len()
    text = columns["name"]
    assert (text.min, text.max) == (names.min(), names.max())
    assert (text.min_length, text.max_length) == (lengths.min(), lengths.max())
    assert math.isclose(text.mean_length, lengths.mean(), rel_tol=1e-12)
    assert text.empty_count == int((lengths == 0).sum())
    day = columns["day"]
    assert (str(day.min)[:10], str(day.max)[:10]) == (
        str(frame["day"].min().date()),
        str(frame["day"].max().date()),
    )
    assert (columns["flag"].min, columns["flag"].max) == (False, True)


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    """A lake beside the configuration: events in two Parquet parts, tickets in a CSV."""
    root = tmp_path / "config" / "lake"
    (root / "events").mkdir(parents=True)
    for part, start in (("a", 0), ("b", 50)):
        _write(
            f"""COPY (SELECT range AS event_id, range % 7 AS user_id,
                       CASE WHEN range % 2 = 0 THEN 'view' ELSE 'click' END AS kind,
                       TIMESTAMP '2026-11-29 00:00:00' + INTERVAL (range) MINUTE AS at
                FROM range({start}, {start + 50})) TO '{root / "events" / f"part-{part}.parquet"}' (FORMAT parquet)"""
        )
    (root / "tickets.csv").write_text(
        "ticket_id,body\n1,printer is broken\n2,write to ann.leak@example.com please\n3,all good\n",
        encoding="utf-8",
    )
    return root


def test_path_datasets_are_audited_like_tables(lake, tmp_path) -> None:  # noqa: ANN001
    config = _config(
        tmp_path,
        {
            "events": {
                "path": "lake/events/*.parquet",
                "primary_key": ["event_id"],
                "accepted_values": {"kind": ["view", "click"]},
                "patterns": {"kind": "^[a-z]+$"},
                "freshness": {"column": "at", "slo": "3650d"},
                "owner": "data-platform",
                "description": "Product events, one Parquet part per day",
            },
            "tickets": {"path": "lake/tickets.csv", "text_columns": ["body"]},
        },
        settings={"expectations_dir": str(tmp_path / "expectations")},
    )
    assert config.sources["duckdb"].url == "duckdb:///:memory:"  # the implicit in-memory DuckDB
    suite = gx.ExpectationSuite(
        name="events",
        expectations=[
            gxe.ExpectTableRowCountToEqual(value=100),
            gxe.ExpectColumnValuesToBeUnique(column="event_id"),
            gxe.ExpectColumnValuesToBeBetween(column="user_id", min_value=0, max_value=6),
        ],
    )
    (tmp_path / "expectations").mkdir()
    (tmp_path / "expectations" / "events.json").write_text(json.dumps(suite.to_json_dict()), encoding="utf-8")

    events = audit_dataset(config, "events")
    assert events.status is DatasetStatus.OK, events.reason
    assert events.row_count == 100  # both parts of the glob
    failing = [c.message for c in events.checks if not c.passed and not c.id.startswith("discoverability")]
    assert [m for m in failing if "lineage" not in m] == []
    assert events.facts["gx"] == {"suite": "events.json", "evaluated": 3, "successful": 3, "not_evaluated": 0}

    tickets = audit_dataset(config, "tickets")
    assert tickets.status is DatasetStatus.OK, tickets.reason
    assert tickets.facts["sampling"]["body"]["size"] == 3
    privacy = [c for c in tickets.checks if c.dimension.value == "privacy" and not c.passed]
    assert privacy, "the e-mail address in the CSV was not found in the sample"
    assert "ann.leak@example.com" not in tickets.model_dump_json()

    identities = catalog_identities(config)
    assert identities["events"] == ("file", str((tmp_path / "config" / "lake" / "events" / "*.parquet").resolve()))
    assert identities["tickets"] == ("file", str((tmp_path / "config" / "lake" / "tickets.csv").resolve()))


def test_a_path_that_matches_nothing_costs_that_dataset(lake, tmp_path) -> None:  # noqa: ANN001
    config = _config(
        tmp_path, {"gone": {"path": "lake/nothing-here/*.parquet"}, "tickets": {"path": "lake/tickets.csv"}}
    )
    gone = audit_dataset(config, "gone")
    assert gone.status is DatasetStatus.UNREACHABLE
    assert gone.reason == "no readable file matches path 'lake/nothing-here/*.parquet'"
    assert audit_dataset(config, "tickets").status is DatasetStatus.OK


def test_the_lake_connection_reads_only_its_own_files(lake, tmp_path) -> None:  # noqa: ANN001
    config = _config(tmp_path, {"tickets": {"path": "lake/tickets.csv"}})
    engine = engine_for_dataset(config, "tickets")
    outside = tmp_path / "outside.csv"
    outside.write_text("a\n1\n", encoding="utf-8")
    attempts = [
        "CREATE TABLE intruder (x INTEGER)",
        "DROP VIEW \"lake/tickets.csv\"",
        f"COPY (SELECT 1) TO '{tmp_path / 'written.csv'}'",
        f"SELECT * FROM read_csv('{outside}')",
        f"ATTACH '{tmp_path / 'other.duckdb'}' AS other",
        "SET enable_external_access = true",
        "INSTALL httpfs",
    ]
    carried_out = []
    for sql in attempts:
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(sql)
            carried_out.append(sql)
        except sa.exc.DBAPIError:
            pass
    assert carried_out == []
    assert not (tmp_path / "written.csv").exists() and not (tmp_path / "other.duckdb").exists()
    with engine.connect() as conn:
        assert conn.exec_driver_sql('SELECT count(*) FROM "lake/tickets.csv"').scalar() == 3


def test_path_and_table_are_exclusive_and_paths_need_duckdb(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(ConfigError, match="exactly one of 'table' or 'path'"):
        _config(tmp_path, {"x": {"source": "db", "table": "t", "path": "a.parquet"}},
                sources={"db": {"url": "duckdb:///:memory:"}})
    with pytest.raises(ConfigError, match="source"):
        _config(tmp_path, {"x": {"table": "t"}})
    with pytest.raises(ConfigError, match=r"\.parquet"):
        _config(tmp_path, {"x": {"path": "data.xlsx"}})
    with pytest.raises(ConfigError, match="'schema' does not apply"):
        _config(tmp_path, {"x": {"path": "a.parquet", "schema": "s"}})
