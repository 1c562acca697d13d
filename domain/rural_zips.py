"""Whether a beneficiary lives in a rural area for DMEPOS pricing: CMS's DMEPOS rural ZIP code
file (42 CFR 414.202 "rural area"; 414.210(g): the adjusted fee schedule amounts), the rows
marked RURAL, kept as packaged reference data in `reference/dmepos_rural_zips.csv`.

Source: CMS "DMEPOS Rural ZIP Code File" for the first quarter of 2026 (YEAR/QTR 202601), as
vendored by the GitHub repository AER2436/hcpcs, file "DME Rural ZIP Code Quarter 1 2026.csv",
commit 4c62b351e5bd1083b29bdeb04b60b7fe48eb934f; ZIP codes restored to five digits (the file
drops leading zeros). CMS updates the file quarterly; replacing this one is a data change.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib.resources import files


@cache
def rural_zips() -> frozenset[str]:
    text = files("domain").joinpath("reference/dmepos_rural_zips.csv").read_text("utf-8")
    return frozenset(row["zip"] for row in csv.DictReader(io.StringIO(text)))


def is_rural_zip(postal_code: str | None) -> bool:
    """Whether the 5-digit ZIP code (of a ZIP or ZIP+4) is on CMS's rural list."""
    digits = "".join(ch for ch in (postal_code or "") if ch.isdigit())
    return len(digits) >= 5 and digits[:5] in rural_zips()
