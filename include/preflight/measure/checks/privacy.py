"""Personal data in free-text columns, found by Presidio's predefined pattern recognizers.

The recognizers are called directly rather than through ``AnalyzerEngine``, whose
default NLP engine needs a spaCy language model (not available offline). Each one
pairs a pattern with a validation where the entity has one:

=============  ======================================================================
EMAIL_ADDRESS  pattern, domain checked against the bundled Public Suffix List
PHONE_NUMBER   ``phonenumbers`` matcher (VALID leniency), regions US GB DE FR IL IN CA BR
CREDIT_CARD    pattern, Luhn checksum (a failing checksum is not reported)
IBAN_CODE      pattern, ISO 7064 mod-97 checksum
IP_ADDRESS     IPv4 / IPv6 patterns
US_SSN         ``123-45-6789``-shaped patterns, known-invalid and placeholder numbers rejected
UK_NHS         pattern, mod-11 checksum (one random 10-digit number in 11 passes it, so
               other 10-digit identifiers are sometimes reported as NHS numbers)
UK_NINO        National Insurance number pattern
=============  ======================================================================

Scores are Presidio's. Its engine would raise a score by 0.35 when one of the
recognizer's context words ("phone", "call", "ssn", ...) occurs among the five words
before a match; that needs lemmas from an NLP pipeline, so here the same rule is applied
to the lower-cased words themselves (a context word matches as a substring, as in
Presidio's default mode). Words of the column name count as context too. This matters
for phone numbers, which Presidio scores 0.4: below the default ``min_score`` of 0.5
a bare ``+44 20 7946 0958`` is not reported, ``call me on +44 20 7946 0958`` is.

Where detections overlap, a detection inside a longer one is dropped and, of two that
cross, the higher score wins, so a row's text is attributed to one entity per span.

**Raw values never leave this module.** A finding carries counts and *masked* examples
only: every span any recognizer matched (at any score) is replaced by ``<ENTITY>``, the
remaining digits by ``#`` and words around an ``@`` by ``<REDACTED>`` (what the
recognizers rejected, such as a card number failing its checksum, may still be
someone's), and the text is cut to about 80 characters around the entity.
"""

from __future__ import annotations

import gc
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

# Importing settings keeps Presidio offline (see OFFLINE_DEFAULTS) before it is first imported.
from preflight import settings  # noqa: F401
from preflight.measure.registry import probe
from preflight.measure.sample import SamplingError, cached_sample
from preflight.model import evidence
from preflight.model.results import Check, Dimension, Severity

if TYPE_CHECKING:
    from preflight.measure.registry import ProbeContext

__all__ = [
    "ENTITIES",
    "PiiFinding",
    "PiiScan",
    "PiiSpan",
    "find_pii",
    "holds_pii_candidate",
    "load_recognizers",
    "mask",
    "mask_unrecognized",
    "may_hold_pii",
    "redact",
    "scan_texts",
]

ENTITIES = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "US_SSN",
    "UK_NHS",
    "UK_NINO",
)

# Every entity above needs a digit, an "@" (e-mail) or a ":" (IPv6 of hex letters only):
# a text with none of them is skipped unscanned. Keep in step with the recognizers.
_MAY_HOLD_PII = re.compile(r"[\d@:]")  # \d: phonenumbers reads any Unicode digit

# Necessary conditions, one per recognizer, that load no Presidio: a text none of them
# holds cannot match any recognizer at any score, so it can be shown without asking
# Presidio (whose import, with spaCy, costs about a second). Each is the recognizer's own
# pattern loosened (word boundaries dropped, digits counted over runs); a test checks
# them against the recognizers. Keep in step with them when Presidio is upgraded.
_SHAPES = (
    re.compile(r"@"),  # EMAIL_ADDRESS
    re.compile(r"::|(?:[^:]*:){6}"),  # IP_ADDRESS, IPv6: compressed (::) or 6-7 colons
    re.compile(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"),  # IP_ADDRESS, IPv4
    re.compile(r"[A-Z]{2}[0-9]{2}(?:[ -]?[A-Z0-9]{4}){2}", re.IGNORECASE),  # IBAN_CODE
    re.compile(r"[A-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]", re.IGNORECASE),  # UK_NINO
)
# US_SSN (9 digits), UK_NHS (10) and CREDIT_CARD (13+) are digit groups joined by at most
# one " ", "-" or "." each: a run of at least 9 such digits.
_DIGIT_RUN = re.compile(r"\d(?:[-. ]?\d)*")
_RUN_DIGITS = 9
# PHONE_NUMBER is phonenumbers' own matcher (as Presidio's PhoneRecognizer calls it):
# German numbers can be 4 digits long, so no digit count would keep codes visible.
_PHONE_REGIONS = ("US", "GB", "DE", "FR", "IL", "IN", "CA", "BR")  # PhoneRecognizer's defaults
_PHONE_LENIENCY = 1  # VALID, PhoneRecognizer's default

EXAMPLE_CHARS = 80
_CONTEXT_WORDS_BEFORE = 5  # Presidio's default context window (prefix)
_CONTEXT_BOOST = 0.35  # Presidio's default context_similarity_factor
_CONTEXT_FLOOR = 0.4  # Presidio's default min_score_with_context_similarity
_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_PLACEHOLDER = re.compile(r"<[A-Z_]+>")
_AT_TOKEN = re.compile(r"[^\s<>]*@[^\s<>]*")
_TOKEN = re.compile(r"[^\s<>]+")


class PiiSpan(NamedTuple):
    """Where an entity is in a text: offsets and a score, never the value itself."""

    entity: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class PiiFinding:
    """One entity type in a set of texts."""

    entity: str
    rows_affected: int
    share: float  # rows_affected / rows_scanned
    masked_examples: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "rows_affected": self.rows_affected,
            "share": self.share,
            "masked_examples": list(self.masked_examples),
        }


@dataclass(frozen=True)
class PiiScan:
    """The result of :func:`scan_texts`: counts per entity type, no raw values."""

    rows_scanned: int
    findings: dict[str, PiiFinding] = field(default_factory=dict)  # by entity, sorted

    @property
    def rows_with_pii(self) -> int:
        return max((f.rows_affected for f in self.findings.values()), default=0)

    def shares(self) -> dict[str, float]:
        return {entity: finding.share for entity, finding in self.findings.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_scanned": self.rows_scanned,
            "findings": {entity: f.to_dict() for entity, f in self.findings.items()},
        }


# --- recognizers -----------------------------------------------------------------------

_recognizers: list[Any] | None = None
_lock = threading.Lock()


def load_recognizers() -> list[Any]:
    """The recognizer instances, built once per process (import + first use ≈ 1 s)."""
    global _recognizers
    with _lock:
        if _recognizers is None:
            from presidio_analyzer.predefined_recognizers import (
                CreditCardRecognizer,
                EmailRecognizer,
                IbanRecognizer,
                IpRecognizer,
                NhsRecognizer,
                PhoneRecognizer,
                UkNinoRecognizer,
                UsSsnRecognizer,
            )

            _recognizers = [
                EmailRecognizer(),
                PhoneRecognizer(),
                CreditCardRecognizer(),
                IbanRecognizer(),
                IpRecognizer(),
                UsSsnRecognizer(),
                NhsRecognizer(),
                UkNinoRecognizer(),
            ]
            # spaCy and Presidio leave ~10^6 long-lived objects that every later full
            # collection would walk (≈ 0.1 s CPU each): move them out of the collector's
            # sight. Cost: reference cycles among objects alive now are never freed.
            gc.freeze()
        return _recognizers


def _context_words(text: str, start: int) -> list[str]:
    words = _WORD.findall(text[max(0, start - 200) : start])
    return [w.lower() for w in words[-_CONTEXT_WORDS_BEFORE:]]


def _candidates(text: str, context: Sequence[str]) -> list[PiiSpan]:
    """Every detection at any score above zero, context applied, overlaps unresolved."""
    spans: list[PiiSpan] = []
    for recognizer in load_recognizers():
        results = recognizer.analyze(
            text, entities=recognizer.supported_entities, nlp_artifacts=None
        )
        for result in results:
            score = float(result.score)
            if score <= 0:
                continue
            words = _context_words(text, result.start) + list(context)
            if recognizer.context and any(
                cue.lower() in w for cue in recognizer.context for w in words
            ):
                score = min(1.0, max(score + _CONTEXT_BOOST, _CONTEXT_FLOOR))
            spans.append(PiiSpan(result.entity_type, result.start, result.end, score))
    return spans


def _resolve(spans: Iterable[PiiSpan]) -> list[PiiSpan]:
    """Non-overlapping spans: containers beat what they contain, then higher scores win."""
    spans = list(spans)
    kept = [
        s
        for s in spans
        if not any(
            o is not s
            and o.start <= s.start
            and s.end <= o.end
            and (o.end - o.start) > (s.end - s.start)
            for o in spans
        )
    ]
    kept.sort(key=lambda s: (-s.score, -(s.end - s.start), s.start, s.entity))
    chosen: list[PiiSpan] = []
    for span in kept:
        if all(span.end <= c.start or c.end <= span.start for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


def _context_from(names: Iterable[str]) -> list[str]:
    return [w.lower() for name in names for w in _WORD.findall(name.replace("_", " "))]


def find_pii(text: str, *, min_score: float = 0.5, context: Sequence[str] = ()) -> list[PiiSpan]:
    """The entities in ``text`` scoring at least ``min_score``, as non-overlapping spans.

    ``context`` adds words that count as context for every match (e.g. the column name).
    """
    if not _MAY_HOLD_PII.search(text):
        return []
    candidates = [s for s in _candidates(text, _context_from(context)) if s.score >= min_score]
    return _resolve(candidates)


def mask(text: str, spans: Iterable[Any]) -> str:
    """``text`` with each span replaced by ``<ENTITY_TYPE>``.

    Spans are :class:`PiiSpan` or anything with ``start``, ``end`` and ``entity`` or
    ``entity_type`` (Presidio's ``RecognizerResult``). Overlapping spans are merged
    under the label of the one that starts first.
    """
    ordered = sorted(
        ((s.start, s.end, getattr(s, "entity", None) or s.entity_type) for s in spans),
        key=lambda t: (t[0], -t[1]),
    )
    out: list[str] = []
    cursor = 0
    for start, end, entity in ordered:
        if end <= cursor:
            continue  # inside the previous span
        if start < cursor:  # overlaps the previous span: extend it
            cursor = end
            continue
        out.append(text[cursor:start])
        out.append(f"<{entity}>")
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def _ipv6_token(match: re.Match[str]) -> str:
    token = match.group()
    return "<REDACTED>" if "::" in token or token.count(":") >= 6 else token


def _mask_strictly(text: str, spans: Iterable[PiiSpan]) -> str:
    """``mask``, then what no recognizer vouched for is kept out all the same: digits
    (a card number failing Luhn may still be real), words around an "@" and IPv6-shaped
    words (hex letters would survive digit masking)."""
    masked = mask(text, spans)
    parts = _PLACEHOLDER.split(masked)
    labels = _PLACEHOLDER.findall(masked)
    return "".join(
        _DIGIT.sub("#", _TOKEN.sub(_ipv6_token, _AT_TOKEN.sub("<REDACTED>", part)))
        + (labels[i] if i < len(labels) else "")
        for i, part in enumerate(parts)
    )


def mask_unrecognized(text: str) -> str:
    """``text`` masked without Presidio: every digit ``#``, words around an "@" and
    IPv6-shaped words ``<REDACTED>``. Hides whatever :func:`redact` would (every
    recognizer's entity needs a digit, an "@" or an IPv6 shape), without entity labels."""
    return _mask_strictly(text, ())


def may_hold_pii(text: str) -> bool:
    """Whether any recognizer *could* match anything in ``text``, decided without loading
    Presidio: ``False`` guarantees :func:`holds_pii_candidate` is ``False``; ``True`` may
    be a false alarm (a date, say, has a digit run of 8: not enough for any of them)."""
    if not _MAY_HOLD_PII.search(text):
        return False
    if any(shape.search(text) for shape in _SHAPES):
        return True
    if any(len(_DIGIT.findall(run.group())) >= _RUN_DIGITS for run in _DIGIT_RUN.finditer(text)):
        return True
    import phonenumbers  # ≈ 20 ms; Presidio's phone recognizer is this matcher

    return any(
        next(iter(phonenumbers.PhoneNumberMatcher(text, region, leniency=_PHONE_LENIENCY)), None) is not None
        for region in _PHONE_REGIONS
    )


def redact(text: str, *, context: Sequence[str] = ()) -> str:
    """``text`` safe to show: every span any recognizer matched, at any score, replaced by
    ``<ENTITY_TYPE>``, other digits by ``#`` and words around an "@" by ``<REDACTED>``.

    For values taken from the data into a report (a column's min/max, say), where
    missing an entity costs more than masking a harmless number.
    """
    if not _MAY_HOLD_PII.search(text):
        return text
    candidates = _candidates(text, _context_from(context))
    return _mask_strictly(text, _resolve(candidates))


def holds_pii_candidate(text: str, *, context: Sequence[str] = ()) -> bool:
    """Whether :func:`redact` would mask an entity in ``text``: any recognizer matches
    anything, at any score, or a word holds an "@"."""
    if not _MAY_HOLD_PII.search(text):
        return False
    return bool(_AT_TOKEN.search(text)) or bool(_candidates(text, _context_from(context)))


def _example(text: str, spans: list[PiiSpan], entity: str) -> str:
    """A masked, digit-free excerpt of about :data:`EXAMPLE_CHARS` around ``entity``."""
    masked = " ".join(_mask_strictly(text, spans).split())  # one line, for messages and tables
    if len(masked) <= EXAMPLE_CHARS:
        return masked
    anchor = masked.find(f"<{entity}>")
    anchor = max(anchor, 0)
    start = max(0, min(anchor - EXAMPLE_CHARS // 3, len(masked) - EXAMPLE_CHARS))
    # Never cut a placeholder in half.
    while start > 0 and masked.rfind("<", 0, start) > masked.rfind(">", 0, start):
        start -= 1
    end = start + EXAMPLE_CHARS
    while end < len(masked) and masked.rfind("<", 0, end) > masked.rfind(">", 0, end):
        end += 1
    # Start and end on word boundaries where one is near, for readability.
    if start > 0 and 0 <= (space := masked.find(" ", start, start + 15)) < anchor:
        start = space + 1
    if end < len(masked) and (space := masked.rfind(" ", end - 15, end)) > anchor:
        end = space
    return (
        ("…" if start > 0 else "") + masked[start:end].strip() + ("…" if end < len(masked) else "")
    )


def scan_texts(
    texts: Sequence[str],
    *,
    min_score: float = 0.5,
    examples: int = 3,
    context: Sequence[str] = (),
) -> PiiScan:
    """Count, per entity type, the texts containing it at ``min_score`` or above.

    ``share`` is rows with the entity / all texts scanned (empty texts included).
    Up to ``examples`` distinct masked excerpts per entity, from the first affected texts.
    """
    ctx_words = _context_from(context)
    rows: dict[str, int] = {}
    samples: dict[str, list[str]] = {}
    for text in texts:
        if not _MAY_HOLD_PII.search(text):
            continue
        candidates = _candidates(text, ctx_words)
        found = _resolve(s for s in candidates if s.score >= min_score)
        if not found:
            continue
        for entity in sorted({s.entity for s in found}):
            rows[entity] = rows.get(entity, 0) + 1
            bucket = samples.setdefault(entity, [])
            if len(bucket) < examples:
                # Mask every candidate, not only the reported ones: a low-scoring match
                # is still no value to print. Reported spans keep their own labels.
                extra = [
                    c
                    for c in candidates
                    if all(c.end <= f.start or f.end <= c.start for f in found)
                ]
                example = _example(text, [*found, *extra], entity)
                if example not in bucket:
                    bucket.append(example)
    total = len(texts)
    findings = {
        entity: PiiFinding(
            entity=entity,
            rows_affected=count,
            share=count / total if total else 0.0,
            masked_examples=tuple(samples.get(entity, ())),
        )
        for entity, count in sorted(rows.items())
    }
    return PiiScan(rows_scanned=total, findings=findings)


# --- the probe -------------------------------------------------------------------------


def _remediation(entity: str, classification: str | None) -> str:
    hint = (
        f"Mask or drop {entity} values before this text is indexed or used for training "
        "(e.g. Presidio Anonymizer in the pipeline that loads the table), or approve the "
        "use of personal data for the use cases that read it and record a waiver."
    )
    if classification in (None, "public", "internal"):
        label = classification or "unclassified"
        hint += f" The dataset is {label}: classify it as confidential or restricted while it holds personal data."
    return hint


@probe("privacy", Dimension.PRIVACY, order=70, produces=[evidence.PiiScan])
def privacy_probe(ctx: ProbeContext) -> Iterator[Check]:
    """PII in each of the dataset's text columns, on the shared bounded sample."""
    if not ctx.dataset.text_columns:
        return
    summary: dict[str, dict[str, float]] = ctx.facts.setdefault("pii", {})
    for column in ctx.dataset.text_columns:
        where = f"{ctx.name}.{column}"
        try:
            texts = cached_sample(ctx, column)
        except SamplingError as exc:
            # Absence of PII that could not be checked is not a pass.
            ctx.record(evidence.PiiScan(dataset=ctx.name, column=column, reason=f"{where} could not be sampled: {exc}"))
            yield Check(
                id=f"privacy.pii.{column}",
                dimension=Dimension.PRIVACY,
                severity=Severity.WARNING,
                passed=False,
                measured=False,
                message=f"{where} could not be sampled to look for personal data: {exc}",
                observed=None,
                expected=0,
                remediation="Fix the catalog entry's text_columns or the table so the column can be read.",
                dataset=ctx.name,
                column=column,
                details={"error": str(exc)},
            )
            continue
        scan = scan_texts(texts, context=[column])
        summary[column] = {entity: round(f.share, 4) for entity, f in scan.findings.items()}
        ctx.record(
            evidence.PiiScan(
                dataset=ctx.name,
                column=column,
                figures=evidence.PiiFigures(rows_scanned=scan.rows_scanned, shares={e: f.share for e, f in scan.findings.items()}),
            )
        )
        if not scan.findings:
            yield Check(
                id=f"privacy.pii.{column}",
                dimension=Dimension.PRIVACY,
                severity=Severity.WARNING,
                passed=True,
                message=f"No personal data found in {scan.rows_scanned} sampled rows of {where}",
                observed=0,
                expected=0,
                dataset=ctx.name,
                column=column,
                details={"rows_scanned": scan.rows_scanned, "entities_checked": list(ENTITIES)},
            )
            continue
        for entity, finding in scan.findings.items():
            example = (
                f" (masked example: {finding.masked_examples[0]!r})"
                if finding.masked_examples
                else ""
            )
            yield Check(
                id=f"privacy.pii.{column}.{entity.lower()}",
                dimension=Dimension.PRIVACY,
                severity=Severity.WARNING,
                passed=finding.rows_affected == 0,
                message=f"{finding.share:.1%} of sampled rows of {where} contain {entity}{example}",
                observed=round(finding.share, 4),
                expected=0,
                remediation=_remediation(entity, ctx.dataset.classification),
                dataset=ctx.name,
                column=column,
                details={
                    "rows_scanned": scan.rows_scanned,
                    "rows_affected": finding.rows_affected,
                    "share": round(finding.share, 4),
                    "entity": entity,
                    "masked_examples": list(finding.masked_examples),
                    "classification": ctx.dataset.classification,
                },
            )


PROBES = (privacy_probe,)
