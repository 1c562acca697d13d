"""The two writers of the PHI access log build their inserts differently (SQLAlchemy's insert
for threads, one unnest statement for the event loop): both write every column of
audit.access_log that the chain trigger does not stamp, so a column added to the table cannot
be left out of one of them."""

from __future__ import annotations

from application.audit import access_log as writers
from application.audit.tables import access_log

STAMPED_BY_THE_TRIGGER = {"seq", "recorded_at", "digest", "hash"}


def test_the_event_loops_insert_names_every_column_but_those_the_trigger_stamps():
    assert set(writers._STAMPED) == STAMPED_BY_THE_TRIGGER  # noqa: SLF001
    assert set(writers._COLUMNS) | STAMPED_BY_THE_TRIGGER == {  # noqa: SLF001
        column.name for column in access_log.columns
    }


def test_the_threads_insert_is_given_the_same_columns():
    record = writers.AccessRecord(
        tenant_id="t",
        actor_id="a",
        actor_role="r",
        action="read",
        operation="op",
        fields_class="demographics",
    )
    values = writers._values(record, seal_key=b"k" * 32)  # noqa: SLF001
    assert set(values) == set(writers._COLUMNS) | {"digest", "hash"}  # noqa: SLF001
