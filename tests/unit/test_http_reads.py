"""Cursors: what a page answers comes back as the same typed sort key; anything else is 400."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

import pytest

from interfaces.http.bounds import BIGINT_MAX, position
from interfaces.http.problems import ProblemError
from interfaces.http.reads import decode_cursor, encode_cursor, next_cursor

ID = uuid.UUID("8ffd84fd-d7f0-4d69-be19-4d62879c481c")  # fixed: it names parametrized cases
KEY = (dt.date(2026, 11, 2), ID)
PARSERS = (dt.date.fromisoformat, uuid.UUID)


def _raw(values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def test_a_cursor_decodes_to_the_key_it_was_encoded_from():
    assert decode_cursor(encode_cursor(KEY), PARSERS) == KEY


def test_a_tagged_cursor_decodes_to_its_key_under_the_same_tag():
    assert decode_cursor(encode_cursor(KEY, tag="name:asc"), PARSERS, tag="name:asc") == KEY


def test_no_cursor_is_page_one():
    assert decode_cursor(None, PARSERS) is None


def test_the_last_page_has_no_next_cursor():
    assert next_cursor(None) is None
    assert next_cursor(KEY, tag="notes") == encode_cursor(KEY, tag="notes")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        _raw({"a": 1}),
        _raw(["2026-11-02"]),
        _raw(["2026-11-02", str(ID), "extra"]),
        _raw(["02/11/2026", str(ID)]),
        _raw(["2026-11-02", 5]),  # UUID(5) raises AttributeError, not ValueError
        _raw([None, str(ID)]),
    ],
)
def test_a_cursor_this_api_did_not_answer_is_the_bad_cursor_problem(cursor):
    with pytest.raises(ProblemError) as refused:
        decode_cursor(cursor, PARSERS)
    assert (refused.value.status, refused.value.type) == (
        400, "https://aries.dev/problems/bad-cursor"
    )


def test_a_cursor_of_another_sort_is_the_bad_cursor_problem():
    with pytest.raises(ProblemError):
        decode_cursor(encode_cursor(KEY, tag="name:asc"), PARSERS, tag="name:desc")
    with pytest.raises(ProblemError):
        decode_cursor(encode_cursor(KEY), PARSERS, tag="name:asc")


@pytest.mark.parametrize("value", [2**63, -1, True, "7", 1.5])
def test_a_position_cursor_a_bigint_cannot_hold_is_the_bad_cursor_problem(value):
    with pytest.raises(ProblemError) as refused:
        decode_cursor(encode_cursor([value]), (position,))
    assert refused.value.status == 400


def test_a_position_cursor_at_the_bigint_bound_decodes():
    assert decode_cursor(encode_cursor([BIGINT_MAX]), (position,)) == (BIGINT_MAX,)


def test_a_cursor_holding_a_nul_character_is_the_bad_cursor_problem():
    with pytest.raises(ProblemError) as refused:
        decode_cursor(encode_cursor(["2026-01-01", "a\x00b"]), (str, str))
    assert refused.value.status == 400
