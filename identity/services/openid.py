"""Cognate's identity issuer: the OpenID tokens of GetOpenIdToken and
GetOpenIdTokenForDeveloperIdentity, and the JWKS and discovery documents that let any
relying party (AWS IAM's OIDC providers, the STS broker's endpoint, a plain JWT library)
trust them.

The issuer is ``{COGNATE_PUBLIC_URL}/identity`` (Cognito's is
``https://cognito-identity.amazonaws.com``); JWKS at ``{issuer}/.well-known/jwks.json``,
discovery at ``{issuer}/.well-known/openid-configuration``. Tokens are RS256 JWTs with
Cognito's claims: ``iss``, ``sub`` (the identity id), ``aud`` (the identity pool id),
``amr`` (``["unauthenticated"]`` or ``["authenticated", provider, "provider:subject"...]``),
``iat``, ``exp``, ``https://cognito-identity.amazonaws.com/identity-pool-arn`` and, when
the identity has principal tags, ``https://aws.amazon.com/tags`` in the shape STS reads
session tags from (AssumeRoleWithWebIdentity, "Passing session tags using
AssumeRoleWithWebIdentity").

Keys. The signing keys are not stored in the database (identity keys belong to no user
pool, and ``userpools.SigningKey`` requires one). They come from the setting
``COGNATE_IDENTITY_SIGNING_KEYS``: a list of PEM private keys, newest first; the first
signs, all are published. When it is empty, one key is derived deterministically from
``SECRET_KEY`` (an RSA key whose primes come from an HMAC-SHA256 stream keyed with it), so
every process of a deployment signs with the same key without any storage; changing
``SECRET_KEY`` then changes the key, which invalidates outstanding OpenID tokens (they
live 15 minutes by default, 24 hours at most).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import gmpy2
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from userpools.conf import cognate_settings
from userpools.errors import NotAuthorized

ALGORITHM = "RS256"
COGNITO_IDENTITY = "cognito-identity.amazonaws.com"  # the Logins key for these tokens, as Cognito's
POOL_ARN_CLAIM = "https://cognito-identity.amazonaws.com/identity-pool-arn"
TAGS_CLAIM = "https://aws.amazon.com/tags"
DEFAULT_DURATION = timedelta(minutes=15)  # GetOpenIdTokenForDeveloperIdentity's default
OPEN_ID_TOKEN_DURATION = timedelta(minutes=10)  # GetOpenIdToken: "valid for 10 minutes"
MAX_DURATION = timedelta(hours=24)
LEEWAY = timedelta(seconds=60)
_RSA_BITS = 2048


def issuer() -> str:
    return f"{cognate_settings().PUBLIC_URL.rstrip('/')}/identity"


def identity_pool_arn(pool_id: str) -> str:
    region = pool_id.split(":", 1)[0]
    return f"arn:aws:cognito-identity:{region}:{cognate_settings().ACCOUNT_ID}:identitypool/{pool_id}"


# --- Keys --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    kid: str
    private: rsa.RSAPrivateKey


_lock = threading.Lock()
_keys: dict[tuple[str, ...], tuple[_Key, ...]] = {}


def _stream(seed: bytes, label: bytes, nbytes: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < nbytes:
        counter += 1
        out += hmac.new(seed, label + counter.to_bytes(4, "big"), hashlib.sha256).digest()
    return out[:nbytes]


def _derived_key(secret: str) -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key determined by ``secret``: primes are the next primes after
    HMAC-SHA256-stream candidates with the top two bits set (so p·q has 2048 bits)."""
    seed = hashlib.sha256(b"cognate identity issuer v1\x00" + secret.encode()).digest()
    e = 65537
    primes: list[int] = []
    attempt = 0
    while len(primes) < 2:
        attempt += 1
        raw = int.from_bytes(_stream(seed, b"p%d" % attempt, _RSA_BITS // 16), "big")
        candidate = int(gmpy2.next_prime(raw | (3 << (_RSA_BITS // 2 - 2)) | 1))
        if gmpy2.gcd(candidate - 1, e) == 1 and candidate not in primes:
            primes.append(candidate)
    p, q = sorted(primes, reverse=True)
    n = p * q
    d = int(gmpy2.invert(e, (p - 1) * (q - 1)))
    public = rsa.RSAPublicNumbers(e, n)
    numbers = rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1), int(gmpy2.invert(q, p)), public)
    return numbers.private_key()


def _kid(key: rsa.RSAPrivateKey) -> str:
    n = key.public_key().public_numbers().n
    return "identity-" + hashlib.sha256(n.to_bytes((n.bit_length() + 7) // 8, "big")).hexdigest()[:16]


def _configured() -> tuple[str, ...]:
    pems = getattr(settings, "COGNATE_IDENTITY_SIGNING_KEYS", None) or ()
    if isinstance(pems, str):
        pems = (pems,)
    return tuple(pems) or ("derived:" + settings.SECRET_KEY,)


def signing_keys() -> tuple[_Key, ...]:
    """The issuer's keys, newest (the signer) first; loaded once per configuration."""
    config = _configured()
    cached = _keys.get(config)
    if cached is not None:
        return cached
    keys = []
    for item in config:
        if item.startswith("derived:"):
            private = _derived_key(item.removeprefix("derived:"))
        else:
            loaded = serialization.load_pem_private_key(item.encode(), password=None)
            if not isinstance(loaded, rsa.RSAPrivateKey):
                raise ValueError("COGNATE_IDENTITY_SIGNING_KEYS holds RSA private keys (PEM).")
            private = loaded
        keys.append(_Key(_kid(private), private))
    with _lock:
        _keys[config] = tuple(keys)
    return tuple(keys)


def jwks() -> dict[str, Any]:
    """The issuer's JSON Web Key Set (RFC 7517 §5)."""
    keys = []
    for key in signing_keys():
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.private.public_key(), as_dict=True)
        keys.append({"alg": ALGORITHM, "e": jwk["e"], "kid": key.kid, "kty": "RSA", "n": jwk["n"], "use": "sig"})
    return {"keys": keys}


def openid_configuration() -> dict[str, Any]:
    """OpenID Connect Discovery 1.0 §3 metadata for the identity issuer (no endpoints
    besides the keys: tokens come from the cognito-identity API, not from an OAuth flow)."""
    iss = issuer()
    return {
        "issuer": iss,
        "jwks_uri": f"{iss}/.well-known/jwks.json",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "claims_supported": ["iss", "sub", "aud", "amr", "exp", "iat", POOL_ARN_CLAIM],
    }


# --- Tokens ------------------------------------------------------------------------------------


def amr(logins: list[tuple[str, str]]) -> list[str]:
    """Cognito's ``amr``: ``["unauthenticated"]``, or ``"authenticated"`` then, for each
    login, the provider and ``provider:subject`` (user pools: ``provider:CognitoSignIn:sub``)."""
    if not logins:
        return ["unauthenticated"]
    values = ["authenticated"]
    for provider, subject in logins:
        link = f"{provider}:CognitoSignIn:{subject}" if provider.startswith("cognito-idp.") else f"{provider}:{subject}"
        values += [provider, link]
    return values


def openid_token_issue(
    *,
    identity_id: str,
    pool_id: str,
    logins: list[tuple[str, str]],
    principal_tags: dict[str, str] | None = None,
    duration: timedelta = OPEN_ID_TOKEN_DURATION,
    now: datetime | None = None,
) -> str:
    """Sign an OpenID token for an identity (GetOpenIdToken / ...ForDeveloperIdentity).

    ``logins`` are the (provider, subject) pairs the caller proved in this request.
    """
    now = now or datetime.now(UTC)
    duration = min(duration, MAX_DURATION)
    claims: dict[str, Any] = {
        "iss": issuer(),
        "sub": identity_id,
        "aud": pool_id,
        "amr": amr(logins),
        POOL_ARN_CLAIM: identity_pool_arn(pool_id),
        "iat": int(now.timestamp()),
        "exp": int((now + duration).timestamp()),
        "jti": str(uuid.uuid4()),
    }
    if principal_tags:
        claims[TAGS_CLAIM] = {"principal_tags": {k: [v] for k, v in principal_tags.items()}, "transitive_tag_keys": []}
    key = signing_keys()[0]
    return jwt.encode(claims, key.private, algorithm=ALGORITHM, headers={"kid": key.kid})


def openid_token_verify(token: str, *, pool_id: str) -> dict[str, Any]:
    """The claims of an OpenID token this issuer signed for ``pool_id``.

    Raises NotAuthorizedException for a bad signature, another issuer or pool, or expiry.
    """
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        raise NotAuthorized("Invalid login token. Not a valid OpenId Connect identity token.") from None
    key = next((k for k in signing_keys() if k.kid == kid), None)
    if key is None:
        raise NotAuthorized("Invalid login token. Couldn't verify signed token.")
    try:
        return jwt.decode(
            token,
            key.private.public_key(),
            algorithms=[ALGORITHM],
            audience=pool_id,
            issuer=issuer(),
            leeway=LEEWAY,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise NotAuthorized("Invalid login token. Token expired.") from None
    except jwt.PyJWTError as exc:
        raise NotAuthorized(f"Invalid login token. {exc}") from None
