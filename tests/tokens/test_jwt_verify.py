"""The token service's own JWT verification (``tokens._decode``, behind access_token_authenticate
and id_token_verify): what PyJWT used to check for us, checked without it.

Tokens are made with PyJWT and the pool's signing key, then bent one way at a time; each
must be refused as "Invalid Access Token" (an access token) or "Invalid ID Token".
"""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import jwt
import pytest

from userpools.context import SYSTEM
from userpools.errors import ServiceError
from userpools.services import tokens

pytestmark = pytest.mark.django_db


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def forge(setup):
    """forge(**claim_changes, headers=None, drop=()) -> an access token signed with the pool's key."""
    pool_id, client, user = setup
    good = tokens.tokens_issue(SYSTEM, user=user, client=client).access_token
    claims = jwt.decode(good, options={"verify_signature": False})
    signer = tokens._signer(pool_id)

    def make(*, headers: dict | None = None, drop: tuple[str, ...] = (), **changes) -> str:
        body = {k: v for k, v in {**claims, **changes}.items() if k not in drop}
        # Through the JWS layer: PyJWT's JWT layer refuses to encode some of the bent claim sets.
        return jwt.api_jws.encode(
            json.dumps(body).encode(), signer.key, algorithm="RS256", headers={"kid": signer.kid, **(headers or {})}
        )

    return make


def _refused(token: str, message: str = tokens.INVALID_ACCESS) -> None:
    with pytest.raises(ServiceError) as exc:
        tokens.access_token_authenticate(token)
    assert exc.value.message == message


def test_a_token_we_made_verifies(forge):
    user, claims = tokens.access_token_authenticate(forge())
    assert claims["token_use"] == "access" and str(user.sub) == claims["sub"]


def test_the_signature_covers_header_and_payload(forge):
    head, body, signature = forge().split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=="))
    payload["username"] = "mallory"
    _refused(f"{head}.{_b64(json.dumps(payload).encode())}.{signature}")
    other_head = _b64(json.dumps({**json.loads(base64.urlsafe_b64decode(head + "==")), "x": 1}).encode())
    _refused(f"{other_head}.{body}.{signature}")
    _refused(f"{head}.{body}.{signature[:-4]}AAAA")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t + "=",  # padding
        lambda t: t.replace(".", "=.", 1),  # padding inside
        lambda t: t + ".x",  # four segments
        lambda t: t.rsplit(".", 1)[0],  # two segments
        lambda t: t.replace("-", "+").replace("_", "/") if ("-" in t or "_" in t) else t + "+",  # standard alphabet
        lambda t: " " + t,
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # another signature
        lambda t: "",
        lambda t: "..",
        lambda t: "not a token",
    ],
)
def test_malformed_tokens_are_invalid(forge, mangle):
    _refused(mangle(forge()))


def test_only_canonical_base64url(forge):
    head, body, signature = forge().split(".")
    # The last character of a segment has unused low bits; flipping one gives the same bytes.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    if len(signature) % 4 in (2, 3):
        last = alphabet.index(signature[-1])
        twin = signature[:-1] + alphabet[last ^ 1]
        assert base64.urlsafe_b64decode(twin + "==") == base64.urlsafe_b64decode(signature + "==")
        _refused(f"{head}.{body}.{twin}")


@pytest.mark.parametrize("headers", [{"alg": "HS256"}, {"crit": ["exp"]}, {"b64": False}, {"kid": "unknown-kid"}])
def test_header_rules(forge, setup, headers):
    if headers.get("alg") == "HS256":  # an HMAC "signature" keyed with anything is not ours
        pool_id = setup[0]
        claims = jwt.decode(forge(), options={"verify_signature": False})
        token = jwt.encode(
            claims,
            "a-secret-long-enough-for-hs256-keys!",
            algorithm="HS256",
            headers={"kid": tokens._signer(pool_id).kid},
        )
        _refused(token)
        return
    _refused(forge(headers=headers))


def test_alg_none_is_refused(forge):
    head, body, _ = forge().split(".")
    header = json.loads(base64.urlsafe_b64decode(head + "=="))
    _refused(f"{_b64(json.dumps({**header, 'alg': 'none'}).encode())}.{body}.")


def test_a_token_without_kid_is_invalid(setup, forge):
    claims = jwt.decode(forge(), options={"verify_signature": False})
    _refused(jwt.encode(claims, tokens._signer(setup[0]).key, algorithm="RS256"))


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "token_use", "origin_jti", "iss"])
def test_required_claims(forge, claim):
    _refused(forge(drop=(claim,)))
    _refused(forge(**{claim: None}))


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "https://elsewhere.example/us-east-1_x"},
        {"sub": 12345},
        {"jti": 7},
        {"jti": None},
        {"nbf": int(time.time()) + 600},
        {"nbf": "soon"},
        {"token_use": "id"},
    ],
)
def test_claim_rules(forge, changes):
    _refused(forge(**changes))


def test_nbf_in_the_past_is_fine(forge):
    tokens.access_token_authenticate(forge(nbf=int(time.time()) - 5))


def test_expiry(forge):
    _refused(forge(exp=int(time.time()) - 1), tokens.EXPIRED_ACCESS)
    _refused(forge(exp=float(time.time() + 600)), tokens.EXPIRED_ACCESS)  # exp must be an integer


def test_a_payload_that_is_no_json_object(setup):
    pool_id = setup[0]
    signer = tokens._signer(pool_id)
    token = jwt.api_jws.encode(b"[1, 2]", signer.key, algorithm="RS256", headers={"kid": signer.kid})
    _refused(token)


def test_id_tokens_verify_the_same_way(setup):
    pool_id, client, user = setup
    issued = tokens.tokens_issue(SYSTEM, user=user, client=client)
    assert tokens.id_token_verify(issued.id_token)["aud"] == client.client_id
    with pytest.raises(ServiceError) as exc:
        tokens.id_token_verify(issued.id_token + "x")
    assert exc.value.message == "Invalid ID Token"
    with pytest.raises(ServiceError) as exc:
        tokens.id_token_verify(issued.access_token)
    assert exc.value.message == "Invalid ID Token"


# --- Tokens verified once per text ---------------------------------------------------------------


def test_a_token_is_verified_once_and_checked_on_every_use(forge, monkeypatch):
    token = forge()
    tokens.access_token_authenticate(token)
    verified = []
    monkeypatch.setattr(
        tokens.verify, "_segment", lambda s: verified.append(s) or (_ for _ in ()).throw(AssertionError)
    )
    user, claims = tokens.access_token_authenticate(token)  # no segment decoded, no RSA
    assert not verified and claims["token_use"] == "access"
    claims["sub"] = "changed by a caller"
    assert tokens.access_token_authenticate(token)[1]["sub"] == str(user.sub)  # callers get copies


def test_a_verified_token_still_expires(forge, monkeypatch):
    token = forge(exp=int(time.time()) + 60)
    tokens.access_token_authenticate(token)
    later = tokens.common.now() + timedelta(seconds=61)
    monkeypatch.setattr(tokens.common, "now", lambda: later)
    _refused(token, tokens.EXPIRED_ACCESS)


def test_a_verified_token_is_refused_once_its_key_is_unlisted(forge, setup, monkeypatch):
    token = forge()
    tokens.access_token_authenticate(token)
    tokens.signing_keys_rotate(SYSTEM, pool_id=setup[0])  # the old key is retired, still listed
    tokens.access_token_authenticate(token)
    later = tokens.common.now() + tokens.MAX_TOKEN_LIFETIME + timedelta(seconds=1)
    monkeypatch.setattr(tokens.common, "now", lambda: later)
    _refused(token, tokens.INVALID_ACCESS)


def test_a_verified_token_is_refused_for_another_use_or_issuer(forge, settings):
    token = forge()
    tokens.access_token_authenticate(token)
    with pytest.raises(ServiceError) as exc:
        tokens.id_token_verify(token)
    assert exc.value.message == "Invalid ID Token"
    settings.COGNATE = {**settings.COGNATE, "PUBLIC_URL": "https://elsewhere.example"}
    _refused(token)


def test_the_verified_tokens_are_bounded(setup, monkeypatch):
    pool_id, client, user = setup
    monkeypatch.setattr(tokens.verify._verified, "max_entries", 2)
    for _ in range(5):
        tokens.access_token_authenticate(tokens.tokens_issue(SYSTEM, user=user, client=client).access_token)
    assert 0 < len(tokens.verify._verified) <= 2
