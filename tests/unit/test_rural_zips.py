"""CMS's DMEPOS rural ZIP codes (domain/rural_zips.py, Q1 2026 file)."""

from __future__ import annotations

from domain.rural_zips import is_rural_zip, rural_zips


def test_rural_zips_are_five_digits_with_their_leading_zeros():
    assert all(len(z) == 5 and z.isdigit() for z in rural_zips())
    assert "03243" in rural_zips()  # NH, written 3243 in CMS's file


def test_a_zip_on_the_list_is_rural_and_a_city_zip_is_not():
    assert is_rural_zip("60460") and is_rural_zip("604601234")  # ZIP+4 too
    assert not is_rural_zip("62701") and not is_rural_zip("90001")
    assert not is_rural_zip("") and not is_rural_zip(None)
