"""Use-case kinds as data: ``kinds/<kind>.yaml``, one file per kind.

A kind's profile lists its requirements, each naming a *rule*
(:mod:`preflight.judge.rules`), a severity, a readiness band (C, B, A) and optional
threshold and params. The set of kinds is the set of files: adding a kind is adding a
file. A use case may override a requirement's threshold (``thresholds: {completeness:
0.05}``) or severity (``severities: {freshness: info}``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from preflight.model.results import Severity

__all__ = ["KindProfile", "Requirement", "kind_names", "load_kind"]


class Requirement(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    rule: str
    severity: Severity
    band: Literal["C", "B", "A"]
    threshold: float | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    description: str | None = None


class KindProfile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    title: str
    description: str
    # The roles a use case of this kind may give its datasets (``datasets.<name>.role``).
    roles: tuple[str, ...] = ()
    requirements: tuple[Requirement, ...]

    def requirement(self, requirement_id: str) -> Requirement | None:
        return next((r for r in self.requirements if r.id == requirement_id), None)


@cache
def load_kind(kind: str) -> KindProfile:
    text = resources.files("preflight.judge").joinpath("kinds", f"{kind}.yaml").read_text(encoding="utf-8")
    return KindProfile.model_validate(yaml.safe_load(text))


@cache
def kind_names() -> tuple[str, ...]:
    """Every kind Preflight knows: the names of the files in ``kinds/``."""
    folder = resources.files("preflight.judge").joinpath("kinds")
    return tuple(sorted(entry.name.removesuffix(".yaml") for entry in folder.iterdir() if entry.name.endswith(".yaml")))
