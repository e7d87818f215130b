"""Cross-dataset measurements on real databases: join coverage, events per entity,
locale codes and coverage, label balance."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from preflight.config import load_config
from preflight.measure.use_case import measure_use_case


@pytest.fixture
def world(scratch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("PREFLIGHT_HOME", str(tmp_path / "home"))
    meta = sa.MetaData()
    items = scratch.create(
        sa.Table(scratch.name("items"), meta, sa.Column("item_id", sa.Integer, primary_key=True, autoincrement=False)),
        [{"item_id": i} for i in range(1, 5)],
    )
    events = scratch.create(
        sa.Table(scratch.name("events"), meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                 sa.Column("user_id", sa.Integer), sa.Column("item_id", sa.Integer), sa.Column("label", sa.String(10))),
        # user 1: 4 events, user 2: 3, user 3: 1; item 9 does not exist (1 orphan of 8)
        [{"id": i, "user_id": u, "item_id": it, "label": lab} for i, (u, it, lab) in enumerate(
            [(1, 1, "a"), (1, 2, "a"), (1, 3, "a"), (1, 4, "a"), (2, 1, "a"), (2, 2, "b"), (2, 9, "a"), (3, 1, "a")], start=1)],
    )
    translations = scratch.create(
        sa.Table(scratch.name("tr"), meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                 sa.Column("item_id", sa.Integer), sa.Column("locale", sa.String(10))),
        [{"id": 1, "item_id": 1, "locale": "fr-FR"}, {"id": 2, "item_id": 2, "locale": "fr-FR"},
         {"id": 3, "item_id": 1, "locale": "de-DE"}, {"id": 4, "item_id": 3, "locale": "French"}],
    )
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({
        "sources": {"db": {"url": scratch.url}},
        "datasets": {
            "items": {"source": "db", "table": str(items.name), "primary_key": "item_id"},
            "events": {"source": "db", "table": str(events.name),
                       "related_keys": [{"column": "item_id", "references": "items.item_id"}]},
            "tr": {"source": "db", "table": str(translations.name),
                   "related_keys": [{"column": "item_id", "references": "items.item_id"}]},
        },
        "use_cases": {
            "rec": {"kind": "recommendation", "datasets": {"events": {"role": "events"}, "items": {"role": "items"}},
                    "cross_checks": [{"type": "events_per_entity", "from": "events.user_id", "min_events": 3}]},
            "loc": {"kind": "localization", "target_locales": ["fr-FR", "de-DE", "it-IT"],
                    "datasets": {"items": {"role": "source_text"}, "tr": {"role": "target_text", "locale_column": "locale"}}},
            "ft": {"kind": "fine_tuning", "datasets": {"events": {"role": "examples", "label_column": "label"}}},
        },
    }))
    return load_config(tmp_path)


def test_join_coverage_and_events_per_entity(world) -> None:  # noqa: ANN001
    measures = measure_use_case(world, "rec")
    join = next(m for m in measures.joins if m["from"] == "events.item_id")  # derived from related_keys
    assert (join["rows"], join["matched"]) == (8, 7)
    assert join["coverage"] == pytest.approx(7 / 8)
    users = next(m for m in measures.events_per_entity if m["key"] == "events.user_id")  # declared
    assert (users["entities"], users["with_enough"], users["fewest"]) == (3, 2, 1)
    assert users["share"] == pytest.approx(2 / 3)
    items = next(m for m in measures.events_per_entity if m["key"] == "events.item_id")  # derived
    assert items["entities"] == 5  # items 1-4 and the orphan 9


def test_locales(world) -> None:  # noqa: ANN001
    m = measure_use_case(world, "loc", row_counts={"items": 4})
    locales = m.locales["tr"]
    assert locales["invalid"] == ["French"]
    assert locales["coverage"] == {"fr-FR": 0.5, "de-DE": 0.25, "it-IT": 0.0}


def test_labels(world) -> None:  # noqa: ANN001
    labels = measure_use_case(world, "ft").labels["events"]
    assert labels["classes"] == {"a": 7, "b": 1}
    assert labels["smallest_share"] == pytest.approx(1 / 8)
