"""Tell people when a use case's verdict changes, through Airflow notifiers.

After a run's verdicts are stored, :func:`verdict_changes` compares each use case's
verdict with the one from its previous run (``ready → blocked``, ``blocked → ready``,
``at_risk → ready`` …); a use case audited for the first time has nothing to compare
with and is not a change. :func:`notify_changes` sends each change to the notifiers
configured under ``settings.notifiers`` (only those the use case names in its
``notify`` list, when it has one), each an Airflow ``BaseNotifier`` subclass (Slack,
SMTP, … from Airflow's providers) or a Preflight :class:`Notifier` such as
:class:`LogNotifier`, which needs no Airflow: this module imports none, so a run whose
notifiers are Preflight's own never pays Airflow's import (about a second); the check
for Airflow notifiers lives in :mod:`preflight.run.airflow_notifier`, imported only for
them.

A notifier is called the way Airflow calls it from a DAG callback, ``notifier(context)``:
its template fields are rendered with the context, then ``notify(context)`` runs. The
context carries ``use_case``, ``previous``, ``current``, ``score``, ``previous_score``,
``run_id``, ``previous_run_id``, ``blockers``, ``report_path``, ``changes`` (the
``preflight diff`` command that shows what changed), ``changes_url`` (the readiness UI's
page of the same changes, absolute when ``settings.ui_url`` is set) and ``message`` (a
ready-made sentence), so a notifier's params may say ``text: "{{ message }}"``.

A notifier that cannot be imported, built or sent is logged and skipped: notifications
are reporting, never a reason to fail an audit. See ``docs/notifications.md``.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from jinja2.sandbox import SandboxedEnvironment

from preflight.model.config import Config
from preflight.model.results import RunResult
from preflight.run.store import ResultsStore

__all__ = ["MESSAGE_TEMPLATE", "LogNotifier", "Notifier", "VerdictChange", "notify_changes", "verdict_changes"]

log = logging.getLogger(__name__)

#: The message every notifier gets as ``{{ message }}``; notifiers with a ``message``
#: parameter (such as :class:`LogNotifier`) get the template itself to render.
MESSAGE_TEMPLATE = (
    "Preflight: use case {{ use_case }} is now {{ current | upper }} (was {{ previous }}), "
    "score {{ score }}{% if previous_score is not none %} (was {{ previous_score }}){% endif %}, "
    "audit run {{ run_id }}."
    "{% if blockers %} Blockers: {{ blockers | join('; ') }}.{% endif %}"
    "{% if report_path %} Report: {{ report_path }}{% endif %}"
    " What changed: {{ changes_url }} (or `{{ changes }}`)."
)

_jinja = SandboxedEnvironment(autoescape=False)


@dataclass(frozen=True)
class VerdictChange:
    """A use case whose verdict differs from its previous run's."""

    use_case: str
    previous: str
    current: str
    score: int
    previous_score: int | None
    run_id: str
    previous_run_id: str
    blockers: tuple[str, ...] = ()
    report_path: str | None = None
    ui_url: str | None = None  # the Airflow UI's base URL (settings.ui_url)

    @property
    def changes(self) -> str:
        return f"preflight diff {self.previous_run_id} {self.run_id}"

    @property
    def changes_url(self) -> str:
        query = urlencode({"a": self.previous_run_id, "b": self.run_id})
        return f"{(self.ui_url or '').rstrip('/')}/preflight/changes?{query}"

    def context(self) -> dict[str, Any]:
        """The notifier context (a fresh dict: notifiers add to the context they are given)."""
        context: dict[str, Any] = {
            "use_case": self.use_case,
            "previous": self.previous,
            "current": self.current,
            "score": self.score,
            "previous_score": self.previous_score,
            "run_id": self.run_id,
            "previous_run_id": self.previous_run_id,
            "blockers": list(self.blockers),
            "report_path": self.report_path,
            "changes": self.changes,
            "changes_url": self.changes_url,
        }
        context["message"] = _jinja.from_string(MESSAGE_TEMPLATE).render(**context)
        return context


def verdict_changes(
    store: ResultsStore, run: RunResult, *, report_path: str | None = None, ui_url: str | None = None
) -> list[VerdictChange]:
    """Each use case of ``run`` whose verdict differs from its previous run's verdict."""
    changes: list[VerdictChange] = []
    for verdict in run.use_cases:
        history = store.use_case_history(verdict.use_case)
        # Oldest first; only runs decided before this one count (a re-evaluated older
        # run must not compare itself with a newer one).
        position = next((i for i, h in enumerate(history) if h["run_id"] == run.run_id), len(history))
        earlier = history[:position]
        if not earlier:
            continue  # audited for the first time: nothing changed
        previous = earlier[-1]
        if previous["verdict"] == verdict.verdict.value:
            continue
        changes.append(
            VerdictChange(
                use_case=verdict.use_case,
                previous=previous["verdict"],
                current=verdict.verdict.value,
                score=verdict.score,
                previous_score=previous["score"],
                run_id=run.run_id,
                previous_run_id=previous["run_id"],
                blockers=tuple(verdict.blockers),
                report_path=report_path,
                ui_url=ui_url,
            )
        )
    return changes


def _notifier_class(path: str) -> type[Any]:
    module_name, _, class_name = path.rpartition(".")
    cls = getattr(importlib.import_module(module_name), class_name)
    if isinstance(cls, type) and issubclass(cls, Notifier):
        return cls  # Preflight's own: no Airflow needed
    from preflight.run.airflow_notifier import airflow_notifier_class  # imports Airflow

    return airflow_notifier_class(cls, path)


def _accepts(cls: type[Any], name: str) -> bool:
    try:
        parameters = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters


def notify_changes(config: Config, changes: Sequence[VerdictChange]) -> list[tuple[str, str]]:
    """Send every change to its notifiers; returns the (notifier, use case) pairs sent.

    A notifier is built anew for each change (rendering its template fields changes it
    in place) from its configured ``params``, plus ``message=MESSAGE_TEMPLATE`` when its
    class takes a ``message`` and the params do not set one.
    """
    configured = config.settings.notifiers
    sent: list[tuple[str, str]] = []
    if not configured:
        return sent
    for change in changes:
        use_case = config.use_cases.get(change.use_case)
        names = list(use_case.notify) if use_case is not None and use_case.notify else list(configured)
        for name in names:
            notifier_config = configured.get(name)
            if notifier_config is None:  # config validation names unknown notifiers; stay safe anyway
                log.warning("use case %s names unknown notifier %r", change.use_case, name)
                continue
            try:
                cls = _notifier_class(notifier_config.class_path)
                params = dict(notifier_config.params)
                if "message" not in params and _accepts(cls, "message"):
                    params["message"] = MESSAGE_TEMPLATE
                notifier = cls(**params)
                notifier(change.context())
            except Exception as exc:
                log.warning(
                    "notifier %s (%s) failed for %s (%s → %s): %s: %s",
                    name, notifier_config.class_path, change.use_case, change.previous, change.current,
                    type(exc).__name__, exc,
                )
                continue
            log.info("notified %s: %s %s → %s", name, change.use_case, change.previous, change.current)
            sent.append((name, change.use_case))
    return sent


class Notifier:
    """A notifier that needs no Airflow, called like one: ``notifier(context)`` renders
    the attributes named in ``template_fields`` with the context (sandboxed Jinja), then
    calls ``notify(context)``. Also usable as an Airflow callback (any callable is)."""

    template_fields: Sequence[str] = ()

    def __call__(self, context: dict[str, Any]) -> None:
        for name in self.template_fields:
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, _jinja.from_string(value).render(**context))
        self.notify(context)

    def notify(self, context: dict[str, Any]) -> None:
        raise NotImplementedError


class LogNotifier(Notifier):
    """Logs the verdict change (a warning when the use case became blocked).

    The notifier for a machine without Slack or mail, and the one the demo can use::

        settings:
          notifiers:
            log: {class: preflight.run.notify.LogNotifier}
    """

    template_fields = ("message",)

    def __init__(self, message: str = MESSAGE_TEMPLATE, logger: str = "preflight.run.notify") -> None:
        self.message = message
        self.logger_name = logger

    def notify(self, context: dict[str, Any]) -> None:
        level = logging.WARNING if context.get("current") == "blocked" else logging.INFO
        logging.getLogger(self.logger_name).log(level, "%s", self.message)
