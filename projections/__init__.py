"""Read models: projections of the event logs into SQL tables in schema `read`.

A projection follows one or more upstream applications (`aries.applications`: "patients",
"orders", "claims", ...) and writes its rows and its tracking position per upstream in ONE
transaction, so every event is applied exactly once. The runner reads notifications in batches
straight from each upstream's recorder, wakes on the recorder's LISTEN/NOTIFY channel (polling
every second as a fallback), and holds a PostgreSQL advisory lock per projection, so that any
number of projector processes can run: one works, the others stand by.

Adding a projection
-------------------
1. Tables, in `projections/tables.py` (so Alembic sees them), schema `read`, a `comment=` on the
   table and on every column:

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

3. The projection, in its own module `projections/<name>.py`:

       class OrdersByPatient(Projection):
           name = "orders_by_patient"
           upstreams = ("orders",)
           tables = (orders_by_patient,)

           @handles(Order.Placed)          # an event class (or a base class), or a topic string
           def placed(self, conn, event, upstream, position):
               conn.execute(insert(orders_by_patient).values(
                   order_id=event.originator_id, patient_id=event.patient_id, status="placed"))

           @handles("aries.order.Cancelled")
           def cancelled(self, conn, event, upstream, position):
               conn.execute(update(orders_by_patient)
                   .where(orders_by_patient.c.order_id == event.originator_id)
                   .values(status="cancelled"))

4. Register an instance: append `OrdersByPatient()` to `PROJECTIONS` in
   `projections/registry.py`. `aries project`, `aries projections status|rebuild` and the tests'
   `catch_up` then know it.

Rules for handlers
------------------
- Write with SQLAlchemy Core through the Table objects, on the `conn` given: no commit, no other
  connection, no raw SQL naming schema `read` (a rebuild sends schema `read` elsewhere with
  `schema_translate_map`; raw text would write into the live tables).
- Read only the projection's own tables (a rebuild has no copies of anyone else's), and derive
  everything from the event: no clock, no randomness, no calls out. Then rebuilding gives the
  same rows as the live projection (the tests check this for event_index).
- Events without a handler only move the tracking position (`Projection.fallback`); they are not
  even decoded. A handler that raises stops that projection with a logged reason; fix the code
  and restart (or rebuild) -- errors are never skipped.
- Pass values as parameters, `conn.execute(insert(t), {...})`, where speed matters: the
  statement is then compiled once, not per event (about twice as fast as `.values(...)`).
- Where speed matters, fold a batch instead of writing event by event: override `apply_batch`
  to load the rows the batch touches in one query per table, apply the events in memory in
  order, and write each changed row once (DELETE of the stored ones, then `copy_rows`). The
  domain projections all do (`folding.Rows` helps with the bookkeeping: see `patients.py`);
  `event_index` also overrides `apply_notifications` to read only the metadata it stores.
- Rebuild with `aries projections rebuild NAME` after changing what a handler writes; see
  `projections/rebuild.py` for how the fresh tables are swapped in.

Modules: `base` (Projection, handles), `tables` (metadata), `registry` (PROJECTIONS), `runner`
(run_projectors, catch_up, status, rebuild, wait_for_position), `batches` (locks, LISTEN, the
batch transaction), `rebuild`, `metrics`, `folding` (a batch's rows), `event_index` (the first
projection).
"""

from projections.base import Projection, handles
from projections.folding import Rows

__all__ = ["Projection", "Rows", "handles"]
