"""`aries setup ...` against real PostgreSQL: an office imports its payers from a CSV file
(again: nothing changes; a changed limit is corrected) and lists its locations."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from domain.context import bound_context
from interfaces.cli.main import app
from tests.conftest import aries_on
from tests.servers import fresh_database
from tests.setup_builders import denver

pytestmark = pytest.mark.integration

HEADER = "payer_id,name,kind,x12_payer_id,timely_filing_months,timely_filing_days\n"


@pytest.fixture(scope="module")
def db_url(server_database_url) -> Iterator[str]:
    with fresh_database(server_database_url) as url:
        yield url


@pytest.fixture(scope="module")
def aries(db_url, redis_url):
    with aries_on(db_url, redis_url) as built:
        yield built


@pytest.fixture(autouse=True)
def environment(monkeypatch, redis_prefix, db_url, redis_url):
    monkeypatch.setenv("ARIES_DATABASE_URL", db_url)
    monkeypatch.setenv("ARIES_REDIS_URL", redis_url)
    monkeypatch.setenv("ARIES_REDIS_KEY_PREFIX", redis_prefix)
    monkeypatch.setenv("ARIES_DB_POOL_SIZE", "1")


def setup(*arguments: str):
    return CliRunner().invoke(app, ["setup", *arguments])


def test_importing_payers_twice_changes_nothing_and_a_changed_limit_is_corrected(
    aries, tmp_path
):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    file = tmp_path / "payers.csv"
    file.write_text(HEADER + "MCR-DMEB,Medicare DME MAC B,medicare,17013,12,\n"
                    "MCD-IL,Illinois Medicaid,medicaid,ILMCD,,180\n")
    first = setup("import-payers", str(file), "--tenant", tenant)
    again = setup("import-payers", str(file), "--tenant", tenant)
    file.write_text(HEADER + "MCD-IL,Illinois Medicaid,medicaid,ILMCD,,365\n"
                    "BAD,Nobody,martian,X,12,\n")
    changed = setup("import-payers", str(file), "--tenant", tenant)

    assert first.exit_code == 0 and "2 registered" in first.output, first.output
    assert "2 unchanged" in again.output
    assert changed.exit_code == 1 and "1 corrected" in changed.output
    assert "line 3" in changed.output
    with bound_context(tenant_id=tenant):
        medicaid = aries.setup.find_payer("MCD-IL")
    assert (medicaid.details.timely_filing_days, medicaid.details.claim_filing_indicator) == (
        365, "MC"
    )


def test_locations_are_listed_for_the_tenant_only(aries):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    with bound_context(tenant_id=tenant):
        opened = aries.setup.open_location(denver())
    mine = setup("locations", "--tenant", tenant)
    other = setup("locations", "--tenant", f"{tenant}-other")
    assert mine.output.startswith(f"{opened.id}\tDenver\t1245319599\t1234560002\tAmerica/Denver")
    assert other.output == ""
