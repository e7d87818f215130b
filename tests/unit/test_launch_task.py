"""The demo launch task reads the gate's readiness event from `triggering_asset_events`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from airflow.sdk.api.datamodels._generated import AssetEventDagRunReference
from airflow.sdk.exceptions import AirflowSkipException
from airflow.sdk.execution_time.context import TriggeringAssetEventsAccessor

from preflight.airflow.tasks import READINESS_ALIAS, launch_task


def _event(use_case: str, run_id: str, score: int, verdict: str = "ready") -> AssetEventDagRunReference:
    return AssetEventDagRunReference(
        asset={"name": f"preflight_readiness_{use_case}", "uri": f"preflight://readiness/{use_case}", "extra": {}},
        extra={"use_case": use_case, "verdict": verdict, "score": score, "run_id": run_id},
        source_task_id="gate",
        source_dag_id="preflight_audit",
        source_run_id=run_id,
        source_map_index=0,
        source_aliases=[{"name": READINESS_ALIAS}],
        timestamp=datetime.now(UTC),
    )


def test_the_newest_readiness_event_decides() -> None:
    events = TriggeringAssetEventsAccessor.build(
        [_event("seats", "audit-1", 80, "at_risk"), _event("seats", "audit-2", 95)]
    )
    assert launch_task("seats", events) == {
        "use_case": "seats", "verdict": "ready", "score": 95, "audit_run_id": "audit-2", "events": 2
    }


@pytest.mark.parametrize("events", [TriggeringAssetEventsAccessor.build([]), None])
def test_a_run_without_a_readiness_event_launches_nothing(events: object) -> None:
    with pytest.raises(AirflowSkipException, match="no readiness event"):
        launch_task("seats", events)


def test_another_use_cases_event_does_not_launch_this_one() -> None:
    with pytest.raises(AirflowSkipException):
        launch_task("seats", TriggeringAssetEventsAccessor.build([_event("chat", "audit-1", 99)]))
