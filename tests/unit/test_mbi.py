"""Medicare Beneficiary Identifier format (CMS): rule `mbi_is_well_formed`."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidValue
from domain.mbi import MBI_LETTERS, is_valid_mbi, normalise_mbi, valid_mbi

EXAMPLE = "1EG4TE5MK73"
EXCLUDED_LETTERS = "SLOIBZ"

# What each of the 11 positions accepts: N = digit 1-9, A = letter, C = letter or digit, D = digit.
POSITIONS = "NACDACDAADD"
_kinds = {
    "N": st.sampled_from("123456789"),
    "A": st.sampled_from(MBI_LETTERS),
    "C": st.sampled_from(MBI_LETTERS + "0123456789"),
    "D": st.sampled_from("0123456789"),
}
well_formed_mbis = st.tuples(*(_kinds[k] for k in POSITIONS)).map("".join)


def test_example_mbi_is_well_formed():
    assert valid_mbi(EXAMPLE) == EXAMPLE


def test_mbi_is_normalised_to_upper_case_without_dashes_or_spaces():
    assert valid_mbi(" 1eg4-te5-mk73 ") == EXAMPLE
    assert valid_mbi("1EG4 TE5 MK73") == EXAMPLE


def test_mbi_letters_exclude_s_l_o_i_b_z():
    assert set(MBI_LETTERS).isdisjoint(EXCLUDED_LETTERS)
    assert len(MBI_LETTERS) == 26 - len(EXCLUDED_LETTERS)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "1EG4TE5MK7",  # 10 characters
        "1EG4TE5MK733",  # 12 characters
        "0EG4TE5MK73",  # position 1 must be 1-9
        "AEG4TE5MK73",  # position 1 a letter
        "11G4TE5MK73",  # position 2 must be a letter
        "1EGATE5MK73",  # position 4 must be a digit
        "1EG45E5MK73",  # position 5 must be a letter
        "1EG4TEAMK73",  # position 7 must be a digit
        "1EG4TE55K73",  # position 8 must be a letter
        "1EG4TE5M473",  # position 9 must be a letter
        "1EG4TE5MKA3",  # position 10 must be a digit
        "1EG4TE5MK7A",  # position 11 must be a digit
        "1EG4TE5MK7\u0663",  # a non-ASCII digit
        "1EG4_TE5_MK73",  # only dashes and spaces are separators
    ],
)
def test_mbi_is_well_formed_refuses_malformed_values(value):
    with pytest.raises(InvalidValue) as refused:
        valid_mbi(value)
    assert refused.value.rule == "mbi_is_well_formed"


@pytest.mark.parametrize("letter", EXCLUDED_LETTERS)
@pytest.mark.parametrize("position", [i for i, kind in enumerate(POSITIONS) if kind in "AC"])
def test_mbi_is_well_formed_refuses_excluded_letters_at_every_letter_position(letter, position):
    value = EXAMPLE[:position] + letter + EXAMPLE[position + 1 :]
    assert not is_valid_mbi(value)


def test_mbi_is_well_formed_refuses_non_strings():
    with pytest.raises(InvalidValue):
        valid_mbi(12345678901)  # type: ignore[arg-type]


@given(well_formed_mbis)
def test_every_mbi_built_from_the_cms_positions_is_well_formed(mbi):
    assert valid_mbi(mbi.lower()) == mbi


@given(well_formed_mbis, st.integers(0, 10), st.sampled_from(EXCLUDED_LETTERS))
def test_an_excluded_letter_anywhere_makes_an_mbi_malformed(mbi, position, letter):
    assert not is_valid_mbi(mbi[:position] + letter + mbi[position + 1 :])


@given(st.text(max_size=15))
def test_normalising_is_idempotent(value):
    assert normalise_mbi(normalise_mbi(value)) == normalise_mbi(value)
