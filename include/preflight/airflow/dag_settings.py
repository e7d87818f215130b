"""What the audit DAG needs from the configuration when its file is parsed.

Three things shape the DAG itself rather than a run: ``settings.schedule`` (when it
runs), ``settings.max_parallel_audits`` (its ``max_active_tasks``) and the sources (one
audit task and one Airflow pool per source, sized by ``max_concurrent_audits``). They
are read here at every parse, so a change takes effect at the next parse without
editing the DAG file.

Parsing must stay cheap and must never break on the configuration:

- only the files that hold a top-level ``settings:`` or ``sources:`` key are read, and of
  those only these two blocks are parsed (with libyaml when it is available): the
  catalog, however large and wherever it is, is not;
- anything wrong (no directory, a YAML error, an invalid value, ``settings`` in two
  files) gives the defaults for what could not be read, and a warning in the parse log.
  The error itself surfaces when the audit runs: its first task loads the whole
  configuration and fails naming the file and the field.

Names of tasks and pools are derived from source names by :func:`source_groups`, the
one function that both the DAG and ``preflight pools`` use.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from preflight.model.config import (
    DEFAULT_MAX_CONCURRENT_AUDITS,
    DEFAULT_MAX_PARALLEL_AUDITS,
    DEFAULT_SCHEDULE,
)

__all__ = [
    "OTHER_SOURCES",
    "read_dataset_assets",
    "DagSettings",
    "SourceLane",
    "pool_name",
    "read_dag_settings",
    "source_groups",
]

log = logging.getLogger(__name__)

# The task group of datasets whose source the DAG was not parsed with (a run given
# another `config_dir`): they have no pool of their own, so they go one at a time.
OTHER_SOURCES = "other_sources"
OTHER_SOURCES_AT_ONCE = 1

_TOP_LEVEL = re.compile(r"^['\"]?(settings|sources)['\"]?\s*:", re.MULTILINE)
_FLOW_TOP_LEVEL = re.compile(r"^\{", re.MULTILINE)
_TOP_KEY = re.compile(r"^(?P<quote>['\"]?)(?P<key>[A-Za-z_][\w-]*)(?P=quote)\s*:(?:\s|$)")
_WANTED = ("settings", "sources")
_NOT_IN_ID = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class SourceLane:
    """One source's path through the DAG: its task group and the pool it audits in."""

    source: str
    group_id: str
    slots: int  # max_concurrent_audits: the pool's slots

    @property
    def pool(self) -> str:
        return pool_name(self.group_id)


@dataclass(frozen=True)
class DagSettings:
    """What shapes the audit DAG: its schedule, its parallelism, one lane per source."""

    schedule: str | None = DEFAULT_SCHEDULE
    max_parallel_audits: int = DEFAULT_MAX_PARALLEL_AUDITS
    lanes: tuple[SourceLane, ...] = ()
    problems: tuple[str, ...] = ()  # why a default stands in for a configured value

    def group_of(self) -> dict[str, str]:
        """source name → task group id, for the plan task."""
        return {lane.source: lane.group_id for lane in self.lanes}


def pool_name(group_id: str) -> str:
    return f"preflight_{group_id}"


def source_groups(sources: Iterable[str]) -> dict[str, str]:
    """Task-group id of each source: ``source_<name>``, with characters a task id cannot
    hold replaced by ``_`` and, where two names would meet, a short hash of the name."""
    names = sorted(set(sources))
    slugs = {name: "source_" + _NOT_IN_ID.sub("_", name) for name in names}
    taken = list(slugs.values())
    groups = {}
    for name, slug in slugs.items():
        if taken.count(slug) > 1:
            slug = f"{slug}_{hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:6]}"
        groups[name] = slug
    return groups


def read_dag_settings(directory: Path | str | None = None) -> DagSettings:
    """The DAG-shaping settings of the configuration in ``directory`` (default:
    ``PREFLIGHT_CONFIG``); the defaults for whatever cannot be read. Never raises."""
    try:
        return _read(Path(directory) if directory else _config_dir())
    except Exception as exc:  # parsing the DAG must survive any configuration
        problem = f"could not read the configuration ({type(exc).__name__}: {exc})"
        log.warning("preflight: %s; the DAG uses the defaults until it is fixed", problem)
        return DagSettings(problems=(problem,))


def _config_dir() -> Path:
    from preflight.settings import config_dir

    return config_dir()


def _load_yaml(text: str) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader


def _wanted_blocks(text: str) -> str | None:
    """The lines of the file's top-level ``settings`` and ``sources`` blocks, so that a
    catalog in the same file is not parsed; None when the file is not plain block-style
    YAML (several documents, a flow-style or unusual top level): then it is parsed whole."""
    kept: list[str] = []
    keep = False
    for line in text.splitlines(keepends=True):
        if line.startswith(("---", "...")):
            return None
        if line[:1] not in ("", " ", "\t", "#", "\n", "\r"):
            match = _TOP_KEY.match(line)
            if match is None:
                return None
            keep = match.group("key") in _WANTED
        if keep:
            kept.append(line)
    return "".join(kept)


def _parse(text: str) -> Any:
    """``settings`` and ``sources`` of one file: from their blocks alone when that works
    (an alias to an anchor elsewhere does not), else from the whole file."""
    blocks = _wanted_blocks(text)
    if blocks is not None:
        try:
            return _load_yaml(blocks)
        except Exception:  # e.g. an alias defined outside the blocks: parse it all
            pass
    return _load_yaml(text)


def _read(root: Path) -> DagSettings:
    problems: list[str] = []
    if not root.is_dir():
        problems.append(f"{root}: configuration directory not found")
        log.warning("preflight: %s; the DAG uses the defaults", problems[0])
        return DagSettings(problems=tuple(problems))
    settings_raw: tuple[Path, Any] | None = None
    settings_twice = False
    sources_raw: dict[str, tuple[Path, Any]] = {}
    for path in sorted(p for p in [*root.glob("*.yaml"), *root.glob("*.yml")] if not p.name.startswith(".")):
        text = path.read_text(encoding="utf-8")
        if not (_TOP_LEVEL.search(text) or _FLOW_TOP_LEVEL.search(text)):
            continue  # catalog or use cases only: never parsed here
        try:
            raw = _parse(text)
        except Exception as exc:
            problems.append(f"{path}: not YAML ({type(exc).__name__})")
            continue
        if not isinstance(raw, Mapping):
            continue
        if "settings" in raw:
            if settings_raw is not None:
                settings_twice = True
                problems.append(f"{path}: settings: also defined in {settings_raw[0]}")
            else:
                settings_raw = (path, raw["settings"])
        if isinstance(raw.get("sources"), Mapping):
            for name, entry in raw["sources"].items():
                sources_raw.setdefault(str(name), (path, entry))
    schedule: str | None = DEFAULT_SCHEDULE
    parallel = DEFAULT_MAX_PARALLEL_AUDITS
    if settings_raw is not None and not settings_twice:
        checked = _valid_settings(*settings_raw, problems)
        if checked is not None:
            schedule, parallel = checked
    groups = source_groups(sources_raw)
    lanes = tuple(
        SourceLane(source=name, group_id=groups[name], slots=_slots(name, *sources_raw[name], problems))
        for name in sorted(sources_raw)
    )
    for problem in problems:
        log.warning("preflight: %s; the DAG uses the default there until it is fixed", problem)
    return DagSettings(schedule=schedule, max_parallel_audits=parallel, lanes=lanes, problems=tuple(problems))


def _valid_settings(path: Path, raw: Any, problems: list[str]) -> tuple[str | None, int] | None:
    from pydantic import ValidationError

    from preflight.model.config import Settings

    try:
        settings = Settings.model_validate(raw or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in ("settings", *first["loc"]))
        problems.append(f"{path}: {field}: {first['msg']}")
        return None
    return settings.schedule, settings.max_parallel_audits


def _slots(name: str, path: Path, raw: Any, problems: list[str]) -> int:
    # Only this field: the rest of the source is checked when the audit runs.
    value = raw.get("max_concurrent_audits", DEFAULT_MAX_CONCURRENT_AUDITS) if isinstance(raw, Mapping) else None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    problems.append(f"{path}: sources.{name}.max_concurrent_audits: expected a whole number of at least 1")
    return DEFAULT_MAX_CONCURRENT_AUDITS


_ASSET_LINE = re.compile(r"^\s+asset\s*:", re.MULTILINE)


def read_dataset_assets(directory: Path | str | None = None) -> dict[str, tuple[str, ...]]:
    """Asset URI → the catalog datasets whose producer updates it (``datasets.<name>.asset``),
    for the data-aware re-audit DAG. A file without an ``asset:`` line is not parsed, so a
    catalog that declares none costs a text search; anything unreadable is left out (the
    audit reports the configuration error). Never raises."""
    found: dict[str, list[str]] = {}
    try:
        root = Path(directory) if directory else _config_dir()
        for path in sorted(p for p in [*root.glob("*.yaml"), *root.glob("*.yml")] if not p.name.startswith(".")):
            text = path.read_text(encoding="utf-8")
            if not _ASSET_LINE.search(text):
                continue
            raw = _load_yaml(text)
            datasets = raw.get("datasets") if isinstance(raw, Mapping) else None
            for name, entry in (datasets or {}).items() if isinstance(datasets, Mapping) else ():
                asset = entry.get("asset") if isinstance(entry, Mapping) else None
                if isinstance(asset, str) and asset.strip():
                    found.setdefault(asset.strip(), []).append(str(name))
    except Exception as exc:  # parsing the DAG must survive any configuration
        log.warning("preflight: could not read the datasets' assets (%s: %s)", type(exc).__name__, exc)
    return {uri: tuple(sorted(names)) for uri, names in sorted(found.items())}

