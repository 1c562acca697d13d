"""NIST SP 800-63B password rules (domain/passwords.py): one behaviour per test, no I/O."""

from __future__ import annotations

import pytest

from domain.errors import InvalidValue
from domain.passwords import check_password, common_passwords, minimum_length

ACCOUNT = {"username": "jdoe", "tenant_id": "acme"}


def refused_rule(password: str, *, multi_factor: bool = True, **account: str) -> str | None:
    try:
        check_password(password, multi_factor=multi_factor, **{**ACCOUNT, **account})
    except InvalidValue as refused:
        return refused.rule
    return None


@pytest.mark.parametrize("password", ["password12", "qwertyuiop", "Password12!", "!!monkey2024"])
def test_common_passwords_are_refused_even_where_eight_characters_would_do(password):
    assert refused_rule(password) == "password_is_not_common"


def test_the_username_is_refused_as_a_password():
    assert refused_rule("j.doe-1988xyz", username="j.doe-1988xyz") == (
        "password_is_not_about_the_account"
    )


@pytest.mark.parametrize("password", ["my acme account!", "AriesRocksForever", "JDoe's long pass"])
def test_the_tenant_the_service_or_the_username_inside_a_password_is_refused(password):
    assert refused_rule(password) == "password_is_not_about_the_account"


@pytest.mark.parametrize(
    "password",
    [
        "zzzzzzzzzzzzzzzz", "abcdefghijklmnop", "9876543210zyxwvu", "kq7kq7kq7kq7kq7kq7",
        "45678mnopqrs",
    ],
)
def test_repeated_or_sequential_characters_are_refused(password):
    assert refused_rule(password) == "password_is_not_repetitive_or_sequential"


def test_a_password_that_is_the_only_factor_needs_15_characters():
    assert minimum_length(multi_factor=False) == 15
    assert refused_rule("tulip violin 42", multi_factor=False) is None
    assert refused_rule("tulip violin4", multi_factor=False) == "password_is_long_enough"


def test_a_password_guarded_by_a_second_factor_needs_8_characters():
    assert refused_rule("tulip v4", multi_factor=True) is None
    assert refused_rule("tulip 4", multi_factor=True) == "password_is_long_enough"


def test_there_are_no_composition_rules_any_printable_or_unicode_text_will_do():
    assert refused_rule("all lower case words here", multi_factor=False) is None
    assert refused_rule("mañana über straße ☂", multi_factor=False) is None


@pytest.mark.parametrize("password", [" " * 20, "x" * 257])
def test_blank_and_huge_passwords_are_refused(password):
    assert refused_rule(password) in ("password_is_long_enough", "password_is_not_too_long")


def test_the_blocklist_ships_with_the_package_with_its_source():
    assert len(common_passwords()) > 29_000
    assert {"password", "qwertyuiop", "123456789"} <= common_passwords()
