"""Loading the configuration: YAML files under one directory, validated into immutable models.

Every ``*.yaml``/``*.yml`` file in the directory may hold any of the top-level keys
``settings``, ``sources``, ``datasets`` and ``use_cases``; entries are merged by name
and each remembers the file it came from, so every error names the file and the field.
Parsing happens once here; nothing downstream re-reads YAML. The models themselves are
in :mod:`preflight.model.config`.

Every problem found is reported, not only the first: :func:`load_config` raises one
:class:`~preflight.errors.ConfigError` whose ``problems`` lists each (file, field,
message), with "did you mean" for a misspelt name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from preflight import settings
from preflight.errors import ConfigError, did_you_mean
from preflight.judge.kinds import kind_names, load_kind
from preflight.model.config import Config, Settings, _ConfigFile
from preflight.model.contract import DatasetContract
from preflight.model.strict_yaml import StrictLoader

__all__ = ["MAX_NAME", "default_config_dir", "load_config"]

# The results store keeps names of sources, datasets and use cases, and check ids built
# from them, in bounded columns: longer names are refused here rather than at write time.
MAX_NAME = 120
# Union members pydantic reports one error each for; one message says it for all.
_UNION_TAGS = {"bool", "int", "float", "str"}


def default_config_dir() -> Path:
    """``PREFLIGHT_CONFIG``, else ``include/config`` beside the installed package."""
    return settings.config_dir()


class _Problems:
    """Collects every problem; raises them together."""

    def __init__(self) -> None:
        self.found: list[ConfigError] = []

    def add(self, message: str, *, file: str | None = None, field: str | None = None) -> None:
        self.found.append(ConfigError(message, file=file, field=field))

    def raise_if_any(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            lines = "\n".join(f"  - {p}" for p in self.found)
            error = ConfigError(f"{len(self.found)} problems in the configuration:\n{lines}")
            error.problems = tuple(self.found)
            raise error


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)




def _validation_problems(exc: ValidationError, path: Path, problems: _Problems) -> None:
    seen_unions: set[tuple[Any, ...]] = set()
    for error in exc.errors():
        loc = tuple(error["loc"])
        if loc and loc[-1] in _UNION_TAGS:  # one error per member of a scalar union
            if loc[:-1] in seen_unions:
                continue
            seen_unions.add(loc[:-1])
            problems.add("must be a single value: text, a number or true/false", file=str(path), field=_field_path(loc[:-1]))
            continue
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] == "missing":
            message = "required field is missing"
        got = error.get("input")
        # Echo the offending value, except URLs: they may carry a credential.
        echo = not (isinstance(got, str) and "://" in got) and not isinstance(got, dict | list)
        if error["type"] not in ("missing", "extra_forbidden") and echo:
            message = f"{message} (got {got!r})"
        problems.add(message, file=str(path), field=_field_path(loc))


def _load_file(path: Path, problems: _Problems) -> _ConfigFile | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.add(f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})", file=str(path))
        return None
    try:
        raw = yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        problems.add(f"YAML syntax error: {problem}", file=str(path), field=where)
        return None
    if raw is None:
        return _ConfigFile()
    if not isinstance(raw, Mapping):
        problems.add("expected a mapping at the top level", file=str(path))
        return None
    try:
        return _ConfigFile.model_validate(raw)
    except ValidationError as exc:
        _validation_problems(exc, path, problems)
        return None


def load_config(directory: Path | str | None = None) -> Config:
    """Load and validate every YAML file in ``directory`` (see :func:`default_config_dir`)."""
    root = Path(directory) if directory else default_config_dir()
    if not root.is_dir():
        raise ConfigError("configuration directory not found", file=str(root))
    # Dot-files are editor backups and lock files, not configuration.
    files = sorted(p for p in [*root.glob("*.yaml"), *root.glob("*.yml")] if not p.name.startswith("."))
    # Data contracts (ODCS) are catalog entries too: *.odcs.yaml here, any YAML in contracts/.
    contracts = _contract_files(root)
    files = [p for p in files if p not in contracts]
    if not files and not contracts:
        raise ConfigError("no *.yaml files in the configuration directory", file=str(root))

    problems = _Problems()
    found_settings: Settings | None = None
    sections: dict[str, dict[str, Any]] = {"sources": {}, "datasets": {}, "use_cases": {}}
    origins: dict[str, str] = {}
    for path in files:
        parsed = _load_file(path, problems)
        if parsed is None:
            continue
        if parsed.settings is not None:
            if found_settings is not None:
                problems.add("'settings' is defined in more than one file", file=str(path), field="settings")
            found_settings = parsed.settings
            origins["settings"] = str(path)
        for section in sections:
            for name, entry in getattr(parsed, section).items():
                key = f"{section}.{name}"
                if key in origins:
                    problems.add(f"also defined in {origins[key]}", file=str(path), field=key)
                    continue
                sections[section][name] = entry
                origins[key] = str(path)
    problems.raise_if_any()  # references are checked only on files that parsed

    loaded = _load_contracts(contracts, sections, origins)
    config = Config(
        directory=root,
        settings=found_settings or Settings(),
        origins=origins,
        contracts=loaded,
        **sections,
    )
    _check_names(config, problems)
    _check_references(config, problems)
    _check_use_cases(config, problems)
    problems.raise_if_any()
    return config


def _contract_files(root: Path) -> list[Path]:
    from preflight.authoring.odcs import contract_files

    return contract_files(root)


def _load_contracts(
    files: list[Path], sections: dict[str, dict[str, Any]], origins: dict[str, str]
) -> dict[str, DatasetContract]:
    """Add the catalog entries of ODCS contract files to ``sections`` (see authoring.odcs)."""
    if not files:
        return {}
    from preflight.authoring.odcs import load_contracts

    loaded = load_contracts(files, sources=sections["sources"], yaml_datasets=set(sections["datasets"]))
    for name, entry in loaded.datasets.items():
        key = f"datasets.{name}"
        if key in origins:
            raise ConfigError(
                f"dataset {name!r} is also defined in {origins[key]}",
                file=loaded.origins[name],
                field=f"schema.{loaded.contracts[name].schema_index}.name",
            )
        sections["datasets"][name] = entry
        origins[key] = loaded.origins[name]
    return loaded.contracts


def _check_names(config: Config, problems: _Problems) -> None:
    for section in ("sources", "datasets", "use_cases"):
        for name in getattr(config, section):
            if len(name) > MAX_NAME:
                problems.add(
                    f"a name of {len(name)} characters; the results store keeps names up to {MAX_NAME}",
                    file=config.origin(section, name),
                    field=f"{section}.{name[:40]}…",
                )


def _check_references(config: Config, problems: _Problems) -> None:
    """Names that point at other entries must resolve; each error names where."""
    for name, dataset in config.datasets.items():
        file = config.origin("datasets", name)
        if dataset.source not in config.sources:
            problems.add(
                f"unknown source {dataset.source!r}{did_you_mean(dataset.source, config.sources)}",
                file=file,
                field=f"datasets.{name}.source",
            )
        for i, key in enumerate(dataset.related_keys):
            if key.ref_dataset not in config.datasets:
                problems.add(
                    f"references unknown dataset {key.ref_dataset!r}{did_you_mean(key.ref_dataset, config.datasets)}",
                    file=file,
                    field=f"datasets.{name}.related_keys.{i}.references",
                )


def _check_threshold(value: float, meaning: str | None) -> str | None:
    if math.isnan(value) or math.isinf(value):
        return "must be a finite number"
    if meaning is None:
        return "this requirement takes no threshold"
    if value < 0:
        return "must not be negative"
    if meaning == "ratio" and value > 1:
        return "is a share: it must lie between 0 and 1"
    return None


def _check_use_cases(config: Config, problems: _Problems) -> None:
    from preflight.judge.rules import builtin_rules

    rules = builtin_rules()
    for name, use_case in config.use_cases.items():
        file = config.origin("use_cases", name)
        if use_case.kind not in kind_names():
            problems.add(
                f"unknown kind {use_case.kind!r}{did_you_mean(use_case.kind, kind_names())}",
                file=file,
                field=f"use_cases.{name}.kind",
            )
            continue
        kind = load_kind(use_case.kind)
        known = {r.id: r for r in kind.requirements}
        for section in ("thresholds", "severities"):
            for key in getattr(use_case, section):
                if key not in known:
                    problems.add(
                        f"no requirement {key!r} in kind {use_case.kind!r}{did_you_mean(key, known)}",
                        file=file,
                        field=f"use_cases.{name}.{section}.{key}",
                    )
        for key, value in use_case.thresholds.items():
            if key in known and (problem := _check_threshold(value, rules[known[key].rule].threshold)):
                problems.add(f"{problem} (got {value!r})", file=file, field=f"use_cases.{name}.thresholds.{key}")
        for dataset_name, needs in use_case.datasets.items():
            if dataset_name not in config.datasets:
                problems.add(
                    f"unknown dataset {dataset_name!r} (not in the catalog){did_you_mean(dataset_name, config.datasets)}",
                    file=file,
                    field=f"use_cases.{name}.datasets.{dataset_name}",
                )
            if needs.role is not None and kind.roles and needs.role not in kind.roles:
                problems.add(
                    f"kind {use_case.kind!r} knows no role {needs.role!r}{did_you_mean(needs.role, kind.roles)}",
                    file=file,
                    field=f"use_cases.{name}.datasets.{dataset_name}.role",
                )
        for i, cross in enumerate(use_case.cross_checks):
            for end, ref in (("from", cross.source), ("to", cross.target)):
                if ref is not None and ref.dataset not in use_case.datasets:
                    problems.add(
                        f"names dataset {ref.dataset!r}, which this use case does not use"
                        f"{did_you_mean(ref.dataset, use_case.datasets)}",
                        file=file,
                        field=f"use_cases.{name}.cross_checks.{i}.{end}",
                    )
        for i, notifier in enumerate(use_case.notify):
            if notifier not in config.settings.notifiers:
                problems.add(
                    f"unknown notifier {notifier!r} (define it under settings.notifiers)"
                    f"{did_you_mean(notifier, config.settings.notifiers)}",
                    file=file,
                    field=f"use_cases.{name}.notify.{i}",
                )
        for i, waiver in enumerate(use_case.waivers):
            if waiver.dataset and waiver.dataset not in use_case.datasets:
                problems.add(
                    f"waiver names dataset {waiver.dataset!r}, which this use case does not use",
                    file=file,
                    field=f"use_cases.{name}.waivers.{i}.dataset",
                )
