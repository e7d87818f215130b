"""Airflow notifiers for verdict changes: the one place :mod:`preflight.run.notify` needs
Airflow, imported only when a configured notifier is not Preflight's own (importing
Airflow costs about a second of CPU)."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseNotifier

__all__ = ["airflow_notifier_class"]


def airflow_notifier_class(cls: Any, path: str) -> type[BaseNotifier]:
    """``cls`` if it is an Airflow ``BaseNotifier`` subclass; otherwise a ``TypeError``
    naming ``path`` (the notifier is then logged and skipped, like any broken one)."""
    if not (isinstance(cls, type) and issubclass(cls, BaseNotifier)):
        raise TypeError(f"{path} is not an Airflow BaseNotifier subclass or a Preflight Notifier")
    return cls
