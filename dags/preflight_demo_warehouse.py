"""
### Preflight demo warehouse

Builds Northwind Media's demo warehouse (SQLite under `$PREFLIGHT_HOME/demo/`), one
task per table, deterministically seeded. Each task reports the table it writes and
the tables it derives from to OpenLineage through the Airflow provider, so the audit's
lineage scores come from events Airflow really emitted. `readers` is loaded by a
legacy task that reports no lineage: the demo's "no known producer" table.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import dag

from preflight.airflow.demo.operators import BuildDemoTableOperator


@dag(
    dag_id="preflight_demo_warehouse",
    schedule=None,
    catchup=False,
    doc_md=__doc__,
    tags=["preflight", "demo"],
    default_args={"owner": "preflight", "retries": 1, "retry_delay": timedelta(seconds=10), "execution_timeout": timedelta(minutes=30)},
)
def preflight_demo_warehouse() -> None:
    articles = BuildDemoTableOperator(task_id="build_articles", table="articles")
    readers = BuildDemoTableOperator(task_id="load_readers_legacy_dump", table="readers", emit_lineage=False)
    events = BuildDemoTableOperator(task_id="build_reading_events", table="reading_events")
    tickets = BuildDemoTableOperator(task_id="export_support_tickets", table="support_tickets")
    translations = BuildDemoTableOperator(task_id="import_article_translations", table="article_translations")
    listings = BuildDemoTableOperator(task_id="sync_event_listings", table="event_listings")
    sales = BuildDemoTableOperator(task_id="build_seat_sales", table="seat_sales")

    [articles, readers] >> events
    readers >> tickets
    articles >> translations
    listings >> sales


preflight_demo_warehouse()
