"""Every requirement of every kind, with a passing and a failing fixture.

A "good world" satisfies all requirements of all kinds; for each requirement, one
mutation of that world (keyed by the requirement's rule) must make it fail — and only
through that requirement's own checks.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from preflight.config import load_config
from preflight.judge.evaluate import evaluate_use_case
from preflight.judge.kinds import kind_names
from preflight.judge.rules import RULES, load_kind
from preflight.measure.use_case import UseCaseMeasures
from preflight.model.results import (
    Check,
    ColumnProfile,
    DatasetAudit,
    DatasetStatus,
    Dimension,
    Severity,
    TableProfile,
)

KINDS = kind_names()
NOW = datetime(2026, 11, 25, tzinfo=UTC)
ROWS = 2000
COLUMNS = {"doc_id": "numeric", "body": "text", "label": "text", "created_at": "temporal", "locale": "text",
           "user_id": "numeric", "item_id": "numeric"}
ROLES = {
    "rag": {"docs": "documents"},
    "agent_tools": {"docs": "documents"},
    "analytics": {"docs": "documents"},
    "recommendation": {"events": "events", "users": "users", "items": "items"},
    "localization": {"source": "source_text", "target": "target_text"},
    "fine_tuning": {"examples": "examples"},
}
TEXT_OK = {"documents": ROWS, "empty": 0.0, "too_short": 0.0, "too_long": 0.0, "exact_duplicates": 0.0,
           "near_duplicates": 0.0, "mojibake": 0.0, "boilerplate": 0.0, "languages": {"en": 1.0}}


def _good_world(kind: str) -> dict[str, Any]:
    datasets = {}
    for name in ("docs", "events", "users", "items", "source", "target", "examples"):
        datasets[name] = {
            "catalog": {
                "source": "db", "table": name, "description": f"{name} table", "owner": "team@corp",
                "classification": "confidential", "primary_key": "doc_id", "text_columns": ["body"],
                "access_label_column": "label", "freshness": {"column": "created_at", "slo": "24h"},
            },
            "nulls": {},
            "rows": ROWS,
            "status": DatasetStatus.OK,
            "checks": {
                "quality.uniqueness.primary_key": True, "quality.timeliness": True, "lineage.producer": True,
                "discoverability.description": True, "discoverability.column_descriptions": True,
            },
            "facts": {"text": {"body": dict(TEXT_OK)}, "pii": {}},
        }
    use_case: dict[str, Any] = {
        "kind": kind,
        "datasets": {name: {"role": role, "columns": ["doc_id", "body", "label", "created_at"]} for name, role in ROLES[kind].items()},
        "target_languages": ["en"],
        "target_locales": ["fr-FR"],
    }
    if kind == "localization":
        use_case["datasets"]["target"]["locale_column"] = "locale"
    if kind == "fine_tuning":
        use_case["datasets"]["examples"]["label_column"] = "label"
    measures = {
        "joins": [{"from": "events.item_id", "to": "items.doc_id", "min_coverage": 0.99, "rows": ROWS, "matched": ROWS, "coverage": 1.0}],
        "events_per_entity": [{"key": "events.user_id", "min_events": 3, "min_share": 0.8, "entities": 100,
                               "with_enough": 100, "share": 1.0, "fewest": 5, "mean": 20.0}],
        "locales": {"target": {"column": "target.locale", "per_locale": {"fr-FR": ROWS}, "invalid": [],
                               "coverage": {"fr-FR": 1.0}, "items": ROWS, "per": "doc_id"}},
        "labels": {"examples": {"column": "examples.label", "classes": {"a": 1000, "b": 1000}, "smallest_share": 0.5}},
    }
    return {"datasets": datasets, "use_case": use_case, "measures": measures}


def _evaluate(world: dict[str, Any], tmp_path: Path):  # noqa: ANN202
    catalog = {name: d["catalog"] for name, d in world["datasets"].items()}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({
        "sources": {"db": {"url": "sqlite:///x.db"}}, "datasets": catalog, "use_cases": {"uc": world["use_case"]},
    }))
    config = load_config(tmp_path)
    audits = {}
    for name, d in world["datasets"].items():
        ok = d["status"] is DatasetStatus.OK
        profile = TableProfile(
            table=name, row_count=d["rows"], profiled_at=NOW,
            columns=tuple(ColumnProfile(name=c, type=k.upper(), kind=k, null_count=d["nulls"].get(c, 0)) for c, k in COLUMNS.items()),
        )
        checks = tuple(
            Check(id=cid, dimension=Dimension(cid.split(".")[0]), severity=Severity.WARNING, passed=passed, message=cid)
            for cid, passed in d["checks"].items()
        )
        audits[name] = DatasetAudit(
            name=name, source="db", status=d["status"], reason=None if ok else "down", profile=profile if ok else None,
            checks=checks, facts=d["facts"], started_at=NOW, finished_at=NOW,
        )
    measures = UseCaseMeasures(**world["measures"])
    return evaluate_use_case("uc", config, audits, today=NOW.date(), measures=measures)


def _first_role(world: dict[str, Any], *roles: str) -> str:
    return next(n for n, d in world["use_case"]["datasets"].items() if not roles or d["role"] in roles)


def _set_text(metric: str) -> Callable[[dict], None]:
    def mutate(world: dict) -> None:
        for d in world["datasets"].values():
            if metric == "bad_length":
                d["facts"]["text"]["body"]["too_short"] = 0.9
            else:
                d["facts"]["text"]["body"][metric] = 0.9
    return mutate


def _all(world: dict, func: Callable[[dict], None]) -> None:
    for d in world["datasets"].values():
        func(d)


MUTATIONS: dict[str, Callable[[dict, dict], None]] = {
    "datasets_reachable": lambda w, p: w["datasets"][_first_role(w)].update(status=DatasetStatus.UNREACHABLE),
    "columns_present": lambda w, p: w["use_case"]["datasets"][_first_role(w)].update(columns=["doc_id", "no_such_column"]),
    "no_unapproved_pii": lambda w, p: _all(w, lambda d: d["facts"].update(pii={"body": {"EMAIL_ADDRESS": 0.1}})),
    "columns_complete": lambda w, p: w["datasets"][_first_role(w)]["nulls"].update(body=ROWS // 2),
    "keys_unique": lambda w, p: _all(w, lambda d: d["checks"].update({"quality.uniqueness.primary_key": False})),
    "dataset_quality": lambda w, p: _all(w, lambda d: d["checks"].update({"quality.validity.range.amount": False})),
    "fresh": lambda w, p: _all(w, lambda d: d["checks"].update({"quality.timeliness": False})),
    "documented_and_owned": lambda w, p: _all(w, lambda d: (
        d["catalog"].pop("description"), d["catalog"].pop("owner"), d["checks"].update({"discoverability.description": False}))),
    "lineage_known": lambda w, p: _all(w, lambda d: d["checks"].update({"lineage.producer": False})),
    "access_labels_present": lambda w, p: _all(w, lambda d: d["nulls"].update(label=ROWS // 2)),
    "text_present": lambda w, p: _all(w, lambda d: d["catalog"].pop("text_columns")),
    "text_metric": lambda w, p: _set_text(p["metric"])(w),
    "language_match": lambda w, p: _all(w, lambda d: d["facts"]["text"]["body"].update(languages={"fr": 1.0})),
    "join_coverage": lambda w, p: w["measures"]["joins"][0].update(coverage=0.5, matched=ROWS // 2),
    "events_per_entity": lambda w, p: w["measures"]["events_per_entity"][0].update(share=0.1, with_enough=10),
    "events_timestamped": lambda w, p: w["datasets"]["events"]["nulls"].update(created_at=5),
    "locale_codes_valid": lambda w, p: w["measures"]["locales"]["target"].update(invalid=["French"]),
    "locale_coverage": lambda w, p: w["measures"]["locales"]["target"].update(coverage={"fr-FR": 0.1}),
    "labels_complete_and_balanced": lambda w, p: w["measures"]["labels"]["examples"].update(smallest_share=0.01),
    "min_rows": lambda w, p: _all(w, lambda d: d.update(rows=10)),
    "schemas_documented": lambda w, p: _all(w, lambda d: d["checks"].update({"discoverability.column_descriptions": False})),
    "access_classified": lambda w, p: _all(w, lambda d: d["catalog"].pop("classification")),
}

CASES = [(kind, req) for kind in KINDS for req in load_kind(kind).requirements]


def test_every_rule_has_a_failing_fixture() -> None:
    assert set(RULES) == set(MUTATIONS), "add a mutation for every rule"


@pytest.mark.parametrize("kind", KINDS)
def test_good_world_passes_every_requirement(kind: str, tmp_path: Path) -> None:
    verdict = _evaluate(_good_world(kind), tmp_path)
    failing = [c.message for c in verdict.checks if not c.passed]
    assert not failing, failing
    assert verdict.verdict.value == "ready" and verdict.readiness_level == "A"
    ids = {c.details["requirement"] for c in verdict.checks}
    assert ids == {r.id for r in load_kind(kind).requirements}, "every requirement produced a check"


@pytest.mark.parametrize(("kind", "requirement"), CASES, ids=[f"{k}-{r.id}" for k, r in CASES])
def test_requirement_fails_on_its_fixture(kind: str, requirement: Any, tmp_path: Path) -> None:
    world = copy.deepcopy(_good_world(kind))
    MUTATIONS[requirement.rule](world, requirement.params)
    verdict = _evaluate(world, tmp_path)
    own = [c for c in verdict.checks if c.details["requirement"] == requirement.id]
    assert any(not c.passed for c in own), f"{requirement.id} did not fail: {[c.message for c in own]}"
    expected = {"blocker": "blocked", "warning": "at_risk", "info": None}[requirement.severity.value]
    if expected == "blocked":
        assert verdict.verdict.value == "blocked"
    elif expected == "at_risk":
        assert verdict.verdict.value in ("at_risk", "blocked")
