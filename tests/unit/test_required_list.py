"""CMS's Required Face-to-Face Encounter and WOPD List is read from its data file, with the date
each code is listed from (domain/required_list.py, domain/reference/wopd_required_list.csv)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from domain.catalogue import item
from domain.required_list import on_required_list, required_list

ROOT = Path(__file__).resolve().parents[2]


def test_the_list_names_its_source_and_each_entry_its_date():
    text = (ROOT / "domain/reference/wopd_required_list.csv").read_text(encoding="utf-8")
    assert "87 FR 2051" in text and "42 CFR 410.38(c)(8)" in text
    assert all(entry.source and entry.listed_from for entry in required_list().values())


def test_power_wheelchairs_are_on_the_list_and_the_catalogue_reads_it():
    for code in ("K0823", "K0856"):
        assert on_required_list(code, date(2026, 1, 1))
        assert item(code).wopd_required


def test_a_semi_electric_hospital_bed_is_not_on_the_list_as_far_as_its_sources_go():
    # The August 2024 update added three hospital-bed codes this file could not identify; E0260
    # is not among the codes a CMS or DME MAC page states (see the file's notes).
    assert not on_required_list("E0260")
    assert not item("E0260").wopd_required


def test_a_code_is_on_the_list_from_the_date_it_was_listed():
    assert not on_required_list("E0466", date(2026, 10, 27))
    assert on_required_list("E0466", date(2026, 10, 28))
    assert on_required_list("e0466")


def test_the_ten_orthoses_of_88_fr_2546_are_listed_from_17_april_2023():
    orthoses = ("L0631", "L0637", "L1843", "L1932", "L1940", "L1951", "L1960", "L1970",
                "L2005", "L2036")
    for code in orthoses:
        assert not on_required_list(code, date(2023, 4, 16)), code
        assert on_required_list(code, date(2023, 4, 17)), code
        assert "88 FR 2546" in required_list()[code].source
