"""`aries inventory ...` against real PostgreSQL and Redis: a warehouse receives a delivery with
serials, counts one item and records a count sheet; a refusal names its rule and exits 1."""

from __future__ import annotations

import uuid

import pytest
from typer.testing import CliRunner

from domain.context import bound_context
from interfaces.cli.main import app
from tests.setup_builders import denver, location

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def environment(monkeypatch, redis_prefix, database_url, redis_url):
    monkeypatch.setenv("ARIES_DATABASE_URL", database_url)
    monkeypatch.setenv("ARIES_REDIS_URL", redis_url)
    monkeypatch.setenv("ARIES_REDIS_KEY_PREFIX", redis_prefix)
    monkeypatch.setenv("ARIES_DB_POOL_SIZE", "1")


def inventory(*arguments: str):
    return CliRunner().invoke(app, ["inventory", *arguments])


@pytest.fixture
def warehouse(aries):
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    with bound_context(tenant_id=tenant):
        places = {
            "tenant": tenant,
            "north": str(aries.setup.open_location(location()).id),
            "south": str(aries.setup.open_location(denver()).id),
            "bed": str(aries.catalogue.add_item(hcpcs="E0260", manufacturer="Invacare",
                                                model="G5510").id),
            "walker": str(aries.catalogue.add_item(hcpcs="E0143", manufacturer="Drive",
                                                   model="10210").id),
        }
    return places


def test_a_delivery_of_serialised_units_is_received_from_the_command_line(aries, warehouse):
    w = warehouse
    received = inventory("receive", "--tenant", w["tenant"], "--location", w["north"],
                         "--item", w["bed"], "--quantity", "2", "--po", "PO-9",
                         "--serial", "CLI-1", "--serial", "CLI-2", "--on", "2026-11-02")
    assert received.exit_code == 0, received.output
    assert "2 on hand" in received.output
    with bound_context(tenant_id=w["tenant"]):
        assert aries.orders.get_serial("CLI-2").location_id == uuid.UUID(w["north"])


def test_counts_are_recorded_one_by_one_or_from_a_sheet(aries, warehouse, tmp_path):
    w = warehouse
    for place in ("north", "south"):
        inventory("receive", "--tenant", w["tenant"], "--location", w[place], "--item",
                  w["walker"], "--quantity", "5", "--po", "PO-1")
    counted = inventory("count", "--tenant", w["tenant"], "--location", w["north"], "--item",
                        w["walker"], "--counted", "4")
    assert counted.exit_code == 0, counted.output
    assert "difference -1" in counted.output
    sheet = tmp_path / "count.csv"
    sheet.write_text(
        "location_id,item_id,counted\n"
        f"{w['north']},{w['walker']},6\n{w['south']},{w['walker']},5\n"
        f"{w['south']},{w['bed']},1\n"  # never received there: refused, the rest recorded
    )
    recorded = inventory("count-sheet", str(sheet), "--tenant", w["tenant"])
    assert recorded.exit_code == 1
    assert "2 counts recorded, 1 refused" in recorded.output
    with bound_context(tenant_id=w["tenant"]):
        assert aries.orders.get_ledger(uuid.UUID(w["north"]), uuid.UUID(w["walker"])).on_hand == 6


def test_a_refused_receipt_names_its_rule_and_exits_1(warehouse):
    w = warehouse
    refused = inventory("receive", "--tenant", w["tenant"], "--location", w["north"], "--item",
                        w["bed"], "--quantity", "2", "--po", "PO-9", "--serial", "ONLY-ONE")
    assert refused.exit_code == 1
    assert "serialised_receipt_names_one_serial_per_unit" in refused.output
