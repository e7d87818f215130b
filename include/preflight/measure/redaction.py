"""Keep secrets and raw PII out of everything Preflight writes.

Two rules, applied where results are made rather than where they are printed:
- a credential never appears in a message (``scrub``);
- a text value taken from the data (a profile's min/max) is masked entity by entity
  before it is stored, reported or logged (``redact_profile``).
"""

from __future__ import annotations

from collections.abc import Iterable

from preflight.model.results import ColumnProfile, TableProfile

__all__ = ["redact_profile", "redact_text", "scrub"]

MAX_SHOWN = 60  # characters of a text min/max kept in a report


def scrub(message: str, secrets: Iterable[str | None]) -> str:
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return message


def redact_text(value: str, *, column: str | None = None) -> str:
    """``value`` with every PII candidate masked (at any score; other digits too), truncated."""
    from preflight.measure.checks.privacy import redact  # Presidio loads lazily

    masked = redact(value, context=[column] if column else ())
    return masked if len(masked) <= MAX_SHOWN else masked[: MAX_SHOWN - 1] + "…"


def _redact_column(column: ColumnProfile) -> ColumnProfile:
    if column.kind != "text":
        return column
    updates = {
        key: redact_text(value, column=column.name)
        for key in ("min", "max")
        if isinstance(value := getattr(column, key), str)
    }
    return column.model_copy(update=updates) if updates else column


def redact_profile(profile: TableProfile) -> TableProfile:
    return profile.model_copy(update={"columns": tuple(_redact_column(c) for c in profile.columns)})
