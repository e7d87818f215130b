"""The probe registry: every check and every piece of evidence about a dataset comes
from a registered probe.

A probe is a function ``(ProbeContext) -> Iterable[Check]`` made into a :class:`Probe`
by the :func:`probe` decorator. It reads the dataset through ``ctx.engine`` (and
``ctx.cache``, which earlier probes fill), returns Checks for the dataset's report and
records typed evidence for judging (``ctx.record(...)``); it never raises for a data
problem. ``produces`` names the kinds of evidence it records, so that when it crashes
every requirement that needed them reads "not measured: the <probe> probe failed".

The built-in probes are registered explicitly by :func:`builtin_probes` (one list, in
one place); registering a name twice is an error, never a silent overwrite. Adding a
check family is one module in ``measure/checks/`` with a ``PROBES`` tuple, plus one line
in :data:`BUILTIN_MODULES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, Protocol

from preflight.errors import RegistrationError
from preflight.model.evidence import AnyEvidence, Evidence, RuleFigures, RuleResult
from preflight.model.results import Check, DatasetAudit, Dimension, TableProfile

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from preflight.model.config import Config, DatasetConfig


class AuditHistory(Protocol):
    """Where history-aware probes read a dataset's earlier audits (the results store)."""

    def dataset_history(self, dataset: str, *, before: str | None = None, limit: int = 20) -> list[DatasetAudit]: ...

__all__ = [
    "BUILTIN_MODULES",
    "AuditHistory",
    "Probe",
    "ProbeContext",
    "ProbeRegistry",
    "builtin_probes",
    "probe",
]

# The check families, in the order their modules are read (probes run by `order`).
BUILTIN_MODULES = (
    "preflight.measure.checks.quality",
    "preflight.measure.checks.gx_suite",
    "preflight.measure.checks.contract",
    "preflight.measure.checks.discoverability",
    "preflight.measure.checks.lineage",
    "preflight.measure.checks.privacy",
    "preflight.measure.checks.text_fitness",
    "preflight.measure.checks.history",
)


@dataclass
class ProbeContext:
    name: str  # dataset name in the catalog
    dataset: DatasetConfig
    config: Config
    engine: Engine
    profile: TableProfile
    now: datetime  # one clock for the whole audit (timezone-aware UTC)
    store: AuditHistory | None = None  # for history-aware probes
    run_id: str | None = None  # this audit's run, excluded from history
    facts: dict[str, Any] = field(default_factory=dict)  # reported with the audit; never judged
    cache: dict[str, Any] = field(default_factory=dict)  # shared between probes, not reported
    evidence: list[AnyEvidence] = field(default_factory=list)

    def record(self, evidence: Evidence[Any]) -> None:
        """Record evidence for judging (measured, or not measured with the reason)."""
        self.evidence.append(evidence)  # type: ignore[arg-type]  # every kind is in AnyEvidence

    def record_rule(self, check: Check, origin: Literal["builtin", "suite", "history"] = "builtin") -> Check:
        """Record a declared data rule's check as a :class:`RuleResult` (not measured when
        the check could not be evaluated) and hand the check back."""
        common: dict[str, Any] = {
            "dataset": self.name,
            "rule": check.id,
            "origin": origin,
            "severity": check.severity.value,
            "column": check.column,
        }
        if check.measured:
            figures = RuleFigures(
                passed=check.passed,
                message=check.message,
                observed=check.observed,
                expected=check.expected,
                remediation=check.remediation,
            )
            self.record(RuleResult(**common, figures=figures))
        else:
            self.record(RuleResult(**common, reason=check.message))
        return check


ProbeFunc = Callable[[ProbeContext], Iterable[Check]]


@dataclass(frozen=True)
class Probe:
    name: str
    dimension: Dimension
    order: int  # lower runs first: quality 10-40, discoverability 50, lineage 60, privacy/content 70, history 90
    func: ProbeFunc
    produces: tuple[type[Evidence[Any]], ...] = ()

    def __call__(self, ctx: ProbeContext) -> Iterable[Check]:
        return self.func(ctx)


def probe(
    name: str,
    dimension: Dimension,
    *,
    order: int = 50,
    produces: Sequence[type[Evidence[Any]]] = (),
) -> Callable[[ProbeFunc], Probe]:
    """Make a function a :class:`Probe` (it is registered by the module's ``PROBES``)."""

    def make(func: ProbeFunc) -> Probe:
        return Probe(name, dimension, order, func, tuple(produces))

    return make


class ProbeRegistry:
    """Probes by name; a second probe of the same name is refused."""

    def __init__(self, probes: Iterable[Probe] = ()) -> None:
        self._probes: dict[str, Probe] = {}
        for one in probes:
            self.register(one)

    def register(self, new: Probe) -> None:
        if new.name in self._probes:
            raise RegistrationError(f"a probe named {new.name!r} is already registered")
        self._probes[new.name] = new

    def __iter__(self) -> Iterator[Probe]:
        """In running order."""
        return iter(sorted(self._probes.values(), key=lambda p: (p.order, p.name)))

    def __len__(self) -> int:
        return len(self._probes)


@cache
def builtin_probes() -> ProbeRegistry:
    """Preflight's own probes: every ``PROBES`` of :data:`BUILTIN_MODULES`."""
    registry = ProbeRegistry()
    for module_name in BUILTIN_MODULES:
        module = importlib.import_module(module_name)
        for one in module.PROBES:
            registry.register(one)
    return registry
