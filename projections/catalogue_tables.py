"""Read-model tables of the `catalogue` projection (projections/catalogue.py): equipment items and
imported fee schedules. Same metadata and conventions as `projections.tables`, which imports this
module so that every table is in its metadata.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
)

from projections.tables import metadata

_TS = DateTime(timezone=True)
_MONEY = Numeric(12, 2)

equipment_items = Table(
    "equipment_items",
    metadata,
    Column("item_id", Uuid, nullable=False, comment="The catalogue item."),
    Column("tenant_id", Text, nullable=False, comment="Tenant (supplier) whose catalogue it is."),
    Column(
        "hcpcs",
        Text,
        nullable=False,
        comment="HCPCS Level II code it is billed under (reference/hcpcs.csv).",
    ),
    Column("manufacturer", Text, nullable=False, comment="Who makes it."),
    Column("model", Text, nullable=False, comment="The manufacturer's model name or number."),
    Column("category", Text, nullable=False, comment="rental or purchase: how it is furnished."),
    Column(
        "serialised",
        Boolean,
        nullable=False,
        comment="Whether each unit carries a serial number (tracked unit by unit).",
    ),
    Column("active", Boolean, nullable=False, comment="False once discontinued."),
    Column("added_at", _TS, nullable=False, comment="When it was added (UTC)."),
    Column("updated_at", _TS, nullable=False, comment="When it last changed (UTC)."),
    Column("version", Integer, nullable=False, comment="Aggregate version (the ETag)."),
    Column("position", BigInteger, nullable=False, comment="Catalogue-log position of the event."),
    PrimaryKeyConstraint("item_id"),
    Index(None, "tenant_id", "hcpcs", "item_id"),
    comment="The equipment catalogue: makes and models a supplier stocks, by HCPCS code.",
)

fee_schedules = Table(
    "fee_schedules",
    metadata,
    Column("schedule_id", Uuid, nullable=False, comment="The imported schedule."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that imported it."),
    Column("payer_id", Text, nullable=False, comment="Payer whose allowed amounts it holds."),
    Column(
        "source",
        Text,
        nullable=False,
        comment="cms_dmepos (CMS quarterly DMEPOS fee schedule) or contract (payer rates).",
    ),
    Column(
        "effective_from",
        Date,
        nullable=False,
        comment="First date of service it prices (a quarter start for CMS files).",
    ),
    Column("file_name", Text, nullable=False, comment="Name of the imported file."),
    Column("content_sha256", Text, nullable=False, comment="SHA-256 (hex) of the file's bytes."),
    Column("row_count", Integer, nullable=False, comment="Rows (code + modifiers) it prices."),
    Column("imported_at", _TS, nullable=False, comment="When it was imported (UTC)."),
    Column("position", BigInteger, nullable=False, comment="Catalogue-log position of the event."),
    PrimaryKeyConstraint("schedule_id"),
    Index(None, "tenant_id", "payer_id", "effective_from"),
    comment=(
        "Imported fee schedules: for a payer, the one in force on a date of service is the "
        "latest effective_from on or before it (ties: the later import)."
    ),
)

fee_schedule_rates = Table(
    "fee_schedule_rates",
    metadata,
    Column("schedule_id", Uuid, nullable=False, comment="The schedule (read.fee_schedules)."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that imported it."),
    Column("hcpcs", Text, nullable=False, comment="HCPCS code."),
    Column("modifier", Text, nullable=False, comment="CMS Mod (NU, RR, UE...; '' for none)."),
    Column("modifier_2", Text, nullable=False, comment="CMS Mod2 (e.g. KE; '' for none)."),
    Column("state", Text, nullable=False, comment="State column, e.g. IL; '*' for every state."),
    Column("rural", Boolean, nullable=False, comment="The rural (R) or non-rural (NR) amount."),
    Column("amount", _MONEY, nullable=False, comment="Allowed amount per unit (USD)."),
    PrimaryKeyConstraint("schedule_id", "hcpcs", "modifier", "modifier_2", "state", "rural"),
    comment="Each schedule's allowed amounts by code, modifiers, state and rural status.",
)
