"""The profile's figures through a Soda Core scan (run with Soda's own interpreter).

    soda-python soda_scan.py URL TABLE COLUMNS_JSON

PostgreSQL: Soda's own postgres data source. SQLite: Soda Core 3 has no SQLite data source,
so the table is read into pandas and scanned through Soda's DuckDB data source (the route
Soda documents for DataFrames). Per column: missing_count and duplicate_count (Soda has no
distinct count); min, max, avg, stddev for numbers; min/avg/max length for text.
"""

from __future__ import annotations

import json
import sys
import time
from urllib.parse import unquote, urlsplit


def checks(table: str, columns: list[list[str]]) -> str:
    lines = [f"checks for {table}:", "  - row_count >= 0"]
    for name, kind in columns:
        lines += [f"  - missing_count({name}) >= 0", f"  - duplicate_count({name}) >= 0"]
        if kind == "numeric":
            lines += [f"  - min({name}) > -999999999999", f"  - max({name}) < 999999999999", f"  - avg({name}) < 999999999999",
                      f"  - stddev({name}) >= 0"]
        elif kind == "text":
            lines += [f"  - min_length({name}) >= 0", f"  - avg_length({name}) >= 0", f"  - max_length({name}) >= 0"]
    return "\n".join(lines) + "\n"


def main(url: str, table: str, columns_json: str) -> None:
    from soda.scan import Scan

    columns = json.loads(columns_json)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    scan = Scan()
    scan.set_data_source_name("bench")
    parts = urlsplit(url)
    if parts.scheme.startswith("postgresql"):
        scan.add_configuration_yaml_str(
            "data_source bench:\n  type: postgres\n"
            f"  host: {parts.hostname}\n  port: '{parts.port or 5432}'\n"
            f"  username: {unquote(parts.username or '')}\n  password: '{unquote(parts.password or '')}'\n"
            f"  database: {parts.path.lstrip('/')}\n  schema: public\n"
        )
    else:
        import sqlite3

        import duckdb
        import pandas as pd

        with sqlite3.connect(unquote(url.split(":///", 1)[1])) as con:
            frame = pd.read_sql_query(f'SELECT * FROM "{table}"', con)  # noqa: S608 - the bench's own table names
        duck = duckdb.connect()
        duck.register(table, frame)
        scan.add_duckdb_connection(duck, data_source_name="bench")
    scan.add_sodacl_yaml_str(checks(table, columns))
    scan.execute()
    results = scan.get_scan_results()
    evaluated = sum(1 for c in results.get("checks", []) if c.get("outcome") in ("pass", "fail"))
    print("BENCH " + json.dumps({"work_cpu_s": time.process_time() - cpu0,
                                 "work_wall_s": time.perf_counter() - wall0,
                                 "checks": len(results.get("checks", [])), "evaluated": evaluated}), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
