"""Rows a handler adds as values in column order (`TableRows.add_values`, `values_maker`): held
as tuples until a handler reads them, then read, changed, grouped and deleted as dict rows are."""

from __future__ import annotations

from uuid import uuid4

import pytest
from sqlalchemy import Column, Integer, MetaData, PrimaryKeyConstraint, Table, Text, Uuid

from projections.folding import TableRows, values_maker

things = Table(
    "things",
    MetaData(),
    Column("thing_id", Uuid, nullable=False),
    Column("owner_id", Uuid, nullable=False),
    Column("name", Text, nullable=False),
    Column("count", Integer, nullable=False),
    Column("note", Text, nullable=True),
    PrimaryKeyConstraint("thing_id"),
)
COLUMNS = ("thing_id", "owner_id", "name", "count", "note")


def held(created=()) -> TableRows:
    """The rows of `things` as a batch holds them when a handler reads them by owner."""
    return TableRows(things, ["thing_id", "owner_id"], created)


def test_values_maker_answers_the_values_in_the_tables_column_order():
    make = values_maker(things, count=0, note=None)
    thing, owner = uuid4(), uuid4()

    assert make(name="lamp", owner_id=owner, thing_id=thing) == (thing, owner, "lamp", 0, None)


def test_values_maker_refuses_a_missing_or_unknown_column():
    make = values_maker(things, note=None)

    with pytest.raises(TypeError):
        make(thing_id=uuid4(), owner_id=uuid4(), name="lamp")  # no count
    with pytest.raises(TypeError):
        make(thing_id=uuid4(), owner_id=uuid4(), name="lamp", count=1, colour="red")
    with pytest.raises(ValueError, match="colour"):
        values_maker(things, colour="red")


def test_values_maker_refuses_a_mutable_constant_every_row_would_share():
    with pytest.raises(TypeError):
        values_maker(things, note=[])


def test_a_row_added_as_values_is_read_as_the_same_row_added_as_a_dict():
    thing, owner = uuid4(), uuid4()
    values = (thing, owner, "lamp", 1, None)
    as_values, as_dict = held([owner]), held([owner])

    as_values.add_values(values)
    as_dict.add(dict(zip(COLUMNS, values, strict=True)))

    assert thing in as_values
    assert as_values.get(thing) == as_dict.get(thing) == dict(zip(COLUMNS, values, strict=True))
    assert as_values.group("owner_id", owner) == as_dict.group("owner_id", owner)


def test_a_row_added_as_values_is_grouped_updated_and_deleted_as_a_dict_row():
    owner = uuid4()
    first, second = uuid4(), uuid4()
    rows = held([owner])
    rows.add_values((first, owner, "lamp", 1, None))
    rows.add_values((second, owner, "desk", 2, None))

    grouped = {row["thing_id"]: row for row in rows.group("owner_id", owner)}
    changed = rows.update(first, count=5)

    assert changed is rows.get(first) is grouped[first]
    assert changed == {
        "thing_id": first,
        "owner_id": owner,
        "name": "lamp",
        "count": 5,
        "note": None,
    }
    rows.delete(second)
    assert second not in rows
    assert [row["thing_id"] for row in rows.group("owner_id", owner)] == [first]


def test_values_of_the_wrong_width_or_a_held_key_are_refused():
    thing, owner = uuid4(), uuid4()
    rows = held([owner])
    rows.add_values((thing, owner, "lamp", 1, None))

    with pytest.raises(ValueError, match="things"):
        rows.add_values((uuid4(), owner, "lamp", 1))
    with pytest.raises(KeyError):
        rows.add_values((thing, owner, "desk", 2, None))


def test_a_group_listed_once_keeps_the_rows_added_and_deleted_after():
    owner = uuid4()
    first, second, third = uuid4(), uuid4(), uuid4()
    rows = held([owner])
    rows.add_values((first, owner, "lamp", 1, None))
    assert [row["thing_id"] for row in rows.group("owner_id", owner)] == [first]

    rows.add_values((second, owner, "desk", 2, None))
    rows.add(dict(zip(COLUMNS, (third, owner, "chair", 3, None), strict=True)))
    rows.delete(first)

    assert [row["thing_id"] for row in rows.group("owner_id", owner)] == [second, third]


def test_a_group_of_an_owner_not_loaded_is_refused():
    rows = held([uuid4()])

    with pytest.raises(LookupError, match="owner_id"):
        rows.group("owner_id", uuid4())
