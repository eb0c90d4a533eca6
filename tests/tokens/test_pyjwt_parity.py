"""The token service checks a token's text with PyJWT and the few rules PyJWT leaves to
its caller (userpools/services/tokens/verify.py, ``_jws_verified``). Here an independent
checker of the same rules, written without PyJWT (RFC 7515 compact serialization, RSASSA-
PKCS1-v1_5 with SHA-256 through cryptography), judges a corpus of valid and bent tokens
beside it: both must accept the same tokens with the same claims and refuse the same others.
"""

from __future__ import annotations

import base64
import json
import re

import jwt
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from userpools.context import SYSTEM
from userpools.services import tokens
from userpools.services.tokens import keys, verify

pytestmark = pytest.mark.django_db

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(segment: str) -> bytes:
    if len(segment) % 4 == 1 or re.fullmatch(r"[A-Za-z0-9_-]*", segment) is None:
        raise ValueError("not base64url")
    raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    if base64.urlsafe_b64encode(raw).rstrip(b"=") != segment.encode("ascii"):
        raise ValueError("not canonical base64url")
    return raw


def _json_object(raw: bytes) -> dict:
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def _independent(token: str) -> tuple[dict, str]:
    """The rules, without PyJWT: three canonical unpadded base64url segments; a JSON object
    header, RS256, a string kid of ours, no crit or b64; the signature over the first two
    segments as sent; a JSON object payload with the required claims set, sub and jti strings."""
    if token.count(".") != 2:
        raise ValueError("not a compact JWS")
    head, body, signature = token.split(".")
    header = _json_object(_segment(head))
    kid = header.get("kid")
    if header.get("alg") != "RS256" or not isinstance(kid, str) or "crit" in header or "b64" in header:
        raise ValueError("not our header")
    verifier = keys._verifier(kid)
    if verifier is None:
        raise ValueError("not our key")
    verifier.key.verify(_segment(signature), f"{head}.{body}".encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    claims = _json_object(_segment(body))
    if any(claims.get(name) is None for name in verify._REQUIRED):
        raise ValueError("claims missing")
    if not isinstance(claims["sub"], str) or not isinstance(claims.get("jti", ""), str):
        raise ValueError("sub and jti are strings")
    return claims, kid


def _verdict(check, token: str):
    try:
        return ("accepted", check(token))
    except (jwt.InvalidTokenError, ValueError, RecursionError, InvalidSignature):
        return ("refused",)


@pytest.fixture
def corpus(setup) -> list[str]:
    pool_id, client, user = setup
    issued = tokens.tokens_issue(SYSTEM, user=user, client=client)
    signer = tokens._signer(pool_id)
    claims = jwt.decode(issued.access_token, options={"verify_signature": False})

    def signed(payload: bytes, **headers) -> str:
        return jwt.api_jws.encode(payload, signer.key, algorithm="RS256", headers={"kid": signer.kid, **headers})

    def raw(header: dict, payload: bytes) -> str:  # what PyJWT would not encode
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(payload)}"
        signature = signer.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"

    def bent(**changes) -> str:
        drop = changes.pop("_drop", ())
        return signed(json.dumps({k: v for k, v in {**claims, **changes}.items() if k not in drop}).encode())

    good = issued.access_token
    head, body, signature = good.split(".")
    out = [
        good,
        issued.id_token,
        good + "=",
        head + "=." + body + "." + signature,
        good + ".x",
        f"{head}.{body}",
        " " + good,
        "",
        "..",
        "a.b.c",
        f"{head}.{body}.",
        f"{head}..{signature}",
        good.replace("-", "+").replace("_", "/"),
        f"{head}.{body}.{signature[:-4]}AAAA",
    ]
    # '=' padding where it is well-formed base64 (PyJWT accepts that); the canonical twins
    # of each segment (unused low bits set: the same bytes).
    for i, segment in enumerate((head, body, signature)):
        parts = [head, body, signature]
        if len(segment) % 4:
            parts[i] = segment + "=" * (-len(segment) % 4)
            out.append(".".join(parts))
            parts[i] = segment[:-1] + ALPHABET[ALPHABET.index(segment[-1]) ^ 1]
            out.append(".".join(parts))
    # Headers.
    out += [
        signed(body.encode(), typ="JWT", x=1),
        signed(json.dumps(claims).encode(), crit=["exp"], exp=1),
        signed(b"", b64=False, crit=["b64"]),
        raw({"alg": "RS256", "kid": 7}, json.dumps(claims).encode()),
        raw({"alg": "RS256", "kid": signer.kid, "b64": True}, json.dumps(claims).encode()),
        signed(json.dumps(claims).encode(), kid="unknown"),
        jwt.encode(claims, signer.key, algorithm="RS256"),
        jwt.encode(claims, "a-secret-long-enough-for-hs256-keys!", algorithm="HS256", headers={"kid": signer.kid}),
        f"{_b64(json.dumps({'alg': 'none', 'kid': signer.kid}).encode())}.{body}.",
        f"{_b64(b'[1]')}.{body}.{signature}",
        f"{_b64(b'not json')}.{body}.{signature}",
    ]
    # Payloads.
    for name in verify._REQUIRED:
        out += [bent(_drop=(name,)), bent(**{name: None})]
    out += [
        bent(sub=1),
        bent(jti=7),
        bent(jti=None),
        bent(exp="soon"),
        bent(iat="x"),
        bent(nbf="x"),
        bent(iss="https://elsewhere.example"),
        bent(extra={"a": [1, 2]}),
        signed(b"[1, 2]"),
        signed(b"not json"),
        signed(b"{}"),
        signed(b'{"sub": "a", "sub": 1}'),
        signed(b"[" * 5000 + b"]" * 5000),
    ]
    # One character changed, all along the token.
    for position in range(0, len(good), 11):
        if good[position] != ".":
            other = ALPHABET[(ALPHABET.index(good[position]) + 1) % 64]
            out.append(good[:position] + other + good[position + 1 :])
    return out


def test_the_service_and_an_independent_checker_agree_on_every_token(corpus):
    verdicts = []
    for token in corpus:
        ours, theirs = _verdict(verify._jws_verified, token), _verdict(_independent, token)
        assert ours == theirs, token
        verdicts.append(ours[0])
    # The corpus exercises both answers: a test that cannot see a difference proves nothing.
    assert verdicts.count("accepted") >= 5 and verdicts.count("refused") >= 60


def test_a_relaxed_rule_would_be_seen(corpus, monkeypatch):
    """The comparison can fail: were the service to take '=' padding (as PyJWT alone does),
    the independent checker would disagree on a padded token."""
    strict = verify._segment
    monkeypatch.setattr(verify, "_segment", lambda segment: strict(segment.rstrip("=")))
    disagreements = [t for t in corpus if _verdict(verify._jws_verified, t) != _verdict(_independent, t)]
    assert disagreements and all("=" in t for t in disagreements)
