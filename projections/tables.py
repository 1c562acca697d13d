"""Read-model tables, in schema `read`: the metadata every projection's tables are defined on,
the framework's tracking table and the event index's; each other projection's tables are in a
module of their own (`projections/<projection>_tables.py`), imported at the end of this one so
that this metadata holds every table.

Alembic owns the DDL (`migrations/versions/*`): a table defined on it exists only once a migration
creates it, and `tests/integration/test_projection_framework.py` checks that the migrations and
these definitions agree. The definitions are also what `projections.rebuild` uses to create the
fresh copies it rebuilds into, so keep them exact (types, nullability, indexes, comments).

Conventions: every table and column has a `comment=` (analysts read them with `\\d+`); names of
indexes and constraints come from the naming convention below; no foreign keys between the tables
of different projections (each one is rebuilt and swapped on its own).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    func,
)

SCHEMA = "read"

metadata = MetaData(
    schema=SCHEMA,
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    },
)

# --- Framework ------------------------------------------------------------------------------

projection_tracking = Table(
    "projection_tracking",
    metadata,
    Column("projection", Text, nullable=False, comment="Projection name, e.g. event_index."),
    Column(
        "upstream",
        Text,
        nullable=False,
        comment="Upstream application followed, e.g. patients (its table is <upstream>_events).",
    ),
    Column(
        "position",
        BigInteger,
        nullable=False,
        comment="Last notification id of the upstream applied to this projection's tables.",
    ),
    Column(
        "updated_at",
        DateTime(timezone=True),
        nullable=False,
        server_default=func.now(),
        comment="When the position last moved (commit time of the batch).",
    ),
    PrimaryKeyConstraint("projection", "upstream"),
    comment=(
        "How far each projection has read each upstream event log; written in the same "
        "transaction as the projection's rows (exactly once)."
    ),
)

# --- event_index (projections/event_index.py) -----------------------------------------------

event_index = Table(
    "event_index",
    metadata,
    Column("upstream", Text, nullable=False, comment="Application that recorded the event."),
    Column(
        "position",
        BigInteger,
        nullable=False,
        comment="Notification id of the event in its upstream's log.",
    ),
    Column("originator_id", Uuid, nullable=False, comment="Aggregate the event belongs to."),
    Column(
        "originator_version",
        BigInteger,
        nullable=False,
        comment="Version of the aggregate the event created.",
    ),
    Column("topic", Text, nullable=False, comment="Stable topic of the event class."),
    Column(
        "event_type",
        Text,
        nullable=False,
        comment="Last part of the topic, e.g. Registered.",
    ),
    Column(
        "recorded_at",
        DateTime(timezone=True),
        nullable=False,
        comment="The event's timestamp (when it was recorded, UTC).",
    ),
    Column("tenant_id", Text, nullable=True, comment="Tenant that owns the aggregate."),
    Column("actor_id", Text, nullable=True, comment="User or API key that acted."),
    Column("actor_role", Text, nullable=True, comment="Role the actor acted in."),
    Column(
        "correlation_id",
        Text,
        nullable=True,
        comment="Request or job the event came from.",
    ),
    Column(
        "causation_id",
        Text,
        nullable=True,
        comment="Command or event that caused this event.",
    ),
    PrimaryKeyConstraint("upstream", "position"),
    Index(None, "upstream", "originator_id", "recorded_at"),
    Index(None, "tenant_id", "position"),
    comment=(
        "One row per stored event, without its payload: the audit feed, and time travel "
        "(which version of an aggregate existed at a recorded time)."
    ),
)

# Each projection's tables: modules of their own, in this metadata (imported for that side
# effect, after `metadata` exists).
import projections.catalogue_tables  # noqa: E402, F401
import projections.claims_tables  # noqa: E402, F401
import projections.inventory_tables  # noqa: E402, F401
import projections.orders_tables  # noqa: E402, F401
import projections.patients_tables  # noqa: E402, F401
import projections.remittances_tables  # noqa: E402, F401
import projections.work_queue_tables  # noqa: E402, F401
from projections.setup_tables import companies, locations, payers  # noqa: E402,F401
