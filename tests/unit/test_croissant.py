"""Croissant cards from an audit alone: every field from evidence, none invented; lineage,
PII shares, waived and not-measured checks; every variant validates with mlcroissant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from preflight.authoring.croissant import croissant_card, validate_card
from preflight.model.config import DatasetConfig
from preflight.model.results import (
    Check,
    ColumnProfile,
    DatasetAudit,
    DatasetStatus,
    Dimension,
    Severity,
    TableProfile,
)

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)

PROFILE = TableProfile(table="tickets", row_count=200, profiled_at=NOW, columns=(
    ColumnProfile(name="ticket_id", type="BIGINT", kind="numeric", null_count=0),
    ColumnProfile(name="body", type="TEXT", kind="text", null_count=10),
    ColumnProfile(name="score", type="DOUBLE PRECISION", kind="numeric", null_count=0),
    ColumnProfile(name="opened_on", type="DATE", kind="temporal", null_count=0,
                  min="2026-01-01", max="2026-11-24"),
    ColumnProfile(name="at", type="TIMESTAMP WITH TIME ZONE", kind="temporal", null_count=0,
                  min="2026-01-01T08:00:00+00:00", max="2026-11-25T10:00:00+00:00"),
    ColumnProfile(name="flag", type="BOOLEAN", kind="boolean", null_count=0),
    ColumnProfile(name="raw", type="BYTEA", kind="other", null_count=0),
))

LINEAGE = {
    "identity": {"namespace": "postgres://db.internal:5432", "name": "support.public.tickets"},
    "producer": "helpdesk_export.load",
    "producers": [{"namespace": "airflow", "name": "helpdesk_export.load"}],
    "upstream": [
        {"namespace": "https://helpdesk.example.com", "name": "/api/tickets", "depth": 1, "dataset": None},
        {"namespace": "postgres://db.internal:5432", "name": "support.public.agents", "depth": 2, "dataset": "agents"},
    ],
    "system_of_record": False,
}


def _check(cid: str, dimension: Dimension, *, passed: bool = False, message: str | None = None, **extra: object) -> Check:
    return Check(id=cid, dimension=dimension, severity=Severity.WARNING, passed=passed, dataset="tickets",
                 message=message or f"message of {cid}", **extra)  # type: ignore[arg-type]


AUDIT = DatasetAudit(
    name="tickets", source="helpdesk", status=DatasetStatus.OK, profile=PROFILE,
    checks=(
        _check("quality.completeness.body", Dimension.QUALITY),
        _check("quality.contract.sql_rule", Dimension.QUALITY, measured=False),
        _check("quality.volume", Dimension.QUALITY, waived=True),
        _check("quality.validity.range.score", Dimension.QUALITY, passed=True),
        _check("privacy.pii.body.email_address", Dimension.PRIVACY,
               message="3% of sampled rows contain EMAIL_ADDRESS (masked example: 'mail <EMAIL_ADDRESS> now')"),
    ),
    facts={"pii": {"body": {"EMAIL_ADDRESS": 0.03}}, "sampling": {"body": {"size": 190}}, "lineage": LINEAGE,
           "freshness": {"age_hours": 2.0}},
    started_at=NOW, finished_at=NOW,
)

ENTRY = DatasetConfig.model_validate({
    "source": "helpdesk", "table": "tickets", "primary_key": ["ticket_id"], "classification": "confidential",
    "freshness": {"column": "at", "slo": "24h"}, "update_cadence": "hourly", "owner": "care@example.com",
    "column_descriptions": {"body": "What the customer wrote."},
})


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def refuse(self: socket.socket, address: object) -> None:
        raise AssertionError(f"network access attempted: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_card_from_audit_and_entry() -> None:
    card = croissant_card(AUDIT, entry=ENTRY, run_id="cli__r1")
    assert validate_card(card).errors == ()
    assert card["distribution"][0]["contentUrl"] == "postgres://db.internal:5432/support.public.tickets"
    assert card["distribution"][0]["encodingFormat"] == "https://www.postgresql.org/"
    types = {f["name"]: f["dataType"] for f in card["recordSet"][0]["field"]}
    assert types == {"ticket_id": "sc:Integer", "body": "sc:Text", "score": "sc:Float", "opened_on": "sc:Date",
                     "at": "sc:DateTime", "flag": "sc:Boolean", "raw": "sc:Text"}
    body = next(f for f in card["recordSet"][0]["field"] if f["name"] == "body")
    assert body["description"] == "What the customer wrote. (stored as TEXT)"
    collection = card["rai:dataCollection"]
    assert collection.startswith("Written by helpdesk_export.load (OpenLineage).")
    assert "Read from https://helpdesk.example.com/api/tickets." in collection
    assert "agents" not in collection  # two steps away: not a direct input
    assert "Updated hourly." in collection and "Freshness SLO 24.0 h on at; the newest row was 2.0 h old" in collection
    assert card["rai:dataCollectionTimeframe"] == "2026-01-01T08:00:00+00:00/2026-11-25T10:00:00+00:00"
    assert card["rai:personalSensitiveInformation"] == [
        "Classified confidential in the catalog.",
        "body: EMAIL_ADDRESS in 3.0% of 190 sampled values (Preflight's PII scan, checksum-validated patterns).",
    ]
    # Failing checks, worst first; not measured ones say so; waived and privacy ones are left out.
    assert card["rai:dataLimitations"] == [
        "message of quality.completeness.body",
        "Not measured: message of quality.contract.sql_rule",
    ]
    assert "masked example" not in str(card)
    assert card["rai:dataCollectionMissingData"] == "body: 5.0% NULL (10 of 200 rows)"
    assert card["creator"] == {"@type": "sc:Organization", "name": "care@example.com"}
    assert "cli__r1" in card["rai:dataReleaseMaintenancePlan"]


def test_card_from_audit_alone_invents_nothing() -> None:
    audit = AUDIT.model_copy(update={"facts": {}, "checks": ()})
    card = croissant_card(audit)
    assert validate_card(card).errors == ()
    assert card["description"] == "Table tickets of source helpdesk, as audited by Preflight."
    for absent in ("creator", "keywords", "url", "rai:personalSensitiveInformation", "rai:dataLimitations",
                   "rai:dataUseCases", "rai:dataCollectionTimeframe"):
        assert absent not in card
    assert "not known to Preflight" in card["rai:dataCollection"]
    assert "key" not in card["recordSet"][0]
    assert card["distribution"][0]["contentUrl"] == "preflight/tickets"


def test_no_card_without_a_profile() -> None:
    unreachable = DatasetAudit(name="tickets", source="helpdesk", status=DatasetStatus.UNREACHABLE,
                               reason="no such table", started_at=NOW, finished_at=NOW + timedelta(seconds=1))
    with pytest.raises(ValueError, match="no profile"):
        croissant_card(unreachable)
