"""Builders of dataset audits and evidence for judging tests: no database, no clock.

``good_evidence`` is everything a well-kept dataset measures to (unique key, fresh,
documented, known lineage, no PII, fit text, one passing data rule); tests change one
record, or mark records *not measured*, to see what judging makes of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from preflight.model.evidence import (
    Documentation,
    DocumentationFigures,
    Evidence,
    Freshness,
    FreshnessFigures,
    KeyFigures,
    KeyUniqueness,
    Lineage,
    LineageFigures,
    PiiFigures,
    PiiScan,
    RuleFigures,
    RuleResult,
    TextFigures,
    TextFitness,
)
from preflight.model.results import (
    ColumnProfile,
    DatasetAudit,
    DatasetStatus,
    ProbeFailure,
    TableProfile,
)

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
COLUMNS = {"doc_id": "numeric", "body": "text", "label": "text", "created_at": "temporal", "locale": "text",
           "user_id": "numeric", "item_id": "numeric"}
TEXT_OK = {"documents": 100, "empty": 0.0, "too_short": 0.0, "too_long": 0.0, "exact_duplicates": 0.0,
           "near_duplicates": 0.0, "mojibake": 0.0, "boilerplate": 0.0, "languages": {"en": 1.0}}


def good_evidence(
    name: str,
    *,
    rows: int = 100,
    key: Sequence[str] = ("doc_id",),
    text: Sequence[str] = ("body",),
    freshness: str | None = "created_at",
    pii: dict[str, dict[str, float]] | None = None,
) -> list[Evidence[Any]]:
    pii = pii or {}
    found: list[Evidence[Any]] = [
        KeyUniqueness(dataset=name, columns=tuple(key), primary=True, figures=KeyFigures(rows=rows, duplicate_rows=0)),
        RuleResult(dataset=name, rule="quality.volume", origin="builtin",
                   figures=RuleFigures(passed=True, message=f"{name} has {rows} rows")),
        Documentation(dataset=name, figures=DocumentationFigures(
            described=True, owned=True, columns_described=True, column_coverage=1.0,
            columns_message=f"{name}: every column described")),
        Lineage(dataset=name, figures=LineageFigures(producers=(f"etl.load_{name}",), system_of_record=False,
                                                     message=f"written by etl.load_{name}")),
    ]
    if freshness:
        found.append(Freshness(dataset=name, column=freshness, figures=FreshnessFigures(
            newest=NOW - timedelta(hours=1), age_hours=1.0, slo_hours=24.0)))
    for column in text:
        found.append(PiiScan(dataset=name, column=column, figures=PiiFigures(rows_scanned=rows, shares=pii.get(column, {}))))
        found.append(TextFitness(dataset=name, column=column, figures=TextFigures(**TEXT_OK)))
    return found


def audit(
    name: str,
    *,
    rows: int = 100,
    nulls: dict[str, int] | None = None,
    status: DatasetStatus = DatasetStatus.OK,
    evidence: Iterable[Evidence[Any]] | None = None,
    failures: dict[str, ProbeFailure] | None = None,
) -> DatasetAudit:
    nulls = nulls or {}
    ok = status is DatasetStatus.OK
    profile = TableProfile(
        table=name, row_count=rows, profiled_at=NOW,
        columns=tuple(ColumnProfile(name=c, type=k.upper(), kind=k, null_count=nulls.get(c, 0), distinct_count=rows)
                      for c, k in COLUMNS.items()),
    )
    return DatasetAudit(
        name=name, source="db", status=status, reason=None if ok else "table not found",
        profile=profile if ok else None,
        evidence=tuple(good_evidence(name, rows=rows) if evidence is None else evidence) if ok else (),  # type: ignore[arg-type]
        probe_failures=failures or {},
        started_at=NOW, finished_at=NOW,
    )


def not_measured(record: Evidence[Any], reason: str = "the query timed out") -> Evidence[Any]:
    """``record`` as its probe would have recorded it had it not been able to measure."""
    data = record.model_dump(exclude={"figures", "reason"})
    return type(record).model_validate({**data, "reason": reason})


def replace(records: Iterable[Evidence[Any]], kind: type[Evidence[Any]], **changes: Any) -> list[Evidence[Any]]:
    """``records`` with every record of ``kind`` given new ``figures`` fields."""
    out = []
    for record in records:
        if isinstance(record, kind) and record.figures is not None:
            figures = record.figures.model_copy(update=changes)
            record = record.model_copy(update={"figures": figures})
        out.append(record)
    return out
