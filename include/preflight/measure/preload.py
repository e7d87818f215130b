"""Build the text checks' models once, before a process forks its audit workers.

Presidio's recognizers (with spaCy) and the language model cost about 2 s of CPU to
load. Loaded in the parent, every forked worker (the CLI's audit workers, a warm Celery
worker's pool) shares them copy-on-write instead of paying that again.
"""

from __future__ import annotations

from preflight.measure.checks import privacy, text_fitness

__all__ = ["preload_text_checks"]


def preload_text_checks() -> None:
    """Load what the privacy and text-fitness probes load on first use."""
    privacy.load_recognizers()
    text_fitness.language_model()
