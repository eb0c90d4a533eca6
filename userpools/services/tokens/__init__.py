"""Tokens: RS256 ID and access JWTs, opaque refresh tokens and their sessions, signing keys.

The package's modules, each owning one part (none imports this ``__init__``):

* :mod:`.common`: scopes, algorithm, refusal messages, the clock (``common.now``), the
  refresh-token hash;
* :mod:`.keys`: per-pool signing keys (JWT and SAML), rotation, this process's key caches;
* :mod:`.discovery`: ``iss``, the JWKS, the OpenID Connect discovery document;
* :mod:`.issue`: :class:`TokenSet`, claim sets, new sign-ins' tokens and refresh tokens;
* :mod:`.verify`: access and ID token verification (PyJWT), the clients presenting tokens;
* :mod:`.sessions`: refresh (rotation, reuse), revocation, global sign-out, session lists.

Callers use the names exported here. Tunables and the clock are not re-exported: a test
changes them on the module that reads them (``tokens.common.now``, ``tokens.keys.CACHE_SECONDS``,
``tokens.verify.VERIFIED_MAX``, ``tokens.sessions.SESSIONS_PAGE_SIZE``).
"""

from userpools.services.tokens.common import (
    ADMIN_SCOPE,
    ALGORITHM,
    DISABLED,
    EXPIRED_ACCESS,
    INVALID_ACCESS,
    INVALID_REFRESH,
    MAX_TOKEN_LIFETIME,
    OPENID_SCOPE,
    REVOKED_ACCESS,
    REVOKED_REFRESH,
    _hash,
)
from userpools.services.tokens.discovery import issuer, jwks, jwks_cached, openid_configuration
from userpools.services.tokens.issue import (
    SESSION_PREFIX,
    TokenSet,
    _sign,
    at_hash,
    refresh_token_owner,
    tokens_issue,
    tokens_issue_for_client,
)
from userpools.services.tokens.keys import (
    _signer,
    keys_cache_clear,
    saml_signing_key,
    signing_certificate,
    signing_keys_rotate,
    signing_keys_rotate_all,
)
from userpools.services.tokens.sessions import (
    RefreshVia,
    SessionPage,
    UserSession,
    refresh_token_revoke,
    token_session_of,
    token_session_revoke,
    tokens_refresh,
    user_admin_global_sign_out,
    user_admin_session_revoke,
    user_admin_sessions_list,
    user_global_sign_out,
    user_session_revoke,
    user_sessions_list,
)
from userpools.services.tokens.verify import (
    access_token_authenticate,
    access_token_client,
    access_token_require_admin_scope,
    client_secret_matches,
    id_token_verify,
    refreshing_client,
    revoking_client,
)

__all__ = [
    "ADMIN_SCOPE",
    "ALGORITHM",
    "DISABLED",
    "EXPIRED_ACCESS",
    "INVALID_ACCESS",
    "INVALID_REFRESH",
    "MAX_TOKEN_LIFETIME",
    "OPENID_SCOPE",
    "REVOKED_ACCESS",
    "REVOKED_REFRESH",
    "SESSION_PREFIX",
    "RefreshVia",
    "SessionPage",
    "TokenSet",
    "UserSession",
    "access_token_authenticate",
    "access_token_client",
    "access_token_require_admin_scope",
    "at_hash",
    "client_secret_matches",
    "id_token_verify",
    "issuer",
    "jwks",
    "jwks_cached",
    "keys_cache_clear",
    "openid_configuration",
    "refresh_token_owner",
    "refresh_token_revoke",
    "refreshing_client",
    "revoking_client",
    "saml_signing_key",
    "signing_certificate",
    "signing_keys_rotate",
    "signing_keys_rotate_all",
    "token_session_of",
    "token_session_revoke",
    "tokens_issue",
    "tokens_issue_for_client",
    "tokens_refresh",
    "user_admin_global_sign_out",
    "user_admin_session_revoke",
    "user_admin_sessions_list",
    "user_global_sign_out",
    "user_session_revoke",
    "user_sessions_list",
    # Used by tests (tests/security/test_token_forgery.py signs bent claim sets with a pool's key).
    "_hash",
    "_sign",
    "_signer",
]
