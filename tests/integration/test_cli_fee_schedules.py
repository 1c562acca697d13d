"""`aries fee-schedules import` against real PostgreSQL: CMS's real April 2025 file, once."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interfaces.cli.main import app

pytestmark = pytest.mark.integration

APRIL_2025 = Path(__file__).parents[1] / "fee_schedules" / "DMEPOS25_APR_excerpt.csv"


@pytest.fixture(autouse=True)
def environment(monkeypatch, redis_prefix, database_url, redis_url):
    monkeypatch.setenv("ARIES_DATABASE_URL", database_url)
    monkeypatch.setenv("ARIES_REDIS_URL", redis_url)
    monkeypatch.setenv("ARIES_REDIS_KEY_PREFIX", redis_prefix)
    monkeypatch.setenv("ARIES_DB_POOL_SIZE", "1")


def imported(*extra: str):
    return CliRunner().invoke(app, ["fee-schedules", "import", str(APRIL_2025), *extra])


def test_the_cms_file_is_imported_once():
    tenant = f"t-cli-fees-{uuid.uuid4().hex[:8]}"
    options = ["--payer", "MCR-DMEB", "--effective-from", "2025-04-01", "--tenant", tenant]
    first, again = imported(*options), imported(*options)
    assert first.exit_code == 0, first.output
    assert "DMEPOS25_APR_excerpt.csv: imported" in first.output and "47 rows" in first.output
    assert "already imported (nothing recorded)" in again.output


def test_a_cms_file_off_the_quarter_is_refused_with_its_rule():
    tenant = f"t-cli-fees-{uuid.uuid4().hex[:8]}"
    refused = imported("--payer", "MCR-DMEB", "--effective-from", "2025-04-02", "--tenant", tenant)
    assert refused.exit_code == 1
    assert "cms_schedules_start_on_a_quarter" in refused.output
