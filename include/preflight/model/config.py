"""Configuration models: sources, the catalog (datasets), use cases and settings.

Immutable pydantic models, parsed once by :func:`preflight.config.load_config` from the
YAML files of one directory; nothing downstream re-reads YAML. These models know the
*shape* of the configuration; the loader knows files, references and the set of kinds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from preflight.model.contract import DatasetContract

__all__ = [
    "IMPLICIT_DUCKDB_SOURCE",
    "LAKE_SUFFIXES",
    "Config",
    "CrossCheck",
    "DatasetConfig",
    "Settings",
    "SourceConfig",
    "Timeouts",
    "UseCaseConfig",
    "Waiver",
    "parse_duration",
    "validate_schedule",
]

CLASSIFICATIONS = ("public", "internal", "confidential", "restricted")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+_.-]*://")
_ENV_REF = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*\}$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: Any) -> timedelta:
    """``"48h"``, ``"7d"``, ``"30m"`` or a number of hours → timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(hours=value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError("expected a duration like '48h', '7d' or '30m'")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
# A value a column can hold and a catalog can list: no lists, no mappings, no NaN.
Scalar = bool | int | Annotated[float, Field(allow_inf_nan=False)] | str
StrList = Annotated[tuple[str, ...], BeforeValidator(_as_list)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


# A dataset with `path:` and no `source:` is read through this source, which the loader
# adds as an in-memory DuckDB unless the configuration defines a source of that name.
IMPLICIT_DUCKDB_SOURCE = "duckdb"
# Files a `path:` may name (a glob is fine): read with DuckDB's read_parquet / read_csv.
LAKE_SUFFIXES = (".parquet", ".parq", ".csv", ".tsv", ".csv.gz", ".tsv.gz")


class Timeouts(_Model):
    """How long an audit may wait on a source: defaults fit for a shared warehouse.

    ``connect``: to open a connection (and, on MySQL/MariaDB, for the server to greet);
    ``statement``: for one query; ``lock``: for a lock another session holds.
    """

    connect: Duration = timedelta(seconds=10)
    statement: Duration = timedelta(minutes=10)
    lock: Duration = timedelta(seconds=30)

    @field_validator("connect", "statement", "lock")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than zero")
        return value
DEFAULT_SCHEDULE = "@daily"
DEFAULT_MAX_PARALLEL_AUDITS = 16
DEFAULT_MAX_CONCURRENT_AUDITS = 4


def validate_schedule(value: str | None) -> str | None:
    """An Airflow schedule the audit may run on: a cron expression or preset, or None.

    Accepted exactly as Airflow parses a string schedule (its presets, then croniter), so a
    value that passes here never breaks the DAG file. ``@continuous`` is refused: an audit
    that starts again as soon as it ends would never leave the warehouse alone."""
    if value is None or value == "@once":
        return value
    if value == "@continuous":
        raise ValueError("'@continuous' would audit without pause; give a cron expression or a preset such as '@hourly'")
    from croniter import croniter  # 60 ms: only when a schedule is set

    try:
        croniter(value)
    except Exception as exc:  # croniter raises several error types for bad expressions
        raise ValueError(
            f"not a cron expression or preset ({exc}); e.g. '0 3 * * *', '@hourly', '@daily', '@weekly'"
        ) from None
    return value


class SourceConfig(_Model):
    """Where datasets live: a SQLAlchemy URL or an Airflow connection id, never both.

    ``max_concurrent_audits`` is how many of its datasets are audited at once at most
    (in Airflow: the slots of the source's pool), so the source is never crowded."""

    url: str | None = None
    conn_id: str | None = None
    description: str | None = None
    timeouts: Timeouts = Timeouts()
    max_concurrent_audits: int = Field(default=DEFAULT_MAX_CONCURRENT_AUDITS, ge=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> SourceConfig:
        if bool(self.url) == bool(self.conn_id):
            raise ValueError("give exactly one of 'url' or 'conn_id'")
        return self

    @field_validator("url")
    @classmethod
    def _no_password(cls, url: str | None) -> str | None:
        if url is None:
            return url
        if not _URL.match(url):
            raise ValueError("not a SQLAlchemy URL (expected dialect[+driver]://...)")
        try:
            password = urlsplit(url).password
        except ValueError as exc:
            raise ValueError(f"not a SQLAlchemy URL ({exc})") from None
        if password is not None and not _ENV_REF.match(password):
            raise ValueError(
                "a password is written in the URL; reference an environment variable "
                "instead (e.g. postgresql://user:${PG_PASSWORD}@host/db) or use conn_id"
            )
        return url


class Freshness(_Model):
    column: str
    slo: Duration

    @field_validator("slo")
    @classmethod
    def _positive(cls, slo: timedelta) -> timedelta:
        if slo <= timedelta(0):
            raise ValueError("a freshness SLO must be longer than zero")
        return slo


def _key_ref(value: Any) -> Any:
    """``"dataset.column"`` or ``{dataset: d, columns: [a, b]}`` → a :class:`KeyRef` mapping."""
    if isinstance(value, str):
        dataset, _, column = value.partition(".")
        if not dataset or not column or "." in column:
            raise ValueError(f"expected 'dataset.column' or {{dataset: ..., columns: [...]}}, got {value!r}")
        return {"dataset": dataset, "columns": [column]}
    if isinstance(value, Mapping) and "column" in value and "columns" not in value:
        return {**{k: v for k, v in value.items() if k != "column"}, "columns": value["column"]}
    return value


class KeyRef(_Model):
    """A key of a catalog dataset, one column or several (a composite key)."""

    dataset: str = Field(min_length=1)
    columns: Annotated[tuple[str, ...], BeforeValidator(_as_list)] = Field(min_length=1)

    def __str__(self) -> str:
        cols = self.columns[0] if len(self.columns) == 1 else f"({', '.join(self.columns)})"
        return f"{self.dataset}.{cols}"


KeyReference = Annotated[KeyRef, BeforeValidator(_key_ref)]


class RelatedKey(_Model):
    """The ``column`` (or composite ``columns``) of this dataset must be found in
    ``references``: ``dataset.column``, or ``{dataset: d, columns: [a, b]}``."""

    columns: StrList = Field(validation_alias=AliasChoices("column", "columns"), min_length=1)
    references: KeyReference

    @model_validator(mode="after")
    def _same_width(self) -> RelatedKey:
        if len(self.columns) != len(self.references.columns):
            raise ValueError(
                f"{len(self.columns)} column(s) cannot reference {len(self.references.columns)} column(s)"
            )
        return self

    @property
    def ref_dataset(self) -> str:
        return self.references.dataset

    @property
    def label(self) -> str:
        return self.columns[0] if len(self.columns) == 1 else f"({', '.join(self.columns)})"


class Range(_Model):
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        for bound in (self.min, self.max):
            if bound is not None and not math.isfinite(bound):
                raise ValueError("range bounds must be finite numbers")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"inverted range: min {self.min} is above max {self.max}")
        return self


class DatasetConfig(_Model):
    """A catalog entry: where a dataset is and what is promised about it.

    A dataset is a ``table`` of a ``source``, or a ``path`` (a Parquet or CSV file or
    glob, relative to the configuration directory) read through DuckDB. A path dataset
    is queried as a view named after its path, so ``table`` holds the path there too;
    its ``source`` defaults to :data:`IMPLICIT_DUCKDB_SOURCE` (an in-memory DuckDB).
    """

    source: str
    table: str
    path: str | None = None
    schema_name: str | None = Field(default=None, alias="schema")
    description: str | None = None
    owner: str | None = None
    business_sponsor: str | None = None
    tags: StrList = ()
    classification: Literal["public", "internal", "confidential", "restricted"] | None = None
    primary_key: StrList = ()
    freshness: Freshness | None = None
    update_cadence: str | None = None
    text_columns: StrList = ()
    # Columns holding personal data (names, e-mail addresses, ...): their values are masked
    # wherever Preflight shows them (a profile's min/max), whatever the PII scan finds.
    personal_columns: StrList = ()
    related_keys: tuple[RelatedKey, ...] = ()
    unique_columns: StrList = ()
    accepted_values: dict[str, tuple[Scalar, ...]] = Field(default_factory=dict)
    ranges: dict[str, Range] = Field(default_factory=dict)
    patterns: dict[str, str] = Field(default_factory=dict)
    min_rows: int | None = Field(default=None, ge=0)
    columns: dict[str, str] = Field(default_factory=dict)  # declared schema: name -> type
    column_descriptions: dict[str, str] = Field(default_factory=dict)
    documentation_url: str | None = None
    access_label_column: str | None = None
    system_of_record: bool = False
    # The Airflow Asset (its URI) the dataset's producer updates: an update re-audits this
    # dataset and re-judges the use cases that read it (the preflight_reaudit DAG).
    asset: str | None = None
    required_columns: StrList = ()  # must be complete (null ratio ≤ threshold)

    @model_validator(mode="before")
    @classmethod
    def _table_or_path(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        has_table, path = data.get("table") is not None, data.get("path")
        if path is None:
            if not has_table:
                raise ValueError("give 'table' (or 'path' for a Parquet/CSV file read through DuckDB)")
            return data
        if has_table:
            raise ValueError("give exactly one of 'table' or 'path'")
        if not isinstance(path, str) or not path.strip():
            raise ValueError("'path' must be a file name or glob")
        if not path.lower().endswith(LAKE_SUFFIXES):
            raise ValueError(f"'path' must name {', '.join(LAKE_SUFFIXES)} files (got {path!r})")
        if data.get("schema") is not None or data.get("schema_name") is not None:
            raise ValueError("'schema' does not apply to a 'path' dataset")
        # The view DuckDB reads the files through is named after the path.
        return {**data, "table": path, "source": data.get("source") or IMPLICIT_DUCKDB_SOURCE}

    @field_validator("patterns")
    @classmethod
    def _valid_regex(cls, patterns: dict[str, str]) -> dict[str, str]:
        for column, pattern in patterns.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern for column {column!r} is not a regex: {exc}") from None
        return patterns


class UseCaseDataset(_Model):
    columns: StrList = ()
    role: str | None = None  # e.g. documents, events, users, items, source_text, target_text, examples
    locale_column: str | None = None  # localization: the column holding the locale code
    label_column: str | None = None  # fine_tuning: the column holding the label / class


class CrossCheck(_Model):
    """A check across datasets a use case declares. ``from``/``to`` are keys:
    ``dataset.column`` or ``{dataset: d, columns: [a, b]}`` (composite)."""

    type: Literal["join_coverage", "events_per_entity"]
    source: KeyReference = Field(alias="from")
    target: KeyReference | None = Field(default=None, alias="to")  # join_coverage only
    min_coverage: float = Field(default=0.99, ge=0, le=1, allow_inf_nan=False)  # join_coverage
    min_events: int = Field(default=3, ge=1)  # events_per_entity
    min_share: float = Field(default=0.8, ge=0, le=1, allow_inf_nan=False)  # events_per_entity

    @model_validator(mode="after")
    def _shape(self) -> CrossCheck:
        if self.type == "join_coverage":
            if self.target is None:
                raise ValueError("join_coverage needs 'to'")
            if len(self.target.columns) != len(self.source.columns):
                raise ValueError("'from' and 'to' must name as many columns each")
        return self


class Waiver(_Model):
    check: str  # a check id, or a prefix ending in '*'
    dataset: str | None = None
    reason: str
    approver: str
    expires: date


class UseCaseConfig(_Model):
    """A proposed GenAI use case and what it needs from which datasets."""

    kind: str  # one of the kind files in preflight/judge/kinds (checked by the loader)
    description: str | None = None
    business_sponsor: str | None = None
    owner: str | None = None
    datasets: dict[str, UseCaseDataset]
    # requirement id -> threshold (its range depends on the rule: checked by the loader)
    thresholds: dict[str, Annotated[float, Field(allow_inf_nan=False)]] = Field(default_factory=dict)
    severities: dict[str, Literal["blocker", "warning", "info"]] = Field(default_factory=dict)
    pii: Literal["forbidden", "masked_before_indexing", "approved"] = "forbidden"
    target_languages: StrList = ()
    target_locales: StrList = ()
    waivers: tuple[Waiver, ...] = ()
    notify: StrList = ()
    cross_checks: tuple[CrossCheck, ...] = ()

    @field_validator("datasets", mode="before")
    @classmethod
    def _datasets_shorthand(cls, value: Any) -> Any:
        # `datasets: [a, b]` is shorthand for "all columns of a and b".
        if isinstance(value, list):
            return {name: {} for name in value}
        if isinstance(value, Mapping):
            return {k: ({"columns": v} if isinstance(v, list) else (v or {})) for k, v in value.items()}
        return value

    @field_validator("datasets")
    @classmethod
    def _not_empty(cls, value: dict[str, UseCaseDataset]) -> dict[str, UseCaseDataset]:
        if not value:
            raise ValueError("a use case needs at least one dataset")
        return value


class LineageSettings(_Model):
    events_file: str | None = None  # OpenLineage JSON lines (file transport format)
    marquez_url: str | None = None
    namespace: str = "preflight"


class NotifierConfig(_Model):
    """A notifier told about verdict changes: an Airflow ``BaseNotifier`` subclass or a
    Preflight ``preflight.run.notify.Notifier``."""

    class_path: str = Field(alias="class")  # e.g. airflow.providers.smtp.notifications.smtp.SmtpNotifier
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("class_path")
    @classmethod
    def _dotted(cls, value: str) -> str:
        if "." not in value:
            raise ValueError("expected a dotted import path, e.g. package.module.ClassName")
        return value


class Settings(_Model):
    results_url: str | None = None  # SQLAlchemy URL; default SQLite under PREFLIGHT_HOME
    # When Airflow runs the audit DAG (cron expression or preset; null: only when triggered).
    schedule: str | None = DEFAULT_SCHEDULE
    # Dataset audits of one run in flight at once, whatever the sources allow.
    max_parallel_audits: int = Field(default=DEFAULT_MAX_PARALLEL_AUDITS, ge=1)
    # Worker processes of a CLI audit (`preflight audit --workers` overrides it); None:
    # one per usable core. 1 audits in the CLI's own process, one dataset after another.
    audit_workers: int | None = Field(default=None, ge=1)
    naming_convention: str = r"^[a-z][a-z0-9_]*$"
    sample_size: int = Field(default=2000, gt=0)
    history_min_audits: int = Field(default=5, ge=1)
    approximate_distinct: bool = False
    lineage: LineageSettings = LineageSettings()
    expectations_dir: str | None = None  # default: `expectations/` at the project root
    # The Airflow UI's base URL (e.g. https://airflow.example.com): makes the links in
    # notifications absolute. Without it they are paths on the Airflow UI's host.
    ui_url: str | None = None
    # A gate refuses a verdict older than this (``preflight gate --max-age`` overrides it).
    gate_max_age: Duration = timedelta(days=7)
    # How long a person's approval of an at-risk launch lasts (the approval operator's
    # ``valid_for`` overrides it).
    approval_valid_for: Duration = timedelta(days=1)

    @field_validator("gate_max_age")
    @classmethod
    def _positive_age(cls, age: timedelta) -> timedelta:
        if age <= timedelta(0):
            raise ValueError("a maximum age must be longer than zero")
        return age

    @field_validator("approval_valid_for")
    @classmethod
    def _positive_validity(cls, validity: timedelta) -> timedelta:
        if validity <= timedelta(0):
            raise ValueError("an approval must last longer than zero")
        return validity
    notifiers: dict[str, NotifierConfig] = Field(default_factory=dict)

    @field_validator("results_url")
    @classmethod
    def _no_password(cls, url: str | None) -> str | None:
        return SourceConfig._no_password(url)

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        return validate_schedule(value)

    @field_validator("naming_convention")
    @classmethod
    def _regex(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return pattern


class _ConfigFile(_Model):
    settings: Settings | None = None
    sources: dict[str, SourceConfig] = Field(default_factory=dict)
    datasets: dict[str, DatasetConfig] = Field(default_factory=dict)
    use_cases: dict[str, UseCaseConfig] = Field(default_factory=dict)


class Config(_Model):
    directory: Path
    settings: Settings = Settings()
    sources: dict[str, SourceConfig] = Field(default_factory=dict)
    datasets: dict[str, DatasetConfig] = Field(default_factory=dict)
    use_cases: dict[str, UseCaseConfig] = Field(default_factory=dict)
    origins: dict[str, str] = Field(default_factory=dict)  # "datasets.x" -> file name
    # Catalog entries read from data contracts: their rules beyond the entry (dataset -> contract).
    contracts: dict[str, DatasetContract] = Field(default_factory=dict)

    def datasets_for(self, use_case: str) -> list[str]:
        return list(self.use_cases[use_case].datasets)

    def origin(self, section: str, name: str) -> str:
        return self.origins.get(f"{section}.{name}", str(self.directory))
