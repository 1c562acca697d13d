"""The equipment catalogue item (domain/equipment.py): a make and model under a HCPCS code of
the reference list, rented or sold as the code's payment category allows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.context import bound_context
from domain.equipment import EquipmentItem, ItemCategory
from domain.errors import RuleViolated
from tests.unit.replay import replay


@pytest.fixture(autouse=True)
def _tenant():
    with bound_context(tenant_id="t-1", actor_id="u-1", actor_role="admin"):
        yield


def bed(**overrides) -> EquipmentItem:
    values = {"hcpcs": "E0260", "manufacturer": "Invacare", "model": "G5510"}
    return EquipmentItem.add(**{**values, **overrides})


def test_category_and_serialisation_default_from_the_hcpcs_reference():
    item = bed()
    assert (item.hcpcs, item.category, item.serialised, item.active) == (
        "E0260", "rental", True, True
    )
    walker = EquipmentItem.add(hcpcs="e0143", manufacturer="Drive", model="10210-1")
    assert (walker.hcpcs, walker.category) == ("E0143", "purchase")


def test_an_item_refers_to_a_code_of_the_hcpcs_reference_list():
    with pytest.raises(RuleViolated) as refused:
        bed(hcpcs="E9999")
    assert refused.value.rule == "hcpcs_code_is_in_catalogue"


def test_item_category_suits_its_hcpcs_code():
    with pytest.raises(RuleViolated) as refused:
        bed(category="purchase")
    assert refused.value.rule == "item_category_suits_its_hcpcs_code"
    assert EquipmentItem.add(
        hcpcs="E0143", manufacturer="Drive", model="10210-1", category=ItemCategory.RENTAL
    ).category == "rental"


def test_revising_with_the_same_values_records_nothing():
    item = bed()
    assert not item.revise(model="G5510")
    assert item.revise(model="G5510 Deluxe", serialised=False)
    assert (item.model, item.serialised, item.version) == ("G5510 Deluxe", False, 2)


def test_discontinued_item_is_not_revised():
    item = bed()
    assert item.discontinue()
    assert not item.discontinue()
    with pytest.raises(RuleViolated) as refused:
        item.revise(model="G5511")
    assert refused.value.rule == "discontinued_item_is_not_revised"


changes = st.lists(
    st.one_of(
        st.tuples(st.just("revise"), st.sampled_from(["A", "B", "C"]), st.booleans()),
        st.tuples(st.just("discontinue"), st.none(), st.none()),
    ),
    max_size=8,
)


@given(changes)
def test_replayed_events_give_the_same_item(steps):
    item = bed()
    for kind, model, serialised in steps:
        if kind == "discontinue":
            item.discontinue()
        elif item.active:
            item.revise(model=model, serialised=serialised)
    events = item.collect_events()
    assert vars(replay(events)) == vars(item)
