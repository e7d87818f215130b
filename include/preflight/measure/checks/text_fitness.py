"""Is a text column fit to feed a model? Emptiness, length, duplication, encoding, language.

Everything is measured on the audit's bounded sample of the column (see
:mod:`preflight.measure.sample`), so the cost does not grow with the table. Every ratio has
the number of sampled documents ``N`` (non-null values, empty strings included) as its
denominator. Definitions:

empty
    the text is empty or only whitespace.
too_short / too_long
    not empty, and fewer than ``min_chars`` / more than ``max_chars`` characters after
    stripping surrounding whitespace.
exact_duplicates
    ``(non-empty documents - distinct non-empty texts) / N``: the share that removing
    exact copies would drop. Texts are compared with runs of whitespace collapsed.
near_duplicates
    the share of documents having at least one *near-duplicate*: another document whose
    text differs (after whitespace is collapsed, so exact copies are not counted here)
    while the Jaccard similarity of their sets of case-folded word 3-shingles is at least
    0.8. Candidates come from MinHash LSH (datasketch, 128 permutations) set to a lower
    threshold of 0.6 for recall: a pair at exactly 0.8 becomes a candidate with
    probability 0.986 (18 bands of 7 rows), whereas an LSH at 0.8 finds only 40% of
    them. Candidates are confirmed on the exact shingle sets, so the LSH's false
    positives never count. Both members of a pair count, and each copy of a text with a near-duplicate
    counts. Texts of fewer than three words are one shingle.
mojibake
    ftfy's ``fix_encoding`` would change the text (an encoding mix-up such as ``Ã©`` for
    ``é``), or it contains U+FFFD, the mark a lossy decode leaves behind.
boilerplate
    the share of documents of which more than half of the characters (over non-blank
    lines) sit in *boilerplate lines*: lines that occur, case-folded and with whitespace
    collapsed, in at least 5% of the distinct non-empty texts and in at least three of
    them (signatures, disclaimers, "Sent from my phone"). Counting over distinct texts
    keeps exact duplicates from turning into boilerplate.
languages
    py3langid's best guess per non-empty document (a naive Bayes model over byte
    n-grams, shipped with the library, deterministic; on the first 500 characters), as
    shares of the non-empty documents, as language codes (ISO 639-1 where one exists);
    ``"unknown"`` where the text has no letters. About 0.05 ms a document once its model is loaded (about 0.6 s CPU,
    once per process). Only the first 500 non-empty documents of the sample are read
    (the sample is in random order): a share near 5% is then known to within about ±2
    percentage points, one near 50% to within ±4.4 (95% intervals).
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from preflight.measure.registry import probe
from preflight.measure.sample import SamplingError, cached_sample
from preflight.model import evidence
from preflight.model.results import Check, Dimension, Severity

if TYPE_CHECKING:
    from preflight.measure.registry import ProbeContext

__all__ = ["THRESHOLDS", "TextFitness", "assess_texts", "language_model"]

MIN_CHARS = 20
MAX_CHARS = 20_000
NEAR_DUPLICATE_JACCARD = 0.8
NUM_PERM = 128
LSH_THRESHOLD = 0.6  # candidate generation only; pairs are confirmed at NEAR_DUPLICATE_JACCARD
SHINGLE_WORDS = 3
BOILERPLATE_DOC_SHARE = 0.05  # a line in at least this share of distinct texts is boilerplate
BOILERPLATE_MIN_DOCS = 3  # ... and in at least this many
BOILERPLATE_DOMINATES = 0.5  # a document is boilerplate when more than this share of it is
LANGUAGE_CHARS = 500
LANGUAGE_DOCS = 500

# The largest acceptable share per check, at dataset level; a use case may ask for more.
THRESHOLDS: dict[str, float] = {
    "empty": 0.02,
    "length": 0.05,
    "duplicates": 0.05,
    "near_duplicates": 0.10,
    "mojibake": 0.01,
    "boilerplate": 0.20,
}

_WORD = re.compile(r"\w+")
_lang_lock = threading.Lock()
_lang_model: Any = None


@dataclass(frozen=True)
class TextFitness:
    """Ratios over the ``documents`` sampled; see the module docstring for definitions."""

    documents: int
    empty: float
    too_short: float
    too_long: float
    exact_duplicates: float
    near_duplicates: float
    mojibake: float
    boilerplate: float
    languages: dict[str, float] = field(default_factory=dict)
    mean_chars: float = 0.0
    min_chars: int = MIN_CHARS
    max_chars: int = MAX_CHARS
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def bad_length(self) -> float:
        return self.too_short + self.too_long

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def assess_texts(
    texts: Sequence[str], *, min_chars: int = MIN_CHARS, max_chars: int = MAX_CHARS
) -> TextFitness:
    """Measure a sample of documents (see the module docstring for each ratio)."""
    total = len(texts)
    stripped = [t.strip() for t in texts]
    empty = sum(1 for t in stripped if not t)
    too_short = sum(1 for t in stripped if t and len(t) < min_chars)
    too_long = sum(1 for t in stripped if len(t) > max_chars)

    # Work on distinct texts, weighted by how often each occurs.
    copies = Counter(" ".join(t.split()) for t in stripped if t)
    non_empty = total - empty
    exact = non_empty - len(copies)
    distinct = list(copies)
    near = sum(copies[distinct[i]] for i in _near_duplicate_indexes(distinct))
    mojibake = sum(1 for t in texts if _is_mojibake(t))
    boilerplate = _boilerplate_documents(texts, copies)
    languages = _languages([" ".join(t.split()) for t in stripped])

    counts = {
        "empty": empty,
        "too_short": too_short,
        "too_long": too_long,
        "exact_duplicates": exact,
        "near_duplicates": near,
        "mojibake": mojibake,
        "boilerplate": boilerplate,
    }

    def share(count: int) -> float:
        return count / total if total else 0.0

    return TextFitness(
        documents=total,
        empty=share(empty),
        too_short=share(too_short),
        too_long=share(too_long),
        exact_duplicates=share(exact),
        near_duplicates=share(near),
        mojibake=share(mojibake),
        boilerplate=share(boilerplate),
        languages=languages,
        mean_chars=sum(len(t) for t in stripped) / total if total else 0.0,
        min_chars=min_chars,
        max_chars=max_chars,
        counts=counts,
    )


def _shingles(text: str) -> set[str]:
    words = _WORD.findall(text.casefold())
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def _near_duplicate_indexes(texts: list[str]) -> set[int]:
    """Indexes of ``texts`` (all distinct) that have a near-duplicate among the others."""
    from datasketch import MinHash, MinHashLSH  # numpy-heavy: imported when first needed

    shingle_sets = [_shingles(t) for t in texts]
    indexed = [i for i, s in enumerate(shingle_sets) if s]
    if len(indexed) < 2:
        return set()
    hashes = MinHash.bulk(
        ([s.encode("utf-8") for s in shingle_sets[i]] for i in indexed), num_perm=NUM_PERM, seed=1
    )
    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for i, mh in zip(indexed, hashes, strict=True):
            session.insert(i, mh, check_duplication=False)
    found: set[int] = set()
    for i, mh in zip(indexed, hashes, strict=True):
        for j in lsh.query(mh):
            if j == i or (i in found and j in found):
                continue
            a, b = shingle_sets[i], shingle_sets[j]
            if len(a & b) >= NEAR_DUPLICATE_JACCARD * len(a | b):
                found.update((i, j))
    return found


def _is_mojibake(text: str) -> bool:
    if "\ufffd" in text:
        return True
    if text.isascii():  # no encoding mix-up leaves pure ASCII behind
        return False
    import ftfy

    return ftfy.fix_encoding(text) != text


def _lines(text: str) -> list[str]:
    return [
        line for line in (" ".join(raw.split()).casefold() for raw in text.splitlines()) if line
    ]


def _boilerplate_documents(texts: Sequence[str], copies: Counter[str]) -> int:
    # Document frequency over distinct texts (copies would otherwise look like boilerplate).
    # `copies` keys collapse newlines, so lines are taken from one original of each text.
    originals: dict[str, str] = {}
    for text in texts:
        key = " ".join(text.split())
        if key and key not in originals:
            originals[key] = text
    frequency: Counter[str] = Counter()
    for original in originals.values():
        frequency.update(set(_lines(original)))
    needed = max(BOILERPLATE_MIN_DOCS, math.ceil(BOILERPLATE_DOC_SHARE * len(originals)))
    common = {line for line, docs in frequency.items() if docs >= needed}
    if not common:
        return 0
    count = 0
    for key, original in originals.items():
        lines = _lines(original)
        size = sum(len(line) for line in lines)
        shared = sum(len(line) for line in lines if line in common)
        if size and shared > BOILERPLATE_DOMINATES * size:
            count += copies[key]
    return count


def language_model() -> Any:
    """py3langid's model, loaded once per process (LZMA-compressed arrays, ≈ 0.6 s CPU)."""
    global _lang_model
    with _lang_lock:
        if _lang_model is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _lang_model = LanguageIdentifier.from_model_file(MODEL_FILE)
        return _lang_model


def _detect_language(text: str) -> str:
    text = text[:LANGUAGE_CHARS]
    if not any(c.isalpha() for c in text):
        return "unknown"  # the model would name its first language for featureless input
    return str(language_model().classify(text)[0])


def _languages(texts: Sequence[str]) -> dict[str, float]:
    """Shares of languages among the first :data:`LANGUAGE_DOCS` non-empty ``texts``."""
    seen: dict[str, str] = {}  # copies are detected once
    found: Counter[str] = Counter()
    for text in texts:
        if not text:
            continue
        if text not in seen:
            seen[text] = _detect_language(text)
        found[seen[text]] += 1
        if found.total() >= LANGUAGE_DOCS:
            break
    total = found.total()
    return {lang: n / total for lang, n in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))}


# --- the probe -------------------------------------------------------------------------

_REMEDIATION = {
    "empty": "Filter out empty values before indexing, or fix the extract that writes blanks.",
    "length": "Drop or split documents outside the length bounds (chunk long ones before embedding).",
    "duplicates": "Deduplicate exact copies before indexing or training.",
    "near_duplicates": "Deduplicate near-copies (MinHash dedup) so they do not dominate retrieval or training.",
    "mojibake": "Fix the text encoding at the source (decode as UTF-8), or repair it with ftfy in the load job.",
    "boilerplate": "Strip signatures, disclaimers and templates before indexing.",
}


def _check(
    ctx: ProbeContext,
    column: str,
    name: str,
    observed: float,
    message: str,
    details: dict[str, Any],
) -> Check:
    threshold = THRESHOLDS[name]
    passed = observed <= threshold
    return Check(
        id=f"content.{name}.{column}",
        dimension=Dimension.CONTENT,
        severity=Severity.WARNING,
        passed=passed,
        message=f"{message} (at most {threshold:.0%} expected)",
        observed=round(observed, 4),
        expected=threshold,
        remediation=None if passed else _REMEDIATION[name],
        dataset=ctx.name,
        column=column,
        details=details,
    )


@probe("text_fitness", Dimension.CONTENT, order=75, produces=[evidence.TextFitness])
def text_fitness_probe(ctx: ProbeContext) -> Iterator[Check]:
    """Text fitness of each of the dataset's text columns, on the shared bounded sample."""
    if not ctx.dataset.text_columns:
        return
    summary: dict[str, dict[str, Any]] = ctx.facts.setdefault("text", {})
    for column in ctx.dataset.text_columns:
        where = f"{ctx.name}.{column}"
        try:
            texts = cached_sample(ctx, column)
        except SamplingError as exc:
            ctx.record(evidence.TextFitness(dataset=ctx.name, column=column, reason=f"{where} could not be sampled: {exc}"))
            yield Check(
                id=f"content.sample.{column}",
                dimension=Dimension.CONTENT,
                severity=Severity.WARNING,
                passed=False,
                measured=False,
                message=f"{where} could not be sampled to assess its text: {exc}",
                remediation="Fix the catalog entry's text_columns or the table so the column can be read.",
                dataset=ctx.name,
                column=column,
                details={"error": str(exc)},
            )
            continue
        fit = assess_texts(texts)
        ctx.record(
            evidence.TextFitness(
                dataset=ctx.name,
                column=column,
                figures=evidence.TextFigures(
                    documents=fit.documents,
                    empty=fit.empty,
                    too_short=fit.too_short,
                    too_long=fit.too_long,
                    exact_duplicates=fit.exact_duplicates,
                    near_duplicates=fit.near_duplicates,
                    mojibake=fit.mojibake,
                    boilerplate=fit.boilerplate,
                    languages=dict(fit.languages),
                ),
            )
        )
        summary[column] = {
            key: (round(value, 4) if isinstance(value, float) else value)
            for key, value in fit.to_dict().items()
        }
        summary[column]["languages"] = {k: round(v, 4) for k, v in fit.languages.items()}
        base = {"documents": fit.documents}
        n = fit.documents
        yield _check(
            ctx,
            column,
            "empty",
            fit.empty,
            f"{fit.empty:.1%} of {n} sampled values of {where} are empty",
            {**base, "empty": fit.counts["empty"]},
        )
        yield _check(
            ctx,
            column,
            "length",
            fit.bad_length,
            f"{fit.too_short:.1%} of {n} sampled values of {where} are shorter than "
            f"{fit.min_chars} characters and {fit.too_long:.1%} longer than {fit.max_chars}",
            {
                **base,
                "too_short": round(fit.too_short, 4),
                "too_long": round(fit.too_long, 4),
                "min_chars": fit.min_chars,
                "max_chars": fit.max_chars,
                "mean_chars": round(fit.mean_chars, 1),
            },
        )
        yield _check(
            ctx,
            column,
            "duplicates",
            fit.exact_duplicates,
            f"{fit.exact_duplicates:.1%} of {n} sampled values of {where} are exact copies of another",
            {**base, "duplicates": fit.counts["exact_duplicates"]},
        )
        yield _check(
            ctx,
            column,
            "near_duplicates",
            fit.near_duplicates,
            f"{fit.near_duplicates:.1%} of {n} sampled values of {where} have a near-duplicate "
            f"(word 3-shingle Jaccard ≥ {NEAR_DUPLICATE_JACCARD})",
            {
                **base,
                "near_duplicates": fit.counts["near_duplicates"],
                "jaccard": NEAR_DUPLICATE_JACCARD,
            },
        )
        yield _check(
            ctx,
            column,
            "mojibake",
            fit.mojibake,
            f"{fit.mojibake:.1%} of {n} sampled values of {where} show encoding errors (mojibake)",
            {**base, "mojibake": fit.counts["mojibake"]},
        )
        yield _check(
            ctx,
            column,
            "boilerplate",
            fit.boilerplate,
            f"{fit.boilerplate:.1%} of {n} sampled values of {where} are mostly boilerplate lines",
            {**base, "boilerplate": fit.counts["boilerplate"]},
        )


PROBES = (text_fitness_probe,)
