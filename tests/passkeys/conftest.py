"""Fixtures for passkeys: pools that offer WEB_AUTHN, signed-in users, a software authenticator.

The wire tests drive boto3 against the live server (``public`` is a user's unsigned client,
``idp`` the operator's); the sign-in tests call the passkey service directly, with pools,
clients and users made through the services.
"""

from __future__ import annotations

import pytest

from tests.auth.conftest import PASSWORD, call_error  # noqa: F401 - re-exported for the tests here
from tests.mfa.conftest import access_token  # noqa: F401 - re-exported for the tests here
from tests.passkeys.authenticator import SoftwareAuthenticator
from tests.selfservice.conftest import idp, make_user, public  # noqa: F401 - fixtures
from userpools.context import SYSTEM
from userpools.models import AppClient, User
from userpools.services import users
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create, user_pool_set_mfa_config

RP_ID = "example.com"
ORIGIN = "https://example.com"
FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
PASSKEY_POLICY = {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}}


@pytest.fixture
def authenticator() -> SoftwareAuthenticator:
    return SoftwareAuthenticator(origin=ORIGIN)


@pytest.fixture
def passkey_pool(idp, make_pool, make_client):  # noqa: F811 - fixtures
    """passkey_pool(rp_id=RP_ID, verification=None, policy=PASSKEY_POLICY, **CreateUserPool) -> (pool_id, client dict).

    A pool offering WEB_AUTHN first (unless ``policy`` says otherwise) with ``rp_id`` as its
    WebAuthnConfiguration.RelyingPartyId (None: no WebAuthnConfiguration), and a client
    allowing USER_PASSWORD_AUTH and USER_AUTH."""

    def make(
        rp_id: str | None = RP_ID, verification: str | None = None, policy: dict | None = PASSKEY_POLICY, **pool_kwargs
    ):
        if policy is not None:
            pool_kwargs["Policies"] = policy
        pool_kwargs.setdefault("AutoVerifiedAttributes", ["email"])
        pool_id = make_pool(**pool_kwargs)["Id"]
        config = {k: v for k, v in (("RelyingPartyId", rp_id), ("UserVerification", verification)) if v}
        if config:
            idp.set_user_pool_mfa_config(UserPoolId=pool_id, WebAuthnConfiguration=config)
        return pool_id, make_client(pool_id, ExplicitAuthFlows=FLOWS)

    return make


@pytest.fixture
def signed_in(passkey_pool, make_user, public):  # noqa: F811 - fixtures
    """signed_in(username="alice", **passkey_pool kwargs) -> (pool_id, client dict, access token)."""

    def make(username: str = "alice", pool: tuple[str, dict] | None = None, **pool_kwargs):
        pool_id, client = pool or passkey_pool(**pool_kwargs)
        make_user(pool_id, username, email=f"{username}@example.com")
        return pool_id, client, access_token(public, client, username)

    return make


# --- Made through the services (the sign-in tests) -----------------------------------------


@pytest.fixture
def service_pool():
    """service_pool(rp_id=RP_ID, verification=None, policy=PASSKEY_POLICY, tier=None) -> AppClient."""

    def make(
        rp_id: str | None = RP_ID,
        verification: str | None = None,
        policy: dict | None = PASSKEY_POLICY,
        tier: str | None = None,
    ) -> AppClient:
        request: dict = {"PoolName": "passkeys"}
        if policy is not None:
            request["Policies"] = policy
        if tier:
            request["UserPoolTier"] = tier
        pool = user_pool_create(SYSTEM, request)
        config = {k: v for k, v in (("RelyingPartyId", rp_id), ("UserVerification", verification)) if v}
        if config:
            user_pool_set_mfa_config(SYSTEM, {"UserPoolId": pool.id, "WebAuthnConfiguration": config})
        return user_pool_client_create(SYSTEM, {"UserPoolId": pool.id, "ClientName": "app", "ExplicitAuthFlows": FLOWS})

    return make


@pytest.fixture
def service_user():
    """service_user(client, username="alice") -> a CONFIRMED User of the client's pool."""

    def make(client: AppClient, username: str = "alice") -> User:
        user = users.user_create(
            SYSTEM, pool=client.pool, username=username, password=PASSWORD, attributes={}, status=User.Status.CONFIRMED
        )
        return User.objects.select_related("pool").get(pk=user.pk)

    return make
