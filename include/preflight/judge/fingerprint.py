"""A fingerprint of what a verdict judged, so that a gate can refuse a verdict that was
reached on another configuration.

The parts are digests of: the use case's definition, its kind's requirement profile,
each of its datasets' catalog entries and their sources' entries, the data contract a
dataset was read from (its rules), the Great Expectations suite of each dataset (its bytes, read by the caller: judging reads no files), and the
settings that change what is measured. A verdict stores the parts; a gate recomputes
them from today's configuration and names each part that differs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from preflight.judge.kinds import load_kind
from preflight.model.config import Config

__all__ = ["changed_parts", "combine", "fingerprint_parts"]

# Settings that change what is measured or how it is judged (not where results go).
_JUDGED_SETTINGS = ("sample_size", "approximate_distinct", "history_min_audits", "naming_convention", "lineage")


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint_parts(config: Config, use_case: str, suites: Mapping[str, str | None]) -> dict[str, str]:
    """``{part: digest}`` for ``use_case``; ``suites`` maps each dataset to the digest of
    its suite file (None: no suite)."""
    entry = config.use_cases[use_case]
    parts = {
        "use case": _digest(entry.model_dump(mode="json")),
        f"kind {entry.kind}": _digest(load_kind(entry.kind).model_dump(mode="json")),
        "settings": _digest(config.settings.model_dump(mode="json", include=set(_JUDGED_SETTINGS))),
    }
    for name in entry.datasets:
        dataset = config.datasets.get(name)
        parts[f"dataset {name}"] = _digest(dataset.model_dump(mode="json") if dataset else None)
        source = config.sources.get(dataset.source) if dataset else None
        parts[f"source of {name}"] = _digest(source.model_dump(mode="json") if source else None)
        parts[f"suite of {name}"] = suites.get(name) or "none"
        contract = config.contracts.get(name)  # an ODCS contract's rules beyond the entry
        if contract is not None:
            parts[f"contract of {name}"] = _digest(contract.model_dump(mode="json"))
    return parts


def combine(parts: Mapping[str, str]) -> str:
    """One digest of every part."""
    return _digest(dict(parts))


def changed_parts(judged: Mapping[str, str], today: Mapping[str, str]) -> list[str]:
    """The parts that differ between a verdict's fingerprint and today's, by name."""
    return sorted(part for part in {*judged, *today} if judged.get(part) != today.get(part))
