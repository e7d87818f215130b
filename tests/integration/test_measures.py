"""Cross-dataset measurements and keys on real databases (every engine): join coverage,
events per entity, locale codes and coverage, label balance, and composite keys —
uniqueness, related keys and join coverage, with and without duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from preflight.config import load_config
from preflight.judge.plan import cross_plan
from preflight.measure.audit import audit_dataset
from preflight.measure.use_case import measure_cross
from preflight.model.config import KeyRef
from preflight.model.evidence import (
    EventsPerEntity,
    JoinCoverage,
    KeyUniqueness,
    LabelBalance,
    LocaleCoverage,
    RuleResult,
)


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


def _measure(config, use_case: str, **kwargs):  # noqa: ANN001, ANN202
    return measure_cross(config, cross_plan(config, use_case), **kwargs)


def test_join_coverage_and_events_per_entity(world) -> None:  # noqa: ANN001
    found = _measure(world, "rec")
    join = next(e for e in found if isinstance(e, JoinCoverage))  # derived from related_keys
    assert str(join.source) == "events.item_id" and str(join.target) == "items.item_id"
    assert join.figures is not None and (join.figures.rows, join.figures.matched) == (8, 7)
    assert join.figures.coverage == pytest.approx(7 / 8)
    events = {str(e.entity): e for e in found if isinstance(e, EventsPerEntity)}
    users = events["events.user_id"].figures  # declared
    assert users is not None and (users.entities, users.with_enough, users.fewest) == (3, 2, 1)
    assert users.share == pytest.approx(2 / 3)
    items = events["events.item_id"].figures  # derived
    assert items is not None and items.entities == 5  # items 1-4 and the orphan 9


def test_locales(world) -> None:  # noqa: ANN001
    (locales,) = [e for e in _measure(world, "loc", row_counts={"items": 4}) if isinstance(e, LocaleCoverage)]
    assert locales.figures is not None
    assert locales.figures.invalid == ("French",)
    assert locales.figures.items == 4
    assert locales.figures.per_locale == {"fr-FR": 2, "de-DE": 1, "French": 1}


def test_locales_over_an_unreadable_base_are_not_measured(world) -> None:  # noqa: ANN001
    (locales,) = [e for e in _measure(world, "loc", row_counts={}) if isinstance(e, LocaleCoverage)]
    assert locales.figures is None and "items" in (locales.reason or "")


def test_labels(world) -> None:  # noqa: ANN001
    (labels,) = [e for e in _measure(world, "ft") if isinstance(e, LabelBalance)]
    assert labels.figures is not None and labels.figures.classes == {"a": 7, "b": 1}
    assert labels.figures.smallest_share == pytest.approx(1 / 8)


def test_a_missing_column_is_not_measured_with_the_reason(world, tmp_path: Path) -> None:  # noqa: ANN001
    raw = yaml.safe_load((tmp_path / "c.yaml").read_text())
    raw["use_cases"]["rec"]["cross_checks"] = [{"type": "events_per_entity", "from": "events.no_such_column"}]
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    found = _measure(load_config(tmp_path), "rec")
    broken = next(e for e in found if isinstance(e, EventsPerEntity) and e.entity.columns == ("no_such_column",))
    assert broken.figures is None and "no_such_column" in (broken.reason or "")


# --- composite keys ------------------------------------------------------------------


@pytest.fixture(params=["unique", "duplicated"])
def composite(scratch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest):  # noqa: ANN001, ANN201
    """Orders keyed by (Region, "order no") — mixed case and a space — and lines that
    reference them by the same composite key; "duplicated" plants 2 extra copies of a key."""
    monkeypatch.setenv("PREFLIGHT_HOME", str(tmp_path / "home"))
    meta = sa.MetaData()
    orders_rows = [{"id": i, "Region": region, "order no": n} for i, (region, n) in enumerate(
        [("eu", 1), ("eu", 2), ("us", 1), ("us", 2), ("EU", 1)], start=1)]  # "EU" is not "eu"
    if request.param == "duplicated":
        orders_rows += [{"id": 6, "Region": "eu", "order no": 1}, {"id": 7, "Region": "eu", "order no": 1}]
    orders = scratch.create(
        sa.Table(scratch.name("Orders"), meta, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                 sa.Column("Region", sa.String(8)), sa.Column("order no", sa.Integer)),
        orders_rows,
    )
    # Line 4 points at ("us", 3), which does not exist; line 5 has a NULL part (not checked).
    lines = scratch.create(
        sa.Table(scratch.name("lines"), meta, sa.Column("line", sa.Integer, primary_key=True, autoincrement=False),
                 sa.Column("region", sa.String(8)), sa.Column("order_no", sa.Integer)),
        [{"line": 1, "region": "eu", "order_no": 1}, {"line": 2, "region": "eu", "order_no": 2},
         {"line": 3, "region": "us", "order_no": 1}, {"line": 4, "region": "us", "order_no": 3},
         {"line": 5, "region": None, "order_no": 2}],
    )
    key = ["Region", "order no"]
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({
        "sources": {"db": {"url": scratch.url}},
        "datasets": {
            "orders": {"source": "db", "table": str(orders.name), "primary_key": key},
            "lines": {"source": "db", "table": str(lines.name), "primary_key": "line",
                      "related_keys": [{"columns": ["region", "order_no"],
                                        "references": {"dataset": "orders", "columns": key}}]},
        },
        "use_cases": {"rec": {"kind": "recommendation",
                              "datasets": {"lines": {"role": "events"}, "orders": {"role": "items"}}}},
    }))
    return request.param, load_config(tmp_path)


def test_composite_primary_key_uniqueness(composite) -> None:  # noqa: ANN001
    kind, config = composite
    audit = audit_dataset(config, "orders")
    assert audit.status.value == "ok", audit.reason
    (key,) = [e for e in audit.evidence if isinstance(e, KeyUniqueness)]
    assert key.columns == ("Region", "order no") and key.primary
    assert key.figures is not None, key.reason
    assert key.figures.duplicate_rows == (2 if kind == "duplicated" else 0)
    check = next(c for c in audit.checks if c.id == "quality.uniqueness.primary_key")
    assert check.passed is (kind == "unique") and check.observed == key.figures.duplicate_rows


def test_composite_related_key_orphans(composite) -> None:  # noqa: ANN001
    _, config = composite
    audit = audit_dataset(config, "lines")
    rule = next(e for e in audit.evidence if isinstance(e, RuleResult) and e.rule == "quality.consistency.region.order_no")
    assert rule.figures is not None, rule.reason
    assert not rule.figures.passed
    assert rule.figures.observed["orphans"] == 1  # ("us", 3); the NULL-part row is not checked


def test_composite_join_coverage_is_derived_and_duplicates_do_not_inflate_it(composite) -> None:  # noqa: ANN001
    _, config = composite
    plan = cross_plan(config, "rec")
    assert [(str(j.source), str(j.target)) for j in plan.joins] == [
        ("lines.(region, order_no)", "orders.(Region, order no)")
    ]
    (join,) = [e for e in measure_cross(config, plan) if isinstance(e, JoinCoverage)]
    assert join.figures is not None, join.reason
    # 4 lines have a complete key, 3 of them exist; duplicated orders must not count twice.
    assert (join.figures.rows, join.figures.matched) == (4, 3)
    assert join.source == KeyRef(dataset="lines", columns=("region", "order_no"))
