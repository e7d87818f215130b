"""PII detection with Presidio's pattern recognizers, and the privacy probe."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from preflight.measure.checks.privacy import (
    ENTITIES,
    EXAMPLE_CHARS,
    PiiSpan,
    find_pii,
    holds_pii_candidate,
    mask,
    mask_unrecognized,
    may_hold_pii,
    privacy_probe,
    redact,
    scan_texts,
)
from preflight.measure.registry import ProbeContext, builtin_probes
from preflight.model.config import Config, DatasetConfig, Settings, SourceConfig
from preflight.model.results import Dimension, Severity, TableProfile

# (entity, text containing it, text without it). Where the entity has a checksum or a
# blocklist, the clean text holds a near miss that must not be reported.
CASES = [
    (
        "EMAIL_ADDRESS",
        "Write to jane.doe@example.com about the invoice.",
        "Write to the billing team about the invoice.",
    ),
    (
        "PHONE_NUMBER",
        "Please call me back on +44 20 7946 0958 today.",
        "Please call me back later today.",
    ),
    (
        "CREDIT_CARD",
        "Charge card 4111 1111 1111 1111 again.",
        "Charge card 4111 1111 1111 1112 again.",  # fails Luhn
    ),
    (
        "IBAN_CODE",
        "Refund to IBAN GB82 WEST 1234 5698 7654 32 please.",
        "Refund to IBAN GB82 WEST 1234 5698 7654 33 please.",  # fails mod-97
    ),
    (
        "IP_ADDRESS",
        "Login from 203.0.113.42 was blocked.",
        "Login from the office was blocked.",
    ),
    (
        "US_SSN",
        "My SSN is 536-22-1234 for the form.",
        "My SSN is 123-45-6789 for the form.",  # a published placeholder
    ),
    (
        "UK_NHS",
        "Patient NHS number 943 476 5919 attached.",
        "Patient NHS number 943 476 5918 attached.",  # fails mod-11
    ),
    (
        "UK_NINO",
        "My NI number is AB 12 34 56 C.",
        "My NI number is on the letter.",
    ),
]

RAW_VALUES = [
    "jane.doe@example.com",
    "+44 20 7946 0958",
    "7946 0958",
    "4111 1111 1111 1111",
    "4111111111111111",
    "4111 1111 1111 1112",
    "GB82 WEST 1234 5698 7654 32",
    "203.0.113.42",
    "536-22-1234",
    "943 476 5919",
]


PROBES = {registered.name: registered for registered in builtin_probes()}


def test_every_entity_has_a_case() -> None:
    assert {entity for entity, _, _ in CASES} == set(ENTITIES)


@pytest.mark.parametrize(("entity", "dirty", "clean"), CASES, ids=[c[0] for c in CASES])
def test_entity_detected_in_dirty_text_only(entity: str, dirty: str, clean: str) -> None:
    found = scan_texts([dirty])
    assert entity in found.findings
    assert found.findings[entity].rows_affected == 1
    assert entity not in scan_texts([clean]).findings


def test_clean_text_has_no_findings() -> None:
    scan = scan_texts(["The delivery was late again.", "", "Thanks for the quick refund!"])
    assert scan.rows_scanned == 3
    assert scan.findings == {}


def test_card_number_failing_luhn_is_not_reported() -> None:
    scan = scan_texts(["Please charge 4111 1111 1111 1112 for the renewal."])
    assert "CREDIT_CARD" not in scan.findings
    assert find_pii("Please charge 4111 1111 1111 1112 for the renewal.") == []


def test_shares_per_entity() -> None:
    texts = (
        ["Reach me at ann@example.org please."] * 3
        + ["Mail bob@example.net or call me on +44 20 7946 0958."]
        + ["Call me on +44 20 7946 0959, evenings."]
        + ["Card 4111 1111 1111 1111, expiry next year."]
        + ["Nothing personal in this ticket at all."] * 14
    )
    scan = scan_texts(texts)
    assert scan.rows_scanned == 20
    assert scan.shares() == {"CREDIT_CARD": 0.05, "EMAIL_ADDRESS": 0.2, "PHONE_NUMBER": 0.1}
    assert scan.findings["EMAIL_ADDRESS"].rows_affected == 4
    assert scan.rows_with_pii == 4


def test_a_row_counts_once_per_entity() -> None:
    scan = scan_texts(["a@example.com, b@example.com and c@example.com"])
    assert scan.findings["EMAIL_ADDRESS"].rows_affected == 1
    assert scan.findings["EMAIL_ADDRESS"].share == 1.0


def test_context_words_lift_phone_numbers() -> None:
    # Presidio scores a bare phone number 0.4; a context word before it (or in the
    # column name) adds 0.35, as Presidio's context enhancer would.
    assert find_pii("+44 20 7946 0958") == []
    assert [s.entity for s in find_pii("phone: +44 20 7946 0958")] == ["PHONE_NUMBER"]
    assert [s.entity for s in find_pii("+44 20 7946 0958", context=["contact_phone"])] == [
        "PHONE_NUMBER"
    ]
    assert [s.entity for s in find_pii("+44 20 7946 0958", min_score=0.4)] == ["PHONE_NUMBER"]


def test_mask_replaces_spans_with_entity_labels() -> None:
    text = "Mail jane.doe@example.com or call +44 20 7946 0958."
    spans = find_pii(text)
    assert mask(text, spans) == "Mail <EMAIL_ADDRESS> or call <PHONE_NUMBER>."
    # Overlapping spans merge; foreign span objects with `entity_type` work too.
    overlapping = [PiiSpan("A", 0, 4, 1.0), PiiSpan("B", 2, 6, 1.0)]
    assert mask("abcdefgh", overlapping) == "<A>gh"

    class Result:
        entity_type = "IP_ADDRESS"
        start, end = 6, 18

    assert mask("from: 203.0.113.42", [Result()]) == "from: <IP_ADDRESS>"


def test_masked_examples_are_short_and_hide_every_number() -> None:
    long_text = (
        "word " * 60
        + "my card 4111 1111 1111 1111 was declined, try 4111 1111 1111 1112 and order 9876543 "
        + "word " * 60
    )
    scan = scan_texts([long_text, "Mail jane.doe@example.com"], examples=3)
    example = scan.findings["CREDIT_CARD"].masked_examples[0]
    assert "<CREDIT_CARD>" in example
    assert len(example) <= EXAMPLE_CHARS + 2  # plus the two ellipses
    assert not re.search(r"\d", example)
    assert scan.findings["EMAIL_ADDRESS"].masked_examples == ("Mail <EMAIL_ADDRESS>",)


def test_examples_are_capped() -> None:
    topics = ["refund", "login", "invoice", "delivery", "password", "upgrade"]
    scan = scan_texts(
        [f"Mail user{i}@example.com about the {t}" for i, t in enumerate(topics)], examples=2
    )
    assert scan.findings["EMAIL_ADDRESS"].rows_affected == 6
    assert scan.findings["EMAIL_ADDRESS"].masked_examples == (
        "Mail <EMAIL_ADDRESS> about the refund",
        "Mail <EMAIL_ADDRESS> about the login",
    )
    # The same masked text is shown once.
    repeated = scan_texts(["Mail ann@example.com", "Mail bob@example.com"])
    assert repeated.findings["EMAIL_ADDRESS"].masked_examples == ("Mail <EMAIL_ADDRESS>",)


def test_redact_masks_even_low_confidence_matches() -> None:
    # A bare phone number is below min_score for reporting, but never shown.
    assert redact("+44 20 7946 0958") == "<PHONE_NUMBER>"
    assert (
        redact("card 4111 1111 1111 1112, mail a@b.internal")
        == "card #### #### #### ####, mail <REDACTED>"
    )
    assert redact("Mail jane.doe@example.com\nThanks") == "Mail <EMAIL_ADDRESS>\nThanks"
    assert redact("No personal data here.") == "No personal data here."


def _serialised_scan(texts: list[str]) -> str:
    scan = scan_texts(texts)
    return repr(scan) + json.dumps(scan.to_dict()) + str(scan)


def test_no_raw_value_leaves_the_scan_result() -> None:
    texts = [dirty for _, dirty, _ in CASES] + [clean for _, _, clean in CASES]
    out = _serialised_scan(texts)
    for raw in RAW_VALUES:
        assert raw not in out
    assert "<EMAIL_ADDRESS>" in out and "<CREDIT_CARD>" in out


# --- the probe -------------------------------------------------------------------------

TICKETS = (
    ["Call me at +44 20 7946 0958 about my order."] * 2
    + ["Send the receipt to jane.doe@example.com please."] * 3
    + ["My card 4111 1111 1111 1111 was charged twice."]
    + ["The app crashes when I open the settings page."] * 44
)


def _context(
    tmp_path: Path, rows: dict[str, list[str | None]], *, sample_size: int = 2000
) -> ProbeContext:
    url = f"sqlite:///{tmp_path / 'warehouse.db'}"
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    columns = [sa.Column(name, sa.Text) for name in rows]
    table = sa.Table(
        "support_tickets", metadata, sa.Column("id", sa.Integer, primary_key=True), *columns
    )
    metadata.create_all(engine)
    length = len(next(iter(rows.values())))
    with engine.begin() as conn:
        conn.execute(
            table.insert(),
            [{name: values[i] for name, values in rows.items()} for i in range(length)],
        )
    dataset = DatasetConfig(
        source="warehouse",
        table="support_tickets",
        text_columns=tuple(rows),
        classification="public",
    )
    config = Config(
        directory=tmp_path,
        settings=Settings(sample_size=sample_size),
        sources={"warehouse": SourceConfig(url=url)},
        datasets={"support_tickets": dataset},
    )
    now = datetime.now(UTC)
    return ProbeContext(
        name="support_tickets",
        dataset=dataset,
        config=config,
        engine=engine,
        profile=TableProfile(table="support_tickets", row_count=length, profiled_at=now),
        now=now,
    )


def _near_misses() -> list[str]:
    """Texts each recognizer matches or nearly matches: every CASES text, Faker's phone
    numbers, cards, IBANs, IPs and SSNs in several locales, digit runs of every length
    with every separator, codes and dates."""
    from faker import Faker

    texts = [text for _, dirty, clean in CASES for text in (dirty, clean)] + RAW_VALUES
    for i, locale in enumerate(("en_US", "en_GB", "de_DE", "fr_FR", "he_IL", "en_IN", "en_CA", "pt_BR", "nl_NL")):
        fake = Faker(locale)
        fake.seed_instance(i)
        for _ in range(40):
            texts += [fake.phone_number(), f"call {fake.phone_number()} now", fake.credit_card_number(),
                      fake.iban(), fake.ipv4(), fake.ipv6(), fake.ssn(), fake.email(), fake.iso8601(), fake.postcode()]
    digits = "4111111111111111943476591953622"
    for n in range(1, 17):
        for sep in ("", " ", "-", ".", "/"):
            texts.append(sep.join(digits[i : i + 3] for i in range(0, n, 3)))
            texts.append(f"N{digits[:n]}")
    texts += ["A1", "K9", "9E", "N10156", "ref 1001", "2026-05-12T17:22:50Z", "12:30", "v1.2.3", "::1", "fe80::1"]
    return texts


def test_may_hold_pii_never_misses_what_a_recognizer_matches() -> None:
    # The shortcut that keeps Presidio out of audits without text columns must be a
    # superset of the recognizers, or a value would be shown unmasked.
    texts = _near_misses()
    matched = [t for t in texts if holds_pii_candidate(t)]
    assert len(matched) > 300  # the corpus does exercise the recognizers
    assert [t for t in matched if not may_hold_pii(t)] == []


def test_may_hold_pii_lets_codes_and_dates_through() -> None:
    for text in ("A1", "N10156", "ref 1001", "2026-05-12T17:22:50Z", "2026-05-12", "v1.2.3", "Leeds"):
        assert not may_hold_pii(text), text
    for text in ("+44 20 7946 0958", "jane@example.com", "943 476 5919", "fe80::abcd"):
        assert may_hold_pii(text), text


def test_phone_shortcut_uses_presidios_regions_and_leniency() -> None:
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    from preflight.measure.checks import privacy

    recognizer = PhoneRecognizer()
    assert (tuple(recognizer.supported_regions), recognizer.leniency) == (privacy._PHONE_REGIONS, privacy._PHONE_LENIENCY)


def test_mask_unrecognized_hides_what_redact_hides() -> None:
    for raw in [*RAW_VALUES, "fe80::abcd:ef", "Mail jane.doe@example.com or call +44 20 7946 0958"]:
        masked = mask_unrecognized(raw)
        assert not any(ch.isdigit() for ch in masked) and "@" not in masked and "abcd" not in masked, masked
        assert not any(piece in masked for piece in ("jane", "7946", "0958")), masked


def test_probe_is_registered() -> None:
    registered = PROBES["privacy"]
    assert registered.dimension is Dimension.PRIVACY
    assert registered.order == 70


def test_probe_reports_each_entity_per_column(tmp_path: Path) -> None:
    clean = ["Thanks, the refund arrived." for _ in TICKETS]
    ctx = _context(tmp_path, {"body": list(TICKETS), "subject": clean})
    checks = {c.id: c for c in privacy_probe(ctx)}

    assert set(checks) == {
        "privacy.pii.body.phone_number",
        "privacy.pii.body.email_address",
        "privacy.pii.body.credit_card",
        "privacy.pii.subject",
    }
    email = checks["privacy.pii.body.email_address"]
    assert not email.passed
    assert email.severity is Severity.WARNING
    assert email.dimension is Dimension.PRIVACY
    assert email.observed == 0.06 and email.expected == 0
    assert email.column == "body" and email.dataset == "support_tickets"
    assert email.details["rows_scanned"] == 50
    assert email.details["rows_affected"] == 3
    assert email.details["entity"] == "EMAIL_ADDRESS"
    assert email.details["masked_examples"] == ["Send the receipt to <EMAIL_ADDRESS> please."]
    assert email.message == (
        "6.0% of sampled rows of support_tickets.body contain EMAIL_ADDRESS "
        "(masked example: 'Send the receipt to <EMAIL_ADDRESS> please.')"
    )
    assert email.remediation and "classify" in email.remediation  # the dataset is public

    subject = checks["privacy.pii.subject"]
    assert subject.passed and subject.observed == 0

    assert ctx.facts["pii"] == {
        "body": {"CREDIT_CARD": 0.02, "EMAIL_ADDRESS": 0.06, "PHONE_NUMBER": 0.04},
        "subject": {},
    }


def test_probe_output_holds_no_raw_value(tmp_path: Path) -> None:
    ctx = _context(tmp_path, {"body": list(TICKETS)})
    checks = list(privacy_probe(ctx))
    reported = dict(ctx.facts)
    out = json.dumps([c.model_dump(mode="json") for c in checks]) + json.dumps(reported)
    out += repr(checks)
    for raw in RAW_VALUES:
        assert raw not in out


def test_probe_turns_a_missing_column_into_a_failed_check(tmp_path: Path) -> None:
    ctx = _context(tmp_path, {"body": list(TICKETS)})
    ctx = ProbeContext(
        name=ctx.name,
        dataset=ctx.dataset.model_copy(update={"text_columns": ("body", "notes")}),
        config=ctx.config,
        engine=ctx.engine,
        profile=ctx.profile,
        now=ctx.now,
    )
    checks = {c.id: c for c in privacy_probe(ctx)}
    missing = checks["privacy.pii.notes"]
    assert not missing.passed
    assert "could not be sampled" in missing.message
    assert "privacy.pii.body.email_address" in checks


def test_probe_samples_at_most_sample_size_rows(tmp_path: Path) -> None:
    ctx = _context(tmp_path, {"body": list(TICKETS) * 4}, sample_size=30)
    checks = list(privacy_probe(ctx))
    assert {c.details.get("rows_scanned") for c in checks} == {30}
    assert len(ctx.cache["samples"]["body"]) == 30
    assert ctx.facts["sampling"]["body"]["size"] == 30
