"""What a pool publishes about its tokens: the issuer, the JSON Web Key Set and the
OpenID Connect discovery document.

``iss`` is ``{PUBLIC_URL}/{UserPoolId}``. The JWKS is kept in this process's key caches
(:mod:`userpools.services.tokens.keys`) and cleared with them.
"""

from __future__ import annotations

from typing import Any

import jwt
from django.db.models import Q

from userpools.conf import cognate_settings
from userpools.models import SigningKey
from userpools.services.domains import pages_base_url
from userpools.services.pools import user_pool_get
from userpools.services.tokens import common
from userpools.services.tokens.common import ADMIN_SCOPE, ALGORITHM, MAX_TOKEN_LIFETIME
from userpools.services.tokens.keys import _jwks, _load_private, _signer, _timed


def _load_jwks(pool_id: str) -> dict[str, Any]:
    user_pool_get(pool_id)
    _signer(pool_id)
    now = common.now()
    records = SigningKey.objects.filter(pool_id=pool_id, purpose=SigningKey.Purpose.JWT).filter(
        Q(retired_at__isnull=True) | Q(retired_at__gt=now - MAX_TOKEN_LIFETIME)
    )
    keys = []
    for record in records:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(_load_private(record).public_key(), as_dict=True)
        keys.append({"alg": ALGORITHM, "e": jwk["e"], "kid": record.kid, "kty": "RSA", "n": jwk["n"], "use": "sig"})
    return {"keys": keys}


def jwks(pool_id: str) -> dict[str, Any]:
    """The pool's JSON Web Key Set (RFC 7517 §5): the signer and recently retired keys.

    Raises ResourceNotFoundException for an unknown pool. A pool that has issued no
    token yet gets its first key here, so the JWKS is never empty.
    """
    return _timed(_jwks).get(pool_id, _load_jwks)


class _NotCached(Exception):
    pass


def _not_cached(pool_id: str) -> dict[str, Any]:
    raise _NotCached(pool_id)


def jwks_cached(pool_id: str) -> dict[str, Any] | None:
    """The document :func:`jwks` would return from this process's cache (the same object),
    or None when answering would need the database: never a query (on a miss the cache's
    load is :func:`_not_cached`, whose exception leaves nothing behind)."""
    try:
        return _timed(_jwks).get(pool_id, _not_cached)
    except _NotCached:
        return None


def issuer(pool_id: str) -> str:
    return f"{cognate_settings().PUBLIC_URL.rstrip('/')}/{pool_id}"


def openid_configuration(pool_id: str) -> dict[str, Any]:
    """OpenID Connect Discovery 1.0 §3 metadata, as Cognito publishes it.

    The OAuth 2.0 endpoints are the hosted pages': on the pool's domain when it has one,
    else under the issuer (:func:`userpools.services.domains.pages_base_url`). Raises
    ResourceNotFoundException.
    """

    user_pool_get(pool_id)
    iss = issuer(pool_id)
    pages = pages_base_url(pool_id)
    oauth = f"{pages}/oauth2"
    return {
        "authorization_endpoint": f"{oauth}/authorize",
        "code_challenge_methods_supported": ["S256", "plain"],
        "end_session_endpoint": f"{pages}/logout",
        "grant_types_supported": ["authorization_code", "implicit", "refresh_token", "client_credentials"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "issuer": iss,
        "jwks_uri": f"{iss}/.well-known/jwks.json",
        "response_types_supported": ["code", "token"],
        "revocation_endpoint": f"{oauth}/revoke",
        "scopes_supported": ["openid", "email", "phone", "profile", ADMIN_SCOPE],
        "subject_types_supported": ["public"],
        "token_endpoint": f"{oauth}/token",
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "userinfo_endpoint": f"{oauth}/userInfo",
    }
