"""`make bench`: every benchmark, each reported as a ratio against its own baseline
measured in the same run (never a timing target in a unit test).

- profile: `profile_table` vs one hand-written aggregate query of the same metrics;
- text: sampling + PII + text fitness on 100,000 vs 1,000,000 rows of the same text;
- DAG parse: the audit DAG file with 1,000 catalog entries vs 10.

The Celery stack against `preflight audit` needs PostgreSQL and Redis and takes minutes:
`make bench-celery` (bench.celery_bench).
"""

from __future__ import annotations

from bench import dag_parse_bench, profile_bench, text_bench


def main() -> None:
    profile_bench.main([])
    text_bench.run()
    dag_parse_bench.run()


if __name__ == "__main__":
    main()
