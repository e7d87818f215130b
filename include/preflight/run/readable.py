"""How results read to a person: one wording for the CLI, the HTML report and the UI pages.

Nothing here judges. Verdicts, scores, bands and checks are shown exactly as the audit
stored them; this module only decides how they are *said*: the meaning of a score and a
band (stated on every page that shows them), band names, check states, observed and
expected values without Python reprs, times without microseconds, inline code in
messages, and which use cases a dataset check matters to.

The report (Jinja2), the UI (Jinja2) and the CLI (rich) all call these functions, so a
band or a state never has two names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from markupsafe import Markup, escape

from preflight.model.results import Check, RunResult, Verdict

__all__ = [
    "BAND_MEANING",
    "BAND_NAMES",
    "DATASET_SCORE_MEANING",
    "SCORE_MEANING",
    "SCORE_RANGES",
    "STATE_LABELS",
    "UseCaseLink",
    "band_label",
    "breakable",
    "check_state",
    "duration",
    "first_blocker",
    "inline_code",
    "next_band",
    "readable_expected",
    "readable_observed",
    "readable_value",
    "relative_time",
    "severity_override",
    "use_case_links",
    "when",
]

# --------------------------------------------------------------------------- score and band

# The range each verdict's score falls in (the judge places the share of passing
# requirement checks within it), so a blocked use case never looks nearly ready.
SCORE_RANGES: dict[str, tuple[int, int]] = {
    "blocked": (0, 49),
    "at_risk": (50, 79),
    "ready": (80, 100),
}

SCORE_MEANING = (
    "0–100, tied to the verdict: blocked 0–49, at risk 50–79, ready 80–100. Within its "
    "verdict's range, the larger the share of the use case's requirement checks that pass, "
    "the higher the score."
)

# Stored values are A, B, C and none; these are the names every surface shows.
BAND_NAMES: dict[str, str] = {"A": "A", "B": "B", "C": "C", "none": "none"}

BAND_MEANING = (
    "the highest readiness level whose requirements all pass. "
    "C: the data can be reached and may be used; "
    "B: it is also faithful (complete, fresh, documented, traced); "
    "A: it is also fit for this use case; "
    "none: a band-C requirement fails."
)

DATASET_SCORE_MEANING = (
    "0–100 per dimension: the weighted share of this dataset's own checks in that dimension "
    "that pass (blocker 3, warning 2, info 1; a check may carry its own weight). Use cases "
    "judge a dataset by their own requirements, which may weigh a finding more or less."
)

_NEXT_BAND = {"none": "C", "C": "B", "B": "A"}


def band_label(level: str | None) -> str:
    """The one name of a readiness band: ``A``, ``B``, ``C`` or ``none``."""
    return BAND_NAMES.get(str(level or "none"), str(level))


def next_band(level: str | None) -> str | None:
    """The band above ``level`` (``none`` → ``C`` → ``B`` → ``A``); None above A."""
    return _NEXT_BAND.get(str(level or "none"))


# --------------------------------------------------------------------------- check states

# The state a reader sees, in the order they look for them.
STATE_LABELS: dict[str, str] = {
    "not_measured": "could not be measured",
    "failed": "failed",
    "waived": "waived",
    "passed": "passed",
}
STATE_RANK = {state: rank for rank, state in enumerate(STATE_LABELS)}


def check_state(check: Check) -> str:
    """``not_measured`` | ``failed`` | ``waived`` | ``passed``.

    A check whose evidence could not be measured never passes; it reads as "could not be
    measured", not as a finding about the data. A waived one stays waived.
    """
    if check.waived:
        return "waived"
    if not check.measured and not check.passed:
        return "not_measured"
    return "passed" if check.passed else "failed"


def severity_override(check: Check) -> str | None:
    """A sentence when a use case's ``severities:`` relaxed this requirement's severity.

    The judge records ``{"natural": ..., "applied": ..., "by": "use_cases.<name>.severities.<id>"}``.
    """
    override = check.details.get("severity_override")
    if not override:
        return None
    applied = check.severity.value
    if isinstance(override, Mapping):
        natural = override.get("natural") or override.get("from")
        applied = str(override.get("applied") or override.get("to") or applied)
        where = override.get("by")
        said = f"relaxed to {applied}" + (f" by {where}" if where else " by this use case")
        return f"{said} (would be {natural})" if natural and natural != applied else said
    if isinstance(override, str) and override != applied:
        return f"relaxed to {applied} by this use case (would be {override})"
    return f"relaxed to {applied} by this use case"


def first_blocker(verdict: Verdict) -> Check | None:
    """The first failing blocker of a verdict (what the overview shows first)."""
    return next((c for c in verdict.checks if c.failing and c.severity.value == "blocker"), None)


# --------------------------------------------------------------------------- values

_RATIO_WORDS = ("ratio", "share", "coverage", "completeness", "duplicates", "pii", "null")
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_MAX_ITEMS = 8


def _is_ratio_key(key: str) -> bool:
    return any(word in key.lower() for word in ("ratio", "share", "coverage"))


def _number(value: float | int, *, percent: bool = False) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if percent and isinstance(value, int | float) and 0 <= value <= 1:
        shown = f"{100 * value:.1f}".rstrip("0").rstrip(".")
        return f"{shown}%"
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1e15 or abs(value) < 1e-4:
        return f"{value:.3g}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def _key(key: Any) -> str:
    text = str(key)
    # Entity names (EMAIL_ADDRESS) and codes (de-DE) are names: keep them as they are.
    if text.isupper() or "-" in text:
        return text
    return text.replace("_", " ")


def readable_value(value: Any, *, percent: bool = False) -> str:
    """A stored value as a person reads it: no Python reprs, no ISO microseconds.

    ``percent`` shows numbers between 0 and 1 as percentages (the caller knows the value
    is a share). Mappings read ``key: value · key: value``; lists are comma-separated.
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return _number(value, percent=percent)
    if isinstance(value, datetime | date):
        return when(value)
    if isinstance(value, str):
        return when(value) if _ISO_TIME.match(value.strip()) else value
    if isinstance(value, Mapping):
        if not value:
            return "—"
        parts = []
        for key, item in value.items():
            shown = readable_value(item, percent=percent or _is_ratio_key(str(key)))
            parts.append(f"{_key(key)}: {shown}")
        return " · ".join(parts)
    if isinstance(value, list | tuple | set | frozenset):
        items = [readable_value(item, percent=percent) for item in value]
        if not items:
            return "none"
        if len(items) > _MAX_ITEMS:
            return ", ".join(items[:_MAX_ITEMS]) + f" … (+{len(items) - _MAX_ITEMS} more)"
        return ", ".join(items)
    return str(value)


def _is_share_check(check: Check) -> bool:
    """Whether the check's bare numbers are shares of rows (shown as percentages)."""
    words = [*check.id.lower().split("."), *map(str, check.details)]
    if isinstance(check.expected, Mapping):
        words += [str(k) for k in check.expected]
    return any(word in text for text in words for word in _RATIO_WORDS)


def readable_observed(check: Check) -> str:
    return readable_value(check.observed, percent=_is_share_check(check))


def readable_expected(check: Check) -> str:
    return readable_value(check.expected, percent=_is_share_check(check))


# --------------------------------------------------------------------------- text and time

_BACKTICKS = re.compile(r"`([^`\n]+)`")


_BREAK_AFTER = re.compile(r"([._/])")


def breakable(text: Any) -> Markup:
    """``text`` escaped, with line-break opportunities after ``.``, ``_`` and ``/``: long
    check ids and names wrap at their joints instead of spilling out of a column."""
    return Markup(_BREAK_AFTER.sub(r"\1<wbr>", str(escape(str(text)))))


def inline_code(text: Any) -> Markup:
    """``text`` escaped, with `backtick spans` as ``<code>``: messages are written that way."""
    if text is None:
        return Markup("")
    escaped = str(escape(str(text)))
    return Markup(_BACKTICKS.sub(r"<code>\1</code>", escaped))


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def when(value: Any) -> str:
    """``30 Nov 2026, 00:19 UTC``: minutes, a named zone, no microseconds."""
    if value is None:
        return "—"
    moment = _as_datetime(value)
    if moment is None:
        return str(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"{moment.day} {moment:%b %Y}"
    if moment.utcoffset() is not None:
        moment = moment.astimezone(UTC)
        return f"{moment.day} {moment:%b %Y, %H:%M} UTC"
    return f"{moment.day} {moment:%b %Y, %H:%M}"


def iso(value: Any) -> str:
    """Machine-readable time for ``<time datetime=…>`` (UTC, seconds)."""
    moment = _as_datetime(value)
    if moment is None:
        return ""
    if moment.utcoffset() is not None:
        moment = moment.astimezone(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def relative_time(value: Any, now: datetime | None = None) -> str:
    """``3 h ago``, ``2 days ago``, ``just now`` (against ``now``, default: the clock)."""
    moment = _as_datetime(value)
    if moment is None:
        return ""
    now = now or datetime.now(UTC)
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = (now - moment).total_seconds()
    if seconds < 0:
        return "in the future"
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    return "yesterday" if days == 1 else f"{days} days ago"


def duration(start: Any, end: Any) -> str:
    """``18 s``, ``4 min 12 s``, ``1 h 3 min`` between two times; empty when unknown."""
    a, b = _as_datetime(start), _as_datetime(end)
    if a is None or b is None:
        return ""
    seconds = max(0, round((b - a) / timedelta(seconds=1)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


# --------------------------------------------------------------------------- checks and use cases


@dataclass(frozen=True)
class UseCaseLink:
    """A use case's requirement check that reads a dataset check."""

    use_case: str
    requirement: str  # the use-case check's id
    severity: str  # the severity *for that use case*
    state: str  # check_state of the use-case check


# Dataset checks a requirement rule reads, by rule name: an exact id, or a family prefix
# ending in "." (then the column, and for text metrics the metric, must match too). A
# use-case check that names its dataset check (``details["source_check"]``) needs no entry.
_RULE_READS: dict[str, tuple[str, ...]] = {
    "keys_unique": ("quality.uniqueness.primary_key",),
    "fresh": ("quality.timeliness",),
    "documented_and_owned": ("discoverability.description", "discoverability.owner"),
    "lineage_known": ("lineage.producer", "lineage.source_configured"),
    "schemas_documented": ("discoverability.column_descriptions",),
    "columns_complete": ("quality.completeness.",),
    "no_unapproved_pii": ("privacy.pii.",),
    "text_metric": ("content.",),
}


def _reads(use_case_check: Check, dataset_check: Check) -> bool:
    """Whether ``use_case_check`` was judged from ``dataset_check`` (same dataset)."""
    details = use_case_check.details
    if source := details.get("source_check"):
        return bool(source == dataset_check.id)
    for prefix in _RULE_READS.get(str(details.get("rule") or ""), ()):
        if not prefix.endswith("."):
            if dataset_check.id == prefix:
                return True
            continue
        if not dataset_check.id.startswith(prefix):
            continue
        if use_case_check.column != dataset_check.column:
            return False
        if details.get("rule") == "text_metric":
            return dataset_check.id.split(".")[1] == details.get("requirement")
        return True
    return False


def use_case_links(run: RunResult) -> dict[tuple[str, str], list[UseCaseLink]]:
    """``(dataset, dataset check id)`` → the use-case requirements judged from that check.

    A dataset check carries its own severity; a use case may weigh the same finding
    differently (a warning for the dataset, a blocker for a use case that cannot live with
    it). The pages show both, so the two never seem to contradict each other.
    """
    links: dict[tuple[str, str], list[UseCaseLink]] = {}
    checks_by_dataset: dict[str, list[Check]] = {a.name: list(a.checks) for a in run.datasets}
    for verdict in run.use_cases:
        for requirement in verdict.checks:
            if not requirement.dataset:
                continue
            for dataset_check in checks_by_dataset.get(requirement.dataset, ()):
                if _reads(requirement, dataset_check):
                    links.setdefault((requirement.dataset, dataset_check.id), []).append(
                        UseCaseLink(
                            use_case=verdict.use_case,
                            requirement=requirement.id,
                            severity=requirement.severity.value,
                            state=check_state(requirement),
                        )
                    )
    return links


def failing_first(checks: Iterable[Check]) -> list[Check]:
    """Not measured, then failed, waived, passed; blockers before warnings; then by id."""
    return sorted(checks, key=lambda c: (STATE_RANK[check_state(c)], c.severity.rank, c.id))
