"""The verifier with a "real Cognito" issuer whose JWKS a local server on 127.0.0.1 serves
(configured with an explicit JWKS URL), and the parts that need no Cognate at all:
concurrency, outages, the JWKS's own contents, configuration, and the no-Django import."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import jwt
import pytest

from tests.verify.conftest import COGNITO_CLIENT, COGNITO_ISSUER, cognito_claims, jwk, new_key, sign
from userpools.verify import (
    ExpiredToken,
    InvalidToken,
    Issuer,
    JwksUnavailable,
    TokenErrorCode,
    TokenVerifier,
    WrongAudience,
    WrongIssuer,
)

ROOT = Path(__file__).resolve().parents[2]


def cognito_verifier(server, **options) -> TokenVerifier:
    options.setdefault("client_ids", [COGNITO_CLIENT])
    options.setdefault("token_use", ["access", "id"])
    return TokenVerifier({COGNITO_ISSUER: server.url}, **options)


def test_cognito_tokens_through_an_explicit_jwks_url(cognito, cognito_key):
    verifier = cognito_verifier(cognito)
    access = verifier.verify(sign(cognito_claims("access", **{"cognito:groups": ["admins"]}), cognito_key, kid="key-1"))
    assert access.issuer == COGNITO_ISSUER and access.username == "carol" and access.groups == ("admins",)
    assert access.scopes == ("aws.cognito.signin.user.admin",) and access.client_id == COGNITO_CLIENT
    id_token = verifier.verify(sign(cognito_claims("id"), cognito_key, kid="key-1"))
    assert id_token.username == "carol" and id_token.claims["email"] == "carol@example.com"
    assert cognito.hits == ["/jwks.json"]


def test_issuer_forms_are_equivalent(cognito, cognito_key):
    token = sign(cognito_claims(), cognito_key, kid="key-1")
    for issuers in (
        {COGNITO_ISSUER: cognito.url},
        [Issuer(COGNITO_ISSUER, cognito.url)],
        Issuer(COGNITO_ISSUER + "/", jwks_url=cognito.url),
    ):
        assert TokenVerifier(issuers, client_ids=COGNITO_CLIENT).verify(token).username == "carol"


def test_default_jwks_path_is_derived_from_the_issuer():
    assert Issuer(COGNITO_ISSUER).jwks == f"{COGNITO_ISSUER}/.well-known/jwks.json"
    local = "http://127.0.0.1:8000/us-east-1_X"
    assert Issuer(local + "/").jwks == f"{local}/.well-known/jwks.json"


@pytest.mark.parametrize(
    "claims, error, code",
    [
        (cognito_claims(exp=1_000_000_000, iat=999_990_000), ExpiredToken, TokenErrorCode.EXPIRED),
        (cognito_claims(client_id="other-client"), WrongAudience, TokenErrorCode.WRONG_AUDIENCE),
        (cognito_claims("id", aud=["other-client"]), WrongAudience, TokenErrorCode.WRONG_AUDIENCE),
        (cognito_claims(client_id=None), InvalidToken, TokenErrorCode.INVALID_CLAIMS),
        (cognito_claims(exp=None), InvalidToken, TokenErrorCode.INVALID_CLAIMS),
        (cognito_claims(sub=None), InvalidToken, TokenErrorCode.INVALID_CLAIMS),
        (
            cognito_claims(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"),
            WrongIssuer,
            TokenErrorCode.WRONG_ISSUER,
        ),
        (cognito_claims(iss=COGNITO_ISSUER + "/"), WrongIssuer, TokenErrorCode.WRONG_ISSUER),
    ],
)
def test_cognito_claims_are_checked(cognito, cognito_key, claims, error, code):
    claims = {k: v for k, v in claims.items() if v is not None}
    with pytest.raises(error) as exc:
        cognito_verifier(cognito).verify(sign(claims, cognito_key, kid="key-1"))
    assert type(exc.value) is error and exc.value.code == code


def test_id_token_audience_list(cognito, cognito_key):
    token = sign(cognito_claims("id", aud=["other-client", COGNITO_CLIENT]), cognito_key, kid="key-1")
    assert cognito_verifier(cognito).verify(token).client_id == COGNITO_CLIENT


def test_leeway_on_a_forged_expiry(cognito, cognito_key):
    claims = cognito_claims()
    claims.update(exp=claims["iat"] - 20, iat=claims["iat"] - 3620)  # expired 20 s ago
    token = sign(claims, cognito_key, kid="key-1")
    with pytest.raises(ExpiredToken):
        cognito_verifier(cognito).verify(token)
    assert cognito_verifier(cognito, leeway=30).verify(token)


def test_unusable_jwks_entries_are_ignored(cognito, cognito_key):
    other = new_key()
    public_n = jwk(other, "x")["n"]
    cognito.document = {
        "keys": [
            jwk(cognito_key, "key-1"),
            jwk(other, "enc-key", use="enc"),
            jwk(other, "hs-key", alg="HS256"),
            {"kty": "oct", "kid": "oct-key", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "broken", "n": public_n},  # no exponent
            "not a key",
        ]
    }
    verifier = cognito_verifier(cognito, refetch_interval=0)
    for kid in ("enc-key", "hs-key", "broken"):
        with pytest.raises(InvalidToken) as exc:
            verifier.verify(sign(cognito_claims(), other, kid=kid))
        assert exc.value.code == TokenErrorCode.UNKNOWN_KEY
    assert verifier.verify(sign(cognito_claims(), cognito_key, kid="key-1"))


def test_rollover_at_a_cognito_issuer(cognito, cognito_key, clock):
    verifier = cognito_verifier(cognito)
    assert verifier.verify(sign(cognito_claims(), cognito_key, kid="key-1"))
    rotated = new_key()
    cognito.document = {"keys": [jwk(cognito_key, "key-1"), jwk(rotated, "key-2")]}
    clock.advance(1)  # well inside the 5-minute cache
    assert verifier.verify(sign(cognito_claims(), rotated, kid="key-2"))
    assert len(cognito.hits) == 2


def test_concurrent_unknown_kids_fetch_once(cognito, cognito_key):
    verifier = cognito_verifier(cognito)
    assert verifier.verify(sign(cognito_claims(), cognito_key, kid="key-1"))
    cognito.delay = 0.2  # a slow JWKS: every thread arrives while the refetch is in flight
    stranger = new_key()
    forged = [sign(cognito_claims(), stranger, kid=f"bogus-{n}") for n in range(16)]
    codes: list[TokenErrorCode] = []
    barrier = threading.Barrier(len(forged))

    def attempt(token):
        barrier.wait()
        try:
            verifier.verify(token)
        except InvalidToken as exc:
            codes.append(exc.code)

    threads = [threading.Thread(target=attempt, args=(t,)) for t in forged]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert codes == [TokenErrorCode.UNKNOWN_KEY] * len(forged)
    assert len(cognito.hits) == 2  # the first fetch, and one refetch for sixteen unknown kids


def test_concurrent_cold_cache_fetches_once(cognito, cognito_key):
    cognito.delay = 0.2
    token = sign(cognito_claims(), cognito_key, kid="key-1")
    results: list[str] = []
    barrier = threading.Barrier(12)

    def attempt():
        barrier.wait()
        results.append(cognito_verifier(cognito).verify(token).username)  # a verifier per "request"

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == ["carol"] * 12
    assert len(cognito.hits) == 1


def test_jwks_outage(cognito, cognito_key, clock):
    token = sign(cognito_claims(), cognito_key, kid="key-1")
    verifier = cognito_verifier(cognito)
    cognito.status = 500
    with pytest.raises(JwksUnavailable) as exc:
        verifier.verify(token)
    assert exc.value.code == TokenErrorCode.JWKS_UNAVAILABLE and exc.value.http_status == 503
    cognito.status = 200
    clock.advance(5)
    with pytest.raises(JwksUnavailable):  # no retry inside the refetch interval
        verifier.verify(token)
    assert len(cognito.hits) == 1
    clock.advance(6)
    assert verifier.verify(token)
    assert len(cognito.hits) == 2


def test_jwks_not_a_key_set(cognito, cognito_key):
    cognito.document = {"keys": "nope"}
    with pytest.raises(JwksUnavailable):
        cognito_verifier(cognito).verify(sign(cognito_claims(), cognito_key, kid="key-1"))


def test_unreachable_jwks():
    verifier = TokenVerifier({COGNITO_ISSUER: "http://127.0.0.1:9/jwks.json"}, client_ids=None, timeout=2)
    with pytest.raises(JwksUnavailable):
        verifier.verify(sign(cognito_claims(), new_key(), kid="key-1"))


def test_jwks_is_not_fetched_for_pre_signature_failures(cognito, cognito_key):
    claims = cognito_claims()
    bad = [
        jwt.encode(claims, None, algorithm="none", headers={"kid": "key-1"}),
        jwt.encode(claims, "s" * 32, algorithm="HS256", headers={"kid": "key-1"}),
        sign({**claims, "iss": "http://127.0.0.1:1/attacker"}, cognito_key, kid="key-1"),
        "a.b.c",
        "x" * 20_000,
    ]
    for token in bad:
        with pytest.raises((InvalidToken, WrongIssuer)):
            cognito_verifier(cognito).verify(token)
    assert cognito.hits == []


@pytest.mark.parametrize(
    "options",
    [
        {"issuers": [], "client_ids": None},
        {"issuers": "ftp://example.com/pool", "client_ids": None},
        {"issuers": {COGNITO_ISSUER: "file:///etc/passwd"}, "client_ids": None},
        {"issuers": COGNITO_ISSUER, "client_ids": []},
        {"issuers": COGNITO_ISSUER, "client_ids": None, "token_use": "refresh"},
        {"issuers": COGNITO_ISSUER, "client_ids": None, "token_use": []},
        {"issuers": COGNITO_ISSUER, "client_ids": None, "leeway": -1},
    ],
)
def test_bad_configuration(options):
    with pytest.raises(ValueError):
        TokenVerifier(options.pop("issuers"), **options)


def test_from_settings():
    verifier = TokenVerifier.from_settings(
        {"ISSUERS": [COGNITO_ISSUER], "CLIENT_IDS": ["a"], "TOKEN_USE": ["id"], "LEEWAY": 5}
    )
    assert verifier.token_use == {"id"} and verifier.client_ids == {"a"} and verifier.leeway == 5
    with pytest.raises(ValueError, match="CLIENT_ID"):  # a typo must not drop the client check
        TokenVerifier.from_settings({"ISSUERS": [COGNITO_ISSUER], "CLIENT_ID": ["a"]})
    with pytest.raises(ValueError):
        TokenVerifier.from_settings({"ISSUERS": [COGNITO_ISSUER]})
    assert TokenVerifier.from_settings({"ISSUERS": COGNITO_ISSUER, "CLIENT_IDS": None}).client_ids is None


def test_module_needs_no_django():
    """Another project can use the verifier with PyJWT only: Django, DRF and Cognate's
    services are made unimportable and the module still loads and verifies."""
    script = (
        "import sys\n"
        "for name in ('django', 'rest_framework', 'userpools.models', 'userpools.services'):\n"
        "    sys.modules[name] = None\n"
        "import userpools.verify as v\n"
        "v.TokenVerifier('https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X', client_ids=None)\n"
        "try:\n"
        "    v.verify('a.b.c', issuers='https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X', client_ids=None)\n"
        "except v.InvalidToken:\n"
        "    print('refused')\n"
        "print(sorted(m for m in sys.modules if m.startswith(('django', 'rest_framework')) and sys.modules[m]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["refused", "[]"]
