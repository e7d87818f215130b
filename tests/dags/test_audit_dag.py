"""The demo through real Airflow: verdicts, report fields, gates, no raw PII."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys

import pytest

from preflight.measure.checks.privacy import find_pii

pytestmark = pytest.mark.integration

DATASET_FIELDS = {"name", "source", "status", "row_count", "scores", "columns", "checks", "evidence", "probe_failures"}
COLUMN_FIELDS = {"name", "type", "null_count", "distinct_count", "min", "max"}
CHECK_FIELDS = {"id", "dimension", "severity", "passed", "observed", "expected", "message", "measured", "state"}
USE_CASE_FIELDS = {"name", "kind", "verdict", "score", "blockers", "checks", "readiness_level", "next_level_gaps", "fixes",
                   "fingerprint", "fingerprint_parts", "complete"}


def test_audit_run_produces_three_verdicts(demo_run) -> None:  # noqa: ANN001
    # Blocked use cases fail their gates, so the DAG run as a whole fails.
    assert demo_run.state == "failed"
    report = demo_run.report
    assert report["run_id"] == demo_run.run_id
    verdicts = {uc["name"]: uc["verdict"] for uc in report["use_cases"]}
    assert verdicts == {
        "support_assistant": "blocked",
        "article_localisation": "blocked",
        "article_recommendations": "at_risk",
        "seat_suggestions": "ready",
    }


def test_report_fields(demo_run) -> None:  # noqa: ANN001
    report = demo_run.report
    assert {"run_id", "started_at", "finished_at", "datasets", "use_cases", "platform_fixes"} <= set(report)
    assert len(report["datasets"]) == 7
    for dataset in report["datasets"]:
        assert DATASET_FIELDS <= set(dataset)
        assert dataset["status"] == "ok"
        # Judging read typed evidence, each record measured (figures) or not (a reason).
        assert dataset["evidence"] and all((e["figures"] is None) != (e["reason"] is None) for e in dataset["evidence"])
        assert set(dataset["scores"]) >= {"discoverability", "quality", "lineage"}
        assert all(0 <= dataset["scores"][k] <= 100 for k in ("discoverability", "quality", "lineage"))
        for column in dataset["columns"]:
            assert COLUMN_FIELDS <= set(column)
        for check in dataset["checks"]:
            assert CHECK_FIELDS <= set(check)
            assert check["severity"] in ("blocker", "warning", "info")
    for use_case in report["use_cases"]:
        assert USE_CASE_FIELDS <= set(use_case)
        assert use_case["readiness_level"] in ("A", "B", "C", "none")
    assert (demo_run.home / "reports" / "latest" / "report.html").read_text().count("Preflight readiness report") >= 1


def test_blockers_state_the_planted_defects(demo_run) -> None:  # noqa: ANN001
    by_name = {uc["name"]: uc for uc in demo_run.report["use_cases"]}
    rag = " ".join(by_name["support_assistant"]["blockers"])
    assert "EMAIL_ADDRESS" in rag and "PHONE_NUMBER" in rag and "CREDIT_CARD" in rag
    assert "duplicate" in rag
    loc = " ".join(by_name["article_localisation"]["blockers"])
    assert "translated_body" in loc and "NULL" in loc
    risks = " ".join(f["message"] for f in by_name["article_recommendations"]["fixes"])
    assert "readers has no description and no owner" in risks
    datasets = {d["name"]: d for d in demo_run.report["datasets"]}
    stale = next(c for c in datasets["article_translations"]["checks"] if c["id"] == "quality.timeliness")
    assert not stale["passed"] and stale["observed"]["age_hours"] > 24 * 150


def test_gate_cli_exit_codes(demo_run) -> None:  # noqa: ANN001
    blocked = subprocess.run(
        [sys.executable, "-m", "preflight.cli", "gate", "support_assistant"], env=demo_run.env, capture_output=True, text=True
    )
    assert blocked.returncode == 1, blocked.stderr
    assert "BLOCKED" in blocked.stdout and "PII" in blocked.stdout
    ready = subprocess.run(
        [sys.executable, "-m", "preflight.cli", "gate", "seat_suggestions"], env=demo_run.env, capture_output=True, text=True
    )
    assert ready.returncode == 0, ready.stdout + ready.stderr
    unknown = subprocess.run(
        [sys.executable, "-m", "preflight.cli", "gate", "nope"], env=demo_run.env, capture_output=True, text=True
    )
    assert unknown.returncode == 2


def test_progress_and_task_states_tell_closed_gates_from_failures(demo_run, monkeypatch) -> None:  # noqa: ANN001
    """What `preflight demo` shows while the audit runs, and how it words the failed run."""
    from preflight.airflow.demo.runner import DemoResult
    from preflight.config import load_config
    from preflight.run.pipeline import store_for

    ended = [e for e in demo_run.events if e.ended]
    started = [e for e in demo_run.events if not e.ended]
    # plan, the warehouse's share of the plan, one audit per dataset, evaluate, one gate per
    # use case: each seen starting and ending. The other sources' group had nothing to do:
    # its share ran (empty), its audits were skipped and never started.
    ran = [t for t in demo_run.outcome.tasks if t.state != "skipped"]
    assert len(ended) == len(started) == len(ran) == 1 + 2 + 7 + 1 + 4
    assert {e.task_id for e in ended} == {
        "plan", "source_warehouse.datasets", "other_sources.datasets", "source_warehouse.audit_dataset",
        "evaluate", "gate",
    }
    states = {t.name: t.state for t in demo_run.outcome.tasks}
    assert states["gate[support_assistant]"] == "failed" and states["gate[seat_suggestions]"] == "success"
    assert states["source_warehouse.audit_dataset[readers]"] == "success", states

    monkeypatch.setenv("PREFLIGHT_HOME", str(demo_run.home))
    run = store_for(load_config()).load_run(demo_run.run_id)
    result = DemoResult(run, demo_run.outcome, 0.0)
    assert result.closed_gates == ["article_localisation", "support_assistant"]
    assert result.unexpected_failures == []  # the run "failed" only because gates did their job


def test_profile_text_is_masked_only_where_personal(demo_run) -> None:  # noqa: ANN001
    columns = {(d["name"], c["name"]): c for d in demo_run.report["datasets"] for c in d["columns"]}
    seat = columns[("seat_sales", "seat")]
    assert any(ch.isdigit() for ch in seat["min"] + seat["max"]), seat  # a seat code, shown as stored
    assert "#" not in seat["min"] + seat["max"]
    email = columns[("readers", "email")]
    assert email["min"] == email["max"] == "<PERSONAL>"  # declared personal in the catalog
    body = columns[("support_tickets", "body")]  # the PII scan found e-mails and phones here
    assert not any(ch.isdigit() for ch in body["min"] + body["max"])


def test_gate_task_log_names_blockers(demo_run) -> None:  # noqa: ANN001
    log = (demo_run.home / "logs" / "preflight_audit.log").read_text(errors="replace")
    assert "support_assistant is BLOCKED" in log
    assert "article_localisation is BLOCKED" in log


def test_no_raw_pii_in_reports_or_logs(demo_run) -> None:  # noqa: ANN001
    """Every e-mail, phone and card number planted in the data is absent from what Preflight wrote."""
    db = sqlite3.connect(demo_run.home / "demo" / "warehouse.db")
    texts = [row[0] for row in db.execute("SELECT body FROM support_tickets")] + [
        row[0] for row in db.execute("SELECT email FROM readers")
    ]
    secrets = {text[s.start : s.end] for text in texts for s in find_pii(text)}
    assert len(secrets) > 50, "the demo data should hold planted PII"
    assert any(s.replace(" ", "").isdigit() and len(s.replace(" ", "")) == 16 for s in secrets), "no card numbers planted"
    written = [*(demo_run.home / "reports").rglob("report.*"), *(demo_run.home / "logs").glob("*.log")]
    assert written
    for path in written:
        content = path.read_text(errors="replace")
        leaked = [s for s in secrets if s in content]
        assert not leaked, f"{path.name} contains raw PII: {leaked[:3]}"


def test_lineage_scores_differ_for_the_table_nobody_produces(demo_run) -> None:  # noqa: ANN001
    datasets = {d["name"]: d for d in demo_run.report["datasets"]}
    producer = {name: next(c for c in d["checks"] if c["id"] == "lineage.producer") for name, d in datasets.items()}
    assert not producer["readers"]["passed"]
    assert producer["reading_events"]["passed"] and producer["articles"]["passed"]
    assert datasets["readers"]["scores"]["lineage"] < datasets["reading_events"]["scores"]["lineage"]
    assert re.search(r"build_reading_events", producer["reading_events"]["message"] + str(producer["reading_events"]["observed"]))


def test_audit_emits_openlineage_with_the_reports_null_counts(demo_run) -> None:  # noqa: ANN001
    """Each dataset audit is an OpenLineage run whose input carries the report's null counts."""
    import json

    events = [json.loads(line) for line in (demo_run.home / "lineage" / "airflow-events.jsonl").read_text().splitlines()]
    complete = {
        e["job"]["name"].removeprefix("preflight.audit."): e
        for e in events
        if e["job"]["name"].startswith("preflight.audit.") and e["eventType"] == "COMPLETE"
    }
    datasets = {d["name"]: d for d in demo_run.report["datasets"]}
    assert set(complete) == set(datasets)
    for name, event in complete.items():
        assert event["run"]["facets"]["parent"]["job"]["name"] == "preflight_audit.source_warehouse.audit_dataset"
        metrics = event["inputs"][0]["inputFacets"]["dataQualityMetrics"]
        assert metrics["rowCount"] == datasets[name]["row_count"]
        nulls = {column: m["nullCount"] for column, m in metrics["columnMetrics"].items()}
        assert nulls == {c["name"]: c["null_count"] for c in datasets[name]["columns"]}
        assertions = event["inputs"][0]["inputFacets"]["dataQualityAssertions"]["assertions"]
        assert len(assertions) == len(datasets[name]["checks"])


def test_planted_quality_defects_fail_with_observed_and_expected(demo_run) -> None:  # noqa: ANN001
    checks = {
        (d["name"], c["id"]): c for d in demo_run.report["datasets"] for c in d["checks"]
    }
    duplicates = checks[("support_tickets", "quality.uniqueness.primary_key")]
    assert not duplicates["passed"] and duplicates["observed"] == 15 and duplicates["expected"] == 0
    nulls = checks[("article_translations", "quality.completeness.translated_body")]
    assert not nulls["passed"] and 0.1 < nulls["observed"] < 0.13 and nulls["expected"] == 0
    stale = checks[("article_translations", "quality.timeliness")]
    assert not stale["passed"] and stale["expected"] == {"max_age_hours": 168.0}
    assert checks[("seat_sales", "quality.gx.expect_column_values_to_be_between.price")]["passed"]
    undocumented = checks[("readers", "discoverability.description")]
    assert not undocumented["passed"]


def test_report_links_croissant_cards_with_lineage(demo_run) -> None:  # noqa: ANN001
    # The evaluate task writes each dataset's card beside the report; through Airflow the
    # warehouse DAG's OpenLineage events say which job wrote each table.
    import json

    from preflight.authoring.croissant import validate_card

    latest = demo_run.home / "reports" / "latest"
    for dataset in demo_run.report["datasets"]:
        card = json.loads((latest / dataset["croissant"]).read_text())
        assert validate_card(card).errors == (), dataset["name"]
    seat_sales = json.loads((latest / "croissant" / "seat_sales.json").read_text())
    assert seat_sales["rai:dataCollection"].startswith("Written by ")
    assert seat_sales["distribution"][0]["contentUrl"].endswith("/seat_sales")
