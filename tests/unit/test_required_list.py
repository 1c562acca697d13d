"""CMS's Required Face-to-Face Encounter and WOPD List is read from its data file, with the date
each code is listed from (domain/required_list.py, domain/reference/wopd_required_list.csv)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from domain.required_list import on_required_list, required_list

ROOT = Path(__file__).resolve().parents[2]


def test_the_list_names_its_source_and_each_entry_its_date():
    text = (ROOT / "domain/reference/wopd_required_list.csv").read_text(encoding="utf-8")
    assert "87 FR 2051" in text and "42 CFR 410.38(c)(8)" in text
    assert all(entry.source and entry.listed_from for entry in required_list().values())
    for entry in required_list().values():
        assert entry.listed_until is None or entry.listed_from < entry.listed_until, entry.hcpcs


def test_power_wheelchairs_are_on_the_list():
    for code in ("K0823", "K0856"):
        assert on_required_list(code, date(2026, 1, 1))


def test_every_one_of_the_46_power_mobility_devices_is_listed_from_13_april_2022():
    # 87 FR 2051's "46 power mobility devices per statute", read as the 46 PMD codes CGS JB's
    # prior authorization page names (see the file's notes): scooters and power wheelchairs alike.
    ranges = [(800, 802), (806, 808), (813, 816), (820, 829), (835, 843), (848, 864)]
    pmds = [f"K{n:04d}" for first, last in ranges for n in range(first, last + 1)]
    assert len(pmds) == 46
    for code in pmds:
        assert on_required_list(code, date(2022, 4, 13)), code
        assert not on_required_list(code, date(2022, 4, 12)), code
    assert not on_required_list("K0812")  # a POV "not otherwise classified": not among the 46


def test_a_semi_electric_hospital_bed_is_not_on_the_list_as_far_as_its_sources_go():
    # The August 2024 update added three hospital-bed codes this file could not identify; E0260
    # is not among the codes a CMS or DME MAC page states (see the file's notes).
    assert not on_required_list("E0260")


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


def test_the_six_orthoses_of_87_fr_2051_are_listed_from_13_april_2022():
    for code in ("L0648", "L0650", "L1832", "L1833", "L1851", "L3960"):
        assert not on_required_list(code, date(2022, 4, 12)), code
        assert on_required_list(code, date(2022, 4, 13)), code
        assert "87 FR 2051" in required_list()[code].source
    assert on_required_list("K0856", date(2022, 4, 13))
    assert not on_required_list("K0856", date(2022, 4, 12))


def test_the_orthosis_89_fr_41324_removed_is_off_the_list_from_12_august_2024():
    # CGS JB: L1833 was removed from the Required List effective 12 August 2024.
    assert on_required_list("L1833", date(2024, 8, 11))
    assert not on_required_list("L1833", date(2024, 8, 12))
    assert not on_required_list("L1833", date(2026, 12, 4))
    assert required_list()["L1833"].listed_until == date(2024, 8, 12)
    assert on_required_list("L1833")  # listed at some date: the undated question says so
    assert on_required_list("L1832", date(2026, 12, 4))  # its neighbour stays


def test_the_orthoses_of_89_fr_41324_are_listed_from_12_august_2024():
    for code in ("L0635", "L0636", "L0638", "L0639", "L0640", "L0651", "L1845", "L1852"):
        assert not on_required_list(code, date(2024, 8, 11)), code
        assert on_required_list(code, date(2024, 8, 12)), code
        assert "89 FR 41324" in required_list()[code].source


def test_oxygen_is_listed_from_13_april_2026_by_fr_doc_2026_00487():
    for code in ("E0424", "E0431", "E0433", "E0434", "E0439", "E1390", "E1391"):
        assert not on_required_list(code, date(2026, 4, 12)), code
        assert on_required_list(code, date(2026, 4, 13)), code
        assert "2026-00487" in required_list()[code].source
    # The eighth oxygen code of that notice was not readable: E1392 stays off.
    assert not on_required_list("E1392", date(2026, 12, 4))
