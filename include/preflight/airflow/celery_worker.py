"""Celery workers that start Preflight's audit tasks warm.

Point Airflow at this module's configuration (docker-compose.yaml does):

    AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS=preflight.airflow.celery_worker.CELERY_CONFIG

The configuration is Airflow's default, unchanged. What the module adds is a handler for
Celery's ``import_modules`` signal, the hook Airflow's own Celery executor uses to
preload "expensive" modules in the worker's main process before it forks its pool. Each
Airflow task then runs in a process forked from a pool process, so whatever is imported
here is imported once per worker instead of once per task. An audit of a small table
otherwise spends most of its time importing (about 1 s for Preflight's own modules,
1-2 s for building Presidio's recognizers, 3-7 s for Great Expectations when the
dataset has a suite; measured in docs/decisions.md).

Only imports and Presidio's recognizers (pure objects) are built here: no engine,
connection, thread or file handle, so nothing that must not cross a fork does.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
from celery.signals import import_modules

__all__ = ["CELERY_CONFIG", "preload_audit_modules"]

log = logging.getLogger(__name__)

# Airflow's default configuration, as is: this module is named in
# `[celery] celery_config_options` only to be imported by the worker.
CELERY_CONFIG: dict[str, Any] = DEFAULT_CELERY_CONFIG


def preload_audit_modules() -> float:
    """Import what every audit task imports, build Presidio's recognizers; returns seconds."""
    started = time.perf_counter()
    import great_expectations  # noqa: F401 - a dataset with a suite imports it (3-7 s)

    import preflight.config
    import preflight.run.lineage_out
    import preflight.run.pipeline  # noqa: F401
    from preflight.measure.preload import preload_text_checks

    preload_text_checks()  # Presidio's recognizers and the language model, once per worker
    return time.perf_counter() - started


@import_modules.connect
def _preload_in_worker(*args: Any, **kwargs: Any) -> None:
    try:
        seconds = preload_audit_modules()
    except Exception as exc:  # a worker that cannot preload still runs tasks, only slower
        log.warning("preflight: could not preload the audit modules: %s: %s", type(exc).__name__, exc)
        return
    log.info("preflight: audit modules preloaded in %.1fs; tasks forked from this worker start warm", seconds)
