"""Loading the configuration: YAML files under one directory, validated into immutable models.

Every ``*.yaml``/``*.yml`` file in the directory may hold any of the top-level keys
``settings``, ``sources``, ``datasets`` and ``use_cases``; entries are merged by name
and each remembers the file it came from, so every error names the file and the field.
Parsing happens once here; nothing downstream re-reads YAML. The models themselves are
in :mod:`preflight.model.config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from preflight import settings
from preflight.errors import ConfigError
from preflight.judge.kinds import kind_names, load_kind
from preflight.model.config import Config, Settings, _ConfigFile

__all__ = ["default_config_dir", "load_config"]


def default_config_dir() -> Path:
    """``PREFLIGHT_CONFIG``, else ``include/config`` beside the installed package."""
    return settings.config_dir()


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


# libyaml's parser when PyYAML was built with it (the wheels are): about 5x faster on a
# large catalog, which every Airflow task loads again. The constructor stays PyYAML's.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeLoader):  # type: ignore[misc,valid-type]
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
    for name, use_case in config.use_cases.items():
        file = config.origin("use_cases", name)
        if use_case.kind not in kind_names():
            raise ConfigError(
                f"unknown kind {use_case.kind!r} (known: {', '.join(kind_names())})",
                file=file,
                field=f"use_cases.{name}.kind",
            )
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
