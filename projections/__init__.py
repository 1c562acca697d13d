"""Read models: projections of the event logs into SQL tables in schema `read`.

A projection follows one or more upstream applications (`aries.applications`: "patients",
"orders", "claims", ...) and writes its rows and its tracking position per upstream in ONE
transaction, so every event is applied exactly once. The runner reads notifications in batches
straight from each upstream's recorder, wakes on the recorder's LISTEN/NOTIFY channel (polling
every second as a fallback), and holds a PostgreSQL advisory lock per projection, so that any
number of projector processes can run: one works, the others stand by.

Adding a projection
-------------------
1. Tables, in a module `projections/<name>_tables.py` that `projections/tables.py` imports (so
   Alembic sees them), schema `read`, a `comment=` on the table and on every column:

       orders_by_patient = Table(
           "orders_by_patient", metadata,
           Column("order_id", Uuid, primary_key=True, comment="The order."),
           Column("patient_id", Uuid, nullable=False, comment="Its patient."),
           Column("status", Text, nullable=False, comment="Last known status."),
           comment="Orders of each patient, for the patient's page.",
       )

2. A migration creating them (`migrations/versions/NNNN_<message>.py`, explicit
   `op.create_table`: processes never create tables). Grants come from the default privileges
   set on schema `read` by 0003 (aries_app writes, aries_analyst reads).

3. The projection, in its own module `projections/<name>.py`: one handler per event class, a
   method `(self, rows, event)` that changes the batch's rows in memory:

       ORDER = orders_by_patient.c.order_id  # where an Order event finds its rows

       class OrdersByPatient(Projection):
           name = "orders_by_patient"
           upstreams = ("orders",)
           tables = (orders_by_patient,)

           @handles(Order.Placed)
           def placed(self, rows: Rows, event: Any) -> None:
               rows[orders_by_patient].add(
                   {"order_id": event.originator_id, "patient_id": event.patient_id,
                    "status": "placed"})

           @handles(Order.Cancelled, reads=ORDER)
           def cancelled(self, rows: Rows, event: Any) -> None:
               rows[orders_by_patient].update(event.originator_id, status="cancelled")

4. Register an instance: append `OrdersByPatient()` to `PROJECTIONS` in
   `projections/registry.py`. `aries project`, `aries projections status|rebuild` and the tests'
   `catch_up` then know it.

Rules for handlers
------------------
- One handler per event class. A class matches its subclasses too and the most specific one
  handled wins, so `@handles(Order.Event)` takes the Order events no other handler takes.
  Events of a class no handler takes are not even decoded: they only move the tracking
  position.
- Change rows only through `rows[table]` (`projections/folding.py`): `add` a new row (every
  column, each value of the Python type binary COPY takes for the column's type), `get`,
  `update` or `delete` a held row by primary key, list a `group` of held rows by a column;
  `rows.upstream` and `rows.position` say where the event sits. No SQL and no connection: the
  batch loads the stored rows before the first handler runs and writes each changed row once
  after the last (DELETE of the stored ones, then binary COPY).
- Name in `reads=` the columns that hold the event's aggregate id in every table whose stored
  rows the handler reads, changes or deletes; the batch loads them with one query per column
  (none for an aggregate whose first event is in the batch). A forgotten one shows as a
  KeyError or LookupError, at the latest in the tests that rebuild at batch size 1. A table no
  handler reads is only appended to (event_index's).
- `metadata_only=True` hands over an `EventMetadata` (ids, version, topic, timestamp, context)
  read straight from the stored JSON instead of the decoded event, for a fraction of the cost
  (`projections/metadata.py`): event_index reads nothing else, and the domain projections use
  it for the events that only move a row's version.
- Read only the projection's own tables (a rebuild has no copies of anyone else's), and derive
  everything from the rows and the event: no clock, no randomness, no calls out. Then
  rebuilding gives the rows the live projection wrote, whatever the batch sizes (the tests
  check this for every projection).
- A handler that raises stops that projection with a logged reason and writes nothing of its
  batch; fix the code and restart (or rebuild) -- errors are never skipped.
- Rebuild with `aries projections rebuild NAME` after changing what a handler writes; see
  `projections/rebuild.py` for how the fresh tables are swapped in.

Modules: `base` (Projection, handles, the batch), `folding` (a batch's rows: load, fold,
write), `metadata` (an event's metadata without decoding it), `tables` (the Table objects),
`registry` (PROJECTIONS), `runner` (run_projectors, catch_up, status, rebuild,
wait_for_position), `batches` (locks, LISTEN, the batch transaction), `rebuild`, `metrics`; the
projections `event_index`, `orders`, `patients`, `claims` and `work_queue`, and `claim_facts`
(a claim's non-money facts, which the last two share).
"""

from projections.base import Projection, handles
from projections.folding import Rows

__all__ = ["Projection", "Rows", "handles"]
