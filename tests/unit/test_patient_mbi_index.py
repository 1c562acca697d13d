"""The MBI index (domain/patient_mbi_index.py): keyed ids that reveal nothing of the MBI, and
one holder at a time."""

from __future__ import annotations

from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import RuleViolated
from domain.patient_mbi_index import MbiIndex, mbi_index_id
from tests.unit.test_mbi import well_formed_mbis

KEY = b"k" * 32
tenants = st.text(alphabet="abcdefghij-0123456789", min_size=1, max_size=12)


@given(mbi=well_formed_mbis, tenant=tenants)
def test_the_index_id_is_stable_and_shows_nothing_of_the_mbi(mbi, tenant):
    index_id = mbi_index_id(KEY, tenant, mbi)
    assert index_id == mbi_index_id(KEY, tenant, mbi)
    assert mbi.lower() not in index_id.hex and mbi not in str(index_id)


@given(mbi=well_formed_mbis, tenant=tenants)
def test_the_index_id_depends_on_the_key_and_the_tenant(mbi, tenant):
    index_id = mbi_index_id(KEY, tenant, mbi)
    assert index_id != mbi_index_id(b"o" * 32, tenant, mbi)
    assert index_id != mbi_index_id(KEY, tenant + "x", mbi)


def test_a_short_key_is_refused():
    with pytest.raises(ValueError):
        mbi_index_id(b"short", "t", "1EG4TE5MK73")


def test_an_mbi_held_by_a_patient_is_refused_to_another():
    holder, other = uuid4(), uuid4()
    index = MbiIndex.reserve(mbi_index_id(KEY, "t", "1EG4TE5MK73"), holder)
    with pytest.raises(RuleViolated) as refused:
        index.reserve_again(other)
    assert refused.value.rule == "mbi_is_unique_per_tenant"
    assert "1EG4TE5MK73" not in str(refused.value)
    index.reserve_again(holder)  # the holder itself: nothing changes
    assert (index.patient_id, index.version) == (holder, 1)


def test_a_released_mbi_can_be_given_to_another_patient():
    holder, other = uuid4(), uuid4()
    index = MbiIndex.reserve(mbi_index_id(KEY, "t", "1EG4TE5MK73"), holder)
    index.release(other)  # not the holder: no-op
    assert index.patient_id == holder
    index.release(holder)
    index.reserve_again(other)
    assert (index.patient_id, index.version) == (other, 3)
