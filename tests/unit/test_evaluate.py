"""Scoring and verdict rules, waivers (fixed clock), readiness bands and fix ranking."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from evidence_world import audit, good_evidence

from preflight.config import load_config
from preflight.judge.evaluate import evaluate_all, evaluate_use_case, verdict_of
from preflight.judge.evidence import EvidenceSet
from preflight.model.results import (
    Check,
    DatasetAudit,
    DatasetStatus,
    Dimension,
    Severity,
    VerdictLevel,
)
from preflight.model.scoring import dataset_scores, weighted_score

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
TODAY = NOW.date()


def _check(id: str, passed: bool, severity: Severity = Severity.WARNING, dimension: Dimension = Dimension.QUALITY, **kw) -> Check:
    return Check(id=id, dimension=dimension, severity=severity, passed=passed, message=id, **kw)


def _audit(name: str, *, rows: int = 100, nulls: dict[str, int] | None = None, status=DatasetStatus.OK,
           pii: dict[str, dict[str, float]] | None = None) -> DatasetAudit:
    return audit(name, rows=rows, nulls=nulls, status=status, evidence=good_evidence(name, rows=rows, pii=pii))


def _evaluate(name: str, config, audits: dict[str, DatasetAudit], *, today: date = TODAY):  # noqa: ANN001, ANN202
    return evaluate_use_case(name, config, EvidenceSet(audits), today=today)


def _config(tmp_path: Path, use_case: dict, catalog: dict | None = None):
    catalog = catalog or {
        "docs": {
            "source": "db", "table": "docs", "description": "Docs", "owner": "team",
            "primary_key": "doc_id", "classification": "internal",
            "access_label_column": "label", "text_columns": ["body"],
            "freshness": {"column": "created_at", "slo": "24h"},
        }
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({
        "sources": {"db": {"url": "sqlite:///x.db"}},
        "datasets": catalog,
        "use_cases": {"uc": use_case},
    }))
    return load_config(tmp_path)


RAG = {"kind": "rag", "business_sponsor": "VP Support", "owner": "ai@corp",
       "datasets": {"docs": {"role": "documents", "columns": ["doc_id", "body", "label"]}}}


def test_verdict_rules() -> None:
    assert verdict_of([_check("a", True)]) is VerdictLevel.READY
    assert verdict_of([_check("a", False, Severity.INFO)]) is VerdictLevel.READY
    assert verdict_of([_check("a", False, Severity.WARNING)]) is VerdictLevel.AT_RISK
    assert verdict_of([_check("a", False, Severity.WARNING), _check("b", False, Severity.BLOCKER)]) is VerdictLevel.BLOCKED
    waived = _check("b", False, Severity.BLOCKER).model_copy(update={"waived": True})
    assert verdict_of([waived]) is VerdictLevel.READY


def test_weighted_score() -> None:
    checks = [_check("a", True, Severity.BLOCKER), _check("b", False, Severity.WARNING), _check("c", True, Severity.INFO)]
    assert weighted_score(checks) == round(100 * 4 / 6)
    assert weighted_score([]) is None
    assert weighted_score([_check("d", False, details={"weight": 3}), _check("e", True, details={"weight": 1})]) == 25


def test_unreachable_dataset_scores_zero_everywhere() -> None:
    scores = dataset_scores([_check("access.reachable", False, Severity.BLOCKER, Dimension.ACCESS)], DatasetStatus.UNREACHABLE)
    assert scores == {"discoverability": 0, "quality": 0, "lineage": 0}


def test_ready_use_case_reaches_band_a(tmp_path: Path) -> None:
    config = _config(tmp_path, RAG)
    verdict = _evaluate("uc", config, {"docs": _audit("docs")}, today=TODAY)
    assert verdict.verdict is VerdictLevel.READY, [c.message for c in verdict.checks if c.failing]
    assert verdict.score == 100
    assert verdict.readiness_level == "A"
    assert verdict.fixes == ()


def test_nulls_in_needed_column_block_and_threshold_override(tmp_path: Path) -> None:
    audits = {"docs": _audit("docs", nulls={"body": 5})}
    blocked = _evaluate("uc", _config(tmp_path, RAG), audits, today=TODAY)
    assert blocked.verdict is VerdictLevel.BLOCKED
    assert any("docs.body is 5.0% NULL" in b for b in blocked.blockers)
    assert blocked.readiness_level == "C"  # reachable and legal, not faithful

    relaxed = _evaluate("uc", _config(tmp_path, {**RAG, "thresholds": {"completeness": 0.1}}), audits, today=TODAY)
    assert relaxed.verdict is VerdictLevel.READY


def test_unreachable_dataset_blocks_at_band_none(tmp_path: Path) -> None:
    audits = {"docs": _audit("docs", status=DatasetStatus.UNREACHABLE)}
    verdict = _evaluate("uc", _config(tmp_path, RAG), audits, today=TODAY)
    assert verdict.verdict is VerdictLevel.BLOCKED
    assert verdict.readiness_level == "none"
    assert "docs is unreachable: table not found" in verdict.blockers[0]


def test_pii_blocks_unless_handled_on_classified_data(tmp_path: Path) -> None:
    audits = {"docs": _audit("docs", pii={"body": {"EMAIL_ADDRESS": 0.12}})}
    forbidden = _evaluate("uc", _config(tmp_path, RAG), audits, today=TODAY)
    assert forbidden.verdict is VerdictLevel.BLOCKED
    assert "EMAIL_ADDRESS in 12.0% of rows" in forbidden.blockers[0]

    masked_public = _config(tmp_path, {**RAG, "pii": "masked_before_indexing"}, catalog={
        "docs": {"source": "db", "table": "docs", "description": "d", "owner": "o", "primary_key": "doc_id",
                 "classification": "public", "access_label_column": "label", "text_columns": ["body"]}})
    assert _evaluate("uc", masked_public, audits, today=TODAY).verdict is VerdictLevel.BLOCKED

    masked_confidential = _config(tmp_path, {**RAG, "pii": "masked_before_indexing"}, catalog={
        "docs": {"source": "db", "table": "docs", "description": "d", "owner": "o", "primary_key": "doc_id",
                 "classification": "confidential", "access_label_column": "label", "text_columns": ["body"],
                 "freshness": {"column": "created_at", "slo": "24h"}}})
    assert _evaluate("uc", masked_confidential, audits, today=TODAY).verdict is VerdictLevel.READY


@pytest.mark.parametrize(("expires", "today", "blocked"), [
    (date(2026, 12, 31), date(2026, 11, 25), False),  # valid waiver: no longer blocks
    (date(2026, 12, 31), date(2026, 12, 31), False),  # valid through its expiry day
    (date(2026, 11, 1), date(2026, 11, 25), True),  # expired: blocks again
])
def test_waivers_with_fixed_clock(tmp_path: Path, expires: date, today: date, blocked: bool) -> None:
    use_case = {**RAG, "waivers": [{"check": "completeness.docs.*", "reason": "backfill running", "approver": "dana@corp", "expires": expires.isoformat()}]}
    audits = {"docs": _audit("docs", nulls={"body": 5})}
    verdict = _evaluate("uc", _config(tmp_path, use_case), audits, today=today)
    check = next(c for c in verdict.checks if c.id == "completeness.docs.body")
    assert check.waiver["approver"] == "dana@corp"
    assert check.waived is not blocked
    assert (verdict.verdict is VerdictLevel.BLOCKED) is blocked
    if blocked:
        assert "expired on 2026-11-01" in check.message


def test_fixes_ranked_by_gain_and_platform_view(tmp_path: Path) -> None:
    catalog = {
        "docs": {"source": "db", "table": "docs", "primary_key": "doc_id", "classification": "internal", "access_label_column": "label"},
        "other": {"source": "db", "table": "other", "description": "o", "owner": "o", "primary_key": "doc_id"},
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({
        "sources": {"db": {"url": "sqlite:///x.db"}},
        "datasets": catalog,
        "use_cases": {
            "a": {"kind": "analytics", "datasets": ["docs"]},
            "b": {"kind": "rag", "datasets": {"docs": {"columns": ["doc_id", "body"]}}},
            "c": {"kind": "rag", "datasets": {"docs": {"columns": ["doc_id", "body"]}, "other": {}}},
        },
    }))
    config = load_config(tmp_path)
    audits = [
        _audit("docs", nulls={"body": 50}),  # undocumented + incomplete body
        _audit("other"),
    ]
    verdicts, platform = evaluate_all(config, audits, today=TODAY)
    by_name = {v.use_case: v for v in verdicts}
    assert by_name["b"].verdict is VerdictLevel.BLOCKED
    first = by_name["b"].fixes[0]
    assert first["check_id"] == "completeness.docs.body"  # the only blocker comes first
    assert first["verdict_after"] == "at_risk" and first["verdict_gain"] == 1
    assert [f["rank"] for f in by_name["b"].fixes] == list(range(1, len(by_name["b"].fixes) + 1))
    assert platform[0]["dataset"] == "docs"
    assert platform[0]["unblocks"] == ["b", "c"]
