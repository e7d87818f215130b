"""Preflight: is the data behind a Generative-AI use case ready to launch?

The public facade; everything else is reachable by its module path::

    import preflight

    config = preflight.load_config("include/config")
    run = preflight.run_audit(config)                      # audit, measure, judge, store, report
    verdict = preflight.gate(config, "support_assistant")  # raises GateClosedError when closed

The names load lazily (PEP 562), so ``import preflight.judge`` stays free of database
drivers and ``import preflight`` stays quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "Config",
    "GateClosedError",
    "PreflightError",
    "RunResult",
    "Verdict",
    "__version__",
    "gate",
    "load_config",
    "run_audit",
]

_LAZY = {
    "Config": "preflight.model.config",
    "GateClosedError": "preflight.errors",
    "PreflightError": "preflight.errors",
    "RunResult": "preflight.model.results",
    "Verdict": "preflight.model.results",
    "load_config": "preflight.config",
    "run_audit": "preflight.run.pipeline",
}

if TYPE_CHECKING:
    from datetime import timedelta

    from preflight.config import load_config
    from preflight.errors import GateClosedError, PreflightError
    from preflight.model.config import Config
    from preflight.model.results import RunResult, Verdict
    from preflight.run.pipeline import run_audit


def gate(config: Config, use_case: str, *, max_age: timedelta | None = None, allow_at_risk: bool = True) -> Verdict:
    """The newest current verdict of ``use_case`` when its gate is open; raises
    :class:`GateClosedError` with every reason when it is not (see ``preflight.run.gate``)."""
    from datetime import UTC, datetime

    from preflight.run.gate import check_gate
    from preflight.run.pipeline import store_for

    return check_gate(
        store_for(config), config, use_case, now=datetime.now(UTC), max_age=max_age, allow_at_risk=allow_at_risk
    )


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'preflight' has no attribute {name!r}")
