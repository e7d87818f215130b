"""One wording for people: values, times, check states, bands, and how use cases weigh a
dataset's checks (``preflight.run.readable``), plus the chart geometry built on them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from preflight.model.results import (
    Check,
    DatasetAudit,
    DatasetStatus,
    Dimension,
    RunResult,
    Severity,
    Verdict,
    VerdictLevel,
)
from preflight.run import charts, readable
from preflight.ui.charts import trend_chart

NOW = datetime(2026, 11, 30, 0, 19, 21, 250627, tzinfo=UTC)


def _check(check_id: str, *, passed: bool = False, **fields) -> Check:  # noqa: ANN003
    fields.setdefault("dimension", Dimension.QUALITY)
    fields.setdefault("severity", Severity.WARNING)
    return Check(id=check_id, passed=passed, message=fields.pop("message", check_id), **fields)


def test_values_read_without_python_reprs() -> None:
    value = readable.readable_value
    assert value({"documentation_url": None, "data_card": None}) == "documentation url: — · data card: —"
    assert value({"max_null_ratio": 0.02}) == "max null ratio: 2%"
    assert value({"CREDIT_CARD": 0.0233, "EMAIL_ADDRESS": 0.1146}, percent=True) == "CREDIT_CARD: 2.3% · EMAIL_ADDRESS: 11.5%"
    assert value(["a description", "an owner"]) == "a description, an owner"
    assert value([]) == "none" and value({}) == "—" and value(None) == "—"
    assert value(True) == "yes" and value(12000) == "12,000" and value(4830.9) == "4,830.9"
    assert value(0.1111, percent=True) == "11.1%" and value(0.1111) == "0.1111"
    assert value("2026-05-12T17:22:50+00:00") == "12 May 2026, 17:22 UTC"
    assert value(list(range(12))).endswith("… (+4 more)")


def test_observed_and_expected_of_a_share_read_as_percentages() -> None:
    completeness = _check("completeness.t.body", observed=0.1111, expected={"max_null_ratio": 0.02})
    assert (readable.readable_observed(completeness), readable.readable_expected(completeness)) == ("11.1%", "max null ratio: 2%")
    duplicates = _check("quality.uniqueness.primary_key", observed=15, expected=0)
    assert (readable.readable_observed(duplicates), readable.readable_expected(duplicates)) == ("15", "0")


def test_times_and_durations_for_people() -> None:
    assert readable.when(NOW) == "30 Nov 2026, 00:19 UTC"
    assert readable.when(NOW.isoformat()) == "30 Nov 2026, 00:19 UTC"
    assert readable.when(date(2026, 5, 12)) == "12 May 2026"
    assert readable.when(None) == "—"
    assert readable.iso(NOW) == "2026-11-30T00:19:21Z"
    assert readable.relative_time(NOW - timedelta(hours=3), NOW) == "3 h ago"
    assert readable.relative_time(NOW - timedelta(seconds=5), NOW) == "just now"
    assert readable.relative_time(NOW - timedelta(days=1, hours=2), NOW) == "yesterday"
    assert readable.duration(NOW, NOW + timedelta(seconds=18.4)) == "18 s"
    assert readable.duration(NOW, NOW + timedelta(minutes=4, seconds=12)) == "4 min 12 s"


def test_backticks_become_code_and_everything_else_is_escaped() -> None:
    assert str(readable.inline_code("<b>declare `pii: approved`</b>")) == (
        "&lt;b&gt;declare <code>pii: approved</code>&lt;/b&gt;"
    )
    assert str(readable.breakable("a.b_c")) == "a.<wbr>b_<wbr>c"


def test_check_states_bands_and_overrides() -> None:
    assert readable.check_state(_check("x", passed=True)) == "passed"
    assert readable.check_state(_check("x")) == "failed"
    assert readable.check_state(_check("x", measured=False)) == "not_measured"
    assert readable.check_state(_check("x", waived=True)) == "waived"
    assert readable.STATE_LABELS["not_measured"] == "could not be measured"
    assert [readable.band_label(b) for b in ("A", "B", "C", "none", None)] == ["A", "B", "C", "none", "none"]
    assert [readable.next_band(b) for b in ("none", "C", "B", "A")] == ["C", "B", "A", None]
    relaxed = _check("x", details={"severity_override": {
        "natural": "blocker", "applied": "warning", "by": "use_cases.rag.severities.stable_ids"}})
    assert readable.severity_override(relaxed) == (
        "relaxed to warning by use_cases.rag.severities.stable_ids (would be blocker)"
    )
    assert readable.severity_override(_check("x", details={"severity_override": "blocker"})) == (
        "relaxed to warning by this use case (would be blocker)"
    )
    assert readable.severity_override(_check("x")) is None
    ordered = readable.failing_first(
        [_check("b", passed=True), _check("a", waived=True), _check("c"), _check("d", measured=False)]
    )
    assert [c.id for c in ordered] == ["d", "c", "a", "b"]


def test_use_case_links_say_how_each_use_case_weighs_a_dataset_check() -> None:
    dataset_checks = (
        _check("quality.uniqueness.primary_key", dataset="t", column="id"),
        _check("quality.completeness.body", dataset="t", column="body"),
        _check("quality.completeness.title", dataset="t", column="title"),
        _check("content.duplicates.body", dataset="t", column="body", dimension=Dimension.CONTENT),
        _check("content.near_duplicates.body", dataset="t", column="body", dimension=Dimension.CONTENT),
        _check("quality.validity.accepted_values.status", dataset="t", column="status"),
    )
    audit = DatasetAudit(name="t", source="s", status=DatasetStatus.OK, checks=dataset_checks, started_at=NOW, finished_at=NOW)

    def requirement(check_id: str, rule: str, requirement: str, **fields) -> Check:  # noqa: ANN003
        details = {"rule": rule, "requirement": requirement, **fields.pop("details", {})}
        return _check(check_id, dataset="t", severity=Severity.BLOCKER, details=details, **fields)

    verdict = Verdict(
        use_case="rag", kind="rag", verdict=VerdictLevel.BLOCKED, score=10, datasets=("t",),
        checks=(
            requirement("stable_ids.t", "keys_unique", "stable_ids", column="id"),
            requirement("completeness.t.body", "columns_complete", "completeness", column="body"),
            requirement("duplicates.t.body", "text_metric", "duplicates", column="body"),
            requirement("quality.t.quality.validity.accepted_values.status", "dataset_quality", "quality",
                        details={"source_check": "quality.validity.accepted_values.status"}),
        ),
    )
    links = readable.use_case_links(RunResult(run_id="r", started_at=NOW, datasets=(audit,), use_cases=(verdict,)))
    linked = {check_id: [(link.use_case, link.requirement, link.severity, link.state) for link in found] for (_, check_id), found in links.items()}
    assert linked == {
        "quality.uniqueness.primary_key": [("rag", "stable_ids.t", "blocker", "failed")],
        "quality.completeness.body": [("rag", "completeness.t.body", "blocker", "failed")],
        "content.duplicates.body": [("rag", "duplicates.t.body", "blocker", "failed")],
        "quality.validity.accepted_values.status": [("rag", "quality.t.quality.validity.accepted_values.status", "blocker", "failed")],
    }  # not completeness.title (another column), not near_duplicates (another metric)


def test_score_bars_in_reading_order_coloured_by_the_verdict_cut_points() -> None:
    bars = charts.score_bars({"quality": 78, "lineage": 0, "discoverability": 82, "privacy": None})
    assert bars is not None
    assert [(r.label, r.value, r.css) for r in bars.rows] == [
        ("Quality", 78, "fair"), ("Discoverability", 82, "good"), ("Lineage", 0, "poor")
    ]
    assert bars.rows[0].width == bars.scale_width * 0.78
    assert charts.score_bars({}) is None


def test_requirement_bars_count_each_state_per_dimension() -> None:
    stacked = charts.requirement_bars(
        [_check("a"), _check("b", passed=True), _check("c", passed=True), _check("d", measured=False),
         _check("e", passed=True, dimension=Dimension.PRIVACY)]
    )
    assert stacked is not None
    quality, privacy = stacked.rows
    assert quality.label == "Quality" and quality.total == 4
    assert [(s.state, s.count) for s in quality.segments] == [("failed", 1), ("not_measured", 1), ("passed", 2)]
    assert [(s.state, s.count) for s in privacy.segments] == [("passed", 1)]


def _history(*moments: datetime) -> list[dict]:
    return [{"run_id": f"r{i}", "decided_at": m, "score": 40 + i, "verdict": "blocked"} for i, m in enumerate(moments)]


def test_trend_axis_tells_audits_of_one_day_apart() -> None:
    same_day = trend_chart(_history(NOW, NOW + timedelta(minutes=5), NOW + timedelta(minutes=6)))
    assert [label for _, label, _ in same_day.x_labels] == ["00:19", "00:24", "00:25"]
    assert same_day.day == "2026-11-30"
    days = trend_chart(_history(NOW, NOW + timedelta(days=1)))
    assert [label for _, label, _ in days.x_labels] == ["2026-11-30", "2026-12-01"]
    assert days.day is None
    mixed = trend_chart(_history(NOW, NOW + timedelta(hours=1), NOW + timedelta(days=2)))
    assert [label for _, label, _ in mixed.x_labels] == ["11-30 00:19", "11-30 01:19", "12-02 00:19"]
    assert {verdict for verdict, _, _ in same_day.ranges} == {"blocked", "at_risk", "ready"}
