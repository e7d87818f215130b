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


def _server_clock(dialect: str, backend: int | None) -> Any:
    """CPU seconds so far of the session's server side: its PostgreSQL backend, or the
    whole MariaDB server (one process; its threads are not mapped to sessions here)."""
    if dialect == "postgresql" and backend is not None:
        return lambda: _backend_cpu(backend)
    if dialect == "mysql":
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit() and _comm(int(p)) in ("mariadbd", "mysqld")]
        return lambda: sum(_backend_cpu(p) or 0.0 for p in pids) if pids else None
    return lambda: None


def _comm(pid: int) -> str:
    try:
        return open(f"/proc/{pid}/comm").read().strip()
    except OSError:
        return ""


def _timed_query(url: str, sql: str, repeat: int = 1) -> None:
    con, dialect = _connect(url)
    cursor = con.cursor()
    backend = None
    if dialect == "postgresql":
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    server = _server_clock(dialect, backend)
    server0 = server()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(repeat):
        cursor.execute(sql)
        row = cursor.fetchall()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    server1 = server()
    con.close()
    figures: dict[str, Any] = {"work_cpu_s": cpu / repeat, "work_wall_s": wall / repeat, "first": row[0][0],
                               "repeat": repeat}
    if server0 is not None and server1 is not None:
        figures["work_server_cpu_s"] = (server1 - server0) / repeat
    _emit(figures)


def handwritten(url: str, table: str) -> None:
    from bench.handwritten import WIDE_COLUMNS, handwritten_sql

    dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
    _timed_query(url, handwritten_sql(table, [(n, k) for n, k, _, _ in WIDE_COLUMNS], dialect))


REPEAT = 5  # short statements, repeated so their CPU is well above the 10 ms clock tick


def scan(url: str, table: str, column: str) -> None:
    """One scan of a table: the floor for any measure that must read it once (the mean
    of REPEAT scans)."""
    quote = "`" if url.startswith(("mysql", "mariadb")) else '"'
    _timed_query(url, f"SELECT count(*), count({quote}{column}{quote}) FROM {quote}{table}{quote}", REPEAT)  # noqa: S608 - the bench's own table names


def join(config_dir: str) -> None:
    """Join coverage of the config's one use case, measured by Preflight's own code, REPEAT
    times: ``work_*`` is the whole measure (reflection of both tables included), ``query_*``
    the join statement alone (from its cursor execute to its result)."""
    import sqlalchemy as sa

    from preflight.config import load_config
    from preflight.engines import engine_for_dataset
    from preflight.judge.plan import cross_plan
    from preflight.measure.use_case import measure_cross

    config = load_config(config_dir)
    plan = cross_plan(config, next(iter(config.use_cases)))
    engine = engine_for_dataset(config, plan.joins[0].source.dataset)
    dialect = {"postgresql": "postgresql", "mysql": "mysql", "mariadb": "mysql"}.get(engine.dialect.name, "sqlite")
    backends: dict[int, Any] = {}  # PostgreSQL: one clock per pooled connection's backend
    whole_server = _server_clock("mysql", None) if dialect == "mysql" else None

    def server_now(dbapi_connection: Any) -> float | None:
        if whole_server is not None:
            return whole_server()
        if dialect != "postgresql":
            return None
        if id(dbapi_connection) not in backends:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT pg_backend_pid()")
            backends[id(dbapi_connection)] = _server_clock(dialect, cursor.fetchone()[0])
            cursor.close()
        return sum(clock() or 0.0 for clock in backends.values())

    query = {"cpu": 0.0, "wall": 0.0, "server": 0.0}
    marks: dict[str, Any] = {}

    def is_join(statement: str) -> bool:
        upper = statement.upper()
        return "JOIN" in upper and "COUNT(" in upper

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if is_join(statement):
            marks.update(cpu=time.process_time(), wall=time.perf_counter(),
                         server=server_now(conn.connection.dbapi_connection))

    # After execute the server has answered (SQLite has stepped its one aggregate row).
    @sa.event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if is_join(statement):
            query["cpu"] += time.process_time() - marks["cpu"]
            query["wall"] += time.perf_counter() - marks["wall"]
            after = server_now(conn.connection.dbapi_connection)
            if after is not None and marks["server"] is not None:
                query["server"] += after - marks["server"]

    with engine.connect() as conn:  # connecting is not the measure's work
        server0 = server_now(conn.connection.dbapi_connection)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(REPEAT):
        evidence = measure_cross(config, plan)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    figures: dict[str, Any] = {"work_cpu_s": cpu / REPEAT, "work_wall_s": wall / REPEAT, "repeat": REPEAT,
                               "query_cpu_s": query["cpu"] / REPEAT, "query_wall_s": query["wall"] / REPEAT}
    if server0 is not None:
        with engine.connect() as conn:
            server1 = server_now(conn.connection.dbapi_connection)
        figures["work_server_cpu_s"] = ((server1 or 0.0) - server0) / REPEAT
        figures["query_server_cpu_s"] = query["server"] / REPEAT
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
