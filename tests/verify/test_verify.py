"""The verifier against a live Cognate: tokens from ``tokens_issue``, keys from the pool's
real JWKS URL on the live server."""

from __future__ import annotations

import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.utils import timezone

from tests.verify.conftest import b64, hs256_with, new_key, sign, unverified
from userpools.services import tokens
from userpools.verify import (
    ExpiredToken,
    InsufficientScope,
    InvalidToken,
    MissingGroup,
    TokenErrorCode,
    TokenVerifier,
    VerifiedToken,
    WrongAudience,
    WrongIssuer,
    WrongTokenUse,
    verify,
)


def verifier_for(cognate, **options) -> TokenVerifier:
    options.setdefault("client_ids", [cognate.client_id])
    options.setdefault("token_use", ["access", "id"])
    return TokenVerifier([cognate.issuer], **options)


def test_access_and_id_tokens_are_accepted(cognate, jwks_hits):
    cognate.join("admins")
    issued = cognate.issue(scopes=["openid", "orders/read"])
    verifier = verifier_for(cognate)

    access = verifier.verify(issued.access_token)
    assert isinstance(access, VerifiedToken)
    assert access.token_use == "access" and access.username == "alice" and access.sub == str(cognate.user.sub)
    assert access.client_id == cognate.client_id and access.issuer == cognate.issuer
    assert access.groups == ("admins",) and access.scopes == ("openid", "orders/read")
    assert access.claims["jti"] == unverified(issued.access_token)["jti"]
    with pytest.raises(TypeError):
        access.claims["username"] = "mallory"  # read-only claims

    id_token = verifier.verify(issued.id_token)
    assert id_token.token_use == "id" and id_token.username == "alice"  # from cognito:username
    assert id_token.client_id == cognate.client_id and id_token.groups == ("admins",) and id_token.scopes == ()
    assert id_token.claims["email"] == "alice@example.com"
    assert jwks_hits == [f"/{cognate.pool_id}/.well-known/jwks.json"]  # fetched once, then cached


def test_module_verify_shares_the_cache(cognate, jwks_hits):
    issued = cognate.issue()
    for _ in range(3):  # a verifier per call, as a per-request DRF authenticator makes
        found = verify(issued.access_token, issuers=cognate.issuer, client_ids=cognate.client_id)
        assert found.username == "alice"
    assert len(jwks_hits) == 1


def test_access_is_the_default_token_use(cognate):
    issued = cognate.issue()
    verifier = TokenVerifier(cognate.issuer, client_ids=[cognate.client_id])
    assert verifier.verify(issued.access_token).token_use == "access"
    with pytest.raises(WrongTokenUse):
        verifier.verify(issued.id_token)


def _tamper_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    raw = bytearray(jwt.utils.base64url_decode(signature))
    raw[10] ^= 0x01
    return f"{header}.{payload}.{b64(bytes(raw))}"


def _tamper_payload(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["username"] = "mallory"
    return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"


def _public_pem(cognate) -> bytes:
    document = tokens.jwks(cognate.pool_id)
    public = jwt.PyJWK(document["keys"][0]).key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _forge(case: str, cognate, issued) -> str:
    access = issued.access_token
    claims = unverified(access)
    kid = jwt.get_unverified_header(access)["kid"]
    if case == "tampered signature":
        return _tamper_signature(access)
    if case == "tampered payload":
        return _tamper_payload(access)
    if case == "alg none":
        return jwt.encode(claims, None, algorithm="none", headers={"kid": kid})
    if case == "HS256 with the public key":
        return hs256_with(_public_pem(cognate), claims, kid)
    if case == "another key, the pool's kid":
        return sign(claims, new_key(), kid=kid)
    if case == "unknown kid":
        return sign(claims, new_key(), kid="not-a-key-of-this-pool")
    if case == "not a JWT":
        return "definitely-not-a-jwt"
    if case == "no kid":
        return jwt.encode(claims, cognate.signing_key()[1], algorithm="RS256")
    if case == "pool key, no token_use":
        kid, key = cognate.signing_key()
        return sign({k: v for k, v in claims.items() if k != "token_use"}, key, kid=kid)
    if case == "pool key, issued in the future":
        kid, key = cognate.signing_key()
        return sign({**claims, "iat": claims["iat"] + 600}, key, kid=kid)
    if case == "pool key, other issuer":
        kid, key = cognate.signing_key()
        return sign({**claims, "iss": "https://evil.example/" + cognate.pool_id}, key, kid=kid)
    if case == "wrong token_use":
        return issued.id_token
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case, error, code",
    [
        ("tampered signature", InvalidToken, TokenErrorCode.INVALID_SIGNATURE),
        ("tampered payload", InvalidToken, TokenErrorCode.INVALID_SIGNATURE),
        ("alg none", InvalidToken, TokenErrorCode.UNSUPPORTED_ALGORITHM),
        ("HS256 with the public key", InvalidToken, TokenErrorCode.UNSUPPORTED_ALGORITHM),
        ("another key, the pool's kid", InvalidToken, TokenErrorCode.INVALID_SIGNATURE),
        ("unknown kid", InvalidToken, TokenErrorCode.UNKNOWN_KEY),
        ("not a JWT", InvalidToken, TokenErrorCode.MALFORMED),
        ("no kid", InvalidToken, TokenErrorCode.MALFORMED),
        ("pool key, no token_use", InvalidToken, TokenErrorCode.INVALID_CLAIMS),
        ("pool key, issued in the future", InvalidToken, TokenErrorCode.INVALID_CLAIMS),
        ("pool key, other issuer", WrongIssuer, TokenErrorCode.WRONG_ISSUER),
        ("wrong token_use", WrongTokenUse, TokenErrorCode.WRONG_TOKEN_USE),
    ],
)
def test_bad_tokens_are_refused(cognate, case, error, code):
    issued = cognate.issue()
    verifier = verifier_for(cognate, token_use="access")
    verifier.verify(issued.access_token)  # the genuine token passes, so the forgery is what fails
    forged = _forge(case, cognate, issued)
    with pytest.raises(error) as exc:
        verifier.verify(forged)
    assert type(exc.value) is error and exc.value.code == code
    for part in forged.split("."):  # the message never echoes the token
        assert len(part) < 8 or part not in str(exc.value)


def test_expired_token(cognate, monkeypatch):
    # Issue with Cognate's clock an hour and a half back: exp (1 h validity) is 30 min ago.
    past = timezone.now() - timedelta(minutes=90)
    monkeypatch.setattr(tokens.common, "now", lambda: past)
    issued = cognate.issue()
    monkeypatch.undo()
    verifier = verifier_for(cognate)
    for token in (issued.access_token, issued.id_token):
        with pytest.raises(ExpiredToken) as exc:
            verifier.verify(token)
        assert exc.value.code == TokenErrorCode.EXPIRED


def test_leeway(cognate, monkeypatch):
    past = timezone.now() - timedelta(hours=1, seconds=30)  # expired 30 s ago
    monkeypatch.setattr(tokens.common, "now", lambda: past)
    issued = cognate.issue()
    monkeypatch.undo()
    with pytest.raises(ExpiredToken):
        verifier_for(cognate).verify(issued.access_token)
    assert verifier_for(cognate, leeway=60).verify(issued.access_token).username == "alice"


def test_wrong_issuer(make_cognate, jwks_hits):
    first, second = make_cognate("first"), make_cognate("second", username="bob")
    token = first.issue().access_token
    # a pool on the same Cognate, keys and all, is still another issuer
    verifier = TokenVerifier(second.issuer, client_ids=None)
    with pytest.raises(WrongIssuer):
        verifier.verify(token)
    assert jwks_hits == []  # an unaccepted issuer's keys are never fetched
    assert TokenVerifier([second.issuer, first.issuer], client_ids=None).verify(token).username == "alice"


def test_wrong_client(cognate, make_cognate):
    issued = cognate.issue()
    verifier = verifier_for(cognate, client_ids=["someone-elses-client"])
    for token in (issued.access_token, issued.id_token):  # client_id, then aud
        with pytest.raises(WrongAudience) as exc:
            verifier.verify(token)
        assert exc.value.code == TokenErrorCode.WRONG_AUDIENCE
    # None accepts any client of the pool, explicitly
    assert verifier_for(cognate, client_ids=None).verify(issued.id_token).client_id == cognate.client_id


def test_required_groups(cognate):
    cognate.join("staff")
    issued = cognate.issue()
    with pytest.raises(MissingGroup) as exc:
        verifier_for(cognate, required_groups=["staff", "admins"]).verify(issued.access_token)
    assert exc.value.code == TokenErrorCode.MISSING_GROUP and exc.value.http_status == 403
    assert verifier_for(cognate, required_groups="staff").verify(issued.id_token).groups == ("staff",)

    cognate.join("admins")
    again = cognate.issue()
    verified = verifier_for(cognate, required_groups=["staff", "admins"]).verify(again.access_token)
    assert set(verified.groups) == {"staff", "admins"}


def test_required_scopes(cognate):
    narrow = cognate.issue(scopes=["openid", "orders/read"])
    verifier = verifier_for(cognate, required_scopes=["orders/read", "orders/write"])
    with pytest.raises(InsufficientScope) as exc:
        verifier.verify(narrow.access_token)
    assert exc.value.code == TokenErrorCode.INSUFFICIENT_SCOPE and exc.value.bearer_error == "insufficient_scope"
    with pytest.raises(InsufficientScope):  # ID tokens carry no scope
        verifier.verify(narrow.id_token)
    wide = cognate.issue(scopes=["orders/read", "orders/write"])
    assert verifier.verify(wide.access_token).scopes == ("orders/read", "orders/write")


def test_key_rollover(cognate, jwks_hits, clock, ctx):
    verifier = verifier_for(cognate)
    old = cognate.issue()
    assert verifier.verify(old.access_token)
    assert len(jwks_hits) == 1  # the JWKS is cached now

    tokens.signing_keys_rotate(ctx, pool_id=cognate.pool_id)
    new = cognate.issue()
    assert jwt.get_unverified_header(new.access_token)["kid"] != jwt.get_unverified_header(old.access_token)["kid"]
    clock.advance(1)
    assert verifier.verify(new.access_token).username == "alice"  # unknown kid: one refetch
    assert len(jwks_hits) == 2
    assert verifier.verify(old.access_token) and verifier.verify(new.access_token)  # both keys cached
    assert len(jwks_hits) == 2

    # made-up kids (signed with a stranger's key) do not make the verifier hammer Cognate
    claims = unverified(new.access_token)
    stranger = new_key()
    for n in range(20):
        clock.advance(0.25)
        with pytest.raises(InvalidToken) as exc:
            verifier.verify(sign(claims, stranger, kid=f"made-up-{n}"))
        assert exc.value.code == TokenErrorCode.UNKNOWN_KEY
    assert len(jwks_hits) == 2
    clock.advance(10)  # past the refetch interval: one more look, then quiet again
    for n in range(5):
        with pytest.raises(InvalidToken):
            verifier.verify(sign(claims, stranger, kid=f"later-{n}"))
    assert len(jwks_hits) == 3
    assert verifier.verify(new.access_token)  # genuine tokens were never affected


def test_jwks_cache_lifespan(cognate, jwks_hits, clock):
    token = cognate.issue().access_token
    verifier = verifier_for(cognate, cache_seconds=300)
    verifier.verify(token)
    clock.advance(299)
    verifier.verify(token)
    assert len(jwks_hits) == 1
    clock.advance(2)
    verifier.verify(token)
    assert len(jwks_hits) == 2
