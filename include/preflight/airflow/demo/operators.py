"""An Airflow operator that builds one demo-warehouse table and reports its lineage.

The OpenLineage provider asks the operator for its lineage after it ran
(``get_openlineage_facets_on_complete``); Python tasks on SQLite would otherwise emit
no datasets at all. ``emit_lineage=False`` models a legacy load nobody instrumented:
the table exists, but no job is known to produce it.
"""

from __future__ import annotations

import os
from typing import Any

from airflow.sdk import BaseOperator

from preflight.settings import preflight_home


def warehouse_path() -> str:
    return str(preflight_home() / "demo" / "warehouse.db")


class BuildDemoTableOperator(BaseOperator):
    ui_color = "#e3ecf7"

    def __init__(self, *, table: str, emit_lineage: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.table = table
        self.emit_lineage = emit_lineage

    def execute(self, context: Any) -> int:
        import sqlalchemy as sa

        from preflight.airflow.demo.warehouse import build_table

        path = warehouse_path()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        engine = sa.create_engine(f"sqlite:///{path}")
        try:
            rows = build_table(engine, self.table)
        finally:
            engine.dispose()
        self.log.info("built %s: %d rows", self.table, rows)
        return rows

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        from airflow.providers.openlineage.extractors import OperatorLineage

        if not self.emit_lineage:
            return OperatorLineage()
        from preflight.airflow.demo.lineage import table_lineage

        inputs, outputs = table_lineage(self.table, warehouse_path())
        return OperatorLineage(inputs=inputs, outputs=outputs)
