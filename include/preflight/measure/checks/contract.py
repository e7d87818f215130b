"""A data contract's rules beyond the catalog entry: run through GX, or reported.

A catalog entry read from an ODCS contract (:mod:`preflight.authoring.odcs`) carries its
built-in rules as catalog fields, which the quality probes check like any YAML entry.
What is left is here: rules Great Expectations can check exactly run as an in-memory
suite through the same machinery as ``<expectations_dir>/<dataset>.json``
(:func:`~preflight.measure.checks.gx_suite.run_parsed_suite`); rules Preflight cannot run
become failed checks that were *not measured* (fail closed: a promise nobody checked is
not kept), each naming the rule, the contract file and the field. Check ids are
``quality.contract.<rule id>``, so a waiver can name one rule or all of them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from preflight.measure.checks import gx_suite
from preflight.measure.registry import ProbeContext, probe
from preflight.model.contract import ContractRule, DatasetContract
from preflight.model.evidence import RuleResult
from preflight.model.results import Check, Dimension, Severity

__all__ = ["CHECK_PREFIX", "PROBES", "contract_rules"]

CHECK_PREFIX = "quality.contract."


def _not_supported(ctx: ProbeContext, contract: DatasetContract, rule: ContractRule) -> Check:
    file = Path(contract.file).name
    return Check(
        id=CHECK_PREFIX + rule.id,
        dimension=Dimension.QUALITY,
        severity=Severity(rule.severity),
        passed=False,
        measured=False,
        dataset=ctx.name,
        column=rule.column,
        observed="not checked",
        expected=rule.label,
        message=(
            f"{ctx.name}: contract rule '{rule.label}' ({file}, {rule.where}) is not supported "
            f"by Preflight, so it was not checked: {rule.reason}"
        ),
        remediation=(
            f"express the rule in {file} as something Preflight checks (see docs/formats.md), "
            f"or waive {CHECK_PREFIX}{rule.id} with the reason it need not be checked"
        ),
        details={"contract": file, "field": rule.where, "rule": rule.label},
    )


def _unusable(ctx: ProbeContext, contract: DatasetContract, rule: ContractRule, problems: tuple[str, ...]) -> Check:
    file = Path(contract.file).name
    return Check(
        id=CHECK_PREFIX + rule.id,
        dimension=Dimension.QUALITY,
        severity=Severity(rule.severity),
        passed=False,
        measured=False,
        dataset=ctx.name,
        column=rule.column,
        observed="not checked",
        expected=rule.label,
        message=(
            f"{ctx.name}: contract rule '{rule.label}' ({file}, {rule.where}) cannot run as a Great "
            f"Expectations expectation: {'; '.join(problems)}"
        ),
        remediation=f"fix the rule in {file} ({rule.where}): expectation types and kwargs as in GX 1.x",
        details={"contract": file, "field": rule.where, "rule": rule.label, "problems": list(problems)},
    )


@probe("contract_rules", Dimension.QUALITY, order=31, produces=[RuleResult])
def contract_rules(ctx: ProbeContext) -> list[Check]:
    """The contract's rules that are not built-in checks (none for a YAML entry). Each is a
    declared data rule: recorded as evidence, not measured when it could not run."""
    contract = ctx.config.contracts.get(ctx.name)
    if contract is None:
        return []
    checks: list[Check] = []
    runnable: list[gx_suite.ParsedExpectation] = []
    path = Path(contract.file)
    for rule in contract.rules:
        if rule.expectation is None:
            checks.append(_not_supported(ctx, contract, rule))
            continue
        # One rule at a time, so a rule GX rejects is reported as that rule.
        parsed = gx_suite.parse_suite({"name": path.name, "expectations": [rule.expectation]}, path)
        if parsed.problems or not parsed.expectations:
            checks.append(_unusable(ctx, contract, rule, parsed.problems))
            continue
        index = len(runnable)
        runnable.append(
            dataclasses.replace(parsed.expectations[0], index=index, check_id=CHECK_PREFIX + rule.id)
        )
    evaluated = successful = 0
    if runnable:
        suite = gx_suite.ParsedSuite(path=path, name=path.name, expectations=tuple(runnable))
        run = gx_suite.run_parsed_suite(
            ctx.engine, ctx.dataset.table, suite, schema=ctx.dataset.schema_name, dataset=ctx.name
        )
        evaluated, successful = run.evaluated, run.successful
        for check in run.checks:
            # The suite's own failure (table missing, GX error) was not a measurement either.
            if check.id == gx_suite.SUITE_CHECK_ID:
                check = check.model_copy(update={"id": CHECK_PREFIX + "suite", "measured": False})
            elif check.details.get("error") or check.details.get("missing_columns"):
                check = check.model_copy(update={"measured": False})
            checks.append(check)
        # Rules the suite could not reach at all (table missing, GX failed) are not measured,
        # each at the severity it declares.
        recorded = {c.id for c in checks}
        for rule_id, severity, column, reason in run.unevaluated:
            if rule_id not in recorded:
                ctx.record(RuleResult(dataset=ctx.name, rule=rule_id, origin="suite", severity=severity.value,
                                      column=column, reason=f"{rule_id} was not evaluated: {reason}"))
    ctx.facts["contract"] = {
        "file": path.name,
        "id": contract.contract_id,
        "version": contract.version,
        "rules": len(contract.rules),
        "run_as_gx": len(runnable),
        "evaluated": evaluated,
        "successful": successful,
        "not_supported": sum(1 for r in contract.rules if r.expectation is None),
        "not_checked": [f"{n.where}: {n.text}" for n in contract.notes],
    }
    return [ctx.record_rule(check, origin="suite") for check in checks]


PROBES = (contract_rules,)
