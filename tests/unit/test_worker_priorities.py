"""Interactive work ahead of batch work: a summary (someone waits for it on screen) before an 835
posting before an 837P submission batch before a whole-tenant billing run, in the worker
(Dramatiq's actor priority, lower first) and on RabbitMQ (the message's broker priority, higher
first)."""

from __future__ import annotations

from types import SimpleNamespace

from dramatiq.brokers.stub import StubBroker

from interfaces.workers.actors import (
    ACTORS,
    GENERATE_REPORT,
    GENERATE_SUMMARY,
    PATIENT_STATEMENTS,
    POST_REMITTANCE,
    RUN_BILLING,
    SUBMIT_CLAIM_BATCH,
    SUBMIT_CLAIMS,
    declare_actors,
    message_for,
    message_from_payload,
    payload_of,
)
from interfaces.workers.broker import MAX_PRIORITY

INTERACTIVE_FIRST = [
    GENERATE_SUMMARY.name, POST_REMITTANCE.name, SUBMIT_CLAIM_BATCH.name,
    PATIENT_STATEMENTS.name, GENERATE_REPORT.name, SUBMIT_CLAIMS.name, RUN_BILLING.name,
]


def test_a_worker_runs_summaries_then_remittances_then_submissions():
    declared = declare_actors(StubBroker(), SimpleNamespace(read_engine=None, settings=None))
    order = sorted(declared.values(), key=lambda actor: actor.priority)
    assert [actor.actor_name for actor in order] == INTERACTIVE_FIRST


def test_messages_carry_the_same_order_as_broker_priorities_and_keep_it_when_sent_again():
    messages = [
        message_for(spec, tenant_id="t", correlation_id=None, job_ids=[]) for spec in ACTORS
    ]
    by_priority = sorted(messages, key=lambda m: -m.options["broker_priority"])
    assert [m.actor_name for m in by_priority] == INTERACTIVE_FIRST
    assert all(0 <= m.options["broker_priority"] <= MAX_PRIORITY for m in messages)
    again = [message_from_payload(payload_of(m)) for m in messages]
    assert [m.options for m in again] == [m.options for m in messages]
