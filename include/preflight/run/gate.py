"""The launch gate: may this use case launch, on the evidence the results store holds?

The gate opens only on a complete, current verdict that allows it. It is closed, with
every reason it finds, when:

- no finished audit has judged the use case;
- the newest one (the finished run that *started* last) is older than the maximum age
  (counted from its oldest evidence: a targeted run's carried-over audits keep their age)
  (``--max-age``, else ``settings.gate_max_age``, default 7 days);
- the configuration changed since (its fingerprint differs: the use case, its kind, a
  dataset's catalog entry or source, a suite, or the settings that shape measuring);
- the audit did not complete (a dataset it needs was never audited in that run);
- the verdict is ``blocked``, or ``at_risk`` when at-risk launches are not allowed.

An at-risk verdict can be *approved*: a named person's time-boxed waiver, stored in the
results store (:class:`~preflight.model.approvals.LaunchApproval`, given through Airflow's
human-in-the-loop approval in :mod:`preflight.airflow.operators`). When the caller
honours approvals, a valid approval of exactly this verdict (the same audit run and
fingerprint, not expired) stands in for "at-risk launches allowed" and nothing else: it
never opens a blocked, stale, changed or incomplete verdict, and a newer audit or a
changed configuration needs a new approval.

The CLI (``preflight gate``), the audit DAG's gate task and the gate operator a team
puts into its own DAG all decide here, so they agree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from preflight import settings
from preflight.errors import GateClosedError, UnknownUseCaseError
from preflight.judge.fingerprint import changed_parts, combine, fingerprint_parts
from preflight.model.approvals import LaunchApproval
from preflight.model.config import Config
from preflight.model.results import Verdict, VerdictLevel
from preflight.run.store import ResultsStore

__all__ = [
    "GateDecision",
    "check_gate",
    "current_fingerprint",
    "decide_gate",
    "format_age",
    "stamp",
    "valid_approval",
]


def _suite_digests(config: Config, datasets: list[str]) -> dict[str, str | None]:
    folder = settings.expectations_dir(config.directory, config.settings.expectations_dir)
    digests: dict[str, str | None] = {}
    for name in datasets:
        path = folder / f"{name}.json"
        digests[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else None
    return digests


def current_fingerprint(config: Config, use_case: str) -> dict[str, str]:
    """The fingerprint parts of ``use_case`` in today's configuration (suites read from disk)."""
    return fingerprint_parts(config, use_case, _suite_digests(config, list(config.use_cases[use_case].datasets)))


def stamp(config: Config, verdict: Verdict) -> Verdict:
    """``verdict`` with the fingerprint of what it judged."""
    parts = current_fingerprint(config, verdict.use_case)
    return verdict.model_copy(update={"fingerprint": combine(parts), "fingerprint_parts": parts})


def format_age(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    if hours >= 48:
        return f"{hours / 24:.1f} days"
    if hours >= 1:
        return f"{hours:.1f} h"
    if age.total_seconds() >= 60:
        return f"{age.total_seconds() / 60:.0f} min"
    return f"{age.total_seconds():.0f} s"


@dataclass(frozen=True)
class GateDecision:
    use_case: str
    open: bool
    reasons: tuple[str, ...] = ()
    verdict: Verdict | None = None
    run_id: str | None = None
    audited_at: datetime | None = None
    details: dict[str, object] = field(default_factory=dict)
    # A valid approval of this very verdict (looked up only when the caller honours
    # approvals); ``approved`` says whether it is what opened the gate.
    approval: LaunchApproval | None = None
    approved: bool = False
    # Closed only because the verdict is at risk and at-risk launches are not allowed:
    # a person may approve it (nothing else closes the gate).
    approvable: bool = False


def valid_approval(store: ResultsStore, use_case: str, run_id: str, fingerprint: str, now: datetime) -> LaunchApproval | None:
    """The newest approval of the verdict of ``use_case`` in audit run ``run_id`` judged on
    ``fingerprint`` that is valid at ``now``; a later rejection of the same verdict
    withdraws every earlier approval."""
    for decision in store.launch_approvals(use_case, run_id=run_id):
        if decision.fingerprint != fingerprint or decision.decided_at > now:
            continue
        return decision if decision.valid_at(now) else None
    return None


def decide_gate(
    store: ResultsStore,
    config: Config,
    use_case: str,
    *,
    now: datetime,
    max_age: timedelta | None = None,
    run_id: str | None = None,
    allow_at_risk: bool = True,
    honour_approvals: bool = False,
) -> GateDecision:
    """Whether ``use_case`` may launch (see the module docstring); ``run_id`` pins the
    run to read (the audit DAG's own run), else the newest finished one. With
    ``honour_approvals`` a valid approval of this verdict lets an at-risk use case
    launch although ``allow_at_risk`` is False."""
    if use_case not in config.use_cases:
        raise UnknownUseCaseError(
            f"no use case {use_case!r} in the configuration (known: {', '.join(sorted(config.use_cases)) or 'none'})"
        )
    max_age = max_age or config.settings.gate_max_age
    if run_id is not None:
        run = store.load_run(run_id)
        verdict = next((v for v in run.use_cases if v.use_case == use_case), None)
        if run.finished_at is None or verdict is None:
            return GateDecision(use_case, False, (f"run {run_id} has no finished verdict for {use_case}",), run_id=run_id)
        started = run.started_at
    else:
        found = store.latest_verdict(use_case)
        if found is None:
            return GateDecision(
                use_case, False, (f"no finished audit has judged {use_case}: run `preflight audit` or the preflight_audit DAG",)
            )
        run, verdict = found
        run_id, started = run.run_id, run.started_at

    reasons: list[str] = []
    # The evidence is as old as its oldest audit (a targeted run carries earlier ones over).
    if verdict.measured_at is not None:
        started = min(started, verdict.measured_at)
    age = now - started
    if age > max_age:
        reasons.append(
            f"the newest audit (run {run_id}) is {format_age(age)} old; the gate accepts at most {format_age(max_age)}"
        )
    changed = changed_parts(verdict.fingerprint_parts, current_fingerprint(config, use_case))
    if not verdict.fingerprint_parts:
        reasons.append("the verdict records no fingerprint of what it judged (audited by an older Preflight)")
    elif changed:
        reasons.append(f"the configuration changed since the audit: {', '.join(changed)}")
    if not verdict.complete:
        reasons.append("the audit did not complete: a dataset this use case needs was not audited in that run")
    current = not reasons  # fresh, judged on today's configuration, complete
    approval = None
    if honour_approvals and verdict.verdict is VerdictLevel.AT_RISK and verdict.fingerprint:
        approval = valid_approval(store, use_case, run_id, verdict.fingerprint, now)
    approved = approvable = False
    if verdict.verdict is VerdictLevel.BLOCKED:
        reasons.append(f"{use_case} is BLOCKED (score {verdict.score}):")
        reasons.extend(f"  {line}" for line in verdict.blockers)
    elif verdict.verdict is VerdictLevel.AT_RISK and not allow_at_risk:
        if approval is not None and current:
            approved = True
        else:
            reasons.append(
                f"{use_case} is AT RISK (score {verdict.score}) and this gate does not let at-risk use cases launch"
                + (" without an approval" if honour_approvals else "")
            )
            approvable = current
            if approval is not None:
                reasons.append(f"{approval.describe()}; an approval waives only the at-risk reason")
    return GateDecision(
        use_case,
        open=not reasons,
        reasons=tuple(reasons),
        verdict=verdict,
        run_id=run_id,
        audited_at=started,
        details={"age_seconds": round(age.total_seconds()), "changed": changed},
        approval=approval,
        approved=approved,
        approvable=approvable,
    )


def check_gate(
    store: ResultsStore,
    config: Config,
    use_case: str,
    *,
    now: datetime,
    max_age: timedelta | None = None,
    run_id: str | None = None,
    allow_at_risk: bool = True,
    honour_approvals: bool = False,
) -> Verdict:
    """The verdict that opens the gate; raises :class:`GateClosedError` with every reason."""
    decision = decide_gate(
        store, config, use_case, now=now, max_age=max_age, run_id=run_id, allow_at_risk=allow_at_risk,
        honour_approvals=honour_approvals,
    )
    if not decision.open:
        raise GateClosedError(use_case, decision.reasons, run_id=decision.run_id)
    assert decision.verdict is not None  # an open gate always read one
    return decision.verdict
