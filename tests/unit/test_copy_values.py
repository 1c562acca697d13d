"""The cheaper COPY dumpers (projections/copy_values.py) write exactly psycopg's own bytes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from psycopg.adapt import AdaptersMap, Transformer
from psycopg.pq import Format

from projections import copy_values
from projections.copy_values import use_cheaper_dumpers

TYPES = [psycopg.postgres.types["numeric"].oid, psycopg.postgres.types["text"].array_oid]


class Context:
    """What a Transformer needs of a connection or cursor, without one."""

    def __init__(self, adapters: AdaptersMap) -> None:
        self.adapters = adapters
        self.connection = None


def formatter(cheaper: bool) -> Any:
    adapters = AdaptersMap(psycopg.postgres.adapters)
    if cheaper:
        use_cheaper_dumpers(adapters)
    transformer = Transformer(Context(adapters))
    transformer.set_dumper_types(TYPES, Format.BINARY)

    def dump(row: tuple[Any, Any]) -> list[Any]:
        return [None if d is None else bytes(d) for d in transformer.dump_sequence(row, [])]

    return dump


own, cheaper = formatter(False), formatter(True)

EDGES = [
    Decimal("0.00"),
    Decimal("-0.00"),
    Decimal("0"),
    Decimal("85.00"),
    Decimal("85.0"),
    Decimal("8.5E+1"),
    Decimal("-1234567890.12"),
    Decimal("1E-9"),
    Decimal("NaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
    7,
    None,
]
ARRAYS = [[], ["RR", "KH", "KX"], ["é", "a\tb", ""], [None, "x"], [["a"], ["b"]], None]


@pytest.mark.parametrize("array", ARRAYS)
@pytest.mark.parametrize("amount", EDGES)
def test_the_cheaper_dumpers_write_psycopgs_bytes_first_and_remembered(amount, array):
    assert cheaper((amount, array)) == own((amount, array))
    assert cheaper((amount, array)) == own((amount, array))  # the numeric from memory now


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=2, max_value=10**10, min_value=-(10**10)
    )
    | st.decimals(allow_nan=False, allow_infinity=False),
    st.lists(st.text()),
)
def test_any_decimal_and_list_of_strings_dump_as_psycopg_dumps_them(amount, array):
    assert cheaper((amount, array)) == own((amount, array))


def test_the_remembered_numerics_are_bounded(monkeypatch):
    monkeypatch.setattr(copy_values, "REMEMBERED", 10)
    for cents in range(25):
        cheaper((Decimal(cents) / 100, []))
    assert 0 < len(copy_values._numerics) <= 10  # noqa: SLF001
