"""analyst views: de-identified patients and coverages; analysts lose the identified tables

Analysts (role aries_analyst) read the read models, but the minimum necessary: not names,
addresses, phone numbers, MBIs, member ids, full dates of birth or clinical text. They read
`read.deidentified_patients` and `read.deidentified_coverages` instead of `read.patients` and
`read.coverages` (0004 already keeps them out of notes and summaries). What stays follows the
HIPAA Safe Harbor list: ages (90 and over as 90), years instead of dates tied to the patient,
the first three digits of the ZIP code, state, sex, payer.

`patient_id` stays: it is a random UUID, meaningless outside Aries, and the key that joins a
patient to orders and claims.

Each view selects from a SECURITY DEFINER SQL function rather than naming the table: the
function runs with the migration owner's rights (analysts hold none on the identified tables),
and it names its table only at call time, so a projection rebuild can drop and swap the table
(a view naming it would block the DROP).

Revision ID: 0009_analyst_views
Revises: 0008_jobs
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0009_analyst_views"
down_revision = "0008_jobs"
branch_labels = None
depends_on = None

PATIENTS = """
CREATE FUNCTION read.deidentified_patients_rows()
RETURNS TABLE (
    patient_id uuid, tenant_id text, age_years integer, birth_year integer, sex text,
    state text, zip3 text, active boolean, deactivated_year integer, registered_month date,
    primary_payer_id text, primary_payer_name text, primary_coverage_rank text,
    coverage_count integer
)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT
        p.patient_id,
        p.tenant_id,
        LEAST(date_part('year', age(current_date, p.date_of_birth))::integer, 90),
        CASE WHEN date_part('year', age(current_date, p.date_of_birth)) >= 90 THEN NULL
             ELSE date_part('year', p.date_of_birth)::integer END,
        p.sex,
        p.state,
        left(p.postal_code, 3),
        p.active,
        date_part('year', p.deactivated_on)::integer,
        date_trunc('month', p.registered_at AT TIME ZONE 'UTC')::date,
        p.primary_payer_id,
        p.primary_payer_name,
        p.primary_coverage_rank,
        p.coverage_count
    FROM read.patients AS p
$$
"""

COVERAGES = """
CREATE FUNCTION read.deidentified_coverages_rows()
RETURNS TABLE (
    coverage_id uuid, patient_id uuid, tenant_id text, payer_id text, payer_name text,
    rank text, relationship_to_subscriber text, effective_from date, effective_to date,
    terminated_on date, status text
)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT c.coverage_id, c.patient_id, c.tenant_id, c.payer_id, c.payer_name, c.rank,
           c.relationship_to_subscriber, c.effective_from, c.effective_to, c.terminated_on,
           c.status
    FROM read.coverages AS c
$$
"""

COMMENTS = {
    "deidentified_patients": (
        "Patients without direct identifiers, for analysts (HIPAA Safe Harbor): no name, "
        "address, phone, MBI, member id or full date of birth.",
        {
            "patient_id": "The patient: a random id, the key to orders and claims.",
            "tenant_id": "Tenant that owns the patient.",
            "age_years": "Age in whole years today; 90 means 90 or older.",
            "birth_year": "Year of birth; null for patients 90 or older.",
            "sex": "female, male or unknown.",
            "state": "USPS state code of the address.",
            "zip3": "First three digits of the ZIP code.",
            "active": "False once the patient is deactivated.",
            "deactivated_year": "Year of deactivation, if deactivated.",
            "registered_month": "First day of the month the patient was registered (UTC).",
            "primary_payer_id": "Payer id of the primary coverage.",
            "primary_payer_name": "Payer name of the primary coverage.",
            "primary_coverage_rank": "Rank of that coverage: primary, secondary or tertiary.",
            "coverage_count": "Coverages without a recorded termination.",
        },
    ),
    "deidentified_coverages": (
        "Coverages without member or group numbers, for analysts.",
        {
            "coverage_id": "The coverage.",
            "patient_id": "Its patient (random id).",
            "tenant_id": "Tenant that owns the patient.",
            "payer_id": "Payer id, e.g. MCR-DMEB.",
            "payer_name": "Payer name.",
            "rank": "primary, secondary or tertiary.",
            "relationship_to_subscriber": "Patient's relationship to the subscriber.",
            "effective_from": "First day of coverage.",
            "effective_to": "Last day of coverage, if known.",
            "terminated_on": "Termination date, if terminated.",
            "status": "open or terminated.",
        },
    ),
}


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    op.execute("REVOKE ALL ON read.patients, read.coverages FROM aries_analyst")
    op.execute(PATIENTS)
    op.execute(COVERAGES)
    for view, (comment, columns) in COMMENTS.items():
        function = f"read.{view}_rows()"
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO aries_analyst, aries_app")
        # Names from the constant above, not from input.
        op.execute(f"CREATE VIEW read.{view} AS SELECT * FROM {function}")  # noqa: S608
        op.execute(f"GRANT SELECT ON read.{view} TO aries_analyst, aries_app")
        op.execute(f"COMMENT ON VIEW read.{view} IS {_quoted(comment)}")
        op.execute(
            f"COMMENT ON FUNCTION {function} IS "
            f"{_quoted(f'Rows of the view read.{view} (see its comment).')}"
        )
        for column, text in columns.items():
            op.execute(f"COMMENT ON COLUMN read.{view}.{column} IS {_quoted(text)}")


def downgrade() -> None:
    for view in COMMENTS:
        op.execute(f"DROP VIEW read.{view}")
        op.execute(f"DROP FUNCTION read.{view}_rows()")
    op.execute("GRANT SELECT ON read.patients, read.coverages TO aries_analyst")
