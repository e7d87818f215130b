"""OpenLineage datasets for the demo warehouse's tables: what each table is built from.

Named with the same rule the audit uses to look a catalog dataset up
(:func:`preflight.measure.checks.lineage.dataset_identity`), so the events match the catalog.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from preflight.airflow.demo.warehouse import DEMO_TABLES
from preflight.model.config import DatasetConfig

__all__ = ["table_lineage"]

# Columns copied from an upstream table: (column, upstream table, upstream column).
COLUMN_SOURCES: dict[str, list[tuple[str, str, str]]] = {
    "reading_events": [("article_id", "articles", "article_id"), ("reader_id", "readers", "reader_id")],
    "support_tickets": [("reader_id", "readers", "reader_id")],
    "article_translations": [("article_id", "articles", "article_id")],
    "seat_sales": [("listing_id", "event_listings", "listing_id")],
}


def _dataset(table: str, url: str, *, with_schema: bool, column_lineage: dict[str, Any] | None = None) -> Any:
    from openlineage.client.event_v2 import Dataset
    from openlineage.client.facet_v2 import column_lineage_dataset, schema_dataset

    from preflight.measure.checks.lineage import dataset_identity

    namespace, name = dataset_identity(DatasetConfig(source="warehouse", table=table), url)
    facets: dict[str, Any] = {}
    if with_schema:
        columns: list[sa.Column] = list(DEMO_TABLES[table].table.columns)
        facets["schema"] = schema_dataset.SchemaDatasetFacet(
            fields=[schema_dataset.SchemaDatasetFacetFields(name=c.name, type=str(c.type)) for c in columns]
        )
    if column_lineage:
        facets["columnLineage"] = column_lineage_dataset.ColumnLineageDatasetFacet(
            fields={
                column: column_lineage_dataset.Fields(
                    inputFields=[
                        column_lineage_dataset.InputField(namespace=ns, name=nm, field=field)
                        for ns, nm, field in sources
                    ],
                    transformationType="IDENTITY",
                    transformationDescription="copied",
                )
                for column, sources in column_lineage.items()
            }
        )
    return Dataset(namespace=namespace, name=name, facets=facets)


def table_lineage(table: str, path: str) -> tuple[list[Any], list[Any]]:
    """(inputs, outputs) OpenLineage datasets for building ``table`` in the SQLite file ``path``."""
    from preflight.measure.checks.lineage import dataset_identity

    url = f"sqlite:///{path}"
    upstream = DEMO_TABLES[table].upstream
    inputs = [_dataset(t, url, with_schema=False) for t in upstream]
    fields: dict[str, list[tuple[str, str, str]]] = {}
    for column, source_table, source_column in COLUMN_SOURCES.get(table, []):
        ns, nm = dataset_identity(DatasetConfig(source="warehouse", table=source_table), url)
        fields.setdefault(column, []).append((ns, nm, source_column))
    outputs = [_dataset(table, url, with_schema=True, column_lineage=fields)]
    return inputs, outputs
