"""Every requirement of every kind: passing, failing, and failing closed.

A "good world" (its evidence is in ``evidence_world``) satisfies every requirement of
every kind. For each requirement:

- one mutation of that world's evidence, keyed by the requirement's rule, must make it
  fail — through that requirement's own checks, at its severity;
- with the evidence its rule reads marked *not measured*, it must not be met, at its own
  severity, with the reason: a probe that could not run never reads as a pass.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from evidence_world import NOW, audit, good_evidence, not_measured, replace

from preflight.config import load_config
from preflight.judge.evaluate import evaluate_use_case
from preflight.judge.evidence import EvidenceSet, ProfileEvidence
from preflight.judge.kinds import kind_names, load_kind
from preflight.judge.plan import cross_plan
from preflight.judge.rules import builtin_rules
from preflight.model.evidence import (
    Documentation,
    EventsFigures,
    EventsPerEntity,
    Evidence,
    Freshness,
    JoinCoverage,
    JoinFigures,
    KeyUniqueness,
    LabelBalance,
    LabelFigures,
    Lineage,
    LocaleCoverage,
    LocaleFigures,
    PiiScan,
    RuleFigures,
    RuleResult,
    TextFitness,
)
from preflight.model.results import DatasetStatus, ProbeFailure, Verdict

KINDS = kind_names()
ROWS = 2000
ROLES = {
    "rag": {"docs": "documents"},
    "agent_tools": {"docs": "documents"},
    "analytics": {"docs": "documents"},
    "recommendation": {"events": "events", "users": "users", "items": "items"},
    "localization": {"source": "source_text", "target": "target_text"},
    "fine_tuning": {"examples": "examples"},
}


@dataclass
class World:
    catalog: dict[str, dict[str, Any]]
    use_case: dict[str, Any]
    datasets: dict[str, dict[str, Any]]  # name -> {rows, nulls, status, evidence}
    cross_changes: list[Callable[[list[Evidence[Any]]], list[Evidence[Any]]]] = field(default_factory=list)


def _good_world(kind: str) -> World:
    names = ROLES[kind]
    catalog: dict[str, dict[str, Any]] = {}
    for name in names:
        catalog[name] = {
            "source": "db", "table": name, "description": f"{name} table", "owner": "team@corp",
            "classification": "confidential", "primary_key": "doc_id", "text_columns": ["body"],
            "access_label_column": "label", "freshness": {"column": "created_at", "slo": "24h"},
        }
    use_case: dict[str, Any] = {
        "kind": kind,
        "business_sponsor": "VP Data",
        "owner": "ai-team@corp",
        "datasets": {n: {"role": r, "columns": ["doc_id", "body", "label", "created_at"]} for n, r in names.items()},
        "target_languages": ["en"],
        "target_locales": ["fr-FR"],
    }
    first = next(iter(names))
    if kind == "recommendation":  # join coverage and events per entity are derived from these
        catalog["events"]["related_keys"] = [
            {"column": "item_id", "references": "items.doc_id"},
            {"column": "user_id", "references": "users.doc_id"},
        ]
    else:  # every other kind reads the cross checks it declares
        use_case["cross_checks"] = [
            {"type": "join_coverage", "from": f"{first}.item_id", "to": f"{first}.doc_id"},
            {"type": "events_per_entity", "from": f"{first}.user_id"},
        ]
    if kind == "localization":
        use_case["datasets"]["target"]["locale_column"] = "locale"
    if kind == "fine_tuning":
        use_case["datasets"]["examples"]["label_column"] = "label"
    datasets = {
        n: {"rows": ROWS, "nulls": {}, "status": DatasetStatus.OK, "evidence": good_evidence(n, rows=ROWS)}
        for n in names
    }
    return World(catalog, use_case, datasets)


def _passing_cross(config: Any) -> list[Evidence[Any]]:
    plan = cross_plan(config, "uc")
    found: list[Evidence[Any]] = []
    found += [JoinCoverage(dataset=j.source.dataset, source=j.source, target=j.target,
                           figures=JoinFigures(rows=ROWS, matched=ROWS)) for j in plan.joins]
    found += [EventsPerEntity(dataset=e.entity.dataset, entity=e.entity, min_events=e.min_events,
                              figures=EventsFigures(entities=100, with_enough=100, fewest=5, mean=20.0)) for e in plan.events]
    found += [LocaleCoverage(dataset=r.dataset, column=r.column,
                             figures=LocaleFigures(per_locale={"fr-FR": ROWS}, invalid=(), items=ROWS, per="doc_id"))
              for r in plan.locales]
    found += [LabelBalance(dataset=r.dataset, column=r.column, figures=LabelFigures(classes={"a": 1000, "b": 1000}))
              for r in plan.labels]
    return found


def _evaluate(world: World, tmp_path: Path) -> Verdict:
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({
        "sources": {"db": {"url": "sqlite:///x.db"}}, "datasets": world.catalog, "use_cases": {"uc": world.use_case},
    }))
    config = load_config(tmp_path)
    audits = {
        name: audit(name, rows=d["rows"], nulls=d["nulls"], status=d["status"], evidence=d["evidence"])
        for name, d in world.datasets.items()
    }
    cross = _passing_cross(config)
    for change in world.cross_changes:
        cross = change(cross)
    return evaluate_use_case("uc", config, EvidenceSet(audits, cross), today=NOW.date())


def _every(world: World, change: Callable[[dict[str, Any]], None]) -> None:
    for d in world.datasets.values():
        change(d)


def _evidence(kind: type[Evidence[Any]], **figures: Any) -> Callable[[World, dict], None]:
    def mutate(world: World, params: dict) -> None:
        _every(world, lambda d: d.update(evidence=replace(d["evidence"], kind, **figures)))
    return mutate


def _cross(kind: type[Evidence[Any]], **figures: Any) -> Callable[[World, dict], None]:
    def mutate(world: World, params: dict) -> None:
        world.cross_changes.append(lambda records: replace(records, kind, **figures))
    return mutate


def _text(world: World, params: dict) -> None:
    metric = "too_short" if params["metric"] == "bad_length" else params["metric"]
    _evidence(TextFitness, **{metric: 0.9})(world, params)


def _failing_rule(world: World, params: dict) -> None:
    _every(world, lambda d: d["evidence"].append(RuleResult(
        dataset=d["evidence"][0].dataset, rule="quality.validity.range.amount", origin="builtin",
        figures=RuleFigures(passed=False, message="12 rows break the range rule"))))


def _first(world: World) -> str:
    return next(iter(world.use_case["datasets"]))


MUTATIONS: dict[str, Callable[[World, dict], None]] = {
    "datasets_reachable": lambda w, p: w.datasets[_first(w)].update(status=DatasetStatus.UNREACHABLE),
    "columns_present": lambda w, p: w.use_case["datasets"][_first(w)].update(columns=["doc_id", "no_such_column"]),
    "no_unapproved_pii": _evidence(PiiScan, shares={"EMAIL_ADDRESS": 0.1}),
    "columns_complete": lambda w, p: w.datasets[_first(w)]["nulls"].update(body=ROWS // 2),
    "keys_unique": _evidence(KeyUniqueness, duplicate_rows=7),
    "dataset_quality": _failing_rule,
    "fresh": _evidence(Freshness, age_hours=200.0),
    "documented_and_owned": lambda w, p: (
        [c.pop("description") and c.pop("owner") for c in w.catalog.values()],
        _evidence(Documentation, described=False, owned=False)(w, p),
    ),
    "lineage_known": _evidence(Lineage, producers=()),
    "access_labels_present": lambda w, p: _every(w, lambda d: d["nulls"].update(label=ROWS // 2)),
    "text_present": lambda w, p: [c.pop("text_columns") for c in w.catalog.values()],
    "text_metric": _text,
    "language_match": _evidence(TextFitness, languages={"fr": 1.0}),
    "join_coverage": _cross(JoinCoverage, matched=ROWS // 2),
    "events_per_entity": _cross(EventsPerEntity, with_enough=10),
    "events_timestamped": lambda w, p: w.datasets["events"]["nulls"].update(created_at=5),
    "locale_codes_valid": _cross(LocaleCoverage, invalid=("French",)),
    "locale_coverage": _cross(LocaleCoverage, per_locale={"fr-FR": 10}),
    "labels_complete_and_balanced": _cross(LabelBalance, classes={"a": 1990, "b": 10}),
    "min_rows": lambda w, p: _every(w, lambda d: d.update(rows=10)),
    "schemas_documented": _evidence(Documentation, columns_described=False),
    "access_classified": lambda w, p: [c.pop("classification") for c in w.catalog.values()],
    "use_case_accountable": lambda w, p: w.use_case.pop("business_sponsor"),
}

CASES = [(kind, req) for kind in KINDS for req in load_kind(kind).requirements]
IDS = [f"{k}-{r.id}" for k, r in CASES]


def test_every_rule_has_a_failing_fixture() -> None:
    assert set(builtin_rules()) == set(MUTATIONS), "add a mutation for every rule"


def test_every_kind_file_is_consistent() -> None:
    rules = builtin_rules()
    for kind in KINDS:
        profile = load_kind(kind)
        ids = [r.id for r in profile.requirements]
        assert len(ids) == len(set(ids)), f"{kind}: duplicate requirement ids"
        for requirement in profile.requirements:
            assert requirement.rule in rules, f"{kind}.{requirement.id}: unknown rule {requirement.rule}"
            roles = [*requirement.params.get("roles", []), requirement.params.get("derive_from_role"),
                     requirement.params.get("base_role")]
            assert {r for r in roles if r} <= set(profile.roles), f"{kind}.{requirement.id}: role not in the kind's roles"
        assert "use_case_accountable" in {r.rule for r in profile.requirements}, f"{kind} must judge accountability"


@pytest.mark.parametrize("kind", KINDS)
def test_good_world_passes_every_requirement(kind: str, tmp_path: Path) -> None:
    verdict = _evaluate(_good_world(kind), tmp_path)
    failing = [c.message for c in verdict.checks if not c.passed]
    assert not failing, failing
    assert verdict.verdict.value == "ready" and verdict.readiness_level == "A"
    assert verdict.score == 100
    ids = {c.details["requirement"] for c in verdict.checks}
    assert ids == {r.id for r in load_kind(kind).requirements}, "every requirement produced a check"


@pytest.mark.parametrize(("kind", "requirement"), CASES, ids=IDS)
def test_requirement_fails_on_its_fixture(kind: str, requirement: Any, tmp_path: Path) -> None:
    world = copy.deepcopy(_good_world(kind))
    MUTATIONS[requirement.rule](world, requirement.params)
    verdict = _evaluate(world, tmp_path)
    own = [c for c in verdict.checks if c.details["requirement"] == requirement.id]
    failing = [c for c in own if not c.passed]
    assert failing, f"{requirement.id} did not fail: {[c.message for c in own]}"
    assert any(c.severity is requirement.severity for c in failing)
    expected = {"blocker": "blocked", "warning": "at_risk", "info": None}[requirement.severity.value]
    if expected == "blocked":
        assert verdict.verdict.value == "blocked"
    elif expected == "at_risk":
        assert verdict.verdict.value in ("at_risk", "blocked")


def _mark_not_measured(world: World, reads: tuple[str, ...]) -> None:
    """Every record of the kinds ``reads`` names becomes "not measured"."""
    if ProfileEvidence.KIND in reads:  # nothing was read from the datasets at all
        _every(world, lambda d: d.update(status=DatasetStatus.UNREACHABLE))
    _every(world, lambda d: d.update(evidence=[not_measured(r) if r.KIND in reads else r for r in d["evidence"]]))
    world.cross_changes.append(lambda records: [not_measured(r) if r.KIND in reads else r for r in records])


FAIL_CLOSED = [(k, r) for k, r in CASES if builtin_rules()[r.rule].reads]


@pytest.mark.parametrize(("kind", "requirement"), FAIL_CLOSED, ids=[f"{k}-{r.id}" for k, r in FAIL_CLOSED])
def test_requirement_not_met_when_its_evidence_was_not_measured(kind: str, requirement: Any, tmp_path: Path) -> None:
    world = copy.deepcopy(_good_world(kind))
    _mark_not_measured(world, builtin_rules()[requirement.rule].reads)
    verdict = _evaluate(world, tmp_path)
    own = [c for c in verdict.checks if c.details["requirement"] == requirement.id]
    unmeasured = [c for c in own if not c.measured]
    assert unmeasured, f"{requirement.id} read no 'not measured': {[(c.passed, c.message) for c in own]}"
    for check in unmeasured:
        assert not check.passed, check.message
        assert check.severity is requirement.severity, f"{check.id}: {check.severity} is not {requirement.severity}"
        assert "could not be measured" in check.message or "unreachable" in check.message, check.message
    assert not any(c.passed for c in own if c.dataset and c.dataset in world.datasets and not c.measured)
    if requirement.severity.value == "blocker":
        assert verdict.verdict.value == "blocked"
    elif requirement.severity.value == "warning":
        assert verdict.verdict.value in ("at_risk", "blocked")


DATASET_KINDS = {"key_uniqueness", "freshness", "rule", "documentation", "lineage", "pii", "text"}
# Requirements whose evidence a probe records (the profile and cross-dataset measures are not a probe's).
PROBE_CASES = [(k, r) for k, r in FAIL_CLOSED if set(builtin_rules()[r.rule].reads) <= DATASET_KINDS]


@pytest.mark.parametrize(("kind", "requirement"), PROBE_CASES, ids=[f"{k}-{r.id}" for k, r in PROBE_CASES])
def test_requirement_not_met_when_the_probe_that_records_it_crashed(kind: str, requirement: Any, tmp_path: Path) -> None:
    """No record at all, and the probe that records it crashed: not met, with the crash as the reason."""
    reads = builtin_rules()[requirement.rule].reads
    world = copy.deepcopy(_good_world(kind))
    crash = ProbeFailure(reason="RuntimeError: boom", produces=tuple(reads))
    for d in world.datasets.values():
        d["evidence"] = [r for r in d["evidence"] if r.KIND not in reads]
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({
        "sources": {"db": {"url": "sqlite:///x.db"}}, "datasets": world.catalog, "use_cases": {"uc": world.use_case},
    }))
    config = load_config(tmp_path)
    audits = {
        n: audit(n, rows=ROWS, evidence=d["evidence"], failures={"the_probe": crash}) for n, d in world.datasets.items()
    }
    verdict = evaluate_use_case("uc", config, EvidenceSet(audits, _passing_cross(config)), today=NOW.date())
    own = [c for c in verdict.checks if c.details["requirement"] == requirement.id]
    crashed = [c for c in own if not c.measured]
    assert crashed, [c.message for c in own]
    assert all(not c.passed and c.severity is requirement.severity for c in crashed)
    assert all("the_probe probe failed: RuntimeError: boom" in c.message for c in crashed), [c.message for c in crashed]
