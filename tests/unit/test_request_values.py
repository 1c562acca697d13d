"""Request values are taken only in their written form: a date as YYYY-MM-DD. Every request
body model the OpenAPI document names is walked, so a date field added later as a plain
`datetime.date` (which would take `0` as 1970-01-01) fails here."""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

import interfaces.http.schemas as schema_package
from interfaces.http.app import create_app
from interfaces.http.schemas.values import IsoDate
from interfaces.settings import Settings

NOT_DATES = [0, "0", 86400, "2026-01-01T00:00:00", "20260101", "2026-02-30", b"2026-01-01"]


@pytest.mark.parametrize("value", NOT_DATES)
def test_a_date_is_only_taken_as_yyyy_mm_dd(value):
    with pytest.raises(ValidationError):
        TypeAdapter(IsoDate).validate_python(value)


def test_a_written_date_is_taken():
    assert TypeAdapter(IsoDate).validate_python("2026-01-31") == dt.date(2026, 1, 31)


def _models() -> dict[str, type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for module in pkgutil.iter_modules(schema_package.__path__):
        loaded = importlib.import_module(f"{schema_package.__name__}.{module.name}")
        for value in vars(loaded).values():
            if isinstance(value, type) and issubclass(value, BaseModel):
                found[value.__name__] = value
    return found


def _refs(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        own = {schema["$ref"].rsplit("/", 1)[-1]} if "$ref" in schema else set()
        return own.union(*(_refs(v) for v in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_refs(v) for v in schema))
    return set()


def _request_components(document: dict[str, Any]) -> set[str]:
    schemas = document["components"]["schemas"]
    todo = {
        name
        for item in document["paths"].values()
        for operation in item.values()
        for name in _refs(operation.get("requestBody", {}))
    }
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        seen.add(name)
        todo |= _refs(schemas.get(name, {})) - seen
    return seen


def _is_date(schema: dict[str, Any]) -> bool:
    return any(s.get("format") == "date" for s in [schema, *schema.get("anyOf", [])])


def test_every_date_field_of_a_request_body_refuses_a_number():
    document = create_app(settings=Settings(environment="test")).openapi()
    models = _models()
    tried = []
    for name in sorted(_request_components(document)):
        for field, schema in document["components"]["schemas"][name].get("properties", {}).items():
            if not _is_date(schema):
                continue
            with pytest.raises(ValidationError) as refused:
                models[name].model_validate({field: 0})
            assert (field,) in [tuple(e["loc"]) for e in refused.value.errors()], (name, field)
            tried.append((name, field))
    assert ("NewPatient", "date_of_birth") in tried
