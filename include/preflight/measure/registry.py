"""The probe registry: every check of a dataset is produced by a registered probe.

A probe is a function ``(ProbeContext) -> Iterable[Check]``. It reads the dataset
through ``ctx.engine`` and what earlier probes left in ``ctx.facts``, and returns
Checks; it never raises for a data problem. Adding a dimension is one module with
``@probe(...)`` functions plus one import in :mod:`preflight.measure.audit`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from preflight.model.results import Check, Dimension, TableProfile

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from preflight.model.config import Config, DatasetConfig
    from preflight.run.store import ResultsStore

__all__ = ["PROBES", "Probe", "ProbeContext", "probe"]


@dataclass
class ProbeContext:
    name: str  # dataset name in the catalog
    dataset: DatasetConfig
    config: Config
    engine: Engine
    profile: TableProfile
    now: datetime  # one clock for the whole audit (timezone-aware UTC)
    store: ResultsStore | None = None  # for history-aware probes
    run_id: str | None = None  # this audit's run, excluded from history
    facts: dict[str, Any] = field(default_factory=dict)  # shared between probes, reported


ProbeFunc = Callable[[ProbeContext], Iterable[Check]]


@dataclass(frozen=True)
class Probe:
    name: str
    dimension: Dimension
    order: int
    func: ProbeFunc


PROBES: dict[str, Probe] = {}


def probe(name: str, dimension: Dimension, *, order: int = 50) -> Callable[[ProbeFunc], ProbeFunc]:
    """Register a probe; lower ``order`` runs first (quality 10-40, discoverability 50, lineage 60,
    privacy/content 70, history 90)."""

    def register(func: ProbeFunc) -> ProbeFunc:
        PROBES[name] = Probe(name, dimension, order, func)
        return func

    return register


def ordered_probes() -> list[Probe]:
    return sorted(PROBES.values(), key=lambda p: (p.order, p.name))
