"""
### Preflight audit

Audits every dataset in the Preflight catalog (one mapped task instance per dataset),
evaluates every proposed GenAI use case against the requirements of its kind, and runs
one **gate** per use case. A blocked use case fails its gate (no retries) with its
blockers in the log; a passing gate emits the use case's readiness Asset
(`preflight://readiness/<use case>`), on which launch DAGs are scheduled.

**Schedule and scale come from the configuration** (`PREFLIGHT_CONFIG`, default
`include/config`) and take effect at the next parse of this file:
`settings.schedule` (cron expression or preset, default `@daily`; `null`: only when
triggered), `settings.max_parallel_audits` (tasks of one run in flight at once) and,
per source, `max_concurrent_audits`: each source has its own task group and Airflow
pool `preflight_source_<name>` with that many slots, so no warehouse sees more
concurrent audits than it allows. `preflight pools --apply` creates the pools.
Datasets of a source this file was not parsed with (a run given another `config_dir`)
are audited one at a time in `other_sources`.

**Targeted runs**: trigger with `datasets` (a list of catalog names) or `use_case` to
re-audit only those datasets and re-judge only the use cases that read them; the other
datasets those use cases need carry over their newest audit.

Every task has an `execution_timeout` (an audit task stops after 2 h even if a
database never answers; each query is bounded far sooner by the source's `timeouts`).
Everything else in the configuration is read when the tasks run; a broken configuration
still parses (with the defaults) and fails the `plan` task, naming the file and field.
Reports: `$PREFLIGHT_HOME/reports/latest/`.
"""

from __future__ import annotations

from preflight.airflow.audit_dag import build_audit_dag
from preflight.airflow.dag_settings import read_dag_settings

dag_settings = read_dag_settings()
build_audit_dag("preflight_audit", schedule=dag_settings.schedule, doc_md=__doc__, dag_settings=dag_settings)
