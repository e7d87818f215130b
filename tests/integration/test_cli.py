"""The CLI end to end: `profile` on every engine, `suggest` on a demo dataset."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import great_expectations as gx
import pandas as pd
import pytest
import sqlalchemy as sa

from preflight.airflow.demo.warehouse import build_warehouse
from preflight.measure.checks.gx_suite import run_suite

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "preflight.cli", *args], capture_output=True, text=True, env={**os.environ, **(env or {})}
    )


def test_profile_command_matches_pandas(scratch) -> None:  # noqa: ANN001
    table = scratch.create(
        sa.Table(scratch.name("Mixed Case"), sa.MetaData(),
                 sa.Column("Order", sa.Integer), sa.Column("note text", sa.String(50))),
        [{"Order": 3, "note text": "a"}, {"Order": None, "note text": "bb"}, {"Order": 7, "note text": ""}],
    )
    done = _cli("profile", "--url", scratch.url, "--table", str(table.name))
    assert done.returncode == 0, done.stderr
    profile = json.loads(done.stdout)
    frame = pd.DataFrame({"Order": [3, None, 7], "note text": ["a", "bb", ""]})
    columns = {c["name"]: c for c in profile["columns"]}
    assert profile["row_count"] == len(frame)
    assert columns["Order"]["null_count"] == int(frame["Order"].isna().sum())
    assert columns["Order"]["distinct_count"] == frame["Order"].nunique()
    assert (columns["Order"]["min"], columns["Order"]["max"]) == (3, 7)
    assert columns["Order"]["mean"] == pytest.approx(frame["Order"].mean())
    assert columns["note text"]["empty_count"] == 1
    assert columns["note text"]["max_length"] == 2


def test_profile_command_missing_table_exits_2(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "x.db").close()
    done = _cli("profile", "--url", f"sqlite:///{tmp_path / 'x.db'}", "--table", "nope")
    assert done.returncode == 2
    assert "nope" in done.stderr


def test_profile_command_never_creates_a_missing_database(tmp_path: Path) -> None:
    done = _cli("profile", "--url", f"sqlite:///{tmp_path / 'x.db'}", "--table", "nope")
    assert done.returncode == 2
    assert "does not exist" in done.stderr and not (tmp_path / "x.db").exists()


def test_suggest_on_a_demo_dataset(tmp_path: Path) -> None:
    home = tmp_path / "home"
    build_warehouse(home / "demo" / "warehouse.db")
    config = tmp_path / "config"
    shutil.copytree(REPO / "include" / "config", config)
    expectations = tmp_path / "expectations"
    env = {"PREFLIGHT_HOME": str(home), "PREFLIGHT_EXPECTATIONS": str(expectations)}

    done = _cli("suggest", "seat_sales", "--config", str(config), env=env)
    assert done.returncode == 0, done.stderr
    suite_path = expectations / "seat_sales.json"
    suite = json.loads(suite_path.read_text())
    gx.ExpectationSuite(**{k: v for k, v in suite.items() if k in ("name", "expectations", "meta", "id", "notes")})

    engine = sa.create_engine(f"sqlite:///{home / 'demo' / 'warehouse.db'}")
    assert all(c.passed for c in run_suite(engine, "seat_sales", suite_path, dataset="seat_sales"))

    for expectation in suite["expectations"]:
        if expectation["type"] == "expect_column_values_to_be_between" and expectation["kwargs"]["column"] == "price":
            expectation["kwargs"]["max_value"] = 20  # tighter than the data
    suite_path.write_text(json.dumps(suite))
    failed = [c for c in run_suite(engine, "seat_sales", suite_path, dataset="seat_sales") if not c.passed]
    assert [c.details["column"] for c in failed] == ["price"]

    again = _cli("suggest", "seat_sales", "--config", str(config), env=env)
    assert again.returncode == 2 and "exists" in again.stderr
    assert json.loads(suite_path.read_text())["expectations"] == suite["expectations"]  # untouched
    forced = _cli("suggest", "seat_sales", "--config", str(config), "--force", env=env)
    assert forced.returncode == 0
