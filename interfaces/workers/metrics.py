"""Worker metrics in prometheus_client's default registry (the API's /metrics serves it when the
workers run in that process, as under `aries dev`; `aries worker --metrics-port` serves it for
a worker process). Labels are actor, queue, reaction and state names only: never ids or PHI.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

tasks_processed = Counter(
    "aries_worker_tasks_processed_total", "Job attempts that succeeded.", ("actor",)
)
tasks_failed = Counter(
    "aries_worker_tasks_failed_total", "Job attempts that raised (retried or not).", ("actor",)
)
tasks_retried = Counter(
    "aries_worker_tasks_retried_total", "Failed attempts scheduled to run again.", ("actor",)
)
tasks_dead = Counter(
    "aries_worker_tasks_dead_total", "Messages moved to the dead-letter queue.", ("actor",)
)
task_duration_seconds = Histogram(
    "aries_worker_task_duration_seconds",
    "Time one job attempt took, whatever its outcome.",
    ("actor",),
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
)
summary_generation_duration_seconds = Histogram(
    "summary_generation_duration_seconds",
    "Time to generate one clinical-note summary (provider call included).",
    ("provider",),
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
)
queue_depth = Gauge(
    "aries_worker_queue_depth",
    "Messages in a Dramatiq queue: ready, delayed (waiting for a retry) or dead.",
    ("queue", "state"),
)
reaction_position = Gauge(
    "aries_reaction_position",
    "Last upstream notification id a reaction has turned into messages.",
    ("reaction", "upstream"),
)
reaction_lag_events = Gauge(
    "aries_reaction_lag_events",
    "Upstream head minus the reaction's position, as of its last step.",
    ("reaction", "upstream"),
)
claims_submitted = Counter(
    "aries_claims_submitted_total",
    "Claims sent to the clearinghouse in an 837P (accepted, rejected or awaiting its answer).",
)
claims_paid = Counter(
    "aries_claims_paid_total",
    "Claims an 835 posted a payment to (CLP04 above zero), counted when first posted.",
)
