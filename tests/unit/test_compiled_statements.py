"""Statements compiled once for psycopg (projections/queries/compiled.py): the values a statement
binds itself are written into its SQL as literals psycopg reads as they are, and only the
caller's parameters are left to send."""

from __future__ import annotations

import pytest
from sqlalchemy import Integer, String, TypeDecorator, bindparam, column, literal, select, table

from projections.queries.compiled import compiled

rows = table("rows", column("name"), column("rank"))


def test_a_statements_own_values_become_literals_and_the_callers_stay_parameters():
    statement = select(rows.c.name, literal("it's 50%", String), literal(7, Integer)).where(
        rows.c.name == bindparam("name", type_=String)
    )

    form = compiled(statement)

    assert "'it''s 50%%'" in form.sql  # quoted, and % doubled: psycopg reads it as one %
    assert "7" in form.sql
    assert "%(name)s" in form.sql and form.sql.count("%(") == 1
    assert form.params(name="Ada") == {"name": "Ada"}


class _Upper(TypeDecorator[str]):
    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: object) -> str | None:
        return None if value is None else value.upper()


def test_a_statement_whose_parameters_sqlalchemy_converts_is_refused():
    statement = select(rows.c.name).where(rows.c.name == bindparam("name", type_=_Upper))
    with pytest.raises(ValueError, match="converted by SQLAlchemy"):
        compiled(statement)
