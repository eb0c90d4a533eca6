"""Per-pool signing keys: the SAML signing certificate (GetSigningCertificate).

Created on first use: an RSA-2048 key, encrypted at rest, with a self-signed X.509
certificate valid for ten years, as Cognito issues for SAML request signing.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.db import transaction

from userpools.models import SigningKey, UserPool
from userpools.services.pools import user_pool_get


def _new_key(pool: UserPool, purpose: str) -> SigningKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"cognate {pool.id}")])
    now = dt.datetime.now(dt.timezone.utc)
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
