"""The token service checks a token's text with PyJWT's rules without calling PyJWT
(userpools/services/tokens/verify.py, ``_jws_verified``). Here PyJWT itself, with the
same options and the few rules PyJWT leaves to its caller, judges a corpus of bent
tokens beside it: both must accept the same tokens with the same claims and refuse the
same others.
"""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from userpools.context import SYSTEM
from userpools.services import tokens
from userpools.services.tokens import keys, verify

pytestmark = pytest.mark.django_db

OPTIONS = {
    "require": list(verify._REQUIRED),
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_iss": False,
    "verify_aud": False,
}
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _pyjwt(token: str) -> tuple[dict, str]:
    """PyJWT's verdict, with what the service refuses before PyJWT would be asked: padding
    (PyJWT takes it), JWS extensions (PyJWT honours ``crit`` and ``b64``), a header that is
    not RS256 with a string ``kid`` of ours."""
    if token.count(".") != 2 or "=" in token:
        raise ValueError("padded, or not three segments")
    header = jwt.get_unverified_header(token)
    kid = header.get("kid")
    if header.get("alg") != "RS256" or not isinstance(kid, str) or "crit" in header or "b64" in header:
        raise ValueError("not our header")
    verifier = keys._verifier(kid)
    if verifier is None:
        raise ValueError("not our key")
    return jwt.decode(token, verifier.key, algorithms=["RS256"], options=OPTIONS), kid


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


def test_the_service_and_pyjwt_agree_on_every_token(corpus):
    verdicts = []
    for token in corpus:
        ours, theirs = _verdict(verify._jws_verified, token), _verdict(_pyjwt, token)
        assert ours == theirs, token
        verdicts.append(ours[0])
    # The corpus exercises both answers: a test that cannot see a difference proves nothing.
    assert verdicts.count("accepted") >= 5 and verdicts.count("refused") >= 60


def test_a_relaxed_rule_would_be_seen(corpus, monkeypatch):
    """The comparison can fail: were the service to take '=' padding, PyJWT (as the
    service calls it) would disagree on a padded token."""
    strict = verify._segment
    monkeypatch.setattr(verify, "_segment", lambda segment: strict(segment.rstrip("=")))
    disagreements = [t for t in corpus if _verdict(verify._jws_verified, t) != _verdict(_pyjwt, t)]
    assert disagreements and all("=" in t for t in disagreements)
