"""Analysts read a limited data set (45 CFR 164.514(e)): not the identified patient tables, not
device serial numbers, not clinical text, not the event store; the views answer ages, years and
ZIP3 instead. `safe_harbor_patients` is de-identified on its own (164.514(b)(2))."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

import psycopg
import pytest

from domain.context import bound_context
from domain.patient_values import Address
from projections.runner import catch_up
from tests.integration.scenarios import demographics, medicare_patient

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def aries(isolated_aries):
    return isolated_aries


@pytest.fixture(scope="module")
def database_url(aries) -> str:
    return aries.settings.database_url

IDENTIFIED = (
    "read.patients", "read.coverages", "read.notes", "read.summaries", "read.order_lines",
    "read.serialised_assets", "read.serial_history", "read.serial_rentals",
)
READABLE = (
    "read.limited_patients", "read.limited_coverages", "read.limited_order_lines",
    "read.safe_harbor_patients", "read.orders", "read.claims", "read.claim_lines",
    "read.claim_ledger_entries",
    "read.work_queue", "read.ar_aging", "read.event_index",
    "read.stock_levels", "read.stock_movements", "read.rental_census",
    "read.companies", "read.locations", "read.payers", "read.location_activity",
    "read.equipment_items", "read.fee_schedules", "read.fee_schedule_rates",
    "read.fee_schedule_amounts",
)


@pytest.fixture(scope="module")
def tenant_with_a_patient(aries) -> tuple[str, uuid.UUID]:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    with bound_context(tenant_id=tenant):
        patient_id, _ = medicare_patient(aries)
    catch_up(aries, "patients")
    return tenant, patient_id


def _as_analyst(database_url: str) -> psycopg.Connection:
    conn = psycopg.connect(database_url, autocommit=True)
    conn.execute("SET ROLE aries_analyst")
    return conn


@pytest.mark.parametrize("table", IDENTIFIED)
def test_analysts_cannot_read_identified_patient_data(database_url, table):
    with _as_analyst(database_url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 (constant names)


@pytest.mark.parametrize("relation", READABLE)
def test_analysts_read_the_limited_and_business_read_models(database_url, relation):
    with _as_analyst(database_url) as conn:
        conn.execute(f"SELECT * FROM {relation} LIMIT 1")  # noqa: S608 (constant names)


def test_the_limited_patient_keeps_age_year_and_zip3_only(
    database_url, tenant_with_a_patient
):
    tenant, patient_id = tenant_with_a_patient
    with _as_analyst(database_url) as conn:
        row = conn.execute(
            "SELECT age_years, birth_year, sex, state, zip3, primary_payer_id "
            "FROM read.limited_patients WHERE patient_id = %s AND tenant_id = %s",
            (patient_id, tenant),
        ).fetchone()
        empty = conn.execute("SELECT * FROM read.limited_patients LIMIT 0")
        columns = {column.name for column in empty.description}
        today = conn.execute("SELECT current_date").fetchone()[0]  # the view's "today"
    born = date(1948, 3, 9)
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    assert row == (min(age, 90), 1948 if age < 90 else None, "female", "IL", "627", "MCR-DMEB")
    assert not columns & {"first_name", "last_name", "date_of_birth", "mbi", "postal_code",
                          "address_line1", "phone", "primary_member_id", "account_number"}


def test_the_limited_coverage_has_no_member_or_group_number(
    database_url, tenant_with_a_patient
):
    _, patient_id = tenant_with_a_patient
    with _as_analyst(database_url) as conn:
        cursor = conn.execute(
            "SELECT * FROM read.limited_coverages WHERE patient_id = %s", (patient_id,)
        )
        rows = cursor.fetchall()
        columns = {column.name for column in cursor.description}
    assert len(rows) == 1
    assert not columns & {"member_id", "group_number"}


def test_the_views_survive_a_rebuild_of_the_patients_projection(
    aries, database_url, tenant_with_a_patient
):
    from projections.runner import rebuild

    _, patient_id = tenant_with_a_patient
    rebuild(aries, "patients")
    with _as_analyst(database_url) as conn:
        found = conn.execute(
            "SELECT count(*) FROM read.limited_patients WHERE patient_id = %s",
            (patient_id,),
        ).fetchone()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT 1 FROM read.patients LIMIT 1")
    assert found == (1,)


def test_the_limited_order_lines_have_no_serial_numbers(database_url):
    with _as_analyst(database_url) as conn:
        cursor = conn.execute("SELECT * FROM read.limited_order_lines LIMIT 0")
        columns = {column.name for column in cursor.description}
    assert "serial_numbers" not in columns
    assert {"order_id", "hcpcs", "quantity"} <= columns


def _columns(conn: psycopg.Connection, view: str) -> dict[str, str]:
    return dict(conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'read' AND table_name = %s", (view,),
    ).fetchall())


def test_the_safe_harbor_patients_have_no_key_and_no_date_finer_than_a_year(
    database_url, tenant_with_a_patient
):
    tenant, _ = tenant_with_a_patient
    with _as_analyst(database_url) as conn:
        columns = _columns(conn, "safe_harbor_patients")
        row = conn.execute(
            "SELECT birth_year, zip3, registered_year FROM read.safe_harbor_patients "
            "WHERE tenant_id = %s", (tenant,),
        ).fetchone()
        this_year = conn.execute("SELECT extract(year FROM current_date)::int").fetchone()[0]
    assert not {name for name in columns if name.endswith("_id") and name not in (
        "tenant_id", "primary_payer_id")}
    assert not {kind for kind in columns.values() if "date" in kind or "time" in kind}
    assert row == (1948, "627", this_year)


def test_a_small_zip3_area_is_written_000_in_the_safe_harbor_view(aries, database_url):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    vermont = replace(demographics(), address=Address("1 Main St", None, "Derby", "VT", "05901"))
    with bound_context(tenant_id=tenant):
        aries.patients.register_patient(vermont, mbi=None)
    catch_up(aries, "patients")
    with _as_analyst(database_url) as conn:
        found = conn.execute(
            "SELECT zip3 FROM read.safe_harbor_patients WHERE tenant_id = %s", (tenant,)
        ).fetchall()
    assert found == [("000",)]


def test_location_activity_counts_a_branchs_orders_by_month(aries, database_url):
    from datetime import date

    from tests.integration.scenarios import place_bed_and_walker
    from tests.setup_builders import denver

    tenant = f"t-{uuid.uuid4().hex[:8]}"
    with bound_context(tenant_id=tenant):
        location_id = aries.setup.open_location(denver()).id
        patient_id, _ = medicare_patient(aries)
        place_bed_and_walker(aries, patient_id, date(2026, 3, 9))
    catch_up(aries, "orders")
    catch_up(aries, "setup")
    with _as_analyst(database_url) as conn:
        rows = conn.execute(
            "SELECT location_id, location_name, order_month, orders_placed "
            "FROM read.location_activity WHERE tenant_id = %s", (tenant,)
        ).fetchall()
    assert rows == [(location_id, "Denver", date(2026, 3, 1), 1)]
