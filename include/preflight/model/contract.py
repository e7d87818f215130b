"""What a catalog entry read from a data contract (ODCS) carries beyond the entry itself.

A contract's rules that correspond to Preflight's built-in checks become fields of the
:class:`~preflight.model.config.DatasetConfig` (required columns, keys, accepted values,
ranges, patterns, row count, freshness). The rest is kept here, per dataset, so that
nothing is dropped silently: rules Great Expectations can express exactly run as an
in-memory suite (:mod:`preflight.measure.checks.contract`), rules Preflight cannot run
become checks that were not measured, and promises that are not checks of the data at
all (a retention period, a human-readable rule) are listed as notes.

The models know the *shape* only; :mod:`preflight.authoring.odcs` reads contracts into them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["ContractNote", "ContractRule", "DatasetContract"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ContractRule(_Model):
    """One rule of a contract that is not a built-in check.

    ``expectation`` is a GX 1.x suite entry (``{"type", "kwargs", "meta"}``) when Great
    Expectations can check the rule exactly; otherwise it is None and ``reason`` says why
    Preflight cannot check it (the audit reports it as not measured, never as a pass).
    """

    id: str  # check id suffix: the audit reports quality.contract.<id>
    where: str  # field path in the contract file, e.g. schema.0.properties.2.quality.0
    label: str  # what the rule says, in a few words
    column: str | None = None
    severity: Literal["blocker", "warning", "info"] = "warning"
    expectation: dict[str, Any] | None = None
    reason: str | None = None  # why it is not supported (expectation is None)
    odcs: dict[str, Any] | None = None  # the contract's own quality rule, written back on export


class ContractNote(_Model):
    """A promise of the contract that is not a check of the data (reported, not checked)."""

    where: str
    text: str


class DatasetContract(_Model):
    """The contract a catalog entry was read from, and its rules beyond the entry."""

    file: str  # the contract file
    contract_id: str
    version: str | None = None
    schema_index: int  # which ``schema[]`` object of the contract this dataset is
    rules: tuple[ContractRule, ...] = ()
    notes: tuple[ContractNote, ...] = ()
