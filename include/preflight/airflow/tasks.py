"""Task bodies of the ``preflight_audit`` DAG: each DAG task is one call into here.

The configuration is loaded when a task runs, never when the DAG file is parsed, and
the core is imported inside each function so that parsing the DAG stays cheap.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = [
    "READINESS_ALIAS",
    "audit_task",
    "evaluate_task",
    "gate_task",
    "launch_task",
    "plan_task",
    "readiness_asset",
]

log = logging.getLogger(__name__)

READINESS_ALIAS = "preflight_readiness"


def readiness_asset(use_case: str) -> Any:
    """The Asset a launch DAG schedules on; it gets an event only when the gate passes."""
    from airflow.sdk import Asset

    return Asset(name=f"preflight_readiness_{use_case}", uri=f"preflight://readiness/{use_case}")


def plan_task(run_id: str, config_dir: str | None = None) -> list[str]:
    from preflight.config import load_config
    from preflight.run.pipeline import start_run

    datasets = start_run(load_config(config_dir), run_id, trigger="airflow")
    log.info("auditing %d datasets: %s", len(datasets), ", ".join(datasets))
    return datasets


def audit_task(run_id: str, dataset: str, config_dir: str | None = None, task_instance: Any = None) -> dict[str, Any]:
    from preflight.config import load_config
    from preflight.run.lineage_out import airflow_parent
    from preflight.run.pipeline import audit_one

    # The audit's OpenLineage run hangs under this Airflow task in a lineage UI.
    parent = airflow_parent(task_instance) if task_instance is not None else None
    audit = audit_one(load_config(config_dir), run_id, dataset, lineage_parent=parent)
    # A small summary for XCom; the full audit lives in the results store.
    return {"dataset": dataset, "status": audit.status.value, "scores": audit.scores}


def evaluate_task(run_id: str, config_dir: str | None = None) -> list[str]:
    from preflight.config import load_config
    from preflight.run.pipeline import finish_run

    run = finish_run(load_config(config_dir), run_id)
    for verdict in run.use_cases:
        log.info("%s: %s (score %d, band %s)", verdict.use_case, verdict.verdict.value, verdict.score, verdict.readiness_level)
    return [v.use_case for v in run.use_cases]


def gate_task(run_id: str, use_case: str, outlet_events: Any, config_dir: str | None = None) -> dict[str, Any]:
    """Fail (without retries) when the gate is closed; otherwise emit the use case's
    readiness Asset event. Decides exactly as ``preflight gate`` does, on this run."""
    from datetime import UTC, datetime

    from airflow.sdk import AssetAlias
    from airflow.sdk.exceptions import AirflowFailException

    from preflight.config import load_config
    from preflight.errors import GateClosedError
    from preflight.run.gate import check_gate
    from preflight.run.pipeline import store_for

    config = load_config(config_dir)
    try:
        verdict = check_gate(store_for(config), config, use_case, now=datetime.now(UTC), run_id=run_id)
    except GateClosedError as exc:
        log.error("%s", exc)
        raise AirflowFailException(str(exc)) from None
    log.info("%s passes its gate: %s, score %d", use_case, verdict.verdict.value, verdict.score)
    outlet_events[AssetAlias(READINESS_ALIAS)].add(
        readiness_asset(use_case),
        extra={"use_case": use_case, "verdict": verdict.verdict.value, "score": verdict.score, "run_id": run_id},
    )
    return {"use_case": use_case, "verdict": verdict.verdict.value, "score": verdict.score}


def launch_task(use_case: str, triggering_asset_events: Any) -> dict[str, Any]:
    """The demo's launch step: log the readiness event that triggered the run.

    Stands in for "deploy the feature"; a real launch DAG does its deployment here. A run
    without a readiness event (triggered by hand) is skipped: only a passing gate launches.
    """
    from airflow.sdk.exceptions import AirflowSkipException

    events = list(triggering_asset_events.get(readiness_asset(use_case), ())) if triggering_asset_events else []
    if not events:
        raise AirflowSkipException(f"{use_case}: no readiness event triggered this run; nothing to launch")
    event = events[-1]  # several gate passes may be queued into one run: the newest decides
    extra = dict(event.extra or {})
    verdict, score, audit_run = extra.get("verdict"), extra.get("score"), extra.get("run_id")
    log.info(
        "%s passed its Preflight gate: verdict %s, score %s, audit run %s (event from %s.%s)",
        use_case, verdict, score, audit_run, event.source_dag_id, event.source_task_id,
    )
    if verdict == "at_risk":
        log.warning("%s launches AT RISK: read its fixes in the readiness report before going live", use_case)
    log.info("DEMO STAND-IN: this is where %s would be deployed; nothing is deployed", use_case)
    return {"use_case": use_case, "verdict": verdict, "score": score, "audit_run_id": audit_run, "events": len(events)}
