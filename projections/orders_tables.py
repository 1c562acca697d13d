"""Read-model tables of the `orders` projection (projections/orders.py): orders and their lines.
Same metadata and conventions as `projections.tables`, which imports this module so that every
table is in its metadata.
"""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
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

orders = Table(
    "orders",
    metadata,
    Column("order_id", Uuid, nullable=False, comment="The order (aggregate id)."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns the order."),
    Column("patient_id", Uuid, nullable=False, comment="The patient the order is for."),
    Column(
        "location_id",
        Uuid,
        nullable=True,
        comment="The branch the order is billed from "
        "(read.locations); null: placed before locations existed (bills as the tenant's "
        "first location).",
    ),
    Column(
        "status",
        Text,
        nullable=False,
        comment=(
            "intake, on_hold, delivered, picked_up or cancelled (on_hold while held before "
            "delivery or during the rental, as Order.status)."
        ),
    ),
    Column("on_hold", Boolean, nullable=False, comment="Whether a hold is in force."),
    Column("hold_reason", Text, nullable=True, comment="Why it is on hold (null when not)."),
    Column("held_on", Date, nullable=True, comment="Date the hold in force began."),
    Column("order_date", Date, nullable=False, comment="Date of the order (intake)."),
    Column("practitioner_npi", Text, nullable=False, comment="Ordering practitioner's NPI."),
    Column("practitioner_name", Text, nullable=False, comment="Ordering practitioner's name."),
    Column(
        "diagnoses",
        ARRAY(Text),
        nullable=False,
        comment="ICD-10-CM codes, in the order given (claim diagnosis pointers follow it).",
    ),
    Column("line_count", Integer, nullable=False, comment="Number of lines on the order."),
    Column("coverage_id", Uuid, nullable=True, comment="Coverage of the latest verification."),
    Column("payer_id", Text, nullable=True, comment="Payer of the latest verification."),
    Column("coverage_verified_on", Date, nullable=True, comment="Date of the latest verification."),
    Column(
        "coverage_eligible",
        Boolean,
        nullable=True,
        comment="Latest eligibility answer (270/271); null until verified.",
    ),
    Column(
        "same_or_similar_found",
        Boolean,
        nullable=True,
        comment="Latest same-or-similar check found equipment (blocks delivery); null until.",
    ),
    Column("swo_signed_on", Date, nullable=True, comment="Standard Written Order signed on."),
    Column(
        "wopd_required",
        Boolean,
        nullable=False,
        comment="A line's item is on the CMS required list (WOPD and face-to-face needed).",
    ),
    Column(
        "wopd_signed_on", Date, nullable=True, comment="Written Order Prior to Delivery signed."
    ),
    Column("face_to_face_on", Date, nullable=True, comment="Face-to-face encounter date."),
    Column("abn_signed_on", Date, nullable=True, comment="Advance Beneficiary Notice signed."),
    Column(
        "documentation_complete",
        Boolean,
        nullable=False,
        comment=(
            "SWO on file and, where wopd_required, WOPD and face-to-face on file (their dates "
            "against delivery are checked at delivery)."
        ),
    ),
    Column(
        "prior_authorization",
        Text,
        nullable=False,
        comment=(
            "Over the lines that need prior authorization: not_required (none do), pending "
            "(one has no decision), non_affirmed (one's latest decision), else affirmed."
        ),
    ),
    Column(
        "prior_authorization_valid_until",
        Date,
        nullable=True,
        comment="When affirmed: the earliest UTN expiry among those lines.",
    ),
    Column("delivered_on", Date, nullable=True, comment="Delivery date (date of service)."),
    Column(
        "pod_signer_relationship",
        Text,
        nullable=True,
        comment="Who signed the proof of delivery: patient or designee.",
    ),
    Column("picked_up_on", Date, nullable=True, comment="Date the equipment came back."),
    Column("pickup_reason", Text, nullable=True, comment="Why it was picked up."),
    Column(
        "redelivered_on",
        Date,
        nullable=True,
        comment="Latest date the equipment came back into the home after a pickup.",
    ),
    Column(
        "inpatient_since",
        Date,
        nullable=True,
        comment="Admission date of the patient's open hospital or SNF stay: no rental month "
        "is billed until the discharge.",
    ),
    Column("cancelled_on", Date, nullable=True, comment="Date of cancellation."),
    Column("cancellation_reason", Text, nullable=True, comment="Why it was cancelled."),
    Column(
        "placed_at",
        DateTime(timezone=True),
        nullable=False,
        comment="Timestamp of the Placed event (UTC).",
    ),
    Column(
        "updated_at",
        DateTime(timezone=True),
        nullable=False,
        comment="Timestamp of the order's latest event (UTC).",
    ),
    Column(
        "version",
        BigInteger,
        nullable=False,
        comment="Aggregate version after its latest event (the ETag; If-Match compares it).",
    ),
    PrimaryKeyConstraint("order_id"),
    Index(None, "tenant_id", "order_date", "order_id"),
    Index(None, "tenant_id", "status", "order_date", "order_id"),
    Index(None, "tenant_id", "patient_id", "order_date", "order_id"),
    comment="One row per equipment order: status, documentation, authorization, delivery.",
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", Uuid, nullable=False, comment="The order the line is on."),
    Column("line_id", Uuid, nullable=False, comment="The line (given at intake)."),
    Column("tenant_id", Text, nullable=False, comment="Tenant that owns the order."),
    Column("line_number", Integer, nullable=False, comment="1-based place on the order."),
    Column("hcpcs", Text, nullable=False, comment="HCPCS Level II code of the item."),
    Column("description", Text, nullable=False, comment="Catalogue description of the item."),
    Column("quantity", Integer, nullable=False, comment="Units ordered."),
    Column("billing", Text, nullable=False, comment="rental, purchase_new or purchase_used."),
    Column(
        "oxygen_flow_lpm",
        Numeric,
        nullable=True,
        comment="Prescribed oxygen flow, litres per minute (oxygen lines only).",
    ),
    Column(
        "prior_auth_required",
        Boolean,
        nullable=False,
        comment="The item needs prior authorization (catalogue).",
    ),
    Column(
        "prior_auth_status",
        Text,
        nullable=True,
        comment="Latest decision: affirmed or non_affirmed; null when none.",
    ),
    Column("prior_auth_decided_on", Date, nullable=True, comment="Date of the latest decision."),
    Column("utn", Text, nullable=True, comment="Unique tracking number when affirmed."),
    Column("utn_valid_until", Date, nullable=True, comment="Last day the UTN is valid."),
    Column("prior_auth_reason", Text, nullable=True, comment="Why it was not affirmed, if so."),
    Column(
        "serial_numbers",
        ARRAY(Text),
        nullable=False,
        comment="Serial numbers delivered on the line (serialized items; empty otherwise).",
    ),
    Column(
        "rental_months_opened",
        Integer,
        nullable=False,
        comment="Rental months opened (billed) so far; 0 for purchases.",
    ),
    Column(
        "oxygen_group",
        Integer,
        nullable=True,
        comment="Oxygen lines: the LCD L33797 coverage group (1, 2 or 3) Medicare rentals "
        "carry as N1/N2/N3; null when not recorded or not oxygen.",
    ),
    Column(
        "rental_period",
        Integer,
        nullable=True,
        comment="Rental period of the latest month opened: 1, then 2 after a break in service "
        "of more than 60 days, and so on.",
    ),
    Column(
        "last_rental_month_from",
        Date,
        nullable=True,
        comment="First day of the latest rental month opened.",
    ),
    Column(
        "last_rental_month_to",
        Date,
        nullable=True,
        comment="Last day of the latest rental month opened.",
    ),
    Column(
        "adherence_met",
        Boolean,
        nullable=True,
        comment="PAP adherence verdict of the latest evaluation (KX); null when none.",
    ),
    Column(
        "adherence_evaluated_on",
        Date,
        nullable=True,
        comment="Date of the latest adherence evaluation.",
    ),
    PrimaryKeyConstraint("order_id", "line_id"),
    comment="One row per order line: item, prior authorization, serials, rental months.",
)
