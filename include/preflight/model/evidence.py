"""Evidence: what measuring found, typed, and the only thing judging reads.

Measuring (``preflight.measure``) reads sources; judging (``preflight.judge``) decides
verdicts. Between them crosses evidence, and nothing else: each record is either

- *measured*: ``figures`` holds what was found, ``reason`` is None; or
- *not measured*: ``figures`` is None and ``reason`` says why (the dataset was
  unreachable, a sample failed, a query timed out, a probe crashed, a suite could not run).

A rule cannot read a figure without first handling ``figures is None`` (the type checker
makes it), and a rule that finds no record at all gets a not-measured one from
:class:`preflight.judge.evidence.EvidenceSet`. So "not measured" can never look like "measured and fine": the
requirement that needs it is not met, at its own severity, with the reason.

Dataset evidence is recorded by the probes of one dataset's audit and stored with it
(``DatasetAudit.evidence``); cross-dataset evidence (join coverage, events per entity,
locales, labels) is measured once per run, before judging, and stored with each verdict
that read it (``Verdict.evidence``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from preflight.model.config import KeyRef

__all__ = [
    "AnyEvidence",
    "CrossPlan",
    "Documentation",
    "EventsPerEntity",
    "Evidence",
    "Freshness",
    "JoinCoverage",
    "KeyRef",
    "KeyUniqueness",
    "LabelBalance",
    "Lineage",
    "LocaleCoverage",
    "PiiScan",
    "RuleResult",
    "TextFitness",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


F = TypeVar("F", bound=BaseModel)


class Evidence(_Frozen, Generic[F]):
    """One measurement about one dataset: its figures, or why there are none."""

    KIND: ClassVar[str] = ""
    dataset: str
    figures: F | None = None
    reason: str | None = None

    @model_validator(mode="after")
    def _measured_or_not(self) -> Evidence[F]:
        if (self.figures is None) == (self.reason is None):
            raise ValueError("evidence holds either figures (measured) or a reason (not measured)")
        return self

    @property
    def measured(self) -> bool:
        return self.figures is not None

    def key(self) -> tuple[Any, ...]:
        """What this record is about within its dataset (its kind's own key fields)."""
        return ()


# --- dataset evidence ------------------------------------------------------------------


class KeyFigures(_Frozen):
    rows: int
    duplicate_rows: int  # rows beyond the first of each duplicated key value (0: unique)


class KeyUniqueness(Evidence[KeyFigures]):
    """Uniqueness of a key (the primary key, or a declared unique column), composite or not."""

    KIND: ClassVar[str] = "key_uniqueness"
    kind: Literal["key_uniqueness"] = "key_uniqueness"
    columns: tuple[str, ...]
    primary: bool = False

    def key(self) -> tuple[Any, ...]:
        return (self.columns,)


class FreshnessFigures(_Frozen):
    newest: datetime
    age_hours: float
    slo_hours: float


class Freshness(Evidence[FreshnessFigures]):
    """Age of the newest value of the declared freshness column against its SLO."""

    KIND: ClassVar[str] = "freshness"
    kind: Literal["freshness"] = "freshness"
    column: str


class RuleFigures(_Frozen):
    passed: bool
    message: str
    observed: Any = None
    expected: Any = None
    remediation: str | None = None


class RuleResult(Evidence[RuleFigures]):
    """One declared data rule of the dataset: a built-in validity, consistency, schema or
    volume rule, a Great Expectations expectation, or a history check. ``severity`` is the
    severity the rule itself declares (a suite's ``meta.severity``, say)."""

    KIND: ClassVar[str] = "rule"
    kind: Literal["rule"] = "rule"
    rule: str  # the dataset check's id, e.g. quality.validity.range.price
    origin: Literal["builtin", "suite", "history"]
    severity: Literal["blocker", "warning", "info"] = "warning"
    column: str | None = None

    def key(self) -> tuple[Any, ...]:
        return (self.rule,)


class DocumentationFigures(_Frozen):
    described: bool  # a catalog description or a table comment
    owned: bool
    columns_described: bool  # column-description coverage reaches its minimum
    column_coverage: float | None
    columns_message: str
    columns_remediation: str | None = None


class Documentation(Evidence[DocumentationFigures]):
    """What the catalog and the database say about the dataset (discoverability)."""

    KIND: ClassVar[str] = "documentation"
    kind: Literal["documentation"] = "documentation"


class LineageFigures(_Frozen):
    producers: tuple[str, ...]
    system_of_record: bool  # written by its application: no producing job expected
    message: str
    remediation: str | None = None


class Lineage(Evidence[LineageFigures]):
    """Who produces the dataset, according to the configured OpenLineage source."""

    KIND: ClassVar[str] = "lineage"
    kind: Literal["lineage"] = "lineage"


class PiiFigures(_Frozen):
    rows_scanned: int
    shares: dict[str, float]  # entity type -> share of sampled rows holding it


class PiiScan(Evidence[PiiFigures]):
    """Personal data found in a bounded sample of one text column."""

    KIND: ClassVar[str] = "pii"
    kind: Literal["pii"] = "pii"
    column: str

    def key(self) -> tuple[Any, ...]:
        return (self.column,)


class TextFigures(_Frozen):
    documents: int
    empty: float
    too_short: float
    too_long: float
    exact_duplicates: float
    near_duplicates: float
    mojibake: float
    boilerplate: float
    languages: dict[str, float] = Field(default_factory=dict)

    @property
    def bad_length(self) -> float:
        return self.too_short + self.too_long


class TextFitness(Evidence[TextFigures]):
    """Fitness of a bounded sample of one text column to feed a model."""

    KIND: ClassVar[str] = "text"
    kind: Literal["text"] = "text"
    column: str

    def key(self) -> tuple[Any, ...]:
        return (self.column,)


# --- cross-dataset evidence ------------------------------------------------------------


class JoinFigures(_Frozen):
    rows: int  # rows of the child with a complete (non-NULL) key
    matched: int  # of those, rows whose key is found in the parent

    @property
    def coverage(self) -> float:
        return self.matched / self.rows if self.rows else 1.0


class JoinCoverage(Evidence[JoinFigures]):
    """How many key values of one dataset are found in another."""

    KIND: ClassVar[str] = "join_coverage"
    kind: Literal["join_coverage"] = "join_coverage"
    source: KeyRef
    target: KeyRef

    def key(self) -> tuple[Any, ...]:
        return (self.source, self.target)


class EventsFigures(_Frozen):
    entities: int
    with_enough: int
    fewest: int | None = None
    mean: float | None = None

    @property
    def share(self) -> float:
        return self.with_enough / self.entities if self.entities else 0.0


class EventsPerEntity(Evidence[EventsFigures]):
    """How many entities (users, items) have at least ``min_events`` events."""

    KIND: ClassVar[str] = "events_per_entity"
    kind: Literal["events_per_entity"] = "events_per_entity"
    entity: KeyRef
    min_events: int

    def key(self) -> tuple[Any, ...]:
        return (self.entity, self.min_events)


class LocaleFigures(_Frozen):
    per_locale: dict[str, int]  # locale code -> items (or rows) translated
    invalid: tuple[str, ...]  # codes that are not BCP 47 language[-Script][-REGION]
    items: int  # the base each coverage is a share of
    per: str  # what is counted: a key column, or "row"


class LocaleCoverage(Evidence[LocaleFigures]):
    """Locale codes of a translations dataset and how many items each locale covers."""

    KIND: ClassVar[str] = "locales"
    kind: Literal["locales"] = "locales"
    column: str

    def key(self) -> tuple[Any, ...]:
        return (self.column,)


class LabelFigures(_Frozen):
    classes: dict[str, int]

    @property
    def smallest_share(self) -> float:
        total = sum(self.classes.values())
        return min(self.classes.values()) / total if total else 0.0


class LabelBalance(Evidence[LabelFigures]):
    """The label classes of an examples dataset and their sizes."""

    KIND: ClassVar[str] = "labels"
    kind: Literal["labels"] = "labels"
    column: str

    def key(self) -> tuple[Any, ...]:
        return (self.column,)


DATASET_EVIDENCE: tuple[type[Evidence[Any]], ...] = (
    KeyUniqueness,
    Freshness,
    RuleResult,
    Documentation,
    Lineage,
    PiiScan,
    TextFitness,
)
CROSS_EVIDENCE: tuple[type[Evidence[Any]], ...] = (
    JoinCoverage,
    EventsPerEntity,
    LocaleCoverage,
    LabelBalance,
)

AnyEvidence = Annotated[
    KeyUniqueness
    | Freshness
    | RuleResult
    | Documentation
    | Lineage
    | PiiScan
    | TextFitness
    | JoinCoverage
    | EventsPerEntity
    | LocaleCoverage
    | LabelBalance,
    Field(discriminator="kind"),
]


# --- what to measure across datasets (planned by judging, measured before it) ----------


class JoinRequest(_Frozen):
    source: KeyRef
    target: KeyRef
    min_coverage: float


class EventsRequest(_Frozen):
    entity: KeyRef
    min_events: int
    min_share: float


class LocaleRequest(_Frozen):
    dataset: str
    column: str
    targets: tuple[str, ...]
    base: str | None = None  # the dataset whose row count is the base (the source texts)


class LabelRequest(_Frozen):
    dataset: str
    column: str


class CrossPlan(_Frozen):
    """Every cross-dataset measurement one use case needs (see ``preflight.judge.plan``)."""

    joins: tuple[JoinRequest, ...] = ()
    events: tuple[EventsRequest, ...] = ()
    locales: tuple[LocaleRequest, ...] = ()
    labels: tuple[LabelRequest, ...] = ()
