"""ICD-10-CM diagnosis codes, checked against the CMS code set shipped by `simple-icd-10-cm`."""

from __future__ import annotations

import re
import warnings
from functools import cache
from types import ModuleType

from domain.errors import InvalidValue

ICD10_FORMAT = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")


@cache
def _code_set() -> ModuleType:
    # Imported on first use: loading the code set takes about two seconds.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm

    return simple_icd_10_cm


def normalise(code: str) -> str:
    """Upper case with the dot after the category (`e119` -> `E11.9`)."""
    compact = code.strip().upper().replace(".", "")
    return compact if len(compact) <= 3 else f"{compact[:3]}.{compact[3:]}"


def is_billable(code: str) -> bool:
    """A code that exists and is a leaf (categories with children cannot go on a claim)."""
    normalised = normalise(code)
    if not ICD10_FORMAT.match(normalised):
        return False
    code_set = _code_set()
    return code_set.is_valid_item(normalised) and code_set.is_leaf(normalised)


def billable_diagnosis(code: str) -> str:
    """The normalised code, or InvalidValue (rule `diagnosis_is_billable_icd10cm`)."""
    if not is_billable(code):
        raise InvalidValue(
            "diagnosis_is_billable_icd10cm", f"{code!r} is not a billable ICD-10-CM code"
        )
    return normalise(code)
