"""
### Preflight re-audit (data-aware)

Runs when a dataset's producer updates the Airflow Asset the catalog names for it
(`datasets.<name>.asset`): it re-audits the datasets whose asset was updated and re-judges
the use cases that read them, without a full audit (the other datasets those use cases
need carry over their newest audit, and their age counts against the gates). The gates
of the re-judged use cases run as in `preflight_audit`.

The assets are read from the catalog when this file is parsed (only files that declare
an `asset:` are parsed); a change takes effect at the next parse. With no asset declared
the DAG is not scheduled. Triggered by hand, it takes the same `datasets` / `use_case`
params as `preflight_audit`, and does nothing without them.
"""

from __future__ import annotations

from airflow.sdk import Asset, AssetAny

from preflight.airflow.audit_dag import build_audit_dag
from preflight.airflow.dag_settings import read_dag_settings, read_dataset_assets

assets = [Asset(uri) for uri in read_dataset_assets()]
build_audit_dag(
    "preflight_reaudit",
    schedule=AssetAny(*assets) if assets else None,
    doc_md=__doc__,
    dag_settings=read_dag_settings(),
    from_assets=True,
)
