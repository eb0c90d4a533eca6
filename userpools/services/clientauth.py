"""App-client authentication for the unsigned (public) operations: the ``SECRET_HASH``.

Every operation a user's app calls without AWS credentials (SignUp, ConfirmSignUp,
ForgotPassword, InitiateAuth ...) names an app client. A client with a secret proves
it holds one: ``SECRET_HASH = Base64(HMAC_SHA256(key=client_secret, msg=username + client_id))``
(Developer Guide, "Computing secret hash values"). While a secret is being rotated a
client has two, and a hash made with either is accepted.

Sign-in is the hot path, so a client, its pool and its secrets are cached in process
memory for :data:`CACHE_SECONDS` (two queries a request fewer; :mod:`userpools.services.memo`);
the token service takes the pool of an access token's user from here too. Saving or
deleting a client, a secret or a pool clears this process's cache when the transaction
commits (userpools.services.memo); other server processes see the change within
:data:`CACHE_SECONDS`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from userpools.errors import NotAuthorized, ResourceNotFound
from userpools.models import AppClient
from userpools.services.clients import LEGACY_FLOWS
from userpools.services.memo import ProcessCache

CACHE_SECONDS = 5.0
_clients: ProcessCache[str, tuple[AppClient, tuple[str, ...]]] = ProcessCache(
    "clients", CACHE_SECONDS, invalidated_by=("userpools.AppClient", "userpools.ClientSecret", "userpools.UserPool")
)

# JSON may carry lone surrogates (\ud800); they must not turn a wrong hash into a 500.
_UTF8, _LONE = "utf-8", "surrogatepass"


def secret_hash(*, client_id: str, client_secret: str, username: str) -> str:
    """The SECRET_HASH a client with ``client_secret`` sends for ``username``."""
    key, message = client_secret.encode(_UTF8, _LONE), (username + client_id).encode(_UTF8, _LONE)
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _client_query(client_id: str) -> tuple[AppClient, tuple[str, ...]]:
    client = AppClient.objects.select_related("pool").prefetch_related("secrets").filter(client_id=client_id).first()
    if client is None:
        raise ResourceNotFound(f"User pool client {client_id} does not exist.")
    return client, tuple(s.secret for s in client.secrets.all())


def client_load(client_id: str) -> tuple[AppClient, tuple[str, ...]]:
    """The client ``client_id`` names (pool loaded) and its secrets, from the cache if fresh.
    The client is shared: read it, never save it."""
    _clients.seconds = CACHE_SECONDS  # a module setting, so tests (and operators) can change it
    return _clients.get(client_id, _client_query)


def client_for_request(client_id: str, secret_hash_value: str | None, username: str) -> AppClient:
    """The app client a public request names, with its pool loaded.

    ``username`` is the name the caller sent (the hash covers it exactly as sent).
    Raises ResourceNotFoundException for an unknown client, NotAuthorizedException for a
    missing or wrong SECRET_HASH on a client that has secrets. A SECRET_HASH sent for a
    client without secrets is ignored.
    """
    client, secrets = client_load(client_id)
    if not secrets:
        return client
    if not secret_hash_value:
        raise NotAuthorized(f"Client {client_id} is configured with secret but SECRET_HASH was not received")
    given = secret_hash_value.encode(_UTF8, _LONE)
    matched = False
    # Compare against every secret, without stopping early, so timing says nothing about which.
    for secret in secrets:
        expected = secret_hash(client_id=client_id, client_secret=secret, username=username).encode()
        matched |= hmac.compare_digest(expected, given)
    if not matched:
        raise NotAuthorized(f"Unable to verify secret hash for client {client_id}")
    return client


def prevents_existence_errors(client: AppClient) -> bool:
    return client.settings.get("PreventUserExistenceErrors") == "ENABLED"


# Which ExplicitAuthFlows values let a client use a flow (ALLOW_ names and the legacy ones).
FLOW_PERMISSIONS: dict[str, frozenset[str]] = {
    "USER_PASSWORD_AUTH": frozenset({"ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"}),
    "ADMIN_USER_PASSWORD_AUTH": frozenset({"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"}),
    "ADMIN_NO_SRP_AUTH": frozenset({"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"}),
    "REFRESH_TOKEN_AUTH": frozenset({"ALLOW_REFRESH_TOKEN_AUTH"}),
    "REFRESH_TOKEN": frozenset({"ALLOW_REFRESH_TOKEN_AUTH"}),
    "USER_SRP_AUTH": frozenset({"ALLOW_USER_SRP_AUTH"}),
    "CUSTOM_AUTH": frozenset({"ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY"}),
    "USER_AUTH": frozenset({"ALLOW_USER_AUTH"}),
}
REFRESH_FLOWS = frozenset({"REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"})


def flow_allowed(client: AppClient, flow: str) -> bool:
    allowed = set(client.settings.get("ExplicitAuthFlows") or [])
    if flow in REFRESH_FLOWS and allowed & LEGACY_FLOWS:
        return True  # legacy clients always allow refreshing
    return bool(allowed & FLOW_PERMISSIONS.get(flow, frozenset()))
