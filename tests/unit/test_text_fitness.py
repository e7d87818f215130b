"""Text fitness metrics on a sample, and the text-fitness probe."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from preflight.measure import sample as sampling
from preflight.measure.checks import text_fitness
from preflight.measure.checks.privacy import privacy_probe
from preflight.measure.checks.text_fitness import THRESHOLDS, assess_texts, text_fitness_probe
from preflight.measure.registry import ProbeContext, builtin_probes
from preflight.model.config import Config, DatasetConfig, Settings, SourceConfig
from preflight.model.results import Dimension, Severity, TableProfile

ENGLISH = [
    "The delivery arrived two days late and the box was damaged.",
    "I would like to change the email address on my account.",
    "Thank you for the quick reply, the problem is solved now.",
    "My subscription renewed although I cancelled it last month.",
    "The article about the election results is missing its last paragraph.",
    "Could you please send me an invoice for the annual plan?",
    "The mobile app logs me out every time I open the settings page.",
    "I cannot find the podcast episode that was published yesterday.",
    "Please remove the duplicate charge from my credit statement.",
    "The newsletter arrives twice every morning since the update.",
    "Our team would like to upgrade to the business subscription.",
    "The search results do not show articles older than one year.",
]
FRENCH = [
    "La livraison est arrivée avec deux jours de retard et le colis était abîmé.",
    "Je voudrais changer l'adresse électronique de mon compte, s'il vous plaît.",
    "Merci pour votre réponse rapide, le problème est maintenant résolu.",
    "Mon abonnement a été renouvelé alors que je l'avais résilié le mois dernier.",
    "L'application se ferme chaque fois que j'ouvre la page des paramètres.",
    "Pourriez-vous m'envoyer une facture pour l'abonnement annuel ?",
]
GERMAN = [
    "Die Lieferung kam zwei Tage zu spät und der Karton war beschädigt.",
    "Ich möchte die E-Mail-Adresse in meinem Konto ändern, bitte.",
    "Vielen Dank für die schnelle Antwort, das Problem ist jetzt gelöst.",
    "Mein Abonnement wurde verlängert, obwohl ich es letzten Monat gekündigt habe.",
    "Die App stürzt jedes Mal ab, wenn ich die Einstellungen öffne.",
    "Könnten Sie mir bitte eine Rechnung für das Jahresabonnement schicken?",
]


PROBES = {registered.name: registered for registered in builtin_probes()}


def documents(pool: list[str], count: int, seed: int = 0) -> list[str]:
    """Distinct documents of 3-5 sentences from a pool, numbered to stay distinct."""
    rng = random.Random(seed)
    return [f"{' '.join(rng.sample(pool, rng.randint(3, 5)))} Ticket {i}." for i in range(count)]


def random_documents(count: int, seed: int = 0, words: tuple[int, int] = (80, 150)) -> list[str]:
    """Documents of random words from a large vocabulary: no accidental near-duplicates."""
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(5000)]
    return [" ".join(rng.choices(vocabulary, k=rng.randint(*words))) for _ in range(count)]


def test_clean_english_corpus_passes_everything() -> None:
    fit = assess_texts(documents(ENGLISH, 200))
    assert fit.documents == 200
    assert fit.empty == fit.too_short == fit.too_long == 0
    assert fit.exact_duplicates == 0
    assert fit.near_duplicates <= THRESHOLDS["near_duplicates"]
    assert fit.mojibake == 0
    assert fit.boilerplate == 0
    assert fit.languages["en"] >= 0.95


def test_empty_documents() -> None:
    texts = documents(ENGLISH, 90) + [""] * 5 + ["   \n\t "] * 5
    fit = assess_texts(texts)
    assert fit.empty == 0.1
    assert fit.counts["empty"] == 10
    assert fit.too_short == 0  # empty is not also "too short"
    assert assess_texts(documents(ENGLISH, 100)).empty == 0


def test_too_short_and_too_long_documents() -> None:
    texts = documents(ENGLISH, 80) + ["ok thanks"] * 10 + ["x" * 25_000] * 10
    fit = assess_texts(texts)
    assert fit.too_short == 0.1
    assert fit.too_long == 0.1
    assert fit.bad_length == 0.2
    custom = assess_texts(["a" * 50, "b" * 150], min_chars=100, max_chars=120)
    assert (custom.too_short, custom.too_long) == (0.5, 0.5)
    assert assess_texts(documents(ENGLISH, 100)).bad_length == 0


def test_exact_duplicates_ratio_is_the_share_dedup_would_drop() -> None:
    unique = documents(ENGLISH, 80)
    texts = unique + [unique[0]] * 10 + [unique[1].replace(" ", "  ")] * 10
    fit = assess_texts(texts)
    assert fit.exact_duplicates == 0.2  # 20 of 100 are copies (whitespace runs collapsed)
    assert fit.near_duplicates == 0  # exact copies are not near-duplicates
    assert assess_texts(unique).exact_duplicates == 0


def test_near_duplicates_found_at_the_planted_rate() -> None:
    """1,000 documents, 50 of which are copies of others with one or two words changed:
    100 documents (both members of each pair) have a near-duplicate, 10%. Tolerance ±2
    percentage points for MinHash LSH misses."""
    rng = random.Random(7)
    base = random_documents(950, seed=7)
    planted = []
    for original in rng.sample(base, 50):
        words = original.split()
        for _ in range(rng.randint(1, 2)):
            words[rng.randrange(len(words))] = f"changed{rng.randrange(10**6)}"
        planted.append(" ".join(words))
    texts = base + planted
    rng.shuffle(texts)

    fit = assess_texts(texts)
    assert fit.near_duplicates == pytest.approx(0.10, abs=0.02)
    assert fit.exact_duplicates == 0


def test_no_near_duplicates_in_unrelated_documents() -> None:
    assert assess_texts(random_documents(500, seed=3)).near_duplicates == 0


def test_case_and_punctuation_variants_are_near_duplicates() -> None:
    texts = [
        "The delivery arrived late and the box was damaged!",
        "the delivery arrived late, and the box was damaged",
    ]
    assert assess_texts(texts).near_duplicates == 1.0


def test_mojibake() -> None:
    clean = documents(FRENCH, 95)  # accents are not mojibake
    broken = [
        "Le colis est arrivÃ© en retard, merci de vÃ©rifier.",
        "The article doesnâ€™t load on my phone.",
        "Price shown as â‚¬12 instead of €12.",
        "Caf\ufffd au lait is missing from the menu.",
        "DÃ©jÃ  vu: the same error again.",
    ]
    fit = assess_texts(clean + broken)
    assert fit.mojibake == 0.05
    assert assess_texts(clean).mojibake == 0
    assert assess_texts(["Ångström, São Paulo, Müller straße, 日本語, 🎉"]).mojibake == 0


def test_language_mix() -> None:
    english = assess_texts(documents(ENGLISH, 100))
    assert english.languages == {"en": 1.0}
    mixed = assess_texts(
        documents(ENGLISH, 60) + documents(FRENCH, 25, seed=1) + documents(GERMAN, 15, seed=2)
    )
    assert mixed.languages == {"en": 0.6, "fr": 0.25, "de": 0.15}


def test_language_shares_ignore_empty_documents_and_mark_unknown() -> None:
    fit = assess_texts(documents(ENGLISH, 8) + ["", "12345 67890 !!!", "--- *** ..."] + ["   "])
    assert fit.languages == {"en": 0.8, "unknown": 0.2}


def test_language_detection_reads_a_bounded_number_of_documents(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(text_fitness, "LANGUAGE_DOCS", 10)
    fit = assess_texts(documents(ENGLISH, 10) + documents(FRENCH, 10, seed=1))
    assert fit.languages == {"en": 1.0}


def test_boilerplate() -> None:
    disclaimer = (
        "This message and any attachments are confidential and intended solely for the addressee.\n"
        "If you received it in error, please notify the sender and delete it immediately."
    )
    signature = "Sent from my phone"
    rng = random.Random(5)
    # Failing: a short question drowned in a disclaimer, in 30% of documents.
    dominated = [f"Where is order {i}?\n{disclaimer}" for i in range(30)]
    normal = [f"{' '.join(rng.sample(ENGLISH, 4))}\n{signature}" for _ in range(70)]
    fit = assess_texts(dominated + normal)
    assert fit.boilerplate == 0.3
    # Passing: a short signature under a long text is boilerplate, but not most of it.
    assert assess_texts(normal).boilerplate == 0


def test_exact_duplicates_are_not_boilerplate() -> None:
    texts = documents(ENGLISH, 50) + ["Please reset my password."] * 50
    fit = assess_texts(texts)
    assert fit.exact_duplicates == 0.49
    assert fit.boilerplate == 0


def test_empty_sample() -> None:
    fit = assess_texts([])
    assert fit.documents == 0
    assert fit.empty == fit.near_duplicates == fit.boilerplate == 0
    assert fit.languages == {}


def test_deterministic() -> None:
    texts = documents(ENGLISH, 50) + documents(FRENCH, 50, seed=4)
    assert assess_texts(texts) == assess_texts(texts)


# --- the probe -------------------------------------------------------------------------


def _context(tmp_path: Path, body: list[str | None], *, sample_size: int = 2000) -> ProbeContext:
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    table = sa.Table(
        "articles",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("body", sa.Text),
    )
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"body": text} for text in body])
    dataset = DatasetConfig(source="warehouse", table="articles", text_columns=("body",))
    config = Config(
        directory=tmp_path,
        settings=Settings(sample_size=sample_size),
        sources={"warehouse": SourceConfig(url=url)},
        datasets={"articles": dataset},
    )
    now = datetime.now(UTC)
    return ProbeContext(
        name="articles",
        dataset=dataset,
        config=config,
        engine=engine,
        profile=TableProfile(table="articles", row_count=len(body), profiled_at=now),
        now=now,
    )


def test_probe_is_registered() -> None:
    registered = PROBES["text_fitness"]
    assert registered.dimension is Dimension.CONTENT
    assert registered.order == 75


def test_probe_checks_and_facts(tmp_path: Path) -> None:
    body = documents(ENGLISH, 85) + [""] * 5 + ["Le colis est arrivÃ© en retard."] * 2 + [None] * 8
    body += documents(ENGLISH, 8, seed=9)
    ctx = _context(tmp_path, body)
    checks = {c.id: c for c in text_fitness_probe(ctx)}

    assert set(checks) == {
        f"content.{name}.body"
        for name in ("empty", "length", "duplicates", "near_duplicates", "mojibake", "boilerplate")
    }
    for check in checks.values():
        assert check.dimension is Dimension.CONTENT
        assert check.severity is Severity.WARNING
        assert check.column == "body" and check.dataset == "articles"
        assert check.details["documents"] == 100  # NULLs are not sampled
    empty = checks["content.empty.body"]
    assert empty.observed == 0.05 and empty.expected == 0.02 and not empty.passed
    assert empty.remediation
    assert "5.0% of 100 sampled values of articles.body are empty" in empty.message
    mojibake = checks["content.mojibake.body"]
    assert mojibake.observed == 0.02 and not mojibake.passed
    assert checks["content.length.body"].passed
    assert checks["content.length.body"].remediation is None
    assert checks["content.duplicates.body"].observed == 0.01  # the second mojibake copy

    facts = ctx.facts["text"]["body"]
    assert facts["documents"] == 100
    assert facts["empty"] == 0.05
    assert facts["languages"]["en"] >= 0.9
    assert set(facts) >= {
        "too_short",
        "too_long",
        "exact_duplicates",
        "near_duplicates",
        "mojibake",
        "boilerplate",
    }


def test_the_column_is_sampled_once_per_audit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = sampling.draw_sample

    def counting(*args: object, **kwargs: object) -> sampling.ColumnSample:
        calls.append(str(args[2]))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sampling, "draw_sample", counting)
    ctx = _context(tmp_path, documents(ENGLISH, 300), sample_size=120)
    list(privacy_probe(ctx))
    checks = list(text_fitness_probe(ctx))
    assert calls == ["body"]
    assert {c.details["documents"] for c in checks} == {120}


def test_probe_turns_a_missing_table_into_a_failed_check(tmp_path: Path) -> None:
    ctx = _context(tmp_path, documents(ENGLISH, 10))
    ctx.dataset = ctx.dataset.model_copy(update={"table": "no_such_table"})
    checks = list(text_fitness_probe(ctx))
    assert [c.id for c in checks] == ["content.sample.body"]
    assert not checks[0].passed
    assert "no_such_table" in checks[0].message
