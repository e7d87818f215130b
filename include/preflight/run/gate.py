"""The launch gate: may this use case launch, on the evidence the results store holds?

The gate opens only on a complete, current verdict that allows it. It is closed, with
every reason it finds, when:

- no finished audit has judged the use case;
- the newest one (the finished run that *started* last) is older than the maximum age
  (``--max-age``, else ``settings.gate_max_age``, default 7 days);
- the configuration changed since (its fingerprint differs: the use case, its kind, a
  dataset's catalog entry or source, a suite, or the settings that shape measuring);
- the audit did not complete (a dataset it needs was never audited in that run);
- the verdict is ``blocked``, or ``at_risk`` when at-risk launches are not allowed.

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
from preflight.model.config import Config
from preflight.model.results import Verdict, VerdictLevel
from preflight.run.store import ResultsStore

__all__ = ["GateDecision", "check_gate", "current_fingerprint", "decide_gate", "format_age", "stamp"]


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
    return f"{age.total_seconds() / 60:.0f} min"


@dataclass(frozen=True)
class GateDecision:
    use_case: str
    open: bool
    reasons: tuple[str, ...] = ()
    verdict: Verdict | None = None
    run_id: str | None = None
    audited_at: datetime | None = None
    details: dict[str, object] = field(default_factory=dict)


def decide_gate(
    store: ResultsStore,
    config: Config,
    use_case: str,
    *,
    now: datetime,
    max_age: timedelta | None = None,
    run_id: str | None = None,
    allow_at_risk: bool = True,
) -> GateDecision:
    """Whether ``use_case`` may launch (see the module docstring); ``run_id`` pins the
    run to read (the audit DAG's own run), else the newest finished one."""
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
    if verdict.verdict is VerdictLevel.BLOCKED:
        reasons.append(f"{use_case} is BLOCKED (score {verdict.score}):")
        reasons.extend(f"  {line}" for line in verdict.blockers)
    elif verdict.verdict is VerdictLevel.AT_RISK and not allow_at_risk:
        reasons.append(f"{use_case} is AT RISK (score {verdict.score}) and this gate does not let at-risk use cases launch")
    return GateDecision(
        use_case,
        open=not reasons,
        reasons=tuple(reasons),
        verdict=verdict,
        run_id=run_id,
        audited_at=started,
        details={"age_seconds": round(age.total_seconds()), "changed": changed},
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
) -> Verdict:
    """The verdict that opens the gate; raises :class:`GateClosedError` with every reason."""
    decision = decide_gate(
        store, config, use_case, now=now, max_age=max_age, run_id=run_id, allow_at_risk=allow_at_risk
    )
    if not decision.open:
        raise GateClosedError(use_case, decision.reasons, run_id=decision.run_id)
    assert decision.verdict is not None  # an open gate always read one
    return decision.verdict
