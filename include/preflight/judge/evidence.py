"""Reading evidence: what one judgement may know, and nothing else.

:class:`EvidenceSet` wraps the needed datasets' audits and the run's cross-dataset
measurements. Its lookups never come back empty: a record nobody recorded is returned
*not measured*, with the most specific reason known, so a rule has no way to read
silence as a pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Literal, TypeVar

from preflight.model.evidence import DATASET_EVIDENCE, Evidence
from preflight.model.results import DatasetAudit, DatasetStatus, TableProfile

__all__ = ["EvidenceSet", "ProfileEvidence"]

E = TypeVar("E", bound=Evidence[Any])


class ProfileEvidence(Evidence[TableProfile]):
    """The one-pass profile (row count, per-column nulls, distincts, min/max, lengths)."""

    KIND: ClassVar[str] = "profile"
    kind: Literal["profile"] = "profile"




class EvidenceSet:
    """The evidence one judgement reads: every needed dataset's audit plus the
    cross-dataset measurements of the run.

    Lookups never return nothing: a record that was not recorded comes back *not
    measured*, with the most specific reason known (the dataset was unreachable, the
    probe that records it failed, or it simply was not measured).
    """

    def __init__(self, audits: Mapping[str, DatasetAudit], cross: Iterable[Evidence[Any]] = ()) -> None:
        self.audits = dict(audits)
        self._records: dict[tuple[str, str], list[Evidence[Any]]] = {}
        recorded: list[Evidence[Any]] = [r for audit in self.audits.values() for r in audit.evidence]
        for record in [*recorded, *cross]:
            self._records.setdefault((record.dataset, record.KIND), []).append(record)

    def unreachable(self, dataset: str) -> str | None:
        """Why ``dataset`` could not be read at all (None when it was read)."""
        audit = self.audits.get(dataset)
        if audit is None:
            return f"{dataset} was not audited in this run"
        if audit.status is not DatasetStatus.OK or audit.profile is None:
            return f"{dataset} is {audit.status.value}: {audit.reason or 'no reason recorded'}"
        return None

    def profile(self, dataset: str) -> ProfileEvidence:
        why = self.unreachable(dataset)
        if why is not None:
            return ProfileEvidence(dataset=dataset, reason=why)
        audit = self.audits[dataset]
        assert audit.profile is not None  # unreachable() said it was read
        return ProfileEvidence(dataset=dataset, figures=audit.profile)

    def all(self, kind: type[E], dataset: str) -> list[E]:
        """Every record of ``kind`` about ``dataset`` (none when the dataset was not read)."""
        return [r for r in self._records.get((dataset, kind.KIND), []) if isinstance(r, kind)]

    def get(self, kind: type[E], dataset: str, **about: Any) -> E:
        """The record of ``kind`` about ``dataset`` (and ``about``: its key fields), or a
        not-measured one saying why there is none."""
        for record in self.all(kind, dataset):
            if all(getattr(record, field) == value for field, value in about.items()):
                return record
        return kind.model_validate({"dataset": dataset, "reason": self._why_missing(kind, dataset), **about})

    def failures(self, kind: type[Evidence[Any]], dataset: str) -> list[str]:
        """Why probes that record ``kind`` about ``dataset`` failed (one line each)."""
        audit = self.audits.get(dataset)
        failures = audit.probe_failures if audit is not None else {}
        return [f"the {probe} probe failed: {failure.reason}" for probe, failure in failures.items() if kind.KIND in failure.produces]

    def _why_missing(self, kind: type[Evidence[Any]], dataset: str) -> str:
        if kind in DATASET_EVIDENCE and (why := self.unreachable(dataset)):
            return why
        if failed := self.failures(kind, dataset):
            return "; ".join(failed)
        return f"no {kind.KIND.replace('_', ' ')} measurement was recorded for {dataset}"
