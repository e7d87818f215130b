"""report.html as a person reads it: verdicts and blockers first, contents, charts, folded
passing checks, readable values and times; report.json keeps its fields and adds ``state``."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from preflight.model.results import (
    Check,
    ColumnProfile,
    DatasetAudit,
    DatasetStatus,
    Dimension,
    RunResult,
    Severity,
    TableProfile,
    Verdict,
    VerdictLevel,
)
from preflight.run.report import write_reports

NOW = datetime(2026, 11, 30, 0, 19, 21, 250627, tzinfo=UTC)


def _run() -> RunResult:
    duplicates = Check(id="quality.uniqueness.primary_key", dimension=Dimension.QUALITY, severity=Severity.WARNING,
                       passed=False, dataset="tickets", column="ticket_id", observed=15, expected=0,
                       message="tickets: 15 duplicate rows", remediation="deduplicate `tickets`")
    documentation = Check(id="discoverability.documentation", dimension=Dimension.DISCOVERABILITY,
                          severity=Severity.INFO, passed=False, dataset="tickets",
                          observed={"documentation_url": None, "data_card": None},
                          expected="a documentation_url or a data card", message="no documentation")
    passing = tuple(Check(id=f"quality.validity.rule_{i}", dimension=Dimension.QUALITY, severity=Severity.WARNING,
                          passed=True, dataset="tickets", message=f"rule {i} holds") for i in range(9))
    profile = TableProfile(table="tickets", row_count=3, profiled_at=NOW, columns=(
        ColumnProfile(name="code", type="VARCHAR", kind="text", null_count=0, min="9E", max="N10156"),))
    audit = DatasetAudit(name="tickets", source="warehouse", status=DatasetStatus.OK, profile=profile,
                         checks=(duplicates, documentation, *passing),
                         scores={"quality": 60, "discoverability": 10, "lineage": 0},
                         started_at=NOW, finished_at=NOW)
    stable = Check(id="stable_ids.tickets", dimension=Dimension.QUALITY, severity=Severity.BLOCKER, passed=False,
                   dataset="tickets", column="ticket_id", observed=15, expected=0, message="tickets ids are not unique",
                   remediation="deduplicate", details={"requirement": "stable_ids", "rule": "keys_unique", "band": "B"})
    unmeasured = Check(id="freshness.tickets", dimension=Dimension.QUALITY, severity=Severity.WARNING, passed=False,
                       measured=False, dataset="tickets", message="the newest row could not be read",
                       details={"requirement": "freshness", "rule": "fresh", "band": "B"})
    fine = Check(id="reachable.tickets", dimension=Dimension.ACCESS, severity=Severity.BLOCKER, passed=True,
                 dataset="tickets", message="tickets is readable", details={"rule": "datasets_reachable", "band": "C"})
    blocked = Verdict(use_case="support_assistant", kind="rag", verdict=VerdictLevel.BLOCKED, score=30,
                      blockers=("tickets ids are not unique — fix: deduplicate",), checks=(stable, unmeasured, fine),
                      datasets=("tickets",), readiness_level="none")
    ready = Verdict(use_case="seat_suggestions", kind="recommendation", verdict=VerdictLevel.READY, score=100,
                    checks=(fine,), datasets=("tickets",), readiness_level="A")
    return RunResult(run_id="cli__2026-11-30T00:19:21.250627Z", started_at=NOW,
                     finished_at=NOW + timedelta(seconds=18), datasets=(audit,), use_cases=(ready, blocked))


def test_report_html_reads_top_down(tmp_path: Path) -> None:
    latest = write_reports(_run(), tmp_path)
    html = (latest / "report.html").read_text()
    # Contents, then verdicts (worst first), then use cases, then datasets.
    toc = html.index('<nav class="toc"')
    order = [html.index(marker) for marker in ('id="verdicts"', 'id="uc-support_assistant"', 'id="uc-seat_suggestions"', 'id="datasets"', 'id="ds-tickets"')]
    assert toc < order[0] and order == sorted(order)
    for target in ("#verdicts", "#uc-support_assistant", "#ds-tickets"):
        assert f'href="{target}"' in html[toc:order[0]]
    # Blockers come with their fix; the unmeasured requirement says so.
    section = html[order[1]:order[2]]
    assert "Blocked by 1 requirement" in section and "tickets ids are not unique" in section
    assert "could not be measured" in section
    # Score and band are explained, band names are the stored ones.
    assert "blocked 0–49, at risk 50–79, ready 80–100" in html and "band none" in html and "band —" not in html
    # Charts are inline SVG; nothing is fetched.
    assert html.count("<svg") >= 3 and not re.search(r'(src|href)="https?://', html)
    # Passing checks are folded; failing ones shown.
    assert '<details class="passing"><summary>9 passing checks</summary>' in html
    # Values and times for people.
    assert "{'" not in html and "None" not in html
    assert "documentation url: — · data card: —" in html
    assert "<code>tickets</code>" in html
    assert "00:19:21.250627" not in html.replace("cli__2026-11-30T00:19:21.250627Z", "")
    assert '<time datetime="2026-11-30T00:19:39Z" data-local>30 Nov 2026, 00:19 UTC</time>' in html
    assert "took 18 s" in html
    # Dataset check, and how the use case weighs the same finding.
    assert "for the dataset" in html and 'For <a href="#uc-support_assistant">support_assistant</a>' in html
    # Text min/max as stored (masking happens where results are made, not here).
    assert ">9E<" in html and ">N10156<" in html


def test_report_json_keeps_its_fields_and_adds_state(tmp_path: Path) -> None:
    data = json.loads((write_reports(_run(), tmp_path) / "report.json").read_text())
    use_case = next(uc for uc in data["use_cases"] if uc["name"] == "support_assistant")
    assert {"name", "kind", "verdict", "score", "readiness_level", "blockers", "fixes", "checks"} <= set(use_case)
    states = {c["id"]: (c["status"], c["state"]) for c in use_case["checks"]}
    assert states["freshness.tickets"] == ("failed", "not_measured")
    assert states["stable_ids.tickets"] == ("failed", "failed")
    assert use_case["readiness_level"] == "none"


def test_many_datasets_render_the_same_html_in_parallel_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """A report of many datasets renders its dataset sections in forked processes when
    given workers: the page is byte for byte what one process renders, in order."""
    from concurrent.futures import ProcessPoolExecutor

    from preflight.run import report
    from preflight.run.report import render_html, report_dict

    pools: list[int] = []

    class CountedPool(ProcessPoolExecutor):
        def __init__(self, workers: int, **kwargs: Any) -> None:
            pools.append(workers)
            super().__init__(workers, **kwargs)

    monkeypatch.setattr(report, "ProcessPoolExecutor", CountedPool)

    run = _run()
    template = run.datasets[0]
    many = tuple(
        template.model_copy(update={"name": f"tickets_{i:03}", "scores": {"quality": i % 101}}) for i in range(250)
    )
    verdicts = tuple(v.model_copy(update={"datasets": (*v.datasets, "tickets_007", "tickets_249")}) for v in run.use_cases)
    run = run.model_copy(update={"datasets": many, "use_cases": verdicts})
    data = report_dict(run)

    one = render_html(run, data)
    sliced = render_html(run, data, workers=3)

    assert pools == [2]  # 250 datasets: two slices of at least 100, not three
    assert sliced == one
    order = [m.group(1) for m in re.finditer(r'<section class="dataset" id="ds-(tickets_\d+)"', sliced)]
    assert order == [d.name for d in many]
