"""No data and no secrets in anything Preflight writes or prints.

Planted values (an e-mail address, a national id) sit in the audited data, a view makes
the driver quote one of them in an error (where the engine raises one), and the source's
password holds ``@``, ``:``, ``/`` and more, reaching the URL through ``${VAR}``. After a
whole audit, a gate and a CLI profile, every output is searched for them: the reports,
the results store, Preflight's OpenLineage events (everything under PREFLIGHT_HOME), the
logs, stdout and stderr.
"""

# ruff: noqa: S608 - these tests write fixtures and attempt writes on purpose, with quoted names

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import great_expectations as gx
import pytest
import sqlalchemy as sa
import yaml
from great_expectations import expectations as gxe

from preflight.config import load_config
from preflight.model.results import DatasetStatus
from preflight.run.pipeline import run_audit

EMAIL = "ann.leak@example.com"
NATIONAL_ID = "987-65-4321"
PASSWORD = "p@ss:w/rd%40#?&x"
REPO = Path(__file__).resolve().parents[2]


def _needles() -> list[str]:
    return [
        EMAIL,
        NATIONAL_ID,
        NATIONAL_ID.replace("-", ""),
        PASSWORD,
        quote(PASSWORD, safe=""),
        quote_plus(PASSWORD),
        "ss:w/rd",  # the tail a broken URL would show
    ]


@pytest.fixture
def audited_url(any_scratch) -> Iterator[str]:  # noqa: ANN001
    """The scratch database's URL as an audit sees it: through a password in ``${PF_LEAK_PASSWORD}``."""
    url = sa.make_url(any_scratch.url)

    def with_password(user: str | None) -> str:
        return f"{url.drivername}://{user}:${{PF_LEAK_PASSWORD}}@{url.host}:{url.port}/{url.database}"

    if any_scratch.dialect == "postgresql":
        # Local trust authentication ignores the password; it still travels everywhere a real one would.
        yield with_password(url.username)
    elif any_scratch.dialect == "mariadb":
        user = f"pf_leak_{uuid.uuid4().hex[:8]}"
        with any_scratch.engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE USER '{user}'@'%%' IDENTIFIED BY '{PASSWORD.replace('%', '%%')}'")
            conn.exec_driver_sql(f"GRANT SELECT ON `{url.database}`.* TO '{user}'@'%%'")
        try:
            yield with_password(user)
        finally:
            with any_scratch.engine.begin() as conn:
                conn.exec_driver_sql(f"DROP USER IF EXISTS '{user}'@'%%'")
    else:
        yield any_scratch.url  # SQLite and DuckDB files have no password


def _plant(scratch) -> dict[str, str]:  # noqa: ANN001
    people = sa.Table(
        scratch.name("people"),
        sa.MetaData(),
        sa.Column("id", sa.Integer),
        sa.Column("email", sa.String(60)),
        sa.Column("national_id", sa.String(20)),
        sa.Column("note", sa.Text),
    )
    scratch.create(
        people,
        [
            {"id": 1, "email": EMAIL, "national_id": NATIONAL_ID, "note": f"mail {EMAIL} or call {NATIONAL_ID}"},
            {"id": 2, "email": "bob@example.org", "national_id": "123-45-6780", "note": "nothing to see"},
        ],
    )
    tables = {"people": str(people.name)}
    if scratch.dialect in ("postgresql", "duckdb"):
        # Casting the id to a number fails, and the driver's message quotes the value.
        view = scratch.name("people_cast")
        preparer = scratch.engine.dialect.identifier_preparer
        with scratch.engine.begin() as conn:
            conn.exec_driver_sql(
                f"CREATE VIEW {preparer.quote_identifier(view)} AS SELECT CAST(national_id AS INTEGER) AS n "
                f"FROM {preparer.quote_identifier(people.name)}"
            )
        tables["people_cast"] = view
    scratch.release()
    return tables


def _config(tmp_path: Path, url: str, tables: dict[str, str], dialect: str) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    sources = {"db": {"url": url}}
    datasets = {
        name: {"source": "db", "table": table, "text_columns": ["note"] if name == "people" else []}
        for name, table in tables.items()
    }
    if "${PF_LEAK_PASSWORD}" in url:
        # The same credentials against a database that does not exist: an error path.
        sources["wrong"] = {"url": url.rsplit("/", 1)[0] + "/preflight_no_such_db"}
        datasets["ghost"] = {"source": "wrong", "table": "people"}
    body = {
        "settings": {"expectations_dir": str(tmp_path / "expectations")},
        "sources": sources,
        "datasets": datasets,
        "use_cases": {"assistant": {"kind": "rag", "datasets": {"people": {"role": "documents"}}}},
    }
    (folder / "catalog.yaml").write_text(yaml.safe_dump(body), encoding="utf-8")
    suite = gx.ExpectationSuite(
        name="people",
        expectations=[
            gxe.ExpectColumnValuesToMatchRegex(column="email", regex=r"^bob@"),
            gxe.ExpectColumnValuesToBeInSet(column="national_id", value_set=["000-00-0000"]),
        ],
    )
    (tmp_path / "expectations").mkdir()
    (tmp_path / "expectations" / "people.json").write_text(json.dumps(suite.to_json_dict()), encoding="utf-8")
    return folder


def test_no_planted_value_or_password_reaches_any_output(
    any_scratch, audited_url, tmp_path, preflight_home, monkeypatch, caplog, capsys  # noqa: ANN001
) -> None:
    monkeypatch.setenv("PF_LEAK_PASSWORD", PASSWORD)
    monkeypatch.setenv("PREFLIGHT_LINEAGE_FILE", str(preflight_home / "lineage" / "events.jsonl"))
    caplog.set_level(logging.DEBUG)
    tables = _plant(any_scratch)
    try:
        _audit_and_search(any_scratch, audited_url, tables, tmp_path, preflight_home, caplog, capsys)
    finally:
        if "people_cast" in tables and any_scratch.dialect == "postgresql":
            with any_scratch.engine.begin() as conn:  # before its table is dropped
                conn.exec_driver_sql(f'DROP VIEW IF EXISTS "{tables["people_cast"]}"')


def _audit_and_search(scratch, audited_url, tables, tmp_path, preflight_home, caplog, capsys) -> None:  # noqa: ANN001
    folder = _config(tmp_path, audited_url, tables, scratch.dialect)

    run = run_audit(load_config(folder))

    audits = {a.name: a for a in run.datasets}
    assert audits["people"].status is DatasetStatus.OK, audits["people"].reason
    if "people_cast" in audits:  # the driver's error quoted the value; the reason must not
        assert audits["people_cast"].status is not DatasetStatus.OK
        assert "…" in audits["people_cast"].reason, audits["people_cast"].reason
    if "ghost" in audits:
        assert audits["ghost"].status is DatasetStatus.UNREACHABLE
    gx_checks = [c for c in audits["people"].checks if c.id.startswith("quality.gx.")]
    assert len(gx_checks) == 2 and not any(c.passed for c in gx_checks)  # they ran, and failed

    env = {**os.environ, "PREFLIGHT_HOME": str(preflight_home), "PF_LEAK_PASSWORD": PASSWORD}
    outputs = []
    for args in (
        ["gate", "assistant", "--config", str(folder)],
        ["profile", "--url", audited_url, "--table", tables.get("people_cast", tables["people"])],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "preflight.cli", *args], capture_output=True, text=True, env=env, cwd=REPO
        )
        outputs.append(done.stdout + done.stderr)
    captured = capsys.readouterr()
    outputs += [captured.out, captured.err, caplog.text]

    files = [p for p in preflight_home.rglob("*") if p.is_file()]
    assert any(p.name == "report.json" for p in files) and any(p.suffix == ".db" for p in files)
    assert any("lineage" in p.parts for p in files), "no OpenLineage events were written"
    leaks = []
    for needle in _needles():
        for path in files:
            if needle.encode() in path.read_bytes():
                leaks.append(f"{needle!r} in {path.relative_to(preflight_home)}")
        for index, text in enumerate(outputs):
            if needle in text:
                leaks.append(f"{needle!r} in output #{index}")
    assert leaks == []
