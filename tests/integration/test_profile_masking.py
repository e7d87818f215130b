"""Masking only where it protects someone: a profile's text min/max through a real audit.

On every engine: an ordinary code column, a text date and a status keep their min/max as
they are; a text column with planted e-mail addresses and phone numbers (found by the
privacy probe), a column the catalog declares personal, and a stray phone number in a
column nobody listed are masked. No raw planted value reaches the stored audit.
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from preflight.measure.audit import audit_dataset
from preflight.measure.redaction import WITHHELD, Masking, columns_to_mask, redact_profile
from preflight.model.config import Config, DatasetConfig, SourceConfig
from preflight.model.results import ColumnProfile, TableProfile

CODES = ["N10156", "9E", "A7", "K12", "N20001"]
DATES = ["2026-05-12T17:22:50Z", "2025-07-18T22:50:15Z", "2026-01-01T00:00:00Z", "2025-12-31T23:59:59Z", "2026-02-02T02:02:02Z"]
NOTES = [
    "Please write to aaron.abbott@example.com about the refund",
    "Call me back on +44 20 7946 0958 tonight",
    "The app crashes when I open an article",
    "Zoe Zimmer zoe.zimmer@example.org asked for an invoice",
    "Thanks, all good now",
]
NAMES = ["Aaron Abbott", "Zoe Zimmer", "Mia Meyer", "Ben Brown", "Lea Lang"]
# A phone number in a column neither the catalog nor the PII scan looks at.
REFERENCES = ["ref 1001", "ref 1002", "ref 1003", "ref 1004", "+44 20 7946 0958"]
PLANTED = ["aaron.abbott@example.com", "zoe.zimmer@example.org", "+44 20 7946 0958", "7946 0958", "Aaron Abbott", "Lea Lang"]


def _audit(scratch, tmp_path: Path):  # noqa: ANN001, ANN202
    table = scratch.create(
        sa.Table(
            scratch.name("tickets"),
            sa.MetaData(),
            sa.Column("ticket_id", sa.Integer, primary_key=True),
            sa.Column("venue_code", sa.String(20)),
            sa.Column("opened_at_text", sa.String(40)),
            sa.Column("notes", sa.String(200)),
            sa.Column("customer_name", sa.String(100)),
            sa.Column("reference", sa.String(40)),
        ),
        [
            {
                "ticket_id": i + 1,
                "venue_code": CODES[i],
                "opened_at_text": DATES[i],
                "notes": NOTES[i],
                "customer_name": NAMES[i],
                "reference": REFERENCES[i],
            }
            for i in range(len(CODES))
        ],
    )
    dataset = DatasetConfig(
        source="db",
        table=str(table.name),
        primary_key=("ticket_id",),
        text_columns=("notes",),
        personal_columns=("customer_name",),
        classification="confidential",
    )
    config = Config(directory=tmp_path, sources={"db": SourceConfig(url=scratch.url)}, datasets={"tickets": dataset})
    return audit_dataset(config, "tickets")


def test_text_min_max_masked_only_where_personal(scratch, tmp_path: Path) -> None:  # noqa: ANN001
    audit = _audit(scratch, tmp_path)
    assert audit.status.value == "ok", audit.reason
    assert audit.profile is not None
    columns = {c.name: c for c in audit.profile.columns}

    # Ordinary values: shown exactly as stored (code point order: "9E" < "A7" < ... < "N20001").
    assert (columns["venue_code"].min, columns["venue_code"].max) == ("9E", "N20001")
    assert (columns["opened_at_text"].min, columns["opened_at_text"].max) == (min(DATES), max(DATES))

    # The privacy probe found PII in notes: both ends masked entity by entity, digits too.
    assert audit.facts["pii"]["notes"], audit.facts.get("pii")
    notes = columns["notes"]
    assert notes.min == "Call me back on <PHONE_NUMBER> tonight"
    assert "<EMAIL_ADDRESS>" in notes.max and "zoe.zimmer" not in notes.max

    # Declared personal: withheld, though no recognizer knows names.
    assert (columns["customer_name"].min, columns["customer_name"].max) == (WITHHELD, WITHHELD)

    # Nobody listed `reference`; its min ("+" sorts first) is a phone number, caught in the
    # value itself; its max is an ordinary reference.
    assert columns["reference"].min == "<PHONE_NUMBER>"
    assert columns["reference"].max == "ref 1004"

    stored = json.dumps(audit.model_dump(mode="json"))
    for raw in PLANTED:
        assert raw not in stored, f"{raw!r} reached the stored audit"


def _profile(*columns: ColumnProfile) -> TableProfile:
    from datetime import UTC, datetime

    return TableProfile(table="t", row_count=5, columns=columns, profiled_at=datetime.now(UTC))


def _text(name: str, low: str, high: str) -> ColumnProfile:
    return ColumnProfile(name=name, type="VARCHAR", kind="text", null_count=0, min=low, max=high)


def test_columns_to_mask_decides_from_catalog_and_scan() -> None:
    profile = _profile(
        _text("code", "9E", "N10156"),
        _text("body", "a", "b"),
        _text("name", "Ann", "Zed"),
        _text("notes", "x", "y"),
        _text("clean", "p", "q"),
        ColumnProfile(name="n", type="INTEGER", kind="numeric", null_count=0, min=1, max=2),
    )
    masked = columns_to_mask(
        profile,
        personal=["name", "n"],  # a non-text column is never "masked": it has no text value
        pii_found={"body": {"EMAIL_ADDRESS": 0.1}, "clean": {}},
        scanned=["body", "clean", "notes"],  # notes could not be scanned: unknown is personal
    )
    assert masked == Masking(withheld=frozenset({"name"}), masked=frozenset({"body", "notes"}))


def test_redact_profile_without_catalog_masks_every_text_column() -> None:
    profile = _profile(_text("code", "9E", "N10156"))
    (code,) = redact_profile(profile).columns
    assert (code.min, code.max) == ("#E", "N#####")  # nothing known: fail closed
    (code,) = redact_profile(profile, personal=()).columns
    assert (code.min, code.max) == ("9E", "N10156")


def test_without_text_columns_masking_fails_closed_without_presidio(monkeypatch) -> None:  # noqa: ANN001
    # Presidio is loaded only for datasets with text columns; elsewhere a value that could
    # hold PII is masked without it, entity labels aside, and the rest is shown.
    from preflight.measure.checks import privacy

    def no_presidio() -> None:
        raise AssertionError("Presidio was asked")

    monkeypatch.setattr(privacy, "load_recognizers", no_presidio)
    profile = _profile(
        _text("venue_code", CODES[1], CODES[0]),
        _text("opened_at_text", min(DATES), max(DATES)),
        _text("reference", REFERENCES[4], REFERENCES[3]),
        _text("contact", "aaron.abbott@example.com", "fe80::abcd:ef"),
        _text("customer_name", "Aaron Abbott", "Zoe Zimmer"),
    )
    columns = {c.name: c for c in redact_profile(profile, personal=["customer_name"]).columns}
    assert (columns["venue_code"].min, columns["venue_code"].max) == ("9E", "N10156")
    assert (columns["opened_at_text"].min, columns["opened_at_text"].max) == (min(DATES), max(DATES))
    assert (columns["reference"].min, columns["reference"].max) == ("+## ## #### ####", "ref 1004")
    assert (columns["contact"].min, columns["contact"].max) == ("<REDACTED>", "<REDACTED>")
    assert (columns["customer_name"].min, columns["customer_name"].max) == (WITHHELD, WITHHELD)
    # `preflight profile`: nothing known, every text value masked, still without Presidio.
    columns = {c.name: c for c in redact_profile(profile).columns}
    assert columns["reference"].min == "+## ## #### ####" and columns["venue_code"].max == "N#####"
    assert columns["contact"].min == "<REDACTED>"
