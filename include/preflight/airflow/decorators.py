"""``@preflight_gate``: a TaskFlow task that runs only when a use case's gate is open.

Built the way Airflow's own ``@task.short_circuit`` is (``task_decorator_factory`` with a
``DecoratedOperator`` subclass of the standard provider's Python task)::

    from preflight.airflow.decorators import preflight_gate

    @preflight_gate(use_case="seat_suggestions", max_age="36h")
    def deploy(preflight_verdict=None):
        # runs only when the gate is open; preflight_verdict is the gate's summary:
        # {"use_case", "verdict", "score", "readiness_level", "run_id", "audited_at", "approved", "approval"}
        ...

Before the callable runs the task decides the gate exactly as
:class:`~preflight.airflow.operators.PreflightGateOperator` does and fails (no retries)
with every reason when it is closed. The summary is handed to the callable as the
``preflight_verdict`` argument (declare it, with or without a default) and pushed as the
XCom ``preflight_gate``; the task's return value is the callable's.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.standard.decorators.python import _PythonDecoratedOperator
from airflow.sdk.bases.decorator import task_decorator_factory

from preflight.airflow.operators import GATE_UI_COLOR, open_gate

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.sdk.bases.decorator import TaskDecorator

__all__ = ["VERDICT_ARGUMENT", "preflight_gate"]

VERDICT_ARGUMENT = "preflight_verdict"
GATE_XCOM_KEY = "preflight_gate"


class _PreflightGateDecoratedOperator(_PythonDecoratedOperator):
    """Decides the gate, then calls the wrapped callable with the verdict."""

    template_fields: Sequence[str] = (*_PythonDecoratedOperator.template_fields, "use_case", "max_age", "config_dir")
    custom_operator_name: str = "@preflight_gate"
    ui_color = GATE_UI_COLOR

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        use_case: str,
        max_age: str | timedelta | None = None,
        allow_at_risk: bool = False,
        honour_approvals: bool = True,
        config_dir: str | None = None,
        op_args: Any = None,
        op_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        op_kwargs = dict(op_kwargs or {})
        # ``preflight_verdict`` is not an Airflow context key, so the decorator's signature
        # check would call it a missing argument: it gets a placeholder the gate fills.
        if VERDICT_ARGUMENT in inspect.signature(python_callable).parameters:
            op_kwargs.setdefault(VERDICT_ARGUMENT, None)
        kwargs.setdefault("retries", 0)
        super().__init__(python_callable=python_callable, op_args=op_args, op_kwargs=op_kwargs, **kwargs)
        self.use_case = use_case
        self.max_age = max_age
        self.allow_at_risk = allow_at_risk
        self.honour_approvals = honour_approvals
        self.config_dir = config_dir

    def execute(self, context: Context) -> Any:
        summary = open_gate(
            self.use_case, max_age=self.max_age, allow_at_risk=self.allow_at_risk,
            honour_approvals=self.honour_approvals, config_dir=self.config_dir, logger=self.log,
        )
        context["ti"].xcom_push(key=GATE_XCOM_KEY, value=summary)
        context[VERDICT_ARGUMENT] = summary  # type: ignore[literal-required]  # for callables taking **kwargs
        if VERDICT_ARGUMENT in self.op_kwargs:
            self.op_kwargs = {**self.op_kwargs, VERDICT_ARGUMENT: summary}
        return super().execute(context)


def preflight_gate(
    python_callable: Callable[..., Any] | None = None,
    *,
    use_case: str,
    max_age: str | timedelta | None = None,
    allow_at_risk: bool = False,
    honour_approvals: bool = True,
    config_dir: str | None = None,
    multiple_outputs: bool | None = None,
    **kwargs: Any,
) -> TaskDecorator:
    """Wrap a function into a task that runs only when ``use_case``'s Preflight gate is open.

    :param use_case: the use case (templated).
    :param max_age: the oldest audit accepted (``"36h"``, a timedelta; templated; default
        ``settings.gate_max_age``).
    :param allow_at_risk: let an at-risk verdict launch (default False).
    :param honour_approvals: a valid approval of the at-risk verdict opens the gate (default True).
    :param config_dir: the configuration directory (templated; default ``PREFLIGHT_CONFIG``).

    Other keyword arguments go to the operator (``task_id``, ``retries``, ``pool``, …).
    """
    return task_decorator_factory(
        python_callable=python_callable,
        multiple_outputs=multiple_outputs,
        decorated_operator_class=_PreflightGateDecoratedOperator,
        use_case=use_case,
        max_age=max_age,
        allow_at_risk=allow_at_risk,
        honour_approvals=honour_approvals,
        config_dir=config_dir,
        **kwargs,
    )
