"""Access tokens: HS256 with the shared secret, RS256 with a key pair."""

from __future__ import annotations

import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from application.identity import Principal
from domain.identity import Role
from interfaces.http.security import TokenService
from interfaces.settings import Settings

PRINCIPAL = Principal(id=uuid.uuid4(), kind="user", name="jdoe", role=Role.BILLER, tenant_id="acme")
SESSION = uuid.uuid4()


def _pem_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private, public


def test_an_hs256_token_round_trips_with_every_claim():
    tokens = TokenService.from_settings(Settings(environment="test"))
    claims = tokens.decode(tokens.issue(PRINCIPAL, SESSION))
    assert tokens.algorithm == "HS256"
    assert (claims["sub"], claims["role"], claims["tenant"]) == (
        str(PRINCIPAL.id), "biller", "acme",
    )
    assert 3599 < claims["exp"] - claims["iat"] <= 3600 and claims["jti"]
    assert claims["fam"] == str(SESSION)


def test_iat_keeps_sub_second_precision_so_a_revocation_in_the_same_second_is_ordered():
    tokens = TokenService.from_settings(Settings(environment="test"))
    claims = tokens.decode(tokens.issue(PRINCIPAL, SESSION))
    assert isinstance(claims["iat"], float)


def test_the_verifying_key_is_parsed_once_into_a_pyjwk():
    for settings in (Settings(environment="test"),
                     Settings(environment="test", jwt_private_key=_pem_pair()[0])):
        tokens = TokenService.from_settings(settings)
        assert isinstance(tokens.verifying_key, jwt.PyJWK)
        assert tokens.verifying_key.algorithm_name == tokens.algorithm


def test_rs256_is_used_when_a_private_key_is_configured():
    private, _ = _pem_pair()
    tokens = TokenService.from_settings(Settings(environment="test", jwt_private_key=private))
    token = tokens.issue(PRINCIPAL, SESSION)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert tokens.decode(token)["sub"] == str(PRINCIPAL.id)


def test_a_public_key_alone_checks_tokens_but_cannot_issue_them():
    private, public = _pem_pair()
    issuer = TokenService.from_settings(Settings(environment="test", jwt_private_key=private))
    checker = TokenService.from_settings(Settings(environment="test", jwt_public_key=public))
    assert checker.decode(issuer.issue(PRINCIPAL, SESSION))["tenant"] == "acme"
    with pytest.raises(RuntimeError):
        checker.issue(PRINCIPAL, SESSION)


def test_an_hs256_token_is_refused_where_rs256_is_expected():
    private, _ = _pem_pair()
    rs = TokenService.from_settings(Settings(environment="test", jwt_private_key=private))
    hs = TokenService.from_settings(Settings(environment="test"))
    with pytest.raises(jwt.InvalidTokenError):
        rs.decode(hs.issue(PRINCIPAL, SESSION))


def test_an_expired_token_is_refused():
    tokens = TokenService.from_settings(Settings(environment="test"))
    expired = jwt.encode(
        {"sub": "x", "role": "admin", "tenant": "acme", "iat": 0, "exp": 1, "jti": "j",
         "iss": "aries", "fam": "f"},
        tokens.signing_key, algorithm="HS256",
    )
    with pytest.raises(jwt.ExpiredSignatureError):
        tokens.decode(expired)
