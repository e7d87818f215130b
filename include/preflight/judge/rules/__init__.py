"""The requirement rules a kind's requirements name, and their registry.

A rule reads evidence (never check ids, never the environment) and returns the checks
of one requirement for one use case (see :mod:`preflight.judge.rules.base`). The
built-in rules are registered explicitly by :func:`builtin_rules`, from the ``RULES``
of each module in :data:`RULE_MODULES`; a name registered twice is an error. Adding a
rule is a function with ``@rule(...)`` in one of these modules (or a new module listed
here) plus a test, and naming it in a kind file.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from functools import cache

from preflight.errors import RegistrationError
from preflight.judge.rules.base import Need, Rule, RuleContext, not_measured, outcome, rule

__all__ = [
    "RULE_MODULES",
    "Need",
    "Rule",
    "RuleContext",
    "builtin_rules",
    "not_measured",
    "outcome",
    "register_rules",
    "rule",
]

RULE_MODULES = (
    "preflight.judge.rules.datasets",
    "preflight.judge.rules.accountability",
    "preflight.judge.rules.privacy",
    "preflight.judge.rules.text",
    "preflight.judge.rules.cross",
)


def register_rules(rules: Iterable[Rule], into: dict[str, Rule] | None = None) -> dict[str, Rule]:
    """Rules by name; a second rule under a name already taken is refused."""
    registry = into if into is not None else {}
    for one in rules:
        if one.name in registry:
            raise RegistrationError(f"a rule named {one.name!r} is already registered")
        registry[one.name] = one
    return registry


@cache
def builtin_rules() -> Mapping[str, Rule]:
    """Preflight's own rules: every ``RULES`` of :data:`RULE_MODULES`."""
    registry: dict[str, Rule] = {}
    for module_name in RULE_MODULES:
        register_rules(importlib.import_module(module_name).RULES, registry)
    return registry
