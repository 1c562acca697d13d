"""Value types that request bodies and query parameters share, checked at the edge.

`IsoDate`: a calendar date written `YYYY-MM-DD`, nothing else. Pydantic's lax mode would take
`0`, `"0"` or `86400` as a Unix timestamp and `"2026-01-01T00:00:00"` as a date: a date of birth
of `0` would be recorded as 1970-01-01.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BeforeValidator

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: Any) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value  # pydantic parses it, and refuses 2026-02-30
    raise ValueError("a date is written YYYY-MM-DD")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


# A name or an identifier is one line of text: no control character, tab or line break
# (the control-character middleware refuses the rest everywhere), and not only spaces.
ONE_LINE = r"^[^\x00-\x1f\x7f-\x9f]*$"
ONE_LINE_NOT_BLANK = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
