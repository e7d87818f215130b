"""Data contracts (Open Data Contract Standard v3) in and out of the catalog.

**In.** A catalog entry may come from an ODCS v3 contract instead of Preflight's YAML:
every ``*.odcs.yaml`` / ``*.odcs.yml`` file in the configuration directory, and every
``*.yaml`` / ``*.yml`` file in its ``contracts/`` subdirectory, is read as a contract
(:func:`contract_files`). A contract is checked against the JSON schema shipped in the
``open-data-contract-standard`` package and parsed with that package's model; each of
its ``schema[]`` objects becomes one dataset, named after the object. What maps onto
Preflight's built-in checks becomes a plain catalog entry validated as a
:class:`~preflight.model.config.DatasetConfig`; rules that Great Expectations can check
exactly become an in-memory suite; anything else is kept as a rule that is reported as
not supported (a check that was not measured) or, for promises that are no check of the
data, as a note. Nothing is dropped silently. Errors name the contract file and the
field (``schema.0.properties.2.quality.0``).

**Out.** :func:`contract_for_dataset` writes what the catalog declares and what the
latest audit measured (types, keys, freshness) as a contract the same model validates;
read back, it gives the same catalog entry (measured types are marked as such, so they
do not turn into promises). ``docs/formats.md`` lists every field in both directions.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import tempfile
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from open_data_contract_standard.model import OpenDataContractStandard
from pydantic import ValidationError

from preflight.errors import ConfigError
from preflight.model.config import CLASSIFICATIONS, Config, DatasetConfig, SourceConfig
from preflight.model.contract import ContractNote, ContractRule, DatasetContract
from preflight.model.results import DatasetAudit, TableProfile

__all__ = [
    "API_VERSION",
    "CONTRACTS_DIR",
    "LoadedContracts",
    "contract_files",
    "contract_for_dataset",
    "contract_for_entry",
    "contract_yaml",
    "is_contract_file",
    "load_contracts",
    "parse_contract",
    "write_contract",
    "write_discovered_contracts",
]

log = logging.getLogger(__name__)

API_VERSION = "v3.1.0"  # the approved ODCS version Preflight writes
CONTRACTS_DIR = "contracts"
_SUFFIXES = (".odcs.yaml", ".odcs.yml")

# Custom properties Preflight writes and reads (ODCS: camelCase names).
CP_CLASSIFICATION = "dataClassification"  # ODCS v2's dataset-level field, kept as a custom property
CP_TEXT_COLUMNS = "preflightTextColumns"
CP_ACCESS_LABEL = "preflightAccessLabelColumn"
CP_SYSTEM_OF_RECORD = "preflightSystemOfRecord"
CP_SOURCE = "preflightSource"
CP_TYPE_SOURCE = "preflightTypeSource"  # "measured" | "inferred": the type is not a promise
CP_AUDIT = "preflightAudit"

_FRESHNESS_SLAS = {"latency", "ly", "freshness"}
_FREQUENCY_SLAS = {"frequency", "fy"}
_OWNER_ROLES = {"owner", "data owner", "dataowner", "data product owner", "product owner"}
_SPONSOR_ROLES = {"business sponsor", "sponsor", "business owner"}
_DOC_TYPES = ("documentation", "businessDefinition", "tutorial")
_GX_ENGINES = {"greatexpectations", "great-expectations", "great_expectations", "gx"}
_SEVERITIES = {
    "blocker": "blocker", "critical": "blocker", "error": "blocker",
    "warning": "warning", "warn": "warning", "info": "info",
}
_UNITS = {
    "s": "seconds", "sec": "seconds", "second": "seconds", "seconds": "seconds",
    "m": "minutes", "min": "minutes", "minute": "minutes", "minutes": "minutes",
    "h": "hours", "hr": "hours", "hour": "hours", "hours": "hours",
    "d": "days", "day": "days", "days": "days",
    "w": "weeks", "wk": "weeks", "week": "weeks", "weeks": "weeks",
    "y": "years", "yr": "years", "year": "years", "years": "years",
}
_CADENCES = {("hours", 1): "hourly", ("days", 1): "daily", ("weeks", 1): "weekly"}
_OPERATORS = (
    "mustBe", "mustNotBe", "mustBeGreaterThan", "mustBeGreaterOrEqualTo",
    "mustBeLessThan", "mustBeLessOrEqualTo", "mustBeBetween", "mustNotBeBetween",
)
_DATASET_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")


# ---------------------------------------------------------------------------
# Finding contract files
# ---------------------------------------------------------------------------


def is_contract_file(path: Path) -> bool:
    """``*.odcs.yaml`` / ``*.odcs.yml``: the suffix the ODCS project's own examples use."""
    return path.name.lower().endswith(_SUFFIXES)


def contract_files(root: Path) -> list[Path]:
    """Contracts of a configuration directory: ``*.odcs.yaml`` in it, any YAML in ``contracts/``."""
    found = [p for p in root.glob("*") if p.is_file() and is_contract_file(p)]
    folder = root / CONTRACTS_DIR
    if folder.is_dir():
        found += [p for p in folder.glob("*") if p.is_file() and p.suffix.lower() in (".yaml", ".yml")]
    # Dot-files are editor backups and lock files, not configuration.
    return sorted({p for p in found if not p.name.startswith(".")})


# ---------------------------------------------------------------------------
# Reading one contract: YAML → JSON schema → the package's model
# ---------------------------------------------------------------------------


def _path(*parts: Any) -> str:
    return ".".join(str(p) for p in parts if p != "")


def _require_logical_type(node: Any) -> None:
    """Make every ``if logicalType == X`` branch apply only when logicalType is present.

    The package's schema (3.2.0) tests ``logicalType`` in ``if`` clauses without requiring
    it, so a property *without* a logicalType (optional in the standard) matches every
    branch at once: it is refused for lacking ``map``, and its logicalTypeOptions must
    satisfy the string and the number branches together. Requiring the key in each such
    ``if`` is what the branches mean (the ODCS 3.1.0 schema has no ``map`` branch).
    """
    if isinstance(node, dict):
        condition = node.get("if")
        if isinstance(condition, dict):
            for clause in [condition, *condition.get("anyOf", [])]:
                if isinstance(clause, dict) and "logicalType" in clause.get("properties", {}):
                    clause.setdefault("required", ["logicalType"])
        for value in node.values():
            _require_logical_type(value)
    elif isinstance(node, list):
        for value in node:
            _require_logical_type(value)


@cache
def _validator() -> Any:
    import jsonschema

    schema = json.loads(OpenDataContractStandard.json_schema())
    _require_logical_type(schema)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def parse_contract(raw: Any, file: str) -> OpenDataContractStandard:
    """Validate a parsed YAML document as an ODCS v3 contract; errors name file and field."""
    if not isinstance(raw, Mapping):
        raise ConfigError("expected a data contract (a mapping) at the top level", file=file)
    api_version = str(raw.get("apiVersion", ""))
    if api_version.startswith("v2"):
        raise ConfigError(
            f"ODCS {api_version} contracts are not supported: upgrade the contract to v3 "
            "(apiVersion v3.x; the ODCS project documents the migration)",
            file=file,
            field="apiVersion",
        )
    import jsonschema

    errors = list(_validator().iter_errors(raw))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        assert best is not None
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        message = best.message
        if len(message) > 300:
            message = message[:299] + "…"
        raise ConfigError(
            f"not a valid ODCS contract: {message}{more}",
            file=file,
            field=_path(*best.absolute_path) or None,
        )
    try:
        return OpenDataContractStandard.model_validate(dict(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(
            f"not a valid ODCS contract: {first['msg']}", file=file, field=_path(*first["loc"])
        ) from exc


def _read_yaml(path: Path) -> Any:
    from preflight.model.strict_yaml import (
        StrictLoader,  # the catalog's loader: duplicate keys refused
    )

    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=StrictLoader)  # noqa: S506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"YAML syntax error: {problem}", file=str(path), field=where) from exc
    except OSError as exc:
        raise ConfigError(f"cannot be read ({type(exc).__name__})", file=str(path)) from exc


# ---------------------------------------------------------------------------
# Contract → catalog entries
# ---------------------------------------------------------------------------


@dataclass
class _Draft:
    """One schema object on its way to a catalog entry."""

    name: str
    index: int
    where: str  # schema.<index>
    entry: dict[str, Any]
    columns: dict[str, str]  # property name → physical column
    ids: dict[str, str]  # property id → property name
    rules: list[ContractRule] = field(default_factory=list)
    notes: list[ContractNote] = field(default_factory=list)
    relationships: list[tuple[str, Any, Any, Any]] = field(default_factory=list)  # where, from, to, rel
    fields_at: dict[str, str] = field(default_factory=dict)  # entry field → contract path
    rule_ids: dict[str, int] = field(default_factory=dict)

    def rule_id(self, wanted: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_.-]+", "_", wanted).strip("_.") or "rule"
        self.rule_ids[base] = self.rule_ids.get(base, 0) + 1
        count = self.rule_ids[base]
        return base if count == 1 else f"{base}.{count}"


@dataclass(frozen=True)
class LoadedContracts:
    """Catalog entries read from contracts, and what each entry's contract adds."""

    datasets: dict[str, DatasetConfig]
    contracts: dict[str, DatasetContract]
    origins: dict[str, str]  # dataset → contract file


def _custom(props: Iterable[Any] | None, name: str) -> tuple[int, Any] | None:
    for i, prop in enumerate(props or ()):
        if (prop.property or "").lower() == name.lower():
            return i, prop.value
    return None


def _severity(value: str | None) -> str:
    return _SEVERITIES.get((value or "").strip().lower(), "warning")


def _duration(value: Any, unit: str | None, file: str, where: str) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"expected a non-negative number, got {value!r}", file=file, field=f"{where}.value")
    key = (unit or "").strip().lower()
    if key not in _UNITS:
        raise ConfigError(
            f"unknown unit {unit!r} (use s, m, h, d, w or y)", file=file, field=f"{where}.unit"
        )
    name = _UNITS[key]
    if name == "years":
        return timedelta(days=365 * value)
    return timedelta(**{name: value})


def _team_member(team: Any, roles: set[str]) -> str | None:
    members = team.members if hasattr(team, "members") else team
    current = [m for m in members or () if not m.dateOut]
    for member in [*current, *(members or ())]:
        if (member.role or "").strip().lower() in roles:
            return member.username or member.name
    return None


def _strictest_classification(values: Iterable[str | None]) -> str | None:
    found = [v.lower() for v in values if v and v.lower() in CLASSIFICATIONS]
    return max(found, key=CLASSIFICATIONS.index) if found else None


def _operator(rule: Any) -> tuple[str, Any] | None:
    for op in _OPERATORS:
        value = getattr(rule, op)
        if value is not None:
            return op, value
    return None


def _zero_tolerance(op: tuple[str, Any] | None, unit: str | None) -> bool:
    if op is None:
        return False
    name, value = op
    if name in ("mustBe", "mustBeLessOrEqualTo") and value == 0:
        return True
    return name == "mustBeLessThan" and (unit or "rows") == "rows" and value == 1


def _gx(kind: str, meta_severity: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": kwargs, "meta": {"severity": meta_severity}}


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


class _Reader:
    """Reads one contract file into drafts (relationships are resolved later, across files)."""

    def __init__(self, path: Path, contract: OpenDataContractStandard, sources: Mapping[str, SourceConfig]) -> None:
        self.file = str(path)
        self.contract = contract
        self.sources = sources
        self.drafts: list[_Draft] = []

    # -- the whole contract -----------------------------------------------------

    def read(self) -> list[_Draft]:
        contract = self.contract
        schema_objects = contract.schema_ or []
        if not schema_objects:
            raise ConfigError(
                "the contract describes no table (its 'schema' list is empty), so it adds no dataset",
                file=self.file,
                field="schema",
            )
        source, schema_name = self._source()
        owner = sponsor = None
        if contract.team is not None:
            owner = _team_member(contract.team, _OWNER_ROLES)
            sponsor = _team_member(contract.team, _SPONSOR_ROLES)
            if owner is None and hasattr(contract.team, "name"):
                owner = contract.team.name
        seen: dict[str, int] = {}
        for index, obj in enumerate(schema_objects):
            where = f"schema.{index}"
            name = obj.name or ""
            if not _DATASET_NAME.match(name):
                raise ConfigError(
                    f"schema object name {name!r} cannot name a dataset (letters, digits, '_' and '-' only)",
                    file=self.file,
                    field=f"{where}.name",
                )
            if name in seen:
                raise ConfigError(
                    f"dataset {name!r} is also schema.{seen[name]} of this contract",
                    file=self.file,
                    field=f"{where}.name",
                )
            seen[name] = index
            draft = _Draft(name=name, index=index, where=where, entry={}, columns={}, ids={})
            draft.entry.update(source=source, table=obj.physicalName or name)
            if schema_name:
                draft.entry["schema"] = schema_name
            if owner:
                draft.entry["owner"] = owner
            if sponsor:
                draft.entry["business_sponsor"] = sponsor
            self._schema_object(draft, obj)
            self.drafts.append(draft)
        self._slas()
        return self.drafts

    def _source(self) -> tuple[str, str | None]:
        explicit = _custom(self.contract.customProperties, CP_SOURCE)
        if explicit is not None:
            index, value = explicit
            if value not in self.sources:
                raise ConfigError(
                    f"names source {value!r}, which is not in the configuration "
                    f"(known: {', '.join(sorted(self.sources)) or 'none'})",
                    file=self.file,
                    field=f"customProperties.{index}.value",
                )
            return str(value), None
        for server in self.contract.servers or ():
            if server.server in self.sources:
                return str(server.server), server.schema_
        if len(self.sources) == 1:
            # One source is the only database the configuration knows: the contract's
            # tables are read there, by their physical names (the server's schema, which
            # names a place in another database, is not used).
            return next(iter(self.sources)), None
        servers = ", ".join(repr(s.server) for s in self.contract.servers or ()) or "none"
        raise ConfigError(
            f"cannot tell which source holds this contract's tables: none of its servers "
            f"({servers}) is named like a source of the configuration "
            f"({', '.join(sorted(self.sources)) or 'none'}); name a server after a source, or "
            f"add a custom property {CP_SOURCE!r} with the source's name",
            file=self.file,
            field="servers",
        )

    # -- one schema object ------------------------------------------------------

    def _schema_object(self, draft: _Draft, obj: Any) -> None:
        contract = self.contract
        where = draft.where
        description = obj.description or (contract.description.purpose if contract.description else None)
        if description:
            draft.entry["description"] = description
        tags = list(dict.fromkeys([*(obj.tags or ()), *(contract.tags or ())]))
        if tags:
            draft.entry["tags"] = tags
        doc = self._documentation(obj)
        if doc:
            draft.entry["documentation_url"] = doc

        at = f"{where}.customProperties"
        for name, target in (
            (CP_TEXT_COLUMNS, "text_columns"),
            (CP_ACCESS_LABEL, "access_label_column"),
            (CP_SYSTEM_OF_RECORD, "system_of_record"),
        ):
            self._custom_field(draft, obj.customProperties, name, target, at)

        properties = obj.properties or []
        for prop in properties:
            pname = prop.name or ""
            draft.columns[pname] = prop.physicalName or pname
            if prop.id:
                draft.ids[prop.id] = pname
        # Classification: the table's, else the contract's, else the strictest column's.
        if not self._custom_field(draft, obj.customProperties, CP_CLASSIFICATION, "classification", at) and not (
            self._custom_field(draft, contract.customProperties, CP_CLASSIFICATION, "classification", "customProperties")
        ):
            inferred = _strictest_classification(p.classification for p in properties)
            if inferred:
                draft.entry["classification"] = inferred
        keyed: list[tuple[int, int, str]] = []
        for i, prop in enumerate(properties):
            self._property(draft, prop, f"{where}.properties.{i}", keyed)
        if keyed:
            draft.entry["primary_key"] = [column for _, _, column in sorted(keyed)]
            primary = set(draft.entry["primary_key"])
            required = [c for c in draft.entry.get("required_columns", []) if c not in primary]
            draft.entry["required_columns"] = required
        for i, rel in enumerate(obj.relationships or ()):
            draft.relationships.append((f"{where}.relationships.{i}", rel.from_, rel.to, rel))
        for i, rule in enumerate(obj.quality or ()):
            self._quality(draft, rule, f"{where}.quality.{i}", column=None)
        for key in ("required_columns", "unique_columns"):
            if key in draft.entry:
                draft.entry[key] = list(dict.fromkeys(draft.entry[key]))
                if not draft.entry[key]:
                    del draft.entry[key]

    def _custom_field(self, draft: _Draft, props: Iterable[Any] | None, name: str, target: str, at: str) -> bool:
        """Set catalog field ``target`` from custom property ``name``; False when absent."""
        found = _custom(props, name)
        if found is None:
            return False
        index, value = found
        if target == "classification" and isinstance(value, str):
            value = value.lower()
        draft.entry[target] = value
        draft.fields_at[target] = f"{at}.{index}.value"
        return True

    def _documentation(self, obj: Any) -> str | None:
        for definitions in (obj.authoritativeDefinitions, self.contract.authoritativeDefinitions):
            for kind in _DOC_TYPES:
                for definition in definitions or ():
                    if definition.type == kind and definition.url:
                        return str(definition.url)
        return None

    def _property(self, draft: _Draft, prop: Any, where: str, keyed: list[tuple[int, int, str]]) -> None:
        column = prop.physicalName or prop.name
        entry = draft.entry
        if prop.description:
            entry.setdefault("column_descriptions", {})[column] = prop.description
        # A type Preflight measured (or wrote only to qualify a range) is not a promise.
        declared = prop.physicalType or prop.logicalType
        if declared and _custom(prop.customProperties, CP_TYPE_SOURCE) is None:
            entry.setdefault("columns", {})[column] = declared
        if prop.primaryKey:
            position = prop.primaryKeyPosition if prop.primaryKeyPosition and prop.primaryKeyPosition > 0 else 10_000
            keyed.append((position, len(keyed), column))
        if prop.required:
            entry.setdefault("required_columns", []).append(column)
        if prop.unique:
            entry.setdefault("unique_columns", []).append(column)
        if prop.properties or prop.items:
            draft.notes.append(
                ContractNote(where=where, text=f"{column}: nested properties are not profiled, so their rules are not checked")
            )
        self._type_options(draft, prop, column, where)
        if prop.enum:
            values = [v.value for v in prop.enum]
            self._accepted_values(draft, column, values, where=f"{where}.enum", label="enum", severity="warning", rule_id=f"{column}.enum")
        for i, rel in enumerate(prop.relationships or ()):
            draft.relationships.append((f"{where}.relationships.{i}", prop.name, rel.to, rel))
        for i, rule in enumerate(prop.quality or ()):
            self._quality(draft, rule, f"{where}.quality.{i}", column=column)

    def _type_options(self, draft: _Draft, prop: Any, column: str, where: str) -> None:
        options = dict(prop.logicalTypeOptions or {})
        if not options:
            return
        at = f"{where}.logicalTypeOptions"
        if "pattern" in options:
            self._pattern(draft, column, options.pop("pattern"), f"{at}.pattern", "warning", f"{column}.pattern")
        low, high = options.pop("minimum", None), options.pop("maximum", None)
        ex_low, ex_high = options.pop("exclusiveMinimum", None), options.pop("exclusiveMaximum", None)
        # ODCS 3.0 wrote exclusiveMinimum/Maximum as booleans qualifying minimum/maximum.
        strict_low = ex_low is True or (ex_low is not None and not isinstance(ex_low, bool))
        strict_high = ex_high is True or (ex_high is not None and not isinstance(ex_high, bool))
        if ex_low is not None and not isinstance(ex_low, bool):
            low = ex_low
        if ex_high is not None and not isinstance(ex_high, bool):
            high = ex_high
        if low is not None or high is not None:
            numeric = all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in (low, high))
            if numeric and not strict_low and not strict_high and column not in draft.entry.get("ranges", {}):
                draft.entry.setdefault("ranges", {})[column] = {"min": low, "max": high}
                draft.fields_at["ranges"] = at
            else:
                kwargs: dict[str, Any] = {"column": column, "min_value": low, "max_value": high}
                if strict_low:
                    kwargs["strict_min"] = True
                if strict_high:
                    kwargs["strict_max"] = True
                self._add_rule(
                    draft, f"{column}.between", at, f"{column} between {low} and {high}", column, "warning",
                    expectation=_gx("expect_column_values_to_be_between", "warning", **kwargs),
                )
        shortest, longest = options.pop("minLength", None), options.pop("maxLength", None)
        if shortest is not None or longest is not None:
            self._add_rule(
                draft, f"{column}.length", at, f"{column} length between {shortest} and {longest}", column, "warning",
                expectation=_gx(
                    "expect_column_value_lengths_to_be_between", "warning",
                    column=column, min_value=shortest, max_value=longest,
                ),
            )
        if "multipleOf" in options:
            self._add_rule(
                draft, f"{column}.multipleOf", f"{at}.multipleOf", f"{column} multiple of {options.pop('multipleOf')}",
                column, "warning", reason="Preflight has no check for multiples of a number",
            )
        if options:
            draft.notes.append(
                ContractNote(
                    where=at,
                    text=f"{column}: type options {', '.join(sorted(options))} describe the representation; not checked",
                )
            )

    # -- rules --------------------------------------------------------------------

    def _add_rule(
        self,
        draft: _Draft,
        rule_id: str,
        where: str,
        label: str,
        column: str | None,
        severity: str,
        *,
        expectation: dict[str, Any] | None = None,
        reason: str | None = None,
        odcs: dict[str, Any] | None = None,
    ) -> None:
        draft.rules.append(
            ContractRule(
                id=draft.rule_id(rule_id),
                where=where,
                label=label,
                column=column,
                severity=severity,  # type: ignore[arg-type]
                expectation=expectation,
                reason=reason,
                odcs=odcs,
            )
        )

    def _accepted_values(
        self, draft: _Draft, column: str, values: Any, *, where: str, label: str, severity: str, rule_id: str,
        odcs: dict[str, Any] | None = None,
    ) -> None:
        if not isinstance(values, list) or not values:
            raise ConfigError("expected a non-empty list of valid values", file=self.file, field=where)
        accepted = draft.entry.setdefault("accepted_values", {})
        if column not in accepted:
            accepted[column] = values
            draft.fields_at["accepted_values"] = where
        else:
            self._add_rule(
                draft, rule_id, where, f"{column} in {values!r}", column, severity,
                expectation=_gx("expect_column_values_to_be_in_set", severity, column=column, value_set=values),
                odcs=odcs,
            )

    def _pattern(
        self, draft: _Draft, column: str, pattern: Any, where: str, severity: str, rule_id: str,
        odcs: dict[str, Any] | None = None,
    ) -> None:
        if not isinstance(pattern, str):
            raise ConfigError("expected a regular expression", file=self.file, field=where)
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"not a regular expression: {exc}", file=self.file, field=where) from None
        patterns = draft.entry.setdefault("patterns", {})
        if column not in patterns:
            patterns[column] = pattern
            draft.fields_at["patterns"] = where
        else:
            self._add_rule(
                draft, rule_id, where, f"{column} matches {pattern!r}", column, severity,
                expectation=_gx("expect_column_values_to_match_regex", severity, column=column, regex=pattern),
                odcs=odcs,
            )

    def _quality(self, draft: _Draft, rule: Any, where: str, *, column: str | None) -> None:
        odcs = rule.model_dump(exclude_none=True, by_alias=True)
        kind = (rule.type or ("library" if (rule.metric or rule.rule) else "library")).lower()
        severity = _severity(rule.severity)
        metric = rule.metric or rule.rule
        label_base = rule.name or rule.description or metric or kind
        rule_id = rule.id or f"{column or 'table'}.{metric or kind}"

        def unsupported(reason: str) -> None:
            self._add_rule(draft, rule_id, where, str(label_base), column, severity, reason=reason, odcs=odcs)

        if kind == "text":
            draft.notes.append(ContractNote(where=where, text=f"{column or draft.name}: {rule.description or rule.name or 'text rule'} (a text rule: not executable)"))
            return
        if kind == "sql":
            unsupported(
                "Preflight does not run SQL taken from configuration (it would run unreviewed with "
                "the audit's credentials); express the rule as a library metric or a Great "
                "Expectations rule"
            )
            return
        if kind == "custom":
            self._custom_rule(draft, rule, where, column, severity, rule_id, odcs, unsupported)
            return
        op = _operator(rule)
        unit = (rule.unit or "rows").lower()
        zero = _zero_tolerance(op, unit)
        args = rule.arguments or {}
        entry = draft.entry
        if metric == "rowCount" and column is None:
            self._row_count(draft, op, where, severity, rule_id, odcs, unsupported)
            return
        if metric == "duplicateValues" and column is None:
            names = args.get("properties")
            if not isinstance(names, list) or not names:
                unsupported("a table-level duplicateValues rule needs arguments.properties (the key's columns)")
                return
            columns = [self._column(draft, n, f"{where}.arguments.properties") for n in names]
            # Written back under the physical names Preflight's export gives properties.
            odcs["arguments"] = {**odcs["arguments"], "properties": columns}
            if not zero:
                unsupported("Preflight checks duplicates only as 'none allowed' (mustBe: 0)")
            elif len(columns) == 1:
                if list(entry.get("primary_key", ())) != columns:
                    entry.setdefault("unique_columns", []).append(columns[0])
            elif set(columns) != set(entry.get("primary_key", ())):
                self._add_rule(
                    draft, rule_id, where, f"({', '.join(columns)}) unique", None, severity,
                    expectation=_gx("expect_compound_columns_to_be_unique", severity, column_list=columns),
                    odcs=odcs,
                )
            return
        if column is None:
            unsupported(f"metric {metric!r} applies to a column, but this rule is on the table")
            return
        if metric == "nullValues":
            if zero:
                entry.setdefault("required_columns", []).append(column)
            elif op is not None and op[0] == "mustBeLessOrEqualTo" and unit == "percent":
                self._add_rule(
                    draft, rule_id, where, f"{column} at most {op[1]}% NULL", column, severity,
                    expectation=_gx("expect_column_values_to_not_be_null", severity, column=column, mostly=1 - op[1] / 100),
                    odcs=odcs,
                )
            else:
                unsupported("Preflight checks NULLs as 'none allowed' (mustBe: 0) or 'at most p percent' (mustBeLessOrEqualTo with unit percent)")
        elif metric == "missingValues":
            values = args.get("missingValues")
            if not isinstance(values, list) or not values:
                raise ConfigError("expected a non-empty list of missing values", file=self.file, field=f"{where}.arguments.missingValues")
            if not zero:
                unsupported("Preflight checks missing values only as 'none allowed' (mustBe: 0)")
                return
            if None in values:
                entry.setdefault("required_columns", []).append(column)
            present = [v for v in values if v is not None]
            if present:
                self._add_rule(
                    draft, rule_id, where, f"{column} never {present!r}", column, severity,
                    expectation=_gx("expect_column_values_to_not_be_in_set", severity, column=column, value_set=present),
                    odcs=odcs,
                )
        elif metric == "invalidValues":
            if not zero:
                unsupported("Preflight checks invalid values only as 'none allowed' (mustBe: 0)")
                return
            if "validValues" not in args and "pattern" not in args:
                unsupported("an invalidValues rule needs arguments.validValues or arguments.pattern")
                return
            if "validValues" in args:
                self._accepted_values(draft, column, args["validValues"], where=f"{where}.arguments.validValues", label="validValues", severity=severity, rule_id=rule_id, odcs=odcs)
            if "pattern" in args:
                self._pattern(draft, column, args["pattern"], f"{where}.arguments.pattern", severity, rule_id, odcs=odcs)
        elif metric == "duplicateValues":
            if zero:
                if list(entry.get("primary_key", ())) != [column]:
                    entry.setdefault("unique_columns", []).append(column)
            else:
                unsupported("Preflight checks duplicates only as 'none allowed' (mustBe: 0)")
        else:
            unsupported(f"metric {metric!r} is not one Preflight maps")

    def _row_count(self, draft: _Draft, op: tuple[str, Any] | None, where: str, severity: str, rule_id: str, odcs: dict[str, Any], unsupported: Any) -> None:
        if op is None:
            unsupported("a rowCount rule needs an operator")
            return
        name, value = op
        entry = draft.entry
        lowest: int | None = None
        kwargs: dict[str, Any] = {}
        kind = "expect_table_row_count_to_be_between"
        if name == "mustBeGreaterThan":
            lowest = math.floor(value) + 1
        elif name == "mustBeGreaterOrEqualTo":
            lowest = math.ceil(value)
        elif name == "mustBeLessThan":
            kwargs = {"max_value": math.ceil(value) - 1}
        elif name == "mustBeLessOrEqualTo":
            kwargs = {"max_value": math.floor(value)}
        elif name == "mustBeBetween":
            # ODCS: mustBeBetween is mustBeGreaterThan the first and mustBeLessThan the second.
            kwargs = {"min_value": math.floor(value[0]) + 1, "max_value": math.ceil(value[1]) - 1}
        elif name == "mustBe":
            kind, kwargs = "expect_table_row_count_to_equal", {"value": value}
        else:
            unsupported(f"{name} is not checked for a row count")
            return
        if lowest is not None:
            if "min_rows" not in entry:
                entry["min_rows"] = max(lowest, 0)
                draft.fields_at["min_rows"] = where
                return
            kwargs = {"min_value": lowest}
        self._add_rule(
            draft, rule_id, where, f"row count {name} {value}", None, severity,
            expectation=_gx(kind, severity, **kwargs), odcs=odcs,
        )

    def _custom_rule(self, draft: _Draft, rule: Any, where: str, column: str | None, severity: str, rule_id: str, odcs: dict[str, Any], unsupported: Any) -> None:
        engine = (rule.engine or "").strip().lower()
        if engine not in _GX_ENGINES:
            unsupported(f"rules for the {rule.engine!r} engine are not run by Preflight (it runs Great Expectations rules)")
            return
        body = rule.implementation
        if isinstance(body, str):
            try:
                body = yaml.safe_load(body)
            except yaml.YAMLError as exc:
                raise ConfigError(f"the Great Expectations rule is not YAML: {exc}", file=self.file, field=f"{where}.implementation") from exc
        if not isinstance(body, Mapping) or not isinstance(body.get("type") or body.get("expectation_type"), str):
            raise ConfigError(
                "a Great Expectations rule needs 'type' (e.g. expect_column_values_to_not_be_null) and 'kwargs'",
                file=self.file,
                field=f"{where}.implementation",
            )
        kind = str(body.get("type") or body.get("expectation_type"))
        kwargs = body.get("kwargs") or {}
        if not isinstance(kwargs, Mapping):
            raise ConfigError("'kwargs' must be a mapping", file=self.file, field=f"{where}.implementation.kwargs")
        kwargs = {_snake(str(k)): v for k, v in kwargs.items()}
        if column and kind.startswith("expect_column_") and "column" not in kwargs:
            kwargs["column"] = column
        meta = dict(body.get("meta") or {})
        meta.setdefault("severity", severity)
        self._add_rule(
            draft, rule.id or f"{column or 'table'}.{kind}", where, kind, column, severity,
            expectation={"type": kind, "kwargs": kwargs, "meta": meta}, odcs=odcs,
        )

    def _column(self, draft: _Draft, name: Any, where: str) -> str:
        if not isinstance(name, str) or name not in draft.columns:
            raise ConfigError(f"names property {name!r}, which {draft.name} does not have", file=self.file, field=where)
        return draft.columns[name]

    # -- service levels --------------------------------------------------------------

    def _element(self, element: str | None, where: str) -> tuple[_Draft, str] | None:
        """The dataset and column an SLA's ``element`` (``object.property`` or ``property``) names."""
        if not element:
            return None
        first = element.split(",")[0].strip()
        obj, _, prop = first.rpartition(".")
        candidates = [d for d in self.drafts if not obj or obj in (d.name, d.entry["table"])]
        if not obj and len(self.drafts) > 1:
            candidates = [d for d in self.drafts if prop in d.columns]
        if len(candidates) != 1 or prop not in candidates[0].columns:
            return None
        return candidates[0], candidates[0].columns[prop]

    def _slas(self) -> None:
        default = self.contract.slaDefaultElement
        for i, sla in enumerate(self.contract.slaProperties or ()):
            where = f"slaProperties.{i}"
            kind = (sla.property or "").strip()
            element = sla.element or default
            target = self._element(element, where)
            targets = [target[0]] if target else (self.drafts if not element else [])
            if kind.lower() in _FRESHNESS_SLAS:
                slo = _duration(sla.value, sla.unit, self.file, where)
                if target is None:
                    for draft in self.drafts if len(self.drafts) == 1 else ():
                        self._add_rule(
                            draft, "sla.latency", where, f"latency {sla.value} {sla.unit}", None, _severity(None),
                            reason=f"its element {element!r} names no column of this contract's tables, so there is nothing to measure freshness by",
                        )
                    if len(self.drafts) != 1:
                        self._note_everywhere(where, f"latency {sla.value} {sla.unit} on {element!r}: names no column of this contract's tables; not checked")
                    continue
                draft, column = target
                if "freshness" in draft.entry:
                    self._add_rule(
                        draft, "sla.latency", where, f"latency {sla.value} {sla.unit} on {column}", column, "warning",
                        reason="Preflight checks one freshness SLO per dataset; this one is a second",
                    )
                    continue
                draft.entry["freshness"] = {"column": column, "slo": slo}
                draft.fields_at["freshness"] = where
            elif kind.lower() in _FREQUENCY_SLAS:
                cadence = self._cadence(sla.value, sla.unit, where)
                for draft in targets or self.drafts:
                    draft.entry.setdefault("update_cadence", cadence)
            else:
                text = f"{kind} {sla.value}{' ' + sla.unit if sla.unit else ''}"
                for draft in targets or self.drafts:
                    draft.notes.append(ContractNote(where=where, text=f"SLA {text}: not a property of the data Preflight measures; not checked"))

    def _cadence(self, value: Any, unit: str | None, where: str) -> str:
        if unit is None:
            return str(value)
        key = (unit or "").strip().lower()
        if key not in _UNITS:
            raise ConfigError(f"unknown unit {unit!r} (use s, m, h, d, w or y)", file=self.file, field=f"{where}.unit")
        return _CADENCES.get((_UNITS[key], value), f"every {value:g} {_UNITS[key]}" if isinstance(value, int | float) else f"every {value} {_UNITS[key]}")

    def _note_everywhere(self, where: str, text: str) -> None:
        for draft in self.drafts:
            draft.notes.append(ContractNote(where=where, text=text))


def _split_ref(ref: str) -> tuple[str, str] | None:
    """``object.property`` → (object, property); None for nested or fully qualified references."""
    parts = ref.split(".")
    return (parts[0], parts[1]) if len(parts) == 2 and "/" not in ref else None


def _resolve_relationships(
    readers: Sequence[_Reader], yaml_datasets: Collection[str]
) -> None:
    by_name: dict[str, _Draft] = {d.name: d for r in readers for d in r.drafts}
    for reader in readers:
        by_id: dict[str, tuple[_Draft, dict[str, str]]] = {}
        for draft, obj in zip(reader.drafts, reader.contract.schema_ or [], strict=True):
            if obj.id:
                by_id[obj.id] = (draft, draft.ids)

        def resolve(ref: str, where: str, _reader: _Reader = reader, _by_id: dict[str, tuple[_Draft, dict[str, str]]] = by_id) -> tuple[str, str] | str:
            """(dataset, column), or why it cannot be resolved."""
            if "/" in ref:
                if "#" in ref:
                    return f"{ref!r} points into another file, which Preflight does not follow"
                parts = ref.strip("/").split("/")
                if len(parts) == 4 and parts[0] == "schema" and parts[2] == "properties" and parts[1] in _by_id:
                    draft, ids = _by_id[parts[1]]
                    if parts[3] in ids:
                        return draft.name, draft.columns[ids[parts[3]]]
                raise ConfigError(f"reference {ref!r} names no property of this contract", file=_reader.file, field=where)
            split = _split_ref(ref)
            if split is None:
                return f"{ref!r} names a nested property; Preflight relates top-level columns only"
            obj, prop = split
            if obj in by_name:
                target = by_name[obj]
                if prop not in target.columns:
                    raise ConfigError(f"reference {ref!r}: {obj} has no property {prop!r}", file=_reader.file, field=where)
                return obj, target.columns[prop]
            if obj in yaml_datasets:
                return obj, prop
            return f"{ref!r} names {obj!r}, which is not in the catalog"

        for draft in reader.drafts:
            for where, source, target, _rel in draft.relationships:
                sources = source if isinstance(source, list) else [source]
                targets = target if isinstance(target, list) else [target]
                label = f"{', '.join(map(str, sources))} → {', '.join(map(str, targets))}"
                if len(sources) != len(targets):
                    raise ConfigError(
                        f"'from' names {len(sources)} properties and 'to' {len(targets)}",
                        file=reader.file, field=where,
                    )
                columns: list[str] = []
                refs: list[tuple[str, str]] = []
                why: str | None = None
                for i, (src_ref, dst_ref) in enumerate(zip(map(str, sources), map(str, targets), strict=True)):
                    suffix = f".{i}" if len(sources) > 1 else ""
                    if "." in src_ref or "/" in src_ref:
                        resolved_from = resolve(src_ref, f"{where}.from{suffix}")
                        if isinstance(resolved_from, str):
                            why = resolved_from
                            break
                        if resolved_from[0] != draft.name:
                            raise ConfigError(f"'from' {src_ref!r} is not a property of {draft.name}",
                                              file=reader.file, field=f"{where}.from{suffix}")
                        columns.append(resolved_from[1])
                    else:
                        columns.append(draft.columns.get(src_ref, src_ref))
                    resolved = resolve(dst_ref, f"{where}.to{suffix}")
                    if isinstance(resolved, str):
                        why = resolved
                        break
                    refs.append(resolved)
                if why is not None or len({d for d, _ in refs}) != 1:
                    reader._add_rule(
                        draft, "relationship", where, label, columns[0] if len(columns) == 1 else None, "warning",
                        reason=why or "the 'to' properties belong to different datasets",
                    )
                    continue
                draft.entry.setdefault("related_keys", []).append(
                    {"columns": columns, "references": {"dataset": refs[0][0], "columns": [c for _, c in refs]}}
                )
                draft.fields_at["related_keys"] = where


def load_contracts(
    files: Sequence[Path], *, sources: Mapping[str, SourceConfig], yaml_datasets: Collection[str]
) -> LoadedContracts:
    """Read contract files into catalog entries (see the module docstring).

    ``sources`` are the configuration's sources (a contract's server names one), and
    ``yaml_datasets`` the datasets the YAML catalog defines (a contract's relationships
    may point at them). Raises :class:`ConfigError` naming the contract file and field.
    """
    readers: list[_Reader] = []
    for path in files:
        raw = _read_yaml(path)
        contract = parse_contract(raw, str(path))
        reader = _Reader(path, contract, sources)
        reader.read()
        readers.append(reader)
    _resolve_relationships(readers, yaml_datasets)

    datasets: dict[str, DatasetConfig] = {}
    contracts: dict[str, DatasetContract] = {}
    origins: dict[str, str] = {}
    for reader in readers:
        for draft in reader.drafts:
            if draft.name in datasets:
                raise ConfigError(
                    f"dataset {draft.name!r} is also defined in {origins[draft.name]}",
                    file=reader.file,
                    field=f"{draft.where}.name",
                )
            datasets[draft.name] = _validate_entry(draft, reader.file)
            origins[draft.name] = reader.file
            contracts[draft.name] = DatasetContract(
                file=reader.file,
                contract_id=str(reader.contract.id),
                version=reader.contract.version,
                schema_index=draft.index,
                rules=tuple(draft.rules),
                notes=tuple(draft.notes),
            )
        _log_what_is_not_checked(reader)
    return LoadedContracts(datasets=datasets, contracts=contracts, origins=origins)


def _log_what_is_not_checked(reader: _Reader) -> None:
    """One warning per contract that has unchecked parts; the details at INFO level.

    Every Airflow task loads the configuration, so each item is not repeated as a warning;
    the audit reports them too (the unsupported rules as checks, the notes in its facts).
    """
    notes = {(n.where, n.text) for d in reader.drafts for n in d.notes}
    unsupported = [(d.name, r) for d in reader.drafts for r in d.rules if r.expectation is None]
    for where, text in sorted(notes):
        log.info("%s: %s: %s", reader.file, where, text)
    for name, rule in unsupported:
        log.info("%s: %s: rule %r of %s is not supported: %s", reader.file, rule.where, rule.label, name, rule.reason)
    if notes or unsupported:
        log.warning(
            "%s: %d rule(s) Preflight cannot check (each is reported as a check that was not "
            "measured) and %d promise(s) that are no check of the data (listed in the audit's "
            "contract facts); set PREFLIGHT_LOG_LEVEL=INFO to list them here",
            reader.file, len(unsupported), len(notes),
        )


def _validate_entry(draft: _Draft, file: str) -> DatasetConfig:
    try:
        return DatasetConfig.model_validate(draft.entry)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first["loc"]]
        where = draft.fields_at.get(loc[0]) if loc else None
        field_name = where or f"{draft.where} (catalog field {'.'.join(loc)})"
        got = first.get("input")
        echo = f" (got {got!r})" if isinstance(got, str | int | float | bool) and first["type"] != "missing" else ""
        raise ConfigError(
            f"{first['msg']}{echo} — as the catalog's {'.'.join(loc)} of dataset {draft.name}",
            file=file,
            field=field_name,
        ) from exc


# ---------------------------------------------------------------------------
# Catalog (+ audit) → contract
# ---------------------------------------------------------------------------

_LOGICAL = {"numeric": "number", "text": "string", "boolean": "boolean"}
_ODCS_SERVER = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql", "duckdb": "duckdb", "mssql": "sqlserver"}


def _logical_type(type_name: str) -> str | None:
    from preflight.measure.checks.quality import type_family

    family = type_family(type_name)
    lowered = type_name.lower()
    if family == "numeric":
        integer = any(n in lowered for n in ("int", "serial")) and "point" not in lowered
        return "integer" if integer else "number"
    if family == "temporal":
        if "timestamp" in lowered or "datetime" in lowered:
            return "timestamp"
        if lowered.startswith("date"):
            return "date"
        return "time" if lowered.startswith("time") else "timestamp"
    return _LOGICAL.get(family)


def _server(source_name: str, source: SourceConfig, schema: str | None) -> dict[str, Any]:
    """An ODCS server for a source, with no credentials (user and password are left out)."""
    server: dict[str, Any] = {"server": source_name}
    if source.description:
        server["description"] = source.description
    if source.conn_id:
        return {**server, "type": "custom", "customProperties": [{"property": "airflowConnId", "value": source.conn_id}]}
    from sqlalchemy.engine import make_url

    try:
        url = make_url(source.url or "")
        backend = url.get_backend_name()
        host, port, database = url.host, url.port, url.database
    except Exception:  # ${VAR} in the port and other unparsable forms: say less
        return {**server, "type": "custom"}
    kind = _ODCS_SERVER.get(backend)
    if kind == "postgres" and host and database:
        return {**server, "type": kind, "host": host, "port": port or 5432, "database": database, "schema": schema or "public"}
    if kind == "mysql" and host and database:
        return {**server, "type": kind, "host": host, "port": port or 3306, "database": database}
    if kind == "sqlserver" and host and database:
        return {**server, "type": kind, "host": host, "port": port or 1433, "database": database, "schema": schema or "dbo"}
    if kind == "duckdb" and database:
        return {**server, "type": kind, "database": database, **({"schema": schema} if schema else {})}
    custom: dict[str, Any] = {**server, "type": "custom", "format": backend}
    if backend == "sqlite" and database:
        custom["path"] = database
    elif database:
        custom["database"] = database
    if schema:
        custom["schema"] = schema
    return custom


def _slo_value(slo: timedelta) -> tuple[float | int, str]:
    seconds = slo.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return int(seconds // size), unit
    return seconds, "s"


def _cadence_sla(cadence: str) -> dict[str, Any]:
    for (unit, value), word in _CADENCES.items():
        if cadence == word:
            return {"property": "frequency", "value": value, "unit": unit[0]}
    return {"property": "frequency", "value": cadence}


def _audit_facts(audit: DatasetAudit, entry: DatasetConfig, run_id: str | None) -> dict[str, Any]:
    """What the audit measured, for the contract's reader (never read back as a promise)."""
    facts: dict[str, Any] = {
        **({"runId": run_id} if run_id else {}),
        "runFinishedAt": audit.finished_at.isoformat(),
        "status": audit.status.value,
        "rowCount": audit.row_count,
        "scores": dict(audit.scores),
        "failingChecks": sorted(c.id for c in audit.checks if c.failing),
    }
    if audit.reason:
        facts["reason"] = audit.reason
    fresh = audit.facts.get("freshness")
    if entry.freshness is not None and isinstance(fresh, Mapping):
        facts["freshness"] = {
            "column": entry.freshness.column,
            "newest": fresh.get("newest"),
            "ageHours": fresh.get("age_hours"),
            "sloHours": entry.freshness.slo.total_seconds() / 3600,
        }
    key = next((c for c in audit.checks if c.id == "quality.uniqueness.primary_key"), None)
    if key is not None:
        facts["primaryKey"] = {"columns": list(entry.primary_key), "unique": key.passed, "duplicateRows": key.observed}
    return facts


def contract_for_entry(
    name: str,
    entry: DatasetConfig,
    source: SourceConfig,
    *,
    audit: DatasetAudit | None = None,
    run_id: str | None = None,
    contract: DatasetContract | None = None,
    status: str = "active",
) -> OpenDataContractStandard:
    """The ODCS contract of one catalog entry (+ what ``audit`` of run ``run_id`` measured); validated."""
    profile: TableProfile | None = audit.profile if audit is not None else None
    measured = {c.name: c.type for c in profile.columns} if profile else {}
    named = [
        *measured,
        *entry.primary_key, *entry.required_columns, *entry.unique_columns,
        *entry.columns, *entry.column_descriptions, *entry.accepted_values, *entry.ranges,
        *entry.patterns, *(c for k in entry.related_keys for c in k.columns), *entry.text_columns,
        *([entry.freshness.column] if entry.freshness else []),
        *([entry.access_label_column] if entry.access_label_column else []),
    ]
    kept_rules = [r for r in (contract.rules if contract else ()) if r.odcs is not None]
    named += [r.column for r in kept_rules if r.column]
    properties = []
    for column in dict.fromkeys(named):
        prop: dict[str, Any] = {"name": column}
        declared = entry.columns.get(column)
        physical = declared or measured.get(column)
        if physical:
            logical = _logical_type(physical)
            if logical:
                prop["logicalType"] = logical
            prop["physicalType"] = physical
        if column in entry.column_descriptions:
            prop["description"] = entry.column_descriptions[column]
        if column in entry.primary_key:
            prop["primaryKey"] = True
            prop["primaryKeyPosition"] = entry.primary_key.index(column) + 1
        if column in entry.required_columns or column in entry.primary_key:
            prop["required"] = True
        if column in entry.unique_columns:
            prop["unique"] = True
        type_source = "measured" if physical and not declared else None
        if column in entry.ranges:
            bounds = entry.ranges[column]
            if prop.get("logicalType") not in ("integer", "number"):
                # Range bounds are logicalTypeOptions of a number: say so, not as a promise.
                prop["logicalType"] = "number"
                type_source = type_source or ("inferred" if not declared else None)
            prop["logicalTypeOptions"] = {
                k: v for k, v in (("minimum", bounds.min), ("maximum", bounds.max)) if v is not None
            }
        quality: list[dict[str, Any]] = []
        if column in entry.accepted_values:
            quality.append({
                "type": "library", "metric": "invalidValues", "dimension": "conformity",
                "arguments": {"validValues": list(entry.accepted_values[column])}, "mustBe": 0,
            })
        if column in entry.patterns:
            quality.append({
                "type": "library", "metric": "invalidValues", "dimension": "conformity",
                "arguments": {"pattern": entry.patterns[column]}, "mustBe": 0,
            })
        quality += [r.odcs for r in kept_rules if r.column == column and r.odcs is not None]
        if quality:
            prop["quality"] = quality
        # Property-level relationships hold one column; composite keys are not exported (docs/formats.md).
        related = [k for k in entry.related_keys if k.columns == (column,)]
        if related:
            prop["relationships"] = [{"type": "foreignKey", "to": str(k.references)} for k in related]
        if type_source:
            prop["customProperties"] = [{"property": CP_TYPE_SOURCE, "value": type_source}]
        properties.append(prop)

    obj: dict[str, Any] = {"name": name, "physicalName": entry.table, "physicalType": "table", "properties": properties}
    if entry.description:
        obj["description"] = entry.description
    if entry.tags:
        obj["tags"] = list(entry.tags)
    if entry.documentation_url:
        obj["authoritativeDefinitions"] = [{"type": "businessDefinition", "url": entry.documentation_url}]
    table_quality: list[dict[str, Any]] = []
    if entry.min_rows is not None:
        table_quality.append({"type": "library", "metric": "rowCount", "mustBeGreaterOrEqualTo": entry.min_rows, "dimension": "completeness"})
    table_quality += [r.odcs for r in kept_rules if r.column is None and r.odcs is not None]
    if table_quality:
        obj["quality"] = table_quality
    custom: list[dict[str, Any]] = []
    if entry.classification:
        custom.append({"property": CP_CLASSIFICATION, "value": entry.classification})
    if entry.text_columns:
        custom.append({"property": CP_TEXT_COLUMNS, "value": list(entry.text_columns)})
    if entry.access_label_column:
        custom.append({"property": CP_ACCESS_LABEL, "value": entry.access_label_column})
    if entry.system_of_record:
        custom.append({"property": CP_SYSTEM_OF_RECORD, "value": True})
    if custom:
        obj["customProperties"] = custom

    source_name = entry.source
    body: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "DataContract",
        "id": contract.contract_id if contract else str(uuid.uuid5(uuid.NAMESPACE_URL, f"preflight:{source_name}:{entry.schema_name or ''}.{entry.table}")),
        "name": name,
        "version": (contract.version if contract and contract.version else "1.0.0"),
        "status": status,
        "servers": [_server(source_name, source, entry.schema_name)],
        "schema": [obj],
    }
    if entry.description:
        body["description"] = {"purpose": entry.description}
    members = []
    if entry.owner:
        members.append({"username": entry.owner, "role": "Owner"})
    if entry.business_sponsor:
        members.append({"username": entry.business_sponsor, "role": "Business Sponsor"})
    if members:
        body["team"] = {"members": members}
    slas: list[dict[str, Any]] = []
    if entry.freshness is not None:
        value, unit = _slo_value(entry.freshness.slo)
        slas.append({"property": "latency", "value": value, "unit": unit, "element": f"{name}.{entry.freshness.column}"})
    if entry.update_cadence:
        slas.append(_cadence_sla(entry.update_cadence))
    if slas:
        body["slaProperties"] = slas
    if audit is not None:
        body["customProperties"] = [{
            "property": CP_AUDIT, "value": _audit_facts(audit, entry, run_id),
            "description": "what the latest Preflight audit measured; read back, it is not a promise",
        }]
    return parse_contract(json.loads(json.dumps(body, default=str)), f"<contract for {name}>")


def contract_for_dataset(
    config: Config,
    name: str,
    audit: DatasetAudit | None = None,
    *,
    run_id: str | None = None,
    status: str = "active",
) -> OpenDataContractStandard:
    """The contract of catalog entry ``name`` with what ``audit`` measured (see module docstring)."""
    if name not in config.datasets:
        raise ConfigError(
            f"unknown dataset {name!r} (known: {', '.join(sorted(config.datasets)) or 'none'})",
            field=f"datasets.{name}",
        )
    entry = config.datasets[name]
    return contract_for_entry(
        name,
        entry,
        config.sources[entry.source],
        audit=audit,
        run_id=run_id,
        contract=config.contracts.get(name),
        status=status,
    )


_HEADER = """\
# Open Data Contract Standard (ODCS) {api} contract written by Preflight: what the
# catalog declares{measured}. Custom properties named preflight* are Preflight's.
# A property with a {type_source} custom property has a type that was measured
# (or inferred), not promised: remove that custom property to promise the type.
"""


def contract_yaml(contract: OpenDataContractStandard, *, measured: bool = True) -> str:
    """The contract as YAML with a short header (the package's own ``to_yaml`` for the body)."""
    header = _HEADER.format(
        api=contract.apiVersion,
        measured=" and what its latest audit measured" if measured else "",
        type_source=CP_TYPE_SOURCE,
    )
    return header + contract.to_yaml()


def write_contract(text: str, path: Path, *, force: bool = False) -> Path:
    """Write a contract file atomically; refuses to replace one unless ``force``."""
    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} already exists; refusing to overwrite it (use --force)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # a contract is not secret
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


_DISCOVERED = """\
# Drafted by Preflight's discovery from the database's own metadata (comments, primary
# keys, column types, foreign keys). Review it, then add what a database cannot know:
# the team (an Owner member), a dataClassification custom property (public | internal |
# confidential | restricted), tags, a latency SLA on a timestamp column, quality rules.
"""


def write_discovered_contracts(
    config: Config, entries: Mapping[str, Mapping[str, Any]], folder: Path, *, force: bool = False
) -> list[Path]:
    """One ``<dataset>.odcs.yaml`` draft contract per discovered catalog entry in ``folder``.

    Every file is validated (as a catalog entry and as a contract) before any is written,
    and none replaces an existing file unless ``force``.
    """
    folder = Path(folder)
    texts: dict[Path, str] = {}
    for name, raw in entries.items():
        target = folder / f"{name}.odcs.yaml"
        try:
            entry = DatasetConfig.model_validate(dict(raw))
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ConfigError(first["msg"], file=str(target), field=_path("datasets", name, *first["loc"])) from exc
        contract = contract_for_entry(name, entry, config.sources[entry.source], status="draft")
        texts[target] = _DISCOVERED + contract.to_yaml()
    existing = [p for p in texts if p.exists()]
    if existing and not force:
        raise FileExistsError(
            f"{', '.join(str(p) for p in existing)} already exist(s); refusing to overwrite (use --force)"
        )
    return [write_contract(text, path, force=True) for path, text in texts.items()]
