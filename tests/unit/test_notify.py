"""Verdict-change notifications through real Airflow notifiers and the real results store."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk import BaseNotifier

from preflight.config import load_config
from preflight.model.config import Config
from preflight.model.results import RunResult, Verdict, VerdictLevel
from preflight.run.notify import LogNotifier, notify_changes, verdict_changes
from preflight.run.store import ResultsStore, open_store

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


class RecordingNotifier(BaseNotifier):
    """Records what it was sent, after Airflow rendered its template fields."""

    sent: list[dict[str, Any]] = []
    template_fields = ("channel", "text")

    def __init__(self, channel: str, text: str) -> None:
        super().__init__()
        self.channel = channel
        self.text = text

    def notify(self, context: Any) -> None:
        keys = ("use_case", "previous", "current", "score", "run_id", "blockers", "report_path", "message")
        RecordingNotifier.sent.append(
            {"channel": self.channel, "text": self.text, **{k: context[k] for k in keys}}
        )


class BrokenNotifier(BaseNotifier):
    def notify(self, context: Any) -> None:
        raise ConnectionError("the chat service is down")


def _path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@pytest.fixture(autouse=True)
def _clear_recordings() -> None:
    RecordingNotifier.sent.clear()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    directory = tmp_path / "config"
    directory.mkdir()
    (directory / "preflight.yaml").write_text(
        f"""
settings:
  notifiers:
    team_chat:
      class: {_path(RecordingNotifier)}
      params:
        channel: "#genai-{{{{ use_case }}}}"
        text: "{{{{ use_case }}}}: {{{{ previous }}}} -> {{{{ current }}}} ({{{{ score }}}})"
    broken:
      class: {_path(BrokenNotifier)}
sources:
  wh: {{url: "sqlite:///{tmp_path}/wh.db"}}
datasets:
  tickets: {{source: wh, table: tickets}}
use_cases:
  assistant:
    kind: rag
    datasets: [tickets]
    notify: [team_chat]
  search:
    kind: rag
    datasets: [tickets]
""",
        encoding="utf-8",
    )
    return load_config(directory)


@pytest.fixture
def store(tmp_path: Path) -> ResultsStore:
    return open_store(f"sqlite:///{tmp_path}/r.db")


def _save_run(store: ResultsStore, run_id: str, at: datetime, verdicts: dict[str, tuple[VerdictLevel, int]]) -> RunResult:
    store.start_run(run_id, started_at=at, trigger="test", config_dir=None)
    store.save_verdicts(
        run_id,
        [
            Verdict(
                use_case=name,
                kind="rag",
                verdict=level,
                score=score,
                blockers=("PII in tickets.body",) if level is VerdictLevel.BLOCKED else (),
            )
            for name, (level, score) in verdicts.items()
        ],
        finished_at=at,
    )
    return store.load_run(run_id)


def test_ready_to_blocked_is_sent_rendered_to_the_use_cases_notifier(config: Config, store: ResultsStore) -> None:
    _save_run(store, "run-1", T0, {"assistant": (VerdictLevel.READY, 91)})
    run = _save_run(store, "run-2", T0 + timedelta(days=1), {"assistant": (VerdictLevel.BLOCKED, 40)})

    changes = verdict_changes(store, run, report_path="/reports/run-2/report.html")
    sent = notify_changes(config, changes)

    assert sent == [("team_chat", "assistant")]  # `notify: [team_chat]` leaves `broken` out
    assert RecordingNotifier.sent == [
        {
            "channel": "#genai-assistant",
            "text": "assistant: ready -> blocked (40)",
            "use_case": "assistant",
            "previous": "ready",
            "current": "blocked",
            "score": 40,
            "run_id": "run-2",
            "blockers": ["PII in tickets.body"],
            "report_path": "/reports/run-2/report.html",
            "message": (
                "Preflight: use case assistant is now BLOCKED (was ready), score 40 (was 91), "
                "audit run run-2. Blockers: PII in tickets.body. Report: /reports/run-2/report.html "
                "What changed: /preflight/changes?a=run-1&b=run-2 (or `preflight diff run-1 run-2`)."
            ),
        }
    ]


def test_blocked_to_ready_is_sent(config: Config, store: ResultsStore) -> None:
    _save_run(store, "run-1", T0, {"assistant": (VerdictLevel.READY, 91)})
    _save_run(store, "run-2", T0 + timedelta(days=1), {"assistant": (VerdictLevel.BLOCKED, 40)})
    run = _save_run(store, "run-3", T0 + timedelta(days=2), {"assistant": (VerdictLevel.READY, 88)})

    notify_changes(config, verdict_changes(store, run))

    assert [(s["previous"], s["current"], s["score"], s["run_id"], s["blockers"]) for s in RecordingNotifier.sent] == [
        ("blocked", "ready", 88, "run-3", [])
    ]
    assert RecordingNotifier.sent[0]["text"] == "assistant: blocked -> ready (88)"


def test_nothing_is_sent_when_the_verdict_is_unchanged(config: Config, store: ResultsStore) -> None:
    _save_run(store, "run-1", T0, {"assistant": (VerdictLevel.BLOCKED, 40), "search": (VerdictLevel.READY, 90)})
    run = _save_run(
        store, "run-2", T0 + timedelta(days=1), {"assistant": (VerdictLevel.BLOCKED, 35), "search": (VerdictLevel.READY, 97)}
    )

    assert verdict_changes(store, run) == []
    assert notify_changes(config, verdict_changes(store, run)) == []
    assert RecordingNotifier.sent == []


def test_a_first_audit_is_not_a_change(store: ResultsStore) -> None:
    run = _save_run(store, "run-1", T0, {"assistant": (VerdictLevel.BLOCKED, 40)})
    assert verdict_changes(store, run) == []


def test_an_older_run_compares_with_the_run_before_it(store: ResultsStore) -> None:
    first = _save_run(store, "run-1", T0, {"assistant": (VerdictLevel.READY, 91)})
    _save_run(store, "run-2", T0 + timedelta(days=1), {"assistant": (VerdictLevel.BLOCKED, 40)})
    assert verdict_changes(store, first) == []


def test_a_failing_notifier_is_logged_and_the_others_still_run(
    config: Config, store: ResultsStore, caplog: pytest.LogCaptureFixture
) -> None:
    # `search` names no notifiers, so every configured one is called: the broken one too.
    _save_run(store, "run-1", T0, {"search": (VerdictLevel.READY, 90)})
    run = _save_run(store, "run-2", T0 + timedelta(days=1), {"search": (VerdictLevel.AT_RISK, 70)})

    with caplog.at_level(logging.WARNING, logger="preflight.run.notify"):
        sent = notify_changes(config, verdict_changes(store, run))

    assert sent == [("team_chat", "search")]
    assert [(s["channel"], s["current"]) for s in RecordingNotifier.sent] == [("#genai-search", "at_risk")]
    assert "broken" in caplog.text and "the chat service is down" in caplog.text


def test_finish_run_hook_never_fails_the_audit(config: Config, store: ResultsStore, monkeypatch: pytest.MonkeyPatch) -> None:
    from preflight.run import pipeline

    _save_run(store, "run-1", T0, {"assistant": (VerdictLevel.READY, 91)})
    run = _save_run(store, "run-2", T0 + timedelta(days=1), {"assistant": (VerdictLevel.BLOCKED, 40)})
    pipeline._notify_verdict_changes(config, store, run)
    assert [s["current"] for s in RecordingNotifier.sent] == ["blocked"]
    assert RecordingNotifier.sent[0]["report_path"].endswith("run-2/report.html")

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("store went away")

    monkeypatch.setattr("preflight.run.notify.verdict_changes", explode)
    pipeline._notify_verdict_changes(config, store, run)  # logged, not raised


def test_log_notifier_logs_the_rendered_message(config: Config, store: ResultsStore, caplog: pytest.LogCaptureFixture) -> None:
    _save_run(store, "run-1", T0, {"assistant": (VerdictLevel.READY, 91)})
    run = _save_run(store, "run-2", T0 + timedelta(days=1), {"assistant": (VerdictLevel.BLOCKED, 40)})
    (change,) = verdict_changes(store, run)

    with caplog.at_level(logging.INFO, logger="preflight.run.notify"):
        LogNotifier()(change.context())

    record = next(r for r in caplog.records if "is now BLOCKED" in r.getMessage())
    assert record.levelno == logging.WARNING
    assert "Preflight: use case assistant is now BLOCKED (was ready), score 40 (was 91)" in record.getMessage()


def test_a_change_links_to_what_changed() -> None:
    from preflight.run.notify import VerdictChange

    change = VerdictChange(use_case="a", previous="ready", current="blocked", score=40, previous_score=90,
                           run_id="manual__2026-11-30T01:00:00+00:00", previous_run_id="run 1",
                           ui_url="https://airflow.example.com/")
    context = change.context()
    assert context["changes"] == "preflight diff run 1 manual__2026-11-30T01:00:00+00:00"
    assert context["changes_url"] == (
        "https://airflow.example.com/preflight/changes?a=run+1&b=manual__2026-11-30T01%3A00%3A00%2B00%3A00"
    )
    assert context["changes_url"] in context["message"]
