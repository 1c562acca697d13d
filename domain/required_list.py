"""CMS's Required Face-to-Face Encounter and Written Order Prior to Delivery List, read from the
packaged data file `reference/wopd_required_list.csv` (its header names the Federal Register
notices it follows and what it holds). An item on the list needs a face-to-face encounter in
the 6 months before its written order, and that written order before delivery (42 CFR
410.38(c)); items off the list need their standard written order only before the claim.

The list changes by notice: each code is listed from a date, and the date of service decides.
The file is not the whole list: it holds the codes whose listing a CMS or DME MAC page states
(its header says which are known to be missing); a code not in it is treated as not listed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib.resources import files


@dataclass(frozen=True)
class RequiredListEntry:
    hcpcs: str
    description: str
    listed_from: date
    source: str


@cache
def required_list() -> dict[str, RequiredListEntry]:
    """Every listed code, by HCPCS code (comment lines, starting with #, are the file's notes)."""
    text = files("domain").joinpath("reference/wopd_required_list.csv").read_text("utf-8")
    rows = [line for line in text.splitlines() if not line.startswith("#")]
    return {
        row["hcpcs"]: RequiredListEntry(
            row["hcpcs"], row["description"], date.fromisoformat(row["listed_from"]), row["source"]
        )
        for row in csv.DictReader(io.StringIO("\n".join(rows)))
    }


def on_required_list(hcpcs: str, on: date | None = None) -> bool:
    """Whether `hcpcs` is on the list on `on` (None: on the list at all, from whatever date)."""
    entry = required_list().get(hcpcs.strip().upper())
    return entry is not None and (on is None or entry.listed_from <= on)
