"""A ydata-profiling minimal report of a table (run with ydata-profiling's own interpreter).

    ydata-python ydata_minimal.py URL TABLE

Reads the whole table into pandas (ydata-profiling profiles DataFrames) and builds the
minimal report as JSON; both count.
"""

from __future__ import annotations

import json
import sys
import time


def main(url: str, table: str) -> None:
    import pandas as pd
    import sqlalchemy as sa
    from ydata_profiling import ProfileReport

    cpu0, wall0 = time.process_time(), time.perf_counter()
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        frame = pd.read_sql_query(sa.text(f'SELECT * FROM "{table}"'), conn)  # noqa: S608 - the bench's own table names
    engine.dispose()
    report = ProfileReport(frame, minimal=True, progress_bar=False)
    size = len(report.to_json())
    print("BENCH " + json.dumps({"work_cpu_s": time.process_time() - cpu0,
                                 "work_wall_s": time.perf_counter() - wall0,
                                 "rows": len(frame), "report_chars": size}), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
