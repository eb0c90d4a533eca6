"""The token service's signing keys: one RSA key set per pool for the JWTs (``SigningKey``
purpose ``jwt``) and the SAML signing certificate (GetSigningCertificate), and this
process's caches of the loaded keys.

* A pool's first JWT key is made on its first issue. The newest unretired key signs;
  retired keys stay listed (in the JWKS, and for verifying) for :data:`MAX_TOKEN_LIFETIME`
  so tokens they signed still verify.
* A key is an RSA-2048 key, encrypted at rest, with a self-signed X.509 certificate valid
  for ten years, as Cognito issues for SAML request signing.
* The loaded private keys (signers, by pool), public keys (verifiers, by ``kid``) and the
  pools' JWKS documents (:mod:`userpools.services.tokens.discovery`) are kept in process
  memory for :data:`CACHE_SECONDS` (:class:`userpools.services.memo.ProcessCache`):
  signing and verifying are on the hot path. A key's save or deletion, and rotation,
  clear this process's entries when the transaction commits; other processes notice
  within :data:`CACHE_SECONDS`.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.db import transaction

from userpools.context import ServiceContext
from userpools.models import SigningKey, UserPool
from userpools.services.audit import audit_record
from userpools.services.memo import On, ProcessCache
from userpools.services.pools import user_pool_get
from userpools.services.tokens import common
from userpools.services.tokens.common import MAX_TOKEN_LIFETIME

CACHE_SECONDS = 60.0


def _new_key(pool: UserPool, purpose: str) -> SigningKey:
    """A new RSA-2048 key of ``pool`` for ``purpose``, with its self-signed certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"cognate {pool.id}")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return SigningKey.objects.create(
        pool=pool,
        purpose=purpose,
        kid=secrets.token_urlsafe(24),
        private_key_pem=pem.decode(),
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
    )


@dataclass(frozen=True)
class _Signer:
    kid: str
    key: rsa.RSAPrivateKey


@dataclass(frozen=True)
class _Verifier:
    pool_id: str
    key: rsa.RSAPublicKey
    retired_at: datetime | None


class _UnknownKey(Exception):
    """A ``kid`` no JWT key has: raised by the verifiers' load, so the miss is not kept."""


def _pool_of(key: SigningKey) -> list[str]:
    return [key.pool_id]


# A saved or deleted key forgets its pool's signer and JWKS and its own verifier when the
# transaction commits (userpools.services.memo); rotation's bulk retiring sends no signal
# and clears them itself (signing_keys_rotate).
_signers: ProcessCache[str, _Signer] = ProcessCache(
    "token-signers", CACHE_SECONDS, invalidated_by=(On("userpools.SigningKey", keys=_pool_of),)
)
_verifiers: ProcessCache[str, _Verifier] = ProcessCache(
    "token-verifiers", CACHE_SECONDS, invalidated_by=(On("userpools.SigningKey", keys=lambda key: [key.kid]),)
)
_jwks: ProcessCache[str, dict[str, Any]] = ProcessCache(
    "token-jwks", CACHE_SECONDS, invalidated_by=(On("userpools.SigningKey", keys=_pool_of),)
)
_KEY_CACHES = (_signers, _verifiers, _jwks)

C = TypeVar("C", bound=ProcessCache[str, Any])


def _timed(cache: C) -> C:
    """``cache`` at :data:`CACHE_SECONDS` (a module setting, so tests can change it)."""
    cache.seconds = CACHE_SECONDS
    return cache


def keys_cache_clear(pool_id: str | None = None) -> None:
    """Forget cached keys (all pools, or one) now: after rotation, and between tests."""
    if pool_id is None:
        for cache in _KEY_CACHES:
            cache.clear()
        return
    _signers.forget(pool_id)
    _jwks.forget(pool_id)
    _verifiers.forget_if(lambda kid, verifier: verifier.pool_id == pool_id)


def _load_private(record: SigningKey) -> rsa.RSAPrivateKey:
    # Our own key, made here and stored encrypted: skipping OpenSSL's RSA consistency check
    # turns a 36 ms load (every process, every CACHE_SECONDS) into 0.02 ms.
    key = serialization.load_pem_private_key(
        record.private_key_pem.encode(), password=None, unsafe_skip_rsa_key_validation=True
    )
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def _load_signer(pool_id: str) -> _Signer:
    record = SigningKey.objects.filter(pool_id=pool_id, purpose=SigningKey.Purpose.JWT, retired_at__isnull=True).first()
    if record is None:
        record = _create_first_key(pool_id)
    return _Signer(record.kid, _load_private(record))


def _signer(pool_id: str) -> _Signer:
    """The pool's current signing key, made on first use."""
    return _timed(_signers).get(pool_id, _load_signer)


@transaction.atomic
def _create_first_key(pool_id: str) -> SigningKey:
    pool = user_pool_get(pool_id, lock=True)  # two first sign-ins must not make two signers
    existing = pool.signing_keys.filter(purpose=SigningKey.Purpose.JWT, retired_at__isnull=True).first()
    return existing or _new_key(pool, SigningKey.Purpose.JWT)


def _listed(retired_at: datetime | None, now: datetime) -> bool:
    return retired_at is None or retired_at + MAX_TOKEN_LIFETIME > now


def _load_verifier(kid: str) -> _Verifier:
    record = SigningKey.objects.filter(kid=kid, purpose=SigningKey.Purpose.JWT).first()
    if record is None:
        raise _UnknownKey(kid)
    return _Verifier(record.pool_id, _load_private(record).public_key(), record.retired_at)


def _verifier(kid: str) -> _Verifier | None:
    """The public key ``kid`` names, listed or not (:func:`_listed`); None for an unknown
    ``kid``, which is looked up again on every use rather than remembered."""
    try:
        return _timed(_verifiers).get(kid, _load_verifier)
    except _UnknownKey:
        return None


def signing_keys_rotate(ctx: ServiceContext, *, pool_id: str) -> SigningKey:
    """Make a new JWT signing key the pool's signer; the old ones retire but stay in the
    JWKS until tokens they signed have expired (:data:`MAX_TOKEN_LIFETIME`)."""
    with transaction.atomic():
        pool = user_pool_get(pool_id, lock=True)
        now = common.now()
        pool.signing_keys.filter(purpose=SigningKey.Purpose.JWT, retired_at__isnull=True).update(retired_at=now)
        key = _new_key(pool, SigningKey.Purpose.JWT)
        audit_record(ctx, "pool.rotate_signing_keys", pool_id=pool.id, target=key.kid)
        # Retiring was a bulk update, which sends no signal: forget the pool's keys when this
        # commits, and now too, for a caller inside a larger transaction (it sees its own rows).
        transaction.on_commit(lambda: keys_cache_clear(pool_id))
    keys_cache_clear(pool_id)
    return key


def signing_keys_rotate_all(ctx: ServiceContext) -> list[SigningKey]:
    """Rotate the JWT signing key of every pool (see :func:`signing_keys_rotate`)."""
    return [signing_keys_rotate(ctx, pool_id=pool_id) for pool_id in UserPool.objects.values_list("id", flat=True)]


# --- The SAML signing certificate ------------------------------------------------------------


@transaction.atomic
def saml_signing_key(*, pool_id: str) -> SigningKey:
    pool = user_pool_get(pool_id, lock=True)
    key = pool.signing_keys.filter(purpose=SigningKey.Purpose.SAML, retired_at__isnull=True).first()
    return key or _new_key(pool, SigningKey.Purpose.SAML)


def signing_certificate(*, pool_id: str) -> str:
    """The certificate body as Cognito returns it: base64 DER, no PEM armour."""
    pem = saml_signing_key(pool_id=pool_id).certificate_pem
    der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)
    return base64.b64encode(der).decode()
