"""Task bodies of the ``preflight_audit`` DAG: each DAG task is one call into here.

The configuration is loaded when a task runs; parsing the DAG file reads only the few
settings that shape the DAG (:mod:`preflight.airflow.dag_settings`). Each function
imports only what its task uses, inside the function: a task process pays for its own
imports and nobody else's, and parsing the DAG imports none of them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "READINESS_ALIAS",
    "audit_task",
    "evaluate_task",
    "gate_task",
    "lane_datasets",
    "launch_task",
    "plan_task",
    "readiness_asset",
    "updated_assets",
]

log = logging.getLogger(__name__)

READINESS_ALIAS = "preflight_readiness"


def readiness_asset(use_case: str) -> Any:
    """The Asset a launch DAG schedules on; it gets an event only when the gate passes."""
    from airflow.sdk import Asset

    return Asset(name=f"preflight_readiness_{use_case}", uri=f"preflight://readiness/{use_case}")


def updated_assets(triggering_asset_events: Any) -> list[str]:
    """The URIs of the assets whose update triggered this run (none when triggered by hand)."""
    if not triggering_asset_events:
        return []
    return sorted({getattr(asset, "uri", str(asset)) for asset in triggering_asset_events.keys()})


def plan_task(
    run_id: str,
    config_dir: str | None = None,
    groups: Mapping[str, str] | None = None,
    *,
    datasets: Sequence[str] = (),
    use_case: str | None = None,
    assets: Sequence[str] | None = None,
) -> dict[str, list[str]]:
    """Record the run; return the datasets to audit by task group: ``groups`` maps each
    source the DAG was parsed with to its group, any other source goes to
    :data:`~preflight.airflow.dag_settings.OTHER_SOURCES` (audited one at a time).

    ``datasets``/``use_case`` target the run; ``assets`` (the re-audit DAG) targets it at
    the datasets whose declared ``asset`` was updated, and skips the run when none is."""
    from airflow.sdk.exceptions import AirflowSkipException

    from preflight.airflow.dag_settings import OTHER_SOURCES
    from preflight.config import load_config
    from preflight.run.pipeline import resolve_scope, start_run

    config = load_config(config_dir)
    if assets is not None and not datasets and not use_case:
        updated = set(assets)
        datasets = [name for name, entry in config.datasets.items() if entry.asset and entry.asset in updated]
        if not datasets:
            raise AirflowSkipException(
                f"no catalog dataset declares the updated assets ({', '.join(sorted(updated)) or 'none'}): nothing to re-audit"
            )
        log.info("assets %s were updated: re-auditing %s", ", ".join(sorted(updated)), ", ".join(datasets))
    scope = resolve_scope(config, datasets=datasets, use_case=use_case)
    groups = dict(groups or {})
    planned: dict[str, list[str]] = {group: [] for group in groups.values()}
    planned[OTHER_SOURCES] = []
    chosen = start_run(config, run_id, trigger="airflow", scope=scope)
    for dataset in chosen:
        planned[groups.get(config.datasets[dataset].source, OTHER_SOURCES)].append(dataset)
    log.info("auditing %d datasets: %s", len(chosen), ", ".join(chosen))
    if planned[OTHER_SOURCES]:
        unknown = sorted({config.datasets[d].source for d in planned[OTHER_SOURCES]})
        log.warning(
            "sources %s are not in the DAG as it was parsed: their %d datasets are audited one "
            "at a time, outside the sources' pools", ", ".join(unknown), len(planned[OTHER_SOURCES]),
        )
    return planned


def lane_datasets(planned: Mapping[str, list[str]], group_id: str) -> list[str]:
    """One task group's share of the plan (a mapped task expands over a whole XCom)."""
    return list(planned.get(group_id, []))


def audit_task(run_id: str, dataset: str, config_dir: str | None = None, task_instance: Any = None) -> dict[str, Any]:
    from preflight.config import load_config
    from preflight.run.lineage_out import airflow_parent
    from preflight.run.pipeline import audit_one

    # The audit's OpenLineage run hangs under this Airflow task in a lineage UI.
    parent = airflow_parent(task_instance) if task_instance is not None else None
    audit = audit_one(load_config(config_dir), run_id, dataset, lineage_parent=parent)
    # A small summary for XCom; the full audit lives in the results store.
    return {"dataset": dataset, "status": audit.status.value, "scores": audit.scores}


def evaluate_task(run_id: str, config_dir: str | None = None, planned: Mapping[str, list[str]] | None = None) -> list[str]:
    """Judge every use case on this run's audits; first make sure every planned dataset
    was audited (a task group the DAG lacked would otherwise be judged as never planned)."""
    from preflight.config import load_config
    from preflight.errors import IncompleteRunError
    from preflight.run.pipeline import finish_run, store_for

    config = load_config(config_dir)
    if planned is not None:
        wanted = {dataset for datasets in planned.values() for dataset in datasets}
        missing = sorted(wanted - store_for(config).audited_datasets(run_id))
        if missing:
            raise IncompleteRunError(
                f"{len(missing)} planned datasets have no audit in run {run_id}: {', '.join(missing[:20])}"
                f"{' …' if len(missing) > 20 else ''}. The DAG was parsed with other sources than this "
                "run's configuration; run it again once the DAG has been parsed again."
            )
    run = finish_run(config, run_id)
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
