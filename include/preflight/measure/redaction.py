"""Keep secrets and raw PII out of everything Preflight writes.

Two rules, applied where results are made rather than where they are printed:
- a credential never appears in a message (``scrub``);
- a text value taken from the data (a profile's min/max) is masked where showing it
  could expose someone (``redact_profile``), and shown as it is everywhere else: a code
  such as ``N10156`` or a text date helps the reader and protects nobody when masked.

Which text columns are masked is decided by :func:`columns_to_mask`, a pure function:

- a column the catalog declares personal (``personal_columns``) is *withheld*: its
  values are shown as ``<PERSONAL>``, since names and addresses escape every recognizer;
- a column the privacy probe found personal data in (any entity, any share), or was
  asked to scan (``text_columns``) but has no result for (unknown counts as personal:
  fail closed), is *masked*: every span any recognizer matched becomes ``<ENTITY>`` and
  every other digit ``#`` (see :func:`preflight.measure.checks.privacy.redact`).

A value of any other column is still masked when a PII recognizer matches anything in
the value itself, at any score (a phone number in a column nobody listed, say).

Presidio (with spaCy, about a second to import) is asked only where the privacy probe has
loaded it already: for datasets with text columns. Elsewhere, and for ``preflight
profile``, masking is decided without it, failing closed: a value passes
:func:`~preflight.measure.checks.privacy.may_hold_pii` (a necessary condition for every
recognizer) or is masked without entity labels (every digit ``#``, words around an "@"
and IPv6-shaped words ``<REDACTED>``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from preflight.model.results import ColumnProfile, TableProfile

__all__ = ["WITHHELD", "Masking", "columns_to_mask", "redact_profile", "redact_text", "scrub"]

MAX_SHOWN = 60  # characters of a text min/max kept in a report
WITHHELD = "<PERSONAL>"  # a declared personal column's value, wherever it would be shown


@dataclass(frozen=True)
class Masking:
    """Which text columns' values are hidden, and how."""

    withheld: frozenset[str] = frozenset()  # declared personal: shown as WITHHELD
    masked: frozenset[str] = frozenset()  # PII found, or not scanned: masked entity by entity


def scrub(message: str, secrets: Iterable[str | None]) -> str:
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    return message


def _shortened(text: str) -> str:
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def redact_text(value: str, *, column: str | None = None) -> str:
    """``value`` with every PII candidate masked (at any score; other digits too), truncated."""
    from preflight.measure.checks.privacy import redact  # Presidio loads lazily

    return _shortened(redact(value, context=[column] if column else ()))


def _masked_without_recognizers(value: str) -> str:
    from preflight.measure.checks.privacy import mask_unrecognized

    return _shortened(mask_unrecognized(value))


def _looks_personal(value: str, column: str, *, recognizers: bool) -> bool:
    """Whether any recognizer matches anything in ``value``, at any score; without
    ``recognizers``, whether one could (fail closed: a false alarm only masks a value)."""
    from preflight.measure.checks.privacy import holds_pii_candidate, may_hold_pii

    if not may_hold_pii(value):
        return False
    return holds_pii_candidate(value, context=[column]) if recognizers else True


def columns_to_mask(
    profile: TableProfile,
    *,
    personal: Iterable[str] = (),
    pii_found: Mapping[str, Mapping[str, float]] | None = None,
    scanned: Iterable[str] = (),
) -> Masking:
    """How each text column of ``profile`` is hidden (see the module docstring).

    ``personal``: columns the catalog declares personal. ``pii_found``: the privacy
    probe's result, column → {entity: share of sampled rows}. ``scanned``: the columns the
    probe was asked to scan; one of them without a result counts as personal.
    """
    found = pii_found or {}
    text = {c.name for c in profile.columns if c.kind == "text"}
    withheld = text & set(personal)
    with_pii = {column for column, entities in found.items() if any(share > 0 for share in entities.values())}
    unknown = {column for column in scanned if column not in found}
    return Masking(withheld=frozenset(withheld), masked=frozenset((text & (with_pii | unknown)) - withheld))


def _redact_column(column: ColumnProfile, masking: Masking | None, *, recognizers: bool) -> ColumnProfile:
    if column.kind != "text":
        return column
    updates: dict[str, str] = {}
    for key in ("min", "max"):
        value = getattr(column, key)
        if not isinstance(value, str):
            continue
        if masking is not None and column.name in masking.withheld:
            updates[key] = WITHHELD
        elif masking is None or column.name in masking.masked or _looks_personal(value, column.name, recognizers=recognizers):
            updates[key] = redact_text(value, column=column.name) if recognizers else _masked_without_recognizers(value)
        elif len(value) > MAX_SHOWN:
            updates[key] = _shortened(value)
    return column.model_copy(update=updates) if updates else column


def redact_profile(
    profile: TableProfile,
    *,
    personal: Iterable[str] | None = None,
    pii_found: Mapping[str, Mapping[str, float]] | None = None,
    scanned: Iterable[str] = (),
) -> TableProfile:
    """``profile`` safe to store and show.

    With nothing known about the columns (``personal`` is None, as for ``preflight
    profile`` on an arbitrary table) every text min/max is masked, without Presidio.
    Given what the catalog and the privacy probe know, only :func:`columns_to_mask` and
    values that themselves look personal are; Presidio is asked only when the probe was
    asked to ``scan`` a column (so it is loaded already), else masking fails closed.
    """
    scanned = tuple(scanned)
    masking: Masking | None = None
    if personal is not None:
        masking = columns_to_mask(profile, personal=personal, pii_found=pii_found, scanned=scanned)
    recognizers = masking is not None and bool(scanned)
    columns = tuple(_redact_column(c, masking, recognizers=recognizers) for c in profile.columns)
    return profile.model_copy(update={"columns": columns})
