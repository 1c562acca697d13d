"""CMS's Required Face-to-Face Encounter and Written Order Prior to Delivery List, read from the
packaged data file `reference/wopd_required_list.csv` (its header names the Federal Register
notices it follows and what it holds). An item on the list needs a face-to-face encounter in
the 6 months before its written order, and that written order before delivery (42 CFR
410.38(c)); items off the list need their standard written order only before the claim.

The list changes by notice: each code is listed from a date and, once a later notice takes it
off, until one (exclusive); the date of service decides. The file is not the whole list: it
holds the codes whose listing a page read states (its header says which page, and which codes
are known to be missing); a code not in it is treated as not listed.
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
    # The first date of service it is no longer listed for (None: still listed).
    listed_until: date | None
    source: str

    def listed_on(self, on: date) -> bool:
        return self.listed_from <= on and (self.listed_until is None or on < self.listed_until)


@cache
def required_list() -> dict[str, RequiredListEntry]:
    """Every listed code, by HCPCS code (comment lines, starting with #, are the file's notes)."""
    text = files("domain").joinpath("reference/wopd_required_list.csv").read_text("utf-8")
    rows = [line for line in text.splitlines() if not line.startswith("#")]
    return {
        row["hcpcs"]: RequiredListEntry(
            row["hcpcs"],
            row["description"],
            date.fromisoformat(row["listed_from"]),
            date.fromisoformat(row["listed_until"]) if row["listed_until"] else None,
            row["source"],
        )
        for row in csv.DictReader(io.StringIO("\n".join(rows)))
    }


def on_required_list(hcpcs: str, on: date | None = None) -> bool:
    """Whether `hcpcs` is on the list on `on` (None: on it at some date, past or to come: the
    catalogue's flag, which the dated delivery rule then narrows)."""
    entry = required_list().get(hcpcs.strip().upper())
    return entry is not None and (on is None or entry.listed_on(on))
