"""Group commit (application/group_commit.py) on the real event store.

To make a group form deterministically, a test holds the events table's EXCLUSIVE lock from
another connection: the first command leads and waits for the lock, the others queue behind
it; when the lock is released the first commits alone and the queued ones commit as one group.
"""

from __future__ import annotations

import select
import threading
from collections.abc import Callable
from datetime import date
from uuid import uuid4

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError
from psycopg.sql import SQL, Identifier

from application import group_commit
from application.eventstore import CommandResult, ConcurrentUpdate
from application.group_commit import GroupCommitRecorder
from domain.order import Order
from domain.order_values import LineBilling, OrderingPractitioner, OrderLine
from domain.patient import Patient
from domain.patient_values import Address, Demographics, Sex
from tests.conftest import eventually

pytestmark = pytest.mark.integration

QUEUED = "the commands queued up behind the leading commit"


def _demographics(last_name: str = "Okafor") -> Demographics:
    return Demographics(
        first_name="Bea",
        last_name=last_name,
        date_of_birth=date(1951, 7, 2),
        sex=Sex.FEMALE,
        address=Address("3 Oak Ave", None, "Dayton", "OH", "45402"),
        phone=None,
    )


def _new_patient() -> Patient:
    return Patient.register(
        account_number="A0000000",
        demographics=_demographics(),
        as_of=date(2026, 1, 1),
    )


def _in_one_group(aries, database_url, commands: list[Callable[[], CommandResult]]) -> list:
    """Run `commands` concurrently so that all but the first commit as one group; answer each
    one's CommandResult or ConcurrentUpdate."""
    recorder = aries.patients.recorder
    outcomes: list[object] = [None] * len(commands)

    def run(index: int) -> None:
        try:
            outcomes[index] = commands[index]()
        except ConcurrentUpdate as conflict:
            outcomes[index] = conflict

    with psycopg.connect(database_url) as blocker:
        blocker.execute("LOCK TABLE patients_events IN EXCLUSIVE MODE")
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(commands))]
        threads[0].start()
        eventually(lambda: recorder.queued == 0 and recorder._gc_leading, what=QUEUED)
        for thread in threads[1:]:
            thread.start()
        eventually(lambda: recorder.queued == len(commands) - 1, what=QUEUED)
        blocker.rollback()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def _new_order(patient_id) -> Order:
    return Order.intake(
        patient_id=patient_id,
        practitioner=OrderingPractitioner(name="Dr Ames", npi="1234567893"),
        diagnoses=("G47.33",),
        order_date=date(2026, 1, 5),
        lines=[OrderLine(uuid4(), "E0601", 1, LineBilling.RENTAL)],
    )


def test_the_applications_record_through_the_group_commit_recorder(aries):
    for app in (aries.patients, aries.orders, aries.identity):
        assert isinstance(app.recorder, GroupCommitRecorder)


def test_concurrent_commands_in_one_group_each_get_their_own_positions(aries, database_url):
    patients = [_new_patient() for _ in range(12)]
    groups_before = aries.patients.recorder.groups_committed

    outcomes = _in_one_group(
        aries, database_url, [lambda p=p: aries.patients.commit(p) for p in patients]
    )

    assert aries.patients.recorder.groups_committed - groups_before == 2
    positions = [outcome.position for outcome in outcomes]
    assert len(set(positions)) == len(patients)
    for patient, outcome in zip(patients, outcomes, strict=True):
        assert outcome.id == patient.id
        (notification,) = aries.patients.recorder.select_notifications(outcome.position, 1)
        assert notification.id == outcome.position
        assert notification.originator_id == patient.id


def test_a_conflicting_command_in_a_group_fails_alone(aries, database_url):
    registered = aries.patients.register_patient(_demographics())
    stale = aries.patients.get_patient(registered.id)
    aries.patients.correct_demographics(registered.id, _demographics("Moved"))
    stale.correct_demographics(_demographics("Stale"), as_of=date(2026, 1, 2))
    innocent = [_new_patient() for _ in range(8)]
    commands = [lambda p=p: aries.patients.commit(p) for p in innocent]
    commands.insert(4, lambda: aries.patients.commit(stale))

    outcomes = _in_one_group(aries, database_url, commands)

    assert isinstance(outcomes[4], ConcurrentUpdate)
    saved = [o for i, o in enumerate(outcomes) if i != 4]
    assert all(isinstance(o, CommandResult) for o in saved)
    assert {o.id for o in saved} == {p.id for p in innocent}
    assert aries.patients.get_patient(registered.id).demographics.last_name == "Moved"


def test_two_commands_writing_one_aggregate_version_in_a_group_give_one_conflict(
    aries, database_url
):
    registered = aries.patients.register_patient(_demographics())
    first = aries.patients.get_patient(registered.id)
    second = aries.patients.get_patient(registered.id)
    first.correct_demographics(_demographics("First"), as_of=date(2026, 1, 2))
    second.correct_demographics(_demographics("Second"), as_of=date(2026, 1, 2))
    commands = [lambda p=p: aries.patients.commit(p) for p in [_new_patient() for _ in range(4)]]
    commands[2:2] = [lambda: aries.patients.commit(first), lambda: aries.patients.commit(second)]

    outcomes = _in_one_group(aries, database_url, commands)

    assert isinstance(outcomes[2], CommandResult)
    assert isinstance(outcomes[3], ConcurrentUpdate)
    assert sum(isinstance(o, ConcurrentUpdate) for o in outcomes) == 1
    assert aries.patients.get_patient(registered.id).demographics.last_name == "First"


def test_a_conflict_answered_before_the_seals_are_sent_is_an_integrity_error(aries, monkeypatch):
    """On the library's path (inserts with a tracking record; a group sends the events and
    their seals in one statement) the server's answer to a conflicting events insert can
    arrive before the seals of the same pipeline are sent; the conflict must still reach the
    caller as IntegrityError, "concurrent update" (it once came back as OperationalError
    'pipeline aborted' after the library's retries)."""
    registered = aries.patients.register_patient(_demographics())
    stale = aries.patients.get_patient(registered.id)
    aries.patients.correct_demographics(registered.id, _demographics("Moved"))
    stale.correct_demographics(_demographics("Stale"), as_of=date(2026, 1, 2))
    recorder = aries.patients.recorder
    write_seals = recorder._write_seals
    sent = []

    def after_the_insert_is_answered(curs, stored_events):
        pgconn = curs.connection.pgconn
        pgconn.send_flush_request()  # the server answers a pipeline only when asked to
        pgconn.flush()

        def answered() -> bool:  # readable: psycopg reads the answer when it sends the seals
            return bool(select.select([pgconn.socket], [], [], 0)[0])

        eventually(answered, what="the events insert answered")
        sent.append(stored_events)
        write_seals(curs, stored_events)

    monkeypatch.setattr(recorder, "_write_seals", after_the_insert_is_answered)
    stored = [aries.patients.mapper.to_stored_event(e) for e in stale.collect_events()]

    with pytest.raises(IntegrityError):
        recorder._insert_one(stored)
    assert sent  # the library's path, through the seals
    assert aries.patients.get_patient(registered.id).demographics.last_name == "Moved"
    assert aries.patients.commit(_new_patient()).position > 0


def test_a_connection_the_server_dropped_costs_a_retry_not_a_failure(aries, database_url):
    """The pool hands connections out without a ping (a round trip per command): one the
    server dropped (a restart, an idle timeout) fails its statement, and the group is
    committed on another."""
    recorder = aries.patients.recorder
    first = aries.patients.commit(_new_patient())
    idle = [conn.info.backend_pid for conn in recorder.datastore.pool._pool]
    assert idle
    with psycopg.connect(database_url, autocommit=True) as admin:
        for pid in idle:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    after = aries.patients.commit(_new_patient())

    assert after.position > first.position
    (notification,) = recorder.select_notifications(after.position, 1)
    assert notification.originator_id == after.id


def test_commands_of_several_families_share_one_group_and_a_conflict_fails_alone(
    aries, database_url
):
    """The families of a process share one queue: patients and orders commands queued behind
    one leader commit in one transaction (both tables locked, in name order); a stale command
    among them fails alone, whatever its family, and the others are each recorded once."""
    registered = aries.patients.register_patient(_demographics())
    stale = aries.patients.get_patient(registered.id)
    aries.patients.correct_demographics(registered.id, _demographics("Moved"))
    stale.correct_demographics(_demographics("Stale"), as_of=date(2026, 1, 2))
    patients = [_new_patient() for _ in range(4)]
    orders = [_new_order(p.id) for p in patients]
    commands: list[Callable[[], CommandResult]] = [lambda p=patients[0]: aries.patients.commit(p)]
    for patient, order in zip(patients[1:], orders[1:], strict=True):
        commands.append(lambda o=order: aries.orders.commit(o))
        commands.append(lambda p=patient: aries.patients.commit(p))
    commands.insert(3, lambda: aries.patients.commit(stale))
    commands.append(lambda o=orders[0]: aries.orders.commit(o))
    assert aries.orders.recorder.queued == aries.patients.recorder.queued  # one queue
    orders_groups = aries.orders.recorder.groups_committed

    outcomes = _in_one_group(aries, database_url, commands)

    assert isinstance(outcomes[3], ConcurrentUpdate)
    saved = [o for i, o in enumerate(outcomes) if i != 3]
    assert all(isinstance(o, CommandResult) for o in saved)
    assert {o.id for o in saved} == {p.id for p in patients} | {o.id for o in orders}
    assert aries.patients.get_patient(registered.id).demographics.last_name == "Moved"
    # The conflict sent the group's callers alone: each order was recorded once, in its log.
    for order, outcome in zip(orders, [outcomes[-1], *saved[1:7:2]], strict=True):
        (notification,) = aries.orders.recorder.select_notifications(outcome.position, 1)
        assert notification.originator_id == order.id == outcome.id
    assert aries.orders.recorder.groups_committed - orders_groups == len(orders)


def test_a_group_of_several_families_is_one_transaction(aries, database_url):
    patients = [_new_patient() for _ in range(3)]
    orders = [_new_order(p.id) for p in patients]
    commands: list[Callable[[], CommandResult]] = [
        lambda p=patients[0]: aries.patients.commit(p),
        *(lambda o=o: aries.orders.commit(o) for o in orders),
        *(lambda p=p: aries.patients.commit(p) for p in patients[1:]),
    ]
    groups = (aries.patients.recorder.groups_committed, aries.orders.recorder.groups_committed)

    outcomes = _in_one_group(aries, database_url, commands)

    assert all(isinstance(o, CommandResult) for o in outcomes)
    # patients: the leader alone, then the group; orders: the group only.
    assert aries.patients.recorder.groups_committed - groups[0] == 2
    assert aries.orders.recorder.groups_committed - groups[1] == 1
    with psycopg.connect(database_url) as conn:
        xmins = {
            row[0]
            for table, ids in (
                ("patients_events", [o.id for o in outcomes[4:]]),
                ("orders_events", [o.id for o in outcomes[1:4]]),
            )
            for row in conn.execute(
                f"SELECT xmin::text FROM {table} WHERE originator_id = ANY(%s)",  # noqa: S608
                (ids,),
            )
        }
    assert len(xmins) == 1  # one transaction wrote them all


def test_a_group_locks_its_tables_in_name_order_whatever_came_first(aries):
    """Two processes' groups take the tables they share in one order: no deadlock."""
    first_come = _parts_of_recorders([aries.patients.recorder, aries.orders.recorder])
    assert [r.events_table_name for r in first_come] == ["orders_events", "patients_events"]
    lock = group_commit._group_statements(tuple(first_come))[1].decode()
    assert lock.index('"orders_events"') < lock.index('"patients_events"')


def _parts_of_recorders(recorders: list) -> list:
    callers = [group_commit._Caller(recorder=r, events=[]) for r in recorders]
    return [recorder for recorder, _, _ in group_commit._parts_of(callers)]


def test_a_group_larger_than_the_socket_buffers_commits_after_waiting_for_the_table_lock(
    aries, database_url
):
    # While the group's transaction waits for the table lock, the server reads nothing more,
    # so a group bigger than the socket's buffers cannot be written out in one go. psycopg's
    # pipeline then stops writing at its sync and waits for results the server cannot send
    # before it has the rest: the save hung (seen in the bench, on a Unix socket). Such a
    # group is sent statement by statement instead.
    patients = [_new_patient() for _ in range(12_000)]  # some 20 MB of events
    saved = threading.Event()

    def save() -> None:
        aries.patients.save(*patients)
        saved.set()

    with psycopg.connect(database_url) as blocker:
        blocker.execute("LOCK TABLE patients_events IN EXCLUSIVE MODE")
        thread = threading.Thread(target=save, daemon=True)
        thread.start()
        eventually(
            lambda: blocker.execute(
                "SELECT count(*) FROM pg_locks WHERE NOT granted"
                " AND relation = 'patients_events'::regclass"
            ).fetchone()[0],
            what="the group's transaction waiting for the table lock",
        )
        blocker.rollback()
    thread.join(timeout=120)
    assert saved.is_set(), "the save of a large group did not finish"
    assert aries.patients.get_patient(patients[-1].id).version == patients[-1].version


def test_a_group_notifies_each_family_channel_once_its_rows_are_visible(aries, database_url):
    """The channels are notified after the group's COMMIT, in a transaction of their own
    (decision 027): a listener woken by the notification finds every row of the group."""
    patients = [_new_patient() for _ in range(3)]
    orders = [_new_order(p.id) for p in patients]
    commands: list[Callable[[], CommandResult]] = [
        lambda p=patients[0]: aries.patients.commit(p),
        *(lambda p=p: aries.patients.commit(p) for p in patients[1:]),
        *(lambda o=o: aries.orders.commit(o) for o in orders),
    ]
    recorders = {r.channel_name: r for r in (aries.patients.recorder, aries.orders.recorder)}
    seen: dict[str, set] = {}
    with psycopg.connect(database_url, autocommit=True) as listener:
        for channel in recorders:
            listener.execute(SQL("LISTEN {}").format(Identifier(channel)))

        outcomes = _in_one_group(aries, database_url, commands)

        head = max(o.position for o in outcomes)
        for notify in listener.notifies(timeout=30, stop_after=3):
            # Read at once, as a projector woken by it does: the rows must be committed.
            rows = recorders[notify.channel].select_notifications(1, head)
            seen.setdefault(notify.channel, set()).update(r.originator_id for r in rows)
    assert set(seen) == set(recorders)
    assert {p.id for p in patients} <= seen[aries.patients.recorder.channel_name]
    assert {o.id for o in orders} <= seen[aries.orders.recorder.channel_name]


def test_a_group_whose_notification_fails_still_answers_its_commits(aries, monkeypatch):
    """The notification follows the COMMIT: when only it fails the events are stored, and
    failing the group would make its callers retry into a conflict with their own events."""
    statements = group_commit._group_statements
    monkeypatch.setattr(
        group_commit,
        "_group_statements",
        lambda recorders: (*statements(recorders)[:-1], b"SELECT 1/0"),
    )
    patient = _new_patient()

    outcome = aries.patients.commit(patient)

    assert outcome.id == patient.id
    (notification,) = aries.patients.recorder.select_notifications(outcome.position, 1)
    assert notification.originator_id == patient.id
    assert aries.patients.get_patient(patient.id).version == patient.version
    monkeypatch.undo()
    assert aries.patients.commit(_new_patient()).position > outcome.position
