"""The projection framework against real PostgreSQL: exactly once, batches, the advisory lock,
LISTEN/NOTIFY, reconnection, failures, rebuild and swap, status, grants, and a projector killed
mid-batch. Each test gets its own freshly migrated database."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from eventsourcing.domain import event
from eventsourcing.persistence import MapperDeserialisationError, Notification
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY
from sqlalchemy import create_engine, select, text
from structlog.testing import capture_logs

from domain.base import AriesAggregate, pin_topics
from domain.context import bound_context
from migrations import sqlalchemy_url
from projections import Projection, handles
from projections.batches import ProjectionFailed, ReadAhead, select_notifications
from projections.folding import copy_rows
from projections.metadata import EventMetadata, MetadataDecoder
from projections.runner import catch_up, rebuild, run_projectors, status, wait_for_position
from projections.tables import event_index, metadata, projection_tracking
from tests.conftest import eventually
from tests.integration.projection_support import (
    AppliedLog,
    FrameworkAries,
    Widget,
    applied_log,
    applied_rows,
    build_aries,
    save_widgets,
    test_metadata,
)
from tests.servers import fresh_database

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db_url(server_database_url) -> Iterator[str]:
    with fresh_database(server_database_url) as url:
        yield url


@pytest.fixture
def aries(db_url) -> Iterator[FrameworkAries]:
    aries = build_aries(db_url)
    # The test projection's table (the real read tables come from the migrations).
    test_metadata.create_all(aries.read_engine)
    yield aries
    aries.close()


def index_rows(aries: FrameworkAries) -> list[tuple]:
    with aries.read_engine.connect() as conn:
        return sorted(tuple(row) for row in conn.execute(select(event_index)))


def tracking(aries: FrameworkAries, projection: str) -> dict[str, int]:
    with aries.read_engine.connect() as conn:
        rows = conn.execute(
            select(projection_tracking.c.upstream, projection_tracking.c.position).where(
                projection_tracking.c.projection == projection
            )
        ).all()
    return dict(rows)


def head(aries: FrameworkAries, upstream: str) -> int:
    return aries.applications[upstream].recorder.max_notification_id() or 0


@contextmanager
def projector(aries: FrameworkAries, names: list[Any], **options: Any) -> Iterator[dict]:
    """run_projectors in a thread, as `aries dev` runs it; stopped on exit."""
    stop = threading.Event()
    outcome: dict[str, Any] = {}

    def run() -> None:
        outcome["failures"] = run_projectors(aries, names, stop, **options)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield outcome
    finally:
        stop.set()
        thread.join(timeout=20)
        assert not thread.is_alive(), "run_projectors did not stop"


def backend_pids(aries: FrameworkAries, application_name: str) -> list[int]:
    """This test database's connections of that name (the server is shared with other runs)."""
    with aries.read_engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE application_name = :name AND datname = current_database()"
                ),
                {"name": application_name},
            ).scalars()
        )


def metric(name: str, projection: str, upstream: str) -> float:
    labels = {"projection": projection, "upstream": upstream}
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- Tables and migration ---------------------------------------------------------------------


def test_every_read_table_and_column_has_a_comment():
    for table in metadata.tables.values():
        assert table.schema == "read"
        assert table.comment, table.name
        assert all(column.comment for column in table.columns), table.name


def test_the_migrations_create_the_read_tables_exactly_as_defined(db_url):
    engine = create_engine(sqlalchemy_url(db_url))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_schemas": True,
                    "include_name": lambda name, kind, parent: kind != "schema" or name == "read",
                },
            )
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_analysts_read_the_read_models_but_not_the_event_store(aries, db_url):
    save_widgets(aries.applications["patients"], 2, 1)
    catch_up(aries, "event_index")
    with psycopg.connect(db_url) as conn:
        conn.execute("SET ROLE aries_analyst")
        assert conn.execute("SELECT count(*) FROM read.event_index").fetchone() == (4,)
        conn.execute("SELECT count(*) FROM read.projection_tracking")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM public.patients_events")


# --- Catch-up ---------------------------------------------------------------------------------


def test_catch_up_applies_each_event_exactly_once(aries):
    events = save_widgets(aries.applications["patients"], 5, 3)
    save_widgets(aries.applications["orders"], 2, 0)

    assert catch_up(aries, "event_index") == events + 2
    first = index_rows(aries)
    assert catch_up(aries, "event_index") == 0

    assert index_rows(aries) == first
    assert len(first) == events + 2
    assert tracking(aries, "event_index") == {"patients": events, "orders": 2}


def test_event_index_rows_carry_the_event_metadata(aries):
    with bound_context(
        tenant_id="t-1",
        actor_id="u-7",
        actor_role="intake",
        correlation_id="req-1",
        causation_id="cmd-1",
    ):
        widget = Widget(label="a")
        widget.tweak(label="b")
        aries.applications["patients"].save(widget)
    catch_up(aries, "event_index")

    rows = index_rows(aries)
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in rows] == [
        ("patients", 1, widget.id, 1, "Made"),
        ("patients", 2, widget.id, 2, "Tweaked"),
    ]
    assert {r[7:] for r in rows} == {("t-1", "u-7", "intake", "req-1", "cmd-1")}
    assert rows[1][4] == "test.projections.Widget.Tweaked"
    assert rows[1][6] > rows[0][6]  # recorded_at: the events' timestamps


class Gadget(AriesAggregate):
    """Test-only aggregate whose creation event was upcast: version 1 named the actor
    `made_by`, outside the context fields."""

    class Made(AriesAggregate.Created):
        class_version = 2
        label: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> dict[str, Any]:
            state["actor_id"] = state.pop("made_by")
            return state

    @event(Made)
    def __init__(self, label: str) -> None:
        self.label = label


pin_topics(Gadget, "test.projections.Gadget")


def _restated(notification: Notification, state: dict[str, Any], **dumps: Any) -> Notification:
    return Notification(
        id=notification.id,
        originator_id=notification.originator_id,
        originator_version=notification.originator_version,
        topic=notification.topic,
        state=json.dumps(state, **dumps).encode(),
    )


def test_event_index_reads_the_metadata_exactly_as_the_decoded_event_has_it(aries):
    patients = aries.applications["patients"]
    with bound_context(tenant_id="t-1", actor_id="u-7", actor_role="intake", causation_id="c"):
        save_widgets(patients, 3, 2)
    with bound_context(tenant_id="t-2", actor_id='u "8"\\', correlation_id="ré\n"):
        save_widgets(patients, 1, 1)  # values that JSON escapes
    mapper = patients.mapper
    [first, *stored] = patients.recorder.select_notifications(1, 100)
    state = json.loads(first.state)  # plain JSON: transcoded values stay as stored
    payload_first = {"label": state.pop("label"), **state}
    no_role = _restated(first, {k: v for k, v in state.items() if k != "actor_role"})
    variants = [
        first,
        *stored,
        _restated(first, payload_first, indent=2),  # not compact, metadata after the payload
        _restated(first, {**state, "tenant_id": {"_type_": "uuid_hex", "_data_": "ab" * 16}}),
        no_role,
    ]
    # Version 1 of a Gadget's creation, as it was once stored: the upcaster moves the actor.
    with bound_context(tenant_id="t-1", actor_id="u-9"):
        gadget = mapper.to_stored_event(Gadget(label="g").collect_events()[0])
    old = json.loads(gadget.state)
    del old["class_version"]
    old["made_by"] = old.pop("actor_id")
    v1 = Notification(id=1, **{**vars(gadget), "state": json.dumps(old).encode()})
    v2 = Notification(id=2, **vars(gadget))  # the current version, as stored
    variants.extend([v1, v2])

    decode = MetadataDecoder(mapper)
    for notification in variants:
        assert decode(notification) == EventMetadata.of(mapper.to_domain_event(notification))
    assert decode(v1).actor_id == decode(v2).actor_id == "u-9"
    assert decode(no_role).actor_role is None
    assert decode(stored[0]).tenant_id == "t-1"
    assert decode(stored[0]).topic == "test.projections.Widget.Tweaked"
    last = decode(stored[-1])
    assert (last.tenant_id, last.actor_id, last.correlation_id) == ("t-2", 'u "8"\\', "ré\n")
    with pytest.raises(MapperDeserialisationError):
        decode(Notification(**{**vars(first), "state": b"{not json"}))


def test_an_event_index_batch_that_cannot_be_read_writes_nothing(aries, db_url):
    patients = aries.applications["patients"]
    save_widgets(patients, 2, 1)  # 6 events, then a seventh whose state is not JSON
    with psycopg.connect(db_url) as conn:
        conn.execute(
            "INSERT INTO patients_events (originator_id, originator_version, topic, state) "
            "VALUES (gen_random_uuid(), 1, %s, %s)",
            ("test.projections.Widget.Made", b"{not json"),
        )
    save_widgets(patients, 1, 0)

    with pytest.raises(ProjectionFailed) as failed:
        catch_up(aries, "event_index", batch_size=100)

    assert failed.value.position == 0 and "MapperDeserialisationError" in failed.value.reason
    assert index_rows(aries) == []
    assert tracking(aries, "event_index").get("patients", 0) == 0


def test_copy_rows_appends_in_the_connections_transaction(aries):
    widget = uuid4()
    columns = ("upstream", "position", "originator_id", "originator_version", "label")
    with aries.read_engine.connect() as conn:
        # Binary COPY takes nothing but the declared types; the transaction then writes nothing.
        with pytest.raises((TypeError, AttributeError, psycopg.DataError)), conn.begin():
            copy_rows(conn, applied_log, columns, [("orders", 1, widget, 2, "gone")])
            copy_rows(conn, applied_log, columns, [("orders", 2, str(widget), 2, "")])
        with conn.begin():
            copy_rows(conn, applied_log, columns, [("orders", 3, widget, 2, "bin")])
            copy_rows(conn, applied_log, columns, [("patients", 1, widget, 2, "")])
    assert applied_rows(aries.read_engine) == [
        ("orders", 3, widget, 2, "bin"),
        ("patients", 1, widget, 2, ""),
    ]


def test_notifications_are_read_as_the_recorder_reads_them_even_ahead(aries):
    patients = aries.applications["patients"]
    save_widgets(patients, 10, 1)

    assert select_notifications(patients, 3, 8) == patients.recorder.select_notifications(3, 8)
    read = ReadAhead()
    try:
        assert [n.id for n in read(patients, 1, 5)] == [1, 2, 3, 4, 5]  # reads 6..10 ahead
        assert [n.id for n in read(patients, 4, 5)] == [4, 5, 6, 7, 8]  # not where it read
        assert [n.id for n in read(patients, 9, 5)] == [9, 10, 11, 12, 13]  # read ahead
        save_widgets(patients, 1, 0)  # event 21, written once 14..18 were read ahead
        assert [n.id for n in read(patients, 14, 5)] == [14, 15, 16, 17, 18]
        assert [n.id for n in read(patients, 19, 5)] == [19, 20, 21]
        read.expect(patients, 2, 3)  # asked for ahead of time
        assert [n.id for n in read(patients, 2, 3)] == [2, 3, 4]
    finally:
        read.close()


def test_catch_up_applies_events_in_batches_of_the_given_size(aries):
    events = save_widgets(aries.applications["patients"], 10, 2)
    batches_before = metric(
        "aries_projection_batch_duration_seconds_count", "test_applied_log", "patients"
    )
    events_before = metric("aries_projection_events_total", "test_applied_log", "patients")

    assert catch_up(aries, AppliedLog(), batch_size=7) == events

    batches = metric(
        "aries_projection_batch_duration_seconds_count", "test_applied_log", "patients"
    )
    assert batches - batches_before == math.ceil(events / 7)
    assert metric("aries_projection_events_total", "test_applied_log", "patients") == (
        events_before + events
    )
    assert metric("aries_projection_position", "test_applied_log", "patients") == events
    assert metric("aries_projection_lag_events", "test_applied_log", "patients") == 0
    assert len(applied_rows(aries.read_engine)) == events


def test_a_reader_can_wait_for_the_position_a_command_returned(aries):
    result = aries.applications["patients"].commit(Widget(label="new"))
    assert not wait_for_position(aries, "event_index", "patients", result.position, timeout=0.05)

    catch_up(aries, "event_index")

    assert wait_for_position(aries, "event_index", "patients", result.position, timeout=0.05)


# --- The long-running projector ---------------------------------------------------------------


def test_two_projectors_on_one_projection_never_apply_an_event_twice(aries):
    patients = aries.applications["patients"]

    with (
        projector(aries, [AppliedLog()], poll_interval=0.1) as first,
        projector(aries, [AppliedLog()], poll_interval=0.1) as second,
    ):
        for _ in range(30):
            save_widgets(patients, 5, 2)
            time.sleep(0.01)
        eventually(lambda: len(applied_rows(aries.read_engine)) == head(aries, "patients"))
        with aries.read_engine.connect() as conn:
            holders = conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND objid = hashtext('aries.projection.test_applied_log')::oid"
                )
            ).scalar()
        assert holders == 1

    positions = Counter((row[0], row[1]) for row in applied_rows(aries.read_engine))
    assert set(positions.values()) == {1}
    assert len(positions) == head(aries, "patients") == 30 * 5 * 3
    assert first["failures"] == second["failures"] == {}


def test_the_projector_wakes_on_notify_without_waiting_for_the_poll(aries):
    with projector(aries, ["event_index"], poll_interval=30):
        eventually(lambda: tracking(aries, "event_index") == {"patients": 0, "orders": 0})
        time.sleep(0.2)  # let it settle into its wait
        started = time.monotonic()
        save_widgets(aries.applications["orders"], 1, 0)
        eventually(lambda: len(index_rows(aries)) == 1, timeout=5)
        assert time.monotonic() - started < 2


def test_the_projector_reconnects_after_losing_its_connection(aries):
    patients = aries.applications["patients"]
    with capture_logs() as logs, projector(aries, ["event_index"], poll_interval=0.1) as outcome:
        save_widgets(patients, 3, 0)
        eventually(lambda: len(index_rows(aries)) == 3)
        [pid] = backend_pids(aries, "aries-projector:event_index")
        with aries.read_engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

        save_widgets(patients, 4, 0)
        eventually(lambda: len(index_rows(aries)) == 7)
        assert backend_pids(aries, "aries-projector:event_index") not in ([], [pid])
    assert outcome["failures"] == {}
    assert any("reconnecting" in entry["event"] for entry in logs)


class Broken(Projection):
    name = "test_broken"
    upstreams = ("patients",)

    @handles(Widget.Tweaked)
    def tweaked(self, rows, event):
        raise ValueError(f"bad label {event.label}")  # a value that must not reach the log


def test_a_failing_handler_stops_only_its_projection_with_a_logged_reason(aries):
    patients = aries.applications["patients"]
    events = save_widgets(patients, 3, 1)

    with (
        capture_logs() as logs,
        projector(aries, [Broken(), AppliedLog()], poll_interval=0.1) as outcome,
    ):
        eventually(lambda: len(applied_rows(aries.read_engine)) == events)
        save_widgets(patients, 1, 0)  # the healthy projection goes on
        eventually(lambda: len(applied_rows(aries.read_engine)) == events + 1)

    failure = outcome["failures"]["test_broken"]
    assert set(outcome["failures"]) == {"test_broken"}
    assert failure.upstream == "patients" and failure.position == 0
    assert isinstance(failure.__cause__, ValueError)
    assert "ValueError" in failure.reason and "w0" not in failure.reason
    assert tracking(aries, "test_broken").get("patients", 0) == 0  # the batch wrote nothing
    [logged] = [e for e in logs if e["event"] == "projection stopped"]
    assert logged["projection"] == "test_broken" and logged["reason"] == failure.reason


# --- Status -----------------------------------------------------------------------------------


def test_status_shows_position_head_and_lag_per_upstream(aries):
    save_widgets(aries.applications["patients"], 4, 2)
    save_widgets(aries.applications["orders"], 3, 0)
    # This composition root has only the patients and orders logs: the domain projections
    # following claims would be a LookupError here, so ask for event_index by name.
    before = {(s.projection, s.upstream): s[2:] for s in status(aries, ["event_index"])}

    catch_up(aries, "event_index")
    after = {(s.projection, s.upstream): s[2:] for s in status(aries, ["event_index"])}

    assert before == {
        ("event_index", "patients"): (0, 12, 12),
        ("event_index", "orders"): (0, 3, 3),
    }
    assert after == {
        ("event_index", "patients"): (12, 12, 0),
        ("event_index", "orders"): (3, 3, 0),
    }


# --- Rebuild ----------------------------------------------------------------------------------


def test_rebuild_gives_the_live_rows_and_keeps_tracking_grants_and_comments(aries, db_url):
    save_widgets(aries.applications["patients"], 20, 4)
    save_widgets(aries.applications["orders"], 7, 1)
    catch_up(aries, "event_index")
    live = index_rows(aries)
    progress: list[tuple[int, int]] = []

    report = rebuild(
        aries, "event_index", lambda done, total: progress.append((done, total)), batch_size=16
    )

    assert index_rows(aries) == live
    assert report.events == len(live) == 114
    assert tracking(aries, "event_index") == {"patients": 100, "orders": 14}
    assert progress[-1] == (114, 114)
    with psycopg.connect(db_url) as conn:
        assert (
            conn.execute("SELECT obj_description('read.event_index'::regclass)")
            .fetchone()[0]
            .startswith("One row per stored event")
        )
        assert conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'read_rebuild%'"
        ).fetchone() == (0,)
        conn.execute("SET ROLE aries_analyst")
        assert conn.execute("SELECT count(*) FROM read.event_index").fetchone() == (114,)


def test_rebuild_applies_batches_of_the_projections_rebuild_batch_size(aries):
    class Rebuilt(AppliedLog):
        rebuild_batch_size = 7

    save_widgets(aries.applications["patients"], 10, 2)
    progress: list[tuple[int, int]] = []

    report = rebuild(aries, Rebuilt(), lambda done, total: progress.append((done, total)))

    assert report.events == 30 == len(applied_rows(aries.read_engine))
    assert sorted({done for done, _ in progress}) == [0, 7, 14, 21, 28, 30]
    assert list(report.steps) == ["tables", "rows", "indexes", "catch_up", "swap"]
    assert all(seconds >= 0 for seconds in report.steps.values())
    assert sum(report.steps.values()) <= report.seconds


def test_rebuild_while_the_live_projector_runs_loses_and_repeats_nothing(aries):
    patients = aries.applications["patients"]
    save_widgets(patients, 100, 4)
    writing = threading.Event()
    writing.set()

    def write() -> None:
        while writing.is_set():
            save_widgets(patients, 5, 1)
            time.sleep(0.005)

    writer = threading.Thread(target=write, daemon=True)
    with capture_logs() as logs, projector(aries, [AppliedLog()], poll_interval=0.1) as outcome:
        eventually(lambda: len(applied_rows(aries.read_engine)) >= 500)
        writer.start()
        report = rebuild(aries, AppliedLog(), batch_size=50)
        time.sleep(0.3)  # the live projector goes on in the swapped-in tables
        writing.clear()
        writer.join()
        eventually(lambda: len(applied_rows(aries.read_engine)) == head(aries, "patients"))

    positions = Counter((row[0], row[1]) for row in applied_rows(aries.read_engine))
    assert set(positions.values()) == {1}
    assert sorted(p for _, p in positions) == list(range(1, head(aries, "patients") + 1))
    assert report.events >= 500
    assert outcome["failures"] == {}
    assert any(entry["event"] == "projector paused for a rebuild's swap" for entry in logs)


operations = st.lists(
    st.tuples(
        st.sampled_from(["patients", "orders"]),
        st.integers(1, 4),  # widgets
        st.integers(0, 3),  # tweaks each
        st.integers(1, 3),  # widgets per save()
        st.sampled_from(["t-1", "t-2"]),  # tenant
        st.booleans(),  # project right after
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, batch_size=st.integers(1, 9))
def test_rebuilding_from_zero_gives_exactly_the_rows_the_live_projector_produced(
    aries, ops, batch_size
):
    # The database is shared by the examples: each one adds events, so live and rebuilt rows
    # are compared over all events so far.
    for upstream, widgets, tweaks, per_save, tenant, project_now in ops:
        with bound_context(tenant_id=tenant, actor_id="u-1", correlation_id=f"c-{widgets}"):
            save_widgets(aries.applications[upstream], widgets, tweaks, per_save)
        if project_now:
            catch_up(aries, "event_index", batch_size=batch_size)
            catch_up(aries, AppliedLog(), batch_size=batch_size)
    catch_up(aries, "event_index", batch_size=batch_size)
    catch_up(aries, AppliedLog(), batch_size=batch_size)
    live = (index_rows(aries), applied_rows(aries.read_engine))

    rebuild(aries, "event_index", batch_size=batch_size)
    rebuild(aries, AppliedLog(), batch_size=batch_size)

    assert (index_rows(aries), applied_rows(aries.read_engine)) == live


# --- A projector killed mid-batch ------------------------------------------------------------


def _start_projector_process(db_url: str, *, delay: float) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.projection_support",
            db_url,
            "--batch-size",
            "100",
            "--delay",
            str(delay),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_a_projector_killed_mid_batch_resumes_without_losing_or_repeating_events(aries, db_url):
    events = save_widgets(aries.applications["patients"], 300, 9, per_save=100)
    process = _start_projector_process(db_url, delay=0.001)
    try:
        # Wait until it is well into the log and inside a batch transaction, then kill it.
        def inside_a_batch() -> bool:
            with aries.read_engine.connect() as conn:
                busy = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                        "'aries-catch-up:test_applied_log' AND xact_start IS NOT NULL "
                        "AND datname = current_database()"
                    )
                ).scalar()
            return bool(busy) and tracking(aries, "test_applied_log").get("patients", 0) >= 500

        eventually(inside_a_batch, timeout=30)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    eventually(lambda: backend_pids(aries, "aries-catch-up:test_applied_log") == [])

    killed_at = tracking(aries, "test_applied_log")["patients"]
    assert 500 <= killed_at < events
    assert [row[1] for row in applied_rows(aries.read_engine)] == list(range(1, killed_at + 1))

    restarted = _start_projector_process(db_url, delay=0)
    out, err = restarted.communicate(timeout=60)
    assert restarted.returncode == 0, err.decode()
    assert int(out.decode().strip().splitlines()[-1]) == events - killed_at

    after_restart = applied_rows(aries.read_engine)
    rebuild(aries, AppliedLog())
    assert applied_rows(aries.read_engine) == after_restart
    assert len(after_restart) == len({(r[0], r[1]) for r in after_restart}) == events
