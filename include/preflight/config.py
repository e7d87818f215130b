"""Configuration: YAML files under one directory, validated into immutable models.

Every ``*.yaml``/``*.yml`` file in the directory may hold any of the top-level keys
``settings``, ``sources``, ``datasets`` and ``use_cases``; entries are merged by name
and each remembers the file it came from, so every error names the file and the field.
Parsing happens once here; nothing downstream re-reads YAML.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from preflight.errors import ConfigError

__all__ = [
    "Config",
    "DatasetConfig",
    "SourceConfig",
    "UseCaseConfig",
    "default_config_dir",
    "load_config",
    "parse_duration",
]

KINDS = ("rag", "recommendation", "localization", "fine_tuning", "agent_tools", "analytics")
CLASSIFICATIONS = ("public", "internal", "confidential", "restricted")
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
StrList = Annotated[tuple[str, ...], BeforeValidator(_as_list)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class SourceConfig(_Model):
    """Where datasets live: a SQLAlchemy URL or an Airflow connection id, never both."""

    url: str | None = None
    conn_id: str | None = None
    description: str | None = None

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
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise ValueError(f"not a SQLAlchemy URL ({exc})") from None
        if parsed.password is not None and not _ENV_REF.match(str(parsed.password)):
            raise ValueError(
                "a password is written in the URL; reference an environment variable "
                "instead (e.g. postgresql://user:${PG_PASSWORD}@host/db) or use conn_id"
            )
        return url


class Freshness(_Model):
    column: str
    slo: Duration


class RelatedKey(_Model):
    """``column`` of this dataset must be found in ``references`` (``dataset.column``)."""

    column: str
    references: str

    @field_validator("references")
    @classmethod
    def _dotted(cls, value: str) -> str:
        if value.count(".") != 1 or not all(value.split(".")):
            raise ValueError("expected 'dataset.column'")
        return value

    @property
    def ref_dataset(self) -> str:
        return self.references.split(".")[0]

    @property
    def ref_column(self) -> str:
        return self.references.split(".")[1]


class Range(_Model):
    min: float | None = None
    max: float | None = None


class DatasetConfig(_Model):
    """A catalog entry: where a dataset is and what is promised about it."""

    source: str
    table: str
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
    related_keys: tuple[RelatedKey, ...] = ()
    unique_columns: StrList = ()
    accepted_values: dict[str, tuple[Any, ...]] = Field(default_factory=dict)
    ranges: dict[str, Range] = Field(default_factory=dict)
    patterns: dict[str, str] = Field(default_factory=dict)
    min_rows: int | None = Field(default=None, ge=0)
    columns: dict[str, str] = Field(default_factory=dict)  # declared schema: name -> type
    column_descriptions: dict[str, str] = Field(default_factory=dict)
    documentation_url: str | None = None
    access_label_column: str | None = None
    system_of_record: bool = False
    required_columns: StrList = ()  # must be complete (null ratio ≤ threshold)

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
    """A check across datasets a use case declares (``from``/``to`` are ``dataset.column``)."""

    type: Literal["join_coverage", "events_per_entity"]
    source: str = Field(alias="from")  # dataset.column
    target: str | None = Field(default=None, alias="to")  # join_coverage: dataset.column
    min_coverage: float = Field(default=0.99, ge=0, le=1)  # join_coverage
    min_events: int = Field(default=3, ge=1)  # events_per_entity
    min_share: float = Field(default=0.8, ge=0, le=1)  # events_per_entity: of entities with enough

    @model_validator(mode="after")
    def _shape(self) -> CrossCheck:
        for ref in (self.source, self.target):
            if ref is not None and (ref.count(".") != 1 or not all(ref.split("."))):
                raise ValueError(f"expected 'dataset.column', got {ref!r}")
        if self.type == "join_coverage" and not self.target:
            raise ValueError("join_coverage needs 'to'")
        return self


class Waiver(_Model):
    check: str  # a check id, or a prefix ending in '*'
    dataset: str | None = None
    reason: str
    approver: str
    expires: date


class UseCaseConfig(_Model):
    """A proposed GenAI use case and what it needs from which datasets."""

    kind: Literal["rag", "recommendation", "localization", "fine_tuning", "agent_tools", "analytics"]
    description: str | None = None
    business_sponsor: str | None = None
    owner: str | None = None
    datasets: dict[str, UseCaseDataset]
    thresholds: dict[str, float] = Field(default_factory=dict)  # requirement id -> threshold
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
    """An Airflow notifier (a ``BaseNotifier`` subclass) told about verdict changes."""

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
    naming_convention: str = r"^[a-z][a-z0-9_]*$"
    sample_size: int = Field(default=2000, gt=0)
    history_min_audits: int = Field(default=5, ge=1)
    approximate_distinct: bool = False
    lineage: LineageSettings = LineageSettings()
    expectations_dir: str | None = None  # default: `expectations/` at the project root
    notifiers: dict[str, NotifierConfig] = Field(default_factory=dict)

    @field_validator("results_url")
    @classmethod
    def _no_password(cls, url: str | None) -> str | None:
        return SourceConfig._no_password(url)

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

    @property
    def expectations_dir(self) -> Path:
        """Where `<dataset>.json` GX suites live: ``PREFLIGHT_EXPECTATIONS``, else
        ``settings.expectations_dir`` (relative to the config directory), else
        ``expectations/`` in the project (beside ``dags/``)."""
        if env := os.environ.get("PREFLIGHT_EXPECTATIONS"):
            return Path(env)
        if self.settings.expectations_dir:
            from preflight.engines.connect import expand_env

            return (self.directory / expand_env(self.settings.expectations_dir)).resolve()
        from preflight.airflow.env import project_root

        return project_root() / "expectations"

    def datasets_for(self, use_case: str) -> list[str]:
        return list(self.use_cases[use_case].datasets)

    def origin(self, section: str, name: str) -> str:
        return self.origins.get(f"{section}.{name}", str(self.directory))


def default_config_dir() -> Path:
    """``PREFLIGHT_CONFIG``, else ``include/config`` beside the installed package."""
    if env := os.environ.get("PREFLIGHT_CONFIG"):
        return Path(env)
    return Path(__file__).resolve().parent.parent / "config"


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _load_file(path: Path) -> _ConfigFile:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506 - safe subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"YAML syntax error: {problem}", file=str(path), field=where) from exc
    if raw is None:
        return _ConfigFile()
    if not isinstance(raw, Mapping):
        raise ConfigError("expected a mapping at the top level", file=str(path))
    try:
        return _ConfigFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = "unknown field"
        elif first["type"] == "missing":
            message = "required field is missing"
        field = _field_path(first["loc"])
        got = first.get("input")
        # Echo the offending value, except URLs: they may carry a credential.
        echo = not (isinstance(got, str) and "://" in got) and not isinstance(got, dict | list)
        if first["type"] not in ("missing", "extra_forbidden") and echo:
            message = f"{message} (got {got!r})"
        raise ConfigError(message + more, file=str(path), field=field) from exc


def load_config(directory: Path | str | None = None) -> Config:
    """Load and validate every YAML file in ``directory`` (see :func:`default_config_dir`)."""
    root = Path(directory) if directory else default_config_dir()
    if not root.is_dir():
        raise ConfigError("configuration directory not found", file=str(root))
    # Dot-files are editor backups and lock files, not configuration.
    files = sorted(p for p in [*root.glob("*.yaml"), *root.glob("*.yml")] if not p.name.startswith("."))
    if not files:
        raise ConfigError("no *.yaml files in the configuration directory", file=str(root))

    settings: Settings | None = None
    sections: dict[str, dict[str, Any]] = {"sources": {}, "datasets": {}, "use_cases": {}}
    origins: dict[str, str] = {}
    for path in files:
        parsed = _load_file(path)
        if parsed.settings is not None:
            if settings is not None:
                raise ConfigError("'settings' is defined in more than one file", file=str(path), field="settings")
            settings = parsed.settings
            origins["settings"] = str(path)
        for section in sections:
            for name, entry in getattr(parsed, section).items():
                key = f"{section}.{name}"
                if key in origins:
                    raise ConfigError(f"also defined in {origins[key]}", file=str(path), field=key)
                sections[section][name] = entry
                origins[key] = str(path)

    config = Config(
        directory=root,
        settings=settings or Settings(),
        origins=origins,
        **sections,
    )
    _check_references(config)
    return config


def _check_references(config: Config) -> None:
    """Names that point at other entries must resolve; the error names where."""
    for name, dataset in config.datasets.items():
        file = config.origin("datasets", name)
        if dataset.source not in config.sources:
            raise ConfigError(
                f"unknown source {dataset.source!r} (known: {', '.join(sorted(config.sources)) or 'none'})",
                file=file,
                field=f"datasets.{name}.source",
            )
        for i, key in enumerate(dataset.related_keys):
            if key.ref_dataset not in config.datasets:
                raise ConfigError(
                    f"references unknown dataset {key.ref_dataset!r}",
                    file=file,
                    field=f"datasets.{name}.related_keys.{i}.references",
                )
    from preflight.judge.rules import load_kind  # requirements imports this module

    for name, use_case in config.use_cases.items():
        file = config.origin("use_cases", name)
        known = {r.id for r in load_kind(use_case.kind).requirements}
        for section in ("thresholds", "severities"):
            for key in getattr(use_case, section):
                if key not in known:
                    raise ConfigError(
                        f"no requirement {key!r} in kind {use_case.kind!r} (known: {', '.join(sorted(known))})",
                        file=file,
                        field=f"use_cases.{name}.{section}.{key}",
                    )
        for dataset_name in use_case.datasets:
            if dataset_name not in config.datasets:
                raise ConfigError(
                    f"unknown dataset {dataset_name!r} (not in the catalog)",
                    file=file,
                    field=f"use_cases.{name}.datasets.{dataset_name}",
                )
        for i, cross in enumerate(use_case.cross_checks):
            for end, ref in (("from", cross.source), ("to", cross.target)):
                if ref and ref.split(".")[0] not in use_case.datasets:
                    raise ConfigError(
                        f"names dataset {ref.split('.')[0]!r}, which this use case does not use",
                        file=file,
                        field=f"use_cases.{name}.cross_checks.{i}.{end}",
                    )
        for i, notifier in enumerate(use_case.notify):
            if notifier not in config.settings.notifiers:
                raise ConfigError(
                    f"unknown notifier {notifier!r} (define it under settings.notifiers)",
                    file=file,
                    field=f"use_cases.{name}.notify.{i}",
                )
        for i, waiver in enumerate(use_case.waivers):
            if waiver.dataset and waiver.dataset not in use_case.datasets:
                raise ConfigError(
                    f"waiver names dataset {waiver.dataset!r}, which this use case does not use",
                    file=file,
                    field=f"use_cases.{name}.waivers.{i}.dataset",
                )
