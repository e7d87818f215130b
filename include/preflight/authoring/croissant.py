"""Croissant cards: an audited dataset described for ML tools (MLCommons Croissant 1.1 + RAI).

:func:`croissant_card` turns a dataset's audit (its profile, checks and facts), its
catalog entry and the use cases that need it into Croissant JSON-LD: the table as the
distribution, one record set whose fields and types come from the profile, and the
Responsible-AI properties Preflight has evidence for — personal data found (as shares
of the sampled values), how the data is collected (lineage, cadence, freshness), missing
data (NULL shares), known limitations (failing checks), intended uses (the use cases
that need it and their verdicts). Nothing is invented: a property with no evidence is
left out. The card is built with the standard library; :func:`validate_card` checks it
with ``mlcroissant`` (offline; the import takes about a second, so it is lazy).

A warehouse table is not a downloadable file: the card marks the dataset as live
(``isLiveDataset``), which is why its file object has no checksum, and names the table
by its OpenLineage identity (no credentials).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from preflight.model.config import DatasetConfig, SourceConfig
from preflight.model.results import Check, ColumnProfile, DatasetAudit, Dimension, Verdict

__all__ = ["CROISSANT_VERSION", "CardIssues", "croissant_card", "validate_card"]

log = logging.getLogger(__name__)

CROISSANT_VERSION = "http://mlcommons.org/croissant/1.1"
RAI_VERSION = "http://mlcommons.org/croissant/RAI/1.0"

# The @context mlcroissant writes for Croissant 1.1 (mlcroissant's make_context), so
# readers see the standard vocabulary; a test keeps the two in step.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"},
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "name": {"@container": "@language"},
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

# How each engine's table is named as an encoding format: a registered media type where
# there is one (SQLite's database file), else the engine's home page (Croissant's advice
# for formats without one).
_ENCODING = {
    "sqlite": "application/vnd.sqlite3",
    "postgres": "https://www.postgresql.org/",
    "mysql": "https://mariadb.org/",
    "duckdb": "https://duckdb.org/",
    "sqlserver": "https://www.microsoft.com/sql-server/",
}
_LIMITATIONS_MAX = 40


def _data_type(column: ColumnProfile) -> str:
    lowered = column.type.lower()
    if column.kind == "numeric":
        return "sc:Integer" if any(n in lowered for n in ("int", "serial")) else "sc:Float"
    if column.kind == "boolean":
        return "sc:Boolean"
    if column.kind == "temporal":
        if lowered.startswith("date") and "time" not in lowered:
            return "sc:Date"
        if lowered.startswith("time") and "stamp" not in lowered:
            return "sc:Time"
        return "sc:DateTime"
    return "sc:Text"  # text, and types Croissant has no name for (described per field)


def _identity(name: str, entry: DatasetConfig | None, source: SourceConfig | None, facts: Mapping[str, Any]) -> tuple[str, str]:
    lineage = facts.get("lineage")
    if isinstance(lineage, Mapping) and isinstance(lineage.get("identity"), Mapping):
        found = lineage["identity"]
        return str(found.get("namespace")), str(found.get("name"))
    if entry is not None and source is not None:
        try:
            from preflight.engines.connect import source_url
            from preflight.measure.checks.lineage.naming import dataset_identity

            return dataset_identity(entry, source_url(source))
        except Exception as exc:  # an unset variable or an Airflow connection out of reach
            log.info("no OpenLineage identity for %s: %s", name, type(exc).__name__)
    return "preflight", name


def _percent(share: float) -> str:
    return f"{100 * share:.1f}%" if share >= 0.001 else f"{100 * share:.2f}%"


def _hours(hours: float) -> str:
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} h"


def _sensitive(audit: DatasetAudit, entry: DatasetConfig | None) -> list[str]:
    lines: list[str] = []
    if entry is not None and entry.classification:
        lines.append(f"Classified {entry.classification} in the catalog.")
    pii = audit.facts.get("pii")
    sampling = audit.facts.get("sampling")
    if isinstance(pii, Mapping):
        for column, found in pii.items():
            size = sampling.get(column, {}).get("size") if isinstance(sampling, Mapping) else None
            of = f" of {size} sampled values" if isinstance(size, int) else " of the sampled values"
            if isinstance(found, Mapping) and found:
                shares = ", ".join(f"{entity} in {_percent(float(share))}" for entity, share in sorted(found.items()))
                lines.append(f"{column}: {shares}{of} (Preflight's PII scan, checksum-validated patterns).")
            elif isinstance(found, Mapping):
                lines.append(f"{column}: no personal data found in {size if isinstance(size, int) else 'the'} sampled values.")
    return lines


def _collection(audit: DatasetAudit, entry: DatasetConfig | None) -> tuple[str | None, list[str]]:
    parts: list[str] = []
    upstream: list[str] = []
    lineage = audit.facts.get("lineage")
    if isinstance(lineage, Mapping) and lineage.get("producer"):
        producers = [p.get("name") for p in lineage.get("producers") or () if isinstance(p, Mapping)]
        parts.append(f"Written by {', '.join(str(p) for p in producers if p) or lineage['producer']} (OpenLineage).")
        for node in lineage.get("upstream") or ():
            if isinstance(node, Mapping) and node.get("depth") == 1:
                namespace, name = str(node.get("namespace")), str(node.get("name"))
                joined = f"{namespace}{name}" if name.startswith("/") else f"{namespace}/{name}"
                upstream.append(str(node.get("dataset") or joined))
        if upstream:
            parts.append(f"Read from {', '.join(upstream)}.")
        if lineage.get("system_of_record"):
            parts.append("A system of record (no upstream dataset).")
    elif entry is not None and entry.system_of_record:
        parts.append("Declared a system of record in the catalog.")
    else:
        parts.append("Where the data comes from is not known to Preflight (no OpenLineage event names its producer).")
    if entry is not None and entry.update_cadence:
        parts.append(f"Updated {entry.update_cadence}.")
    fresh = audit.facts.get("freshness")
    if entry is not None and entry.freshness is not None:
        slo = _hours(entry.freshness.slo.total_seconds() / 3600)
        age = fresh.get("age_hours") if isinstance(fresh, Mapping) else None
        seen = f"; the newest row was {_hours(float(age))} old when audited" if isinstance(age, int | float) else ""
        parts.append(f"Freshness SLO {slo} on {entry.freshness.column}{seen}.")
    return " ".join(parts) or None, [f"Upstream dataset: {u}" for u in upstream]


def _missing(audit: DatasetAudit) -> list[str]:
    profile = audit.profile
    if profile is None or not profile.row_count:
        return []
    return [
        f"{c.name}: {_percent(c.null_count / profile.row_count)} NULL ({c.null_count} of {profile.row_count} rows)"
        for c in profile.columns
        if c.null_count
    ]


def _limitations(checks: Iterable[Check]) -> list[str]:
    # Personal data is described under personalSensitiveInformation, as shares only
    # (a privacy check's message carries a masked example of the text).
    failing = [c for c in checks if c.failing and c.dimension is not Dimension.PRIVACY]
    failing.sort(key=lambda c: (c.severity.rank, c.id))
    lines = [c.message if c.measured else f"Not measured: {c.message}" for c in failing[:_LIMITATIONS_MAX]]
    if len(failing) > _LIMITATIONS_MAX:
        lines.append(f"… and {len(failing) - _LIMITATIONS_MAX} more failing checks in Preflight's report.")
    return lines


def _languages(audit: DatasetAudit) -> list[str]:
    text = audit.facts.get("text")
    if not isinstance(text, Mapping):
        return []
    lines = []
    for column, facts in text.items():
        languages = facts.get("languages") if isinstance(facts, Mapping) else None
        if isinstance(languages, Mapping) and languages:
            spread = ", ".join(f"{lang} {_percent(float(share))}" for lang, share in sorted(languages.items(), key=lambda kv: -kv[1]))
            lines.append(f"{column}: languages in a sample of {facts.get('documents')} values: {spread}.")
    return lines


def _use_cases(name: str, verdicts: Sequence[Verdict]) -> list[str]:
    lines = []
    for verdict in sorted(verdicts, key=lambda v: v.use_case):
        if name in verdict.datasets:
            what = f": {verdict.description}" if verdict.description else ""
            lines.append(
                f"{verdict.use_case} ({verdict.kind}){what} — Preflight verdict {verdict.verdict.value}, "
                f"score {verdict.score}, readiness band {verdict.readiness_level}."
            )
    return lines


def _timeframe(audit: DatasetAudit, entry: DatasetConfig | None) -> str | None:
    """Oldest and newest value of the freshness column, as an ISO 8601 interval."""
    if entry is None or entry.freshness is None or audit.profile is None:
        return None
    column = audit.profile.column(entry.freshness.column)
    if column is None:
        return None
    stamps = []
    for value in (column.min, column.max):
        try:
            stamps.append(datetime.fromisoformat(str(value)).isoformat())
        except ValueError:
            return None
    return "/".join(stamps)


def croissant_card(
    audit: DatasetAudit,
    *,
    entry: DatasetConfig | None = None,
    source: SourceConfig | None = None,
    verdicts: Sequence[Verdict] = (),
    run_id: str | None = None,
) -> dict[str, Any]:
    """The Croissant 1.1 JSON-LD card of one audited dataset (see the module docstring)."""
    name = audit.name
    profile = audit.profile
    if profile is None:
        raise ValueError(f"{name} has no profile in this audit ({audit.status.value}): there is nothing to describe")
    namespace, table_name = _identity(name, entry, source, audit.facts)
    scheme = namespace.split("://")[0].lower()
    description = (entry.description if entry else None) or profile.table_comment or (
        f"Table {profile.table} of source {audit.source}, as audited by Preflight."
    )
    card: dict[str, Any] = {
        "@context": dict(CONTEXT),
        "@type": "sc:Dataset",
        "conformsTo": [CROISSANT_VERSION, RAI_VERSION],
        "name": name,
        "description": description,
        "isLiveDataset": True,
        "dateModified": audit.finished_at.isoformat(),
    }
    if entry is not None:
        if entry.documentation_url:
            card["url"] = entry.documentation_url
        if entry.tags:
            card["keywords"] = list(entry.tags)
        if entry.owner:
            card["creator"] = {"@type": "sc:Organization", "name": entry.owner}
        if entry.business_sponsor:
            card["publisher"] = {"@type": "sc:Organization", "name": entry.business_sponsor}

    file_id = "table"
    card["distribution"] = [
        {
            "@type": "cr:FileObject",
            "@id": file_id,
            "name": profile.table,
            "description": (
                f"The {profile.table} table of source {audit.source} ({profile.row_count} rows when audited"
                f"{f' in run {run_id}' if run_id else ''}); read through the database, not downloaded."
            ),
            "contentUrl": f"{namespace}/{table_name}",
            "encodingFormat": _ENCODING.get(scheme, "application/sql"),
        }
    ]
    descriptions = entry.column_descriptions if entry else {}
    fields = []
    for column in profile.columns:
        item: dict[str, Any] = {
            "@type": "cr:Field",
            "@id": f"{quote(name, safe='')}/{quote(column.name, safe='')}",
            "name": column.name,
            "dataType": _data_type(column),
            "source": {"fileObject": {"@id": file_id}, "extract": {"column": column.name}},
        }
        text = descriptions.get(column.name) or column.comment
        stored = f"stored as {column.type}"
        item["description"] = f"{text} ({stored})" if text else stored[0].upper() + stored[1:]
        fields.append(item)
    record_set: dict[str, Any] = {
        "@type": "cr:RecordSet",
        "@id": quote(name, safe=""),
        "name": name,
        "description": f"One record per row of {profile.table}.",
        "field": fields,
    }
    keys = [k for k in (entry.primary_key if entry else ()) if profile.column(k) is not None]
    if keys:
        ids = [{"@id": f"{quote(name, safe='')}/{quote(k, safe='')}"} for k in keys]
        record_set["key"] = ids[0] if len(ids) == 1 else ids
    card["recordSet"] = [record_set]

    rai: dict[str, Any] = {}
    collection, raw = _collection(audit, entry)
    if collection:
        rai["rai:dataCollection"] = collection
    if raw:
        rai["rai:dataCollectionRawData"] = "; ".join(raw)
    if missing := _missing(audit):
        rai["rai:dataCollectionMissingData"] = "; ".join(missing)
    if timeframe := _timeframe(audit, entry):
        # The RAI vocabulary's spelling (croissant_rai.ttl): an ISO 8601 interval.
        rai["rai:dataCollectionTimeframe"] = timeframe
    if sensitive := _sensitive(audit, entry):
        rai["rai:personalSensitiveInformation"] = sensitive
    if limitations := _limitations(audit.checks):
        rai["rai:dataLimitations"] = limitations
    if languages := _languages(audit):
        rai["rai:dataBiases"] = languages
    if uses := _use_cases(name, verdicts):
        rai["rai:dataUseCases"] = uses
    plan = []
    if entry is not None and entry.owner:
        plan.append(f"Maintained by {entry.owner}.")
    if entry is not None and entry.update_cadence:
        plan.append(f"Updated {entry.update_cadence}.")
    plan.append(f"Audited by Preflight{f' (run {run_id})' if run_id else ''} on {audit.finished_at.isoformat()}.")
    rai["rai:dataReleaseMaintenancePlan"] = " ".join(plan)
    card.update(rai)
    return card


@dataclass(frozen=True)
class CardIssues:
    errors: tuple[str, ...]
    warnings: tuple[str, ...]


def validate_card(card: Mapping[str, Any]) -> CardIssues:
    """Validate a card with ``mlcroissant`` (its static analysis; nothing is downloaded)."""
    import mlcroissant as mlc

    absl_logger = logging.getLogger("absl")
    level = absl_logger.level
    absl_logger.setLevel(logging.ERROR)  # mlcroissant logs its warnings; they are returned instead
    try:
        dataset = mlc.Dataset(jsonld=dict(card))
    except mlc.ValidationError as exc:
        errors = [line.strip(" -") for line in str(exc).splitlines() if line.strip().startswith("-")]
        return CardIssues(errors=tuple(errors or [str(exc)]), warnings=())
    finally:
        absl_logger.setLevel(level)
    issues = dataset.metadata.ctx.issues
    return CardIssues(errors=tuple(sorted(issues.errors)), warnings=tuple(sorted(_plain(w) for w in issues.warnings)))


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
