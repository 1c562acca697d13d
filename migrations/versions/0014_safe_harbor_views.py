"""safe harbor views: analysts read a limited data set, named as one; a Safe Harbor patients view

0009 called `deidentified_patients` and `deidentified_coverages` de-identified, but the analyst
role joins them through `patient_id` to orders and claims with full dates of service, and read
device serial numbers in `order_lines`. Under HIPAA Safe Harbor (45 CFR 164.514(b)(2)(i)) a
de-identified set keeps no element of a date but the year (C), no device serial number (M), and
no unique identifying code (R) such as an id that Aries uses elsewhere. So:

- what analysts read is a **limited data set** (45 CFR 164.514(e)): no direct identifier of
  164.514(e)(2) (names, street addresses, phone numbers, MBIs and member ids, account numbers,
  device serial numbers), but dates and the random patient key. The views are renamed
  `limited_patients` and `limited_coverages`, and analysts lose `order_lines` for
  `limited_order_lines` (serial numbers left out). A limited data set may be used only under a
  data use agreement (164.514(e)(4)): grant `aries_analyst` to people covered by one.
- `safe_harbor_patients` is de-identified on its own: no patient key, years only, ages 90 and
  over as one category, ZIP3 `000` for the three-digit areas of 20,000 people or fewer. It is
  what can leave the data use agreement (aggregate counts by age, sex, state, payer).

Each view selects from a SECURITY DEFINER function, as in 0009, so a projection rebuild can
swap the table (a rebuild copies the table's grants: the revoke on `order_lines` stays).

Revision ID: 0014_safe_harbor_views
Revises: 0013_audit_integrity
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0014_safe_harbor_views"
down_revision = "0013_audit_integrity"
branch_labels = None
depends_on = None

RENAMED = {"deidentified_patients": "limited_patients",
           "deidentified_coverages": "limited_coverages"}

# The 17 three-digit ZIP areas of 20,000 people or fewer (2000 Census), which Safe Harbor
# (45 CFR 164.514(b)(2)(i)(B)) writes as 000: listed in the preamble of the Privacy Rule's
# final modifications, 67 FR 53182, 53233-53234 (Aug. 14, 2002), and repeated in HHS OCR,
# "Guidance Regarding Methods for De-identification of Protected Health Information" (2012),
# section 3, which still gives this list and says a newer Census list, once published, replaces it.
RESTRICTED_ZIP3 = ("036", "059", "063", "102", "203", "556", "692", "790", "821", "823", "830",
                   "831", "878", "879", "884", "890", "893")

ORDER_LINES = """
CREATE FUNCTION read.limited_order_lines_rows()
RETURNS TABLE (
    order_id uuid, line_id uuid, tenant_id text, line_number integer, hcpcs text,
    description text, quantity integer, billing text, oxygen_flow_lpm numeric,
    prior_auth_required boolean, prior_auth_status text, prior_auth_decided_on date,
    utn_valid_until date, prior_auth_reason text, rental_months_opened integer,
    last_rental_month_from date, last_rental_month_to date, adherence_met boolean,
    adherence_evaluated_on date
)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT l.order_id, l.line_id, l.tenant_id, l.line_number, l.hcpcs, l.description,
           l.quantity, l.billing, l.oxygen_flow_lpm, l.prior_auth_required,
           l.prior_auth_status, l.prior_auth_decided_on, l.utn_valid_until,
           l.prior_auth_reason, l.rental_months_opened, l.last_rental_month_from,
           l.last_rental_month_to, l.adherence_met, l.adherence_evaluated_on
    FROM read.order_lines AS l
$$
"""

SAFE_HARBOR_PATIENTS = """
CREATE FUNCTION read.safe_harbor_patients_rows()
RETURNS TABLE (
    tenant_id text, age_years integer, birth_year integer, sex text, state text, zip3 text,
    active boolean, deactivated_year integer, registered_year integer,
    primary_payer_id text, primary_payer_name text, coverage_count integer
)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT
        p.tenant_id,
        LEAST(date_part('year', age(current_date, p.date_of_birth))::integer, 90),
        CASE WHEN date_part('year', age(current_date, p.date_of_birth)) >= 90 THEN NULL
             ELSE date_part('year', p.date_of_birth)::integer END,
        p.sex,
        p.state,
        CASE WHEN left(p.postal_code, 3) = ANY (string_to_array('{restricted}', ','))
             THEN '000' ELSE left(p.postal_code, 3) END,
        p.active,
        date_part('year', p.deactivated_on)::integer,
        date_part('year', p.registered_at AT TIME ZONE 'UTC')::integer,
        p.primary_payer_id,
        p.primary_payer_name,
        p.coverage_count
    FROM read.patients AS p
$$
""".replace("{restricted}", ",".join(RESTRICTED_ZIP3))

LIMITED = ("Limited data set (45 CFR 164.514(e)), for analysts under a data use agreement: "
           "no direct identifiers, but dates and the patient key. ")

COMMENTS = {
    "limited_patients": LIMITED + "Patients without names, addresses, phones, MBIs or full "
                                  "dates of birth.",
    "limited_coverages": LIMITED + "Coverages without member or group numbers.",
    "limited_order_lines": LIMITED + "Order lines without device serial numbers.",
    "safe_harbor_patients": (
        "Patients de-identified by HIPAA Safe Harbor (45 CFR 164.514(b)(2)): no patient key, "
        "years only, ages 90 and over as 90, ZIP3 000 where the area holds 20,000 people or "
        "fewer. For counts that may leave the data use agreement."
    ),
}
COLUMNS = {
    "limited_order_lines": {
        "order_id": "The order.", "line_id": "The line.",
        "tenant_id": "Tenant that owns the order.", "line_number": "1-based position.",
        "hcpcs": "HCPCS code.", "description": "Item description.",
        "quantity": "Units ordered.", "billing": "rental, purchase_new or purchase_used.",
        "oxygen_flow_lpm": "Prescribed oxygen flow (litres/minute), oxygen lines only.",
        "prior_auth_required": "Whether the item needs prior authorization.",
        "prior_auth_status": "not_required, pending, affirmed or non_affirmed.",
        "prior_auth_decided_on": "Date of the prior authorization decision.",
        "utn_valid_until": "Last day the prior authorization is valid.",
        "prior_auth_reason": "Reason given for a non-affirmation.",
        "rental_months_opened": "Rental months opened so far.",
        "last_rental_month_from": "First day of the latest rental month.",
        "last_rental_month_to": "Last day of the latest rental month.",
        "adherence_met": "Whether adherence was met, once evaluated.",
        "adherence_evaluated_on": "Date adherence was evaluated.",
    },
    "safe_harbor_patients": {
        "tenant_id": "Tenant that owns the patient.",
        "age_years": "Age in whole years today; 90 means 90 or older.",
        "birth_year": "Year of birth; null for patients 90 or older.",
        "sex": "female, male or unknown.",
        "state": "USPS state code of the address.",
        "zip3": "First three digits of the ZIP code; 000 where that area is small.",
        "active": "False once the patient is deactivated.",
        "deactivated_year": "Year of deactivation, if deactivated.",
        "registered_year": "Year the patient was registered (UTC).",
        "primary_payer_id": "Payer id of the primary coverage.",
        "primary_payer_name": "Payer name of the primary coverage.",
        "coverage_count": "Coverages without a recorded termination.",
    },
}


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _create_view(view: str) -> None:
    function = f"read.{view}_rows()"
    op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO aries_analyst, aries_app")
    # Names from the constants above, not from input.
    op.execute(f"CREATE VIEW read.{view} AS SELECT * FROM {function}")  # noqa: S608
    op.execute(f"GRANT SELECT ON read.{view} TO aries_analyst, aries_app")
    for column, text in COLUMNS.get(view, {}).items():
        op.execute(f"COMMENT ON COLUMN read.{view}.{column} IS {_quoted(text)}")


def upgrade() -> None:
    for old, new in RENAMED.items():
        op.execute(f"ALTER VIEW read.{old} RENAME TO {new}")
        op.execute(f"ALTER FUNCTION read.{old}_rows() RENAME TO {new}_rows")
    op.execute("REVOKE ALL ON read.order_lines FROM aries_analyst")
    op.execute(ORDER_LINES)
    op.execute(SAFE_HARBOR_PATIENTS)
    _create_view("limited_order_lines")
    _create_view("safe_harbor_patients")
    for view, comment in COMMENTS.items():
        op.execute(f"COMMENT ON VIEW read.{view} IS {_quoted(comment)}")
        op.execute(
            f"COMMENT ON FUNCTION read.{view}_rows() IS "
            f"{_quoted(f'Rows of the view read.{view} (see its comment).')}"
        )


def downgrade() -> None:
    for view in ("safe_harbor_patients", "limited_order_lines"):
        op.execute(f"DROP VIEW read.{view}")
        op.execute(f"DROP FUNCTION read.{view}_rows()")
    op.execute("GRANT SELECT ON read.order_lines TO aries_analyst")
    for old, new in RENAMED.items():
        op.execute(f"ALTER VIEW read.{new} RENAME TO {old}")
        op.execute(f"ALTER FUNCTION read.{new}_rows() RENAME TO {old}_rows")
