"""Small programs `make bench` runs as whole processes (``python -m bench.probes WHAT ...``).

Each does one piece of work and prints one ``BENCH {json}`` line about itself: the CPU
(``time.process_time``) and wall time of the work after its imports, and for PostgreSQL
the CPU of its own server backend (``pg_backend_pid()`` read in ``/proc``), so a case
can report the work alone beside the whole process. Imports are kept to what each
piece needs: the hand-written query imports only the database driver.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any
from urllib.parse import unquote, urlsplit


def _emit(figures: dict[str, Any]) -> None:
    print("BENCH " + json.dumps(figures), flush=True)


def _backend_cpu(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        raw = open(f"/proc/{pid}/stat").read()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _connect(url: str) -> tuple[Any, str]:
    """A DB-API connection from a SQLAlchemy URL with only the driver imported."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme == "sqlite":
        import sqlite3

        return sqlite3.connect(unquote(url.split(":///", 1)[1])), "sqlite"
    if scheme == "postgresql":
        import psycopg2

        return psycopg2.connect(host=parts.hostname, port=parts.port or 5432, user=unquote(parts.username or ""),
                                password=unquote(parts.password or ""), dbname=parts.path.lstrip("/")), "postgresql"
    if scheme in ("mysql", "mariadb"):
        import pymysql

        return pymysql.connect(host=parts.hostname, port=parts.port or 3306, user=unquote(parts.username or ""),
                               password=unquote(parts.password or ""), database=parts.path.lstrip("/")), "mysql"
    raise SystemExit(f"unsupported URL scheme {scheme}")


def _timed_query(url: str, sql: str) -> None:
    con, dialect = _connect(url)
    cursor = con.cursor()
    backend = None
    if dialect == "postgresql":
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    server0 = _backend_cpu(backend)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    cursor.execute(sql)
    row = cursor.fetchall()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    server1 = _backend_cpu(backend)
    con.close()
    figures: dict[str, Any] = {"work_cpu_s": cpu, "work_wall_s": wall, "first": row[0][0]}
    if server0 is not None and server1 is not None:
        figures["work_server_cpu_s"] = server1 - server0
    _emit(figures)


def handwritten(url: str, table: str) -> None:
    from bench.handwritten import WIDE_COLUMNS, handwritten_sql

    dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
    _timed_query(url, handwritten_sql(table, [(n, k) for n, k, _, _ in WIDE_COLUMNS], dialect))


def scan(url: str, table: str, column: str) -> None:
    """One scan of a table: the floor for any measure that must read it once."""
    quote = "`" if url.startswith(("mysql", "mariadb")) else '"'
    _timed_query(url, f"SELECT count(*), count({quote}{column}{quote}) FROM {quote}{table}{quote}")


def _track_backends(engine: Any) -> list[int]:
    """PostgreSQL backend pids of every connection ``engine`` opens."""
    import sqlalchemy as sa

    pids: list[int] = []
    if engine.dialect.name == "postgresql":
        @sa.event.listens_for(engine, "connect")
        def _pid(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT pg_backend_pid()")
            pids.append(cursor.fetchone()[0])
            cursor.close()
    return pids


def join(config_dir: str) -> None:
    """Join coverage of the config's one use case, measured by Preflight's own code."""
    from preflight.config import load_config
    from preflight.engines import engine_for_dataset
    from preflight.judge.plan import cross_plan
    from preflight.measure.use_case import measure_cross

    config = load_config(config_dir)
    use_case = next(iter(config.use_cases))
    plan = cross_plan(config, use_case)
    engine = engine_for_dataset(config, plan.joins[0].source.dataset)
    pids = _track_backends(engine)
    # Reflection of both tables is part of the measure; connecting first is not.
    with engine.connect():
        pass
    before = {pid: _backend_cpu(pid) for pid in pids}
    cpu0, wall0 = time.process_time(), time.perf_counter()
    evidence = measure_cross(config, plan)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    server = sum((_backend_cpu(p) or 0.0) - (before.get(p) or 0.0) for p in pids) if pids else None
    figures = {"work_cpu_s": cpu, "work_wall_s": wall,
               "measured": sum(1 for e in evidence if getattr(e, "figures", None) is not None)}
    if server is not None:
        figures["work_server_cpu_s"] = server
    for item in evidence:
        if getattr(item, "figures", None) is not None:
            figures["rows"], figures["matched"] = item.figures.rows, item.figures.matched
    _emit(figures)


def gx(url: str, table: str) -> None:
    """The profile's figures through a Great Expectations validation (GX computes each
    as an expectation's observed value; it has no min/mean/max length)."""
    import great_expectations as gx_
    import great_expectations.expectations as gxe

    from bench.handwritten import WIDE_COLUMNS

    cpu0, wall0 = time.process_time(), time.perf_counter()
    context = gx_.get_context(mode="ephemeral")
    source = context.data_sources.add_sql(name="bench", connection_string=url)
    asset = source.add_table_asset(name=table, table_name=table)
    batch = asset.add_batch_definition_whole_table("all").get_batch()
    expectations: list[Any] = [gxe.ExpectTableRowCountToBeBetween(min_value=0)]
    for name, kind, _, _ in WIDE_COLUMNS:
        expectations += [gxe.ExpectColumnValuesToNotBeNull(column=name, mostly=0.0),
                         gxe.ExpectColumnUniqueValueCountToBeBetween(column=name, min_value=0)]
        if kind in ("numeric", "temporal", "text"):
            expectations += [gxe.ExpectColumnMinToBeBetween(column=name), gxe.ExpectColumnMaxToBeBetween(column=name)]
        if kind == "numeric":
            expectations += [gxe.ExpectColumnMeanToBeBetween(column=name), gxe.ExpectColumnStdevToBeBetween(column=name)]
        if kind == "text":
            expectations.append(gxe.ExpectColumnValueLengthsToBeBetween(column=name, min_value=0))
    suite = context.suites.add(gx_.ExpectationSuite(name="bench", expectations=expectations))
    result = batch.validate(suite)
    evaluated = sum(1 for r in result.results if not r.exception_info.get("raised_exception"))
    _emit({"work_cpu_s": time.process_time() - cpu0, "work_wall_s": time.perf_counter() - wall0,
           "expectations": len(expectations), "evaluated": evaluated})


def text(db: str) -> None:
    """Sampling + PII scan + text fitness on a ``tickets`` table, after a warm-up that
    pays imports and the recognizers' first use."""
    import sqlalchemy as sa

    from bench.text_bench import COLUMN, SAMPLE, TABLE, _warm_up
    from preflight.measure.checks.privacy import scan_texts
    from preflight.measure.checks.text_fitness import assess_texts
    from preflight.measure.sample import draw_sample

    _warm_up()
    engine = sa.create_engine(f"sqlite:///{db}")
    cpu0, wall0 = time.process_time(), time.perf_counter()
    sample = draw_sample(engine, TABLE, COLUMN, n=SAMPLE, seed=0)
    cpu1 = time.process_time()
    scan_texts(sample.values)
    cpu2 = time.process_time()
    assess_texts(sample.values)
    cpu3 = time.process_time()
    _emit({"work_cpu_s": cpu3 - cpu0, "work_wall_s": time.perf_counter() - wall0,
           "sample_cpu_s": cpu1 - cpu0, "pii_cpu_s": cpu2 - cpu1, "text_cpu_s": cpu3 - cpu2,
           "values": len(sample.values)})


def dag_parse(dag_file: str) -> None:
    """Parse the audit DAG file as the DAG processor does: Airflow's SDK imported first."""
    import runpy

    import airflow.sdk  # noqa: F401

    cpu0, wall0 = time.process_time(), time.perf_counter()
    runpy.run_path(dag_file)
    _emit({"work_cpu_s": time.process_time() - cpu0, "work_wall_s": time.perf_counter() - wall0})


def main(argv: list[str]) -> None:
    what, *args = argv
    {"handwritten": handwritten, "scan": scan, "join": join, "gx": gx, "text": text,
     "dag_parse": dag_parse}[what](*args)


if __name__ == "__main__":
    main(sys.argv[1:])
