"""Several logins on one identity, conflicts, UnlinkIdentity, and developer-authenticated
identities (Lookup/Merge/UnlinkDeveloperIdentity)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from identity.services import logins as login_service
from identity.services.pools import identity_pool_get
from tests.conftest import error_code
from userpools.context import SYSTEM


def _code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_code(excinfo)


@pytest.fixture
def two_providers(identity_pool, user_pool_login, jwt_issuer, settings):
    """(pool id, UserPoolLogin, google JwtIssuer): a pool trusting a user pool and Google."""
    users = user_pool_login()
    google = jwt_issuer("https://accounts.google.com")
    settings.COGNATE = {**settings.COGNATE, "GOOGLE_JWKS_URL": google.jwks_url}
    pool = identity_pool(
        allow_unauthenticated=True,
        CognitoIdentityProviders=[users.identity_provider()],
        SupportedLoginProviders={"accounts.google.com": "g-app"},
    )
    return pool["IdentityPoolId"], users, google


def test_two_logins_link_to_one_identity(two_providers, cognito_identity, signed_identity):
    pool_id, users, google = two_providers
    logins = {users.provider: users.sign_in("alice"), "accounts.google.com": google.token(aud="g-app", sub="g-alice")}
    identity_id = cognito_identity.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
    assert sorted(signed_identity.describe_identity(IdentityId=identity_id)["Logins"]) == sorted(logins)
    # Either login alone finds it.
    for provider, token in logins.items():
        assert cognito_identity.get_id(IdentityPoolId=pool_id, Logins={provider: token})["IdentityId"] == identity_id


def test_adding_a_login_to_an_existing_identity(two_providers, cognito_identity, signed_identity):
    pool_id, users, google = two_providers
    alice = users.sign_in("alice")
    identity_id = cognito_identity.get_id(IdentityPoolId=pool_id, Logins={users.provider: alice})["IdentityId"]
    both = {users.provider: alice, "accounts.google.com": google.token(aud="g-app", sub="g-alice")}
    assert cognito_identity.get_id(IdentityPoolId=pool_id, Logins=both)["IdentityId"] == identity_id
    assert len(signed_identity.describe_identity(IdentityId=identity_id)["Logins"]) == 2


def test_logins_of_two_identities_conflict(two_providers, cognito_identity):
    pool_id, users, google = two_providers
    alice = users.sign_in("alice")
    cognito_identity.get_id(IdentityPoolId=pool_id, Logins={users.provider: alice})
    cognito_identity.get_id(
        IdentityPoolId=pool_id, Logins={"accounts.google.com": google.token(aud="g-app", sub="g-bob")}
    )
    both = {users.provider: alice, "accounts.google.com": google.token(aud="g-app", sub="g-bob")}
    assert _code(cognito_identity.get_id, IdentityPoolId=pool_id, Logins=both) == "ResourceConflictException"


def test_linking_needs_a_login_of_the_identity(two_providers):
    pool_id, users, google = two_providers
    pool = identity_pool_get(pool_id)
    alice = login_service.logins_resolve(pool, {users.provider: users.sign_in("alice")})
    owned = login_service.identity_for_logins(SYSTEM, pool, alice)
    stranger = login_service.logins_resolve(pool, {"accounts.google.com": google.token(aud="g-app", sub="g-eve")})
    from userpools.errors import NotAuthorized, ResourceConflict

    with pytest.raises(NotAuthorized):
        login_service.identity_for_logins(SYSTEM, pool, stranger, identity_id=owned.id)
    with pytest.raises(NotAuthorized):  # an authenticated identity without its logins
        login_service.identity_for_logins(SYSTEM, pool, [], identity_id=owned.id)
    # A guest identity takes a first login.
    guest = login_service.identity_for_logins(SYSTEM, pool, [])
    assert login_service.identity_for_logins(SYSTEM, pool, stranger, identity_id=guest.id).id == guest.id
    with pytest.raises(ResourceConflict):  # that login now belongs to the guest-turned-authenticated identity
        login_service.identity_for_logins(SYSTEM, pool, alice + stranger)


def test_unlink_identity(two_providers, cognito_identity, signed_identity):
    pool_id, users, google = two_providers
    alice = users.sign_in("alice")
    g = google.token(aud="g-app", sub="g-alice")
    identity_id = cognito_identity.get_id(
        IdentityPoolId=pool_id, Logins={users.provider: alice, "accounts.google.com": g}
    )["IdentityId"]
    # A login of someone else does not prove the identity.
    bob = users.sign_in("bob")
    cognito_identity.get_id(IdentityPoolId=pool_id, Logins={users.provider: bob})
    assert (
        _code(
            cognito_identity.unlink_identity,
            IdentityId=identity_id,
            Logins={users.provider: bob},
            LoginsToRemove=["accounts.google.com"],
        )
        == "NotAuthorizedException"
    )
    assert (
        _code(
            cognito_identity.unlink_identity,
            IdentityId=identity_id,
            Logins={users.provider: "forged"},
            LoginsToRemove=["accounts.google.com"],
        )
        == "NotAuthorizedException"
    )
    cognito_identity.unlink_identity(
        IdentityId=identity_id, Logins={users.provider: alice}, LoginsToRemove=["accounts.google.com"]
    )
    assert signed_identity.describe_identity(IdentityId=identity_id)["Logins"] == [users.provider]
    # The Google login is free again: it gets its own identity.
    other = cognito_identity.get_id(IdentityPoolId=pool_id, Logins={"accounts.google.com": g})["IdentityId"]
    assert other != identity_id
    assert (
        _code(
            cognito_identity.unlink_identity,
            IdentityId="us-east-1:33333333-3333-3333-3333-333333333333",
            Logins={users.provider: alice},
            LoginsToRemove=[users.provider],
        )
        == "ResourceNotFoundException"
    )


# --- Developer-authenticated identities --------------------------------------------------------


@pytest.fixture
def developer_pool(identity_pool):
    """(pool id, link(identifier, identity_id=None) -> identity id): developer logins made
    as GetOpenIdTokenForDeveloperIdentity makes them (a trusted VerifiedLogin)."""
    pool_id = identity_pool(DeveloperProviderName="login.myapp")["IdentityPoolId"]

    def link(identifier: str, identity_id: str | None = None) -> str:
        pool = identity_pool_get(pool_id)
        login = login_service.VerifiedLogin("login.myapp", identifier, {})
        return login_service.identity_for_logins(SYSTEM, pool, [login], identity_id, trusted=True).id

    return pool_id, link


def test_developer_login_not_accepted_by_get_id(developer_pool, cognito_identity):
    pool_id, _ = developer_pool
    assert _code(cognito_identity.get_id, IdentityPoolId=pool_id, Logins={"login.myapp": "user-1"}) == (
        "NotAuthorizedException"
    )


def test_lookup_developer_identity(developer_pool, signed_identity):
    pool_id, link = developer_pool
    identity_id = link("user-1")
    link("user-1b", identity_id)
    link("user-1c", identity_id)
    found = signed_identity.lookup_developer_identity(IdentityPoolId=pool_id, DeveloperUserIdentifier="user-1")
    assert found["IdentityId"] == identity_id
    assert found["DeveloperUserIdentifierList"] == ["user-1", "user-1b", "user-1c"]
    page = signed_identity.lookup_developer_identity(IdentityPoolId=pool_id, IdentityId=identity_id, MaxResults=2)
    assert page["DeveloperUserIdentifierList"] == ["user-1", "user-1b"]
    rest = signed_identity.lookup_developer_identity(
        IdentityPoolId=pool_id, IdentityId=identity_id, MaxResults=2, NextToken=page["NextToken"]
    )
    assert rest["DeveloperUserIdentifierList"] == ["user-1c"] and "NextToken" not in rest
    other = link("user-2")
    assert (
        _code(
            signed_identity.lookup_developer_identity,
            IdentityPoolId=pool_id,
            IdentityId=other,
            DeveloperUserIdentifier="user-1",
        )
        == "ResourceConflictException"
    )
    assert (
        _code(signed_identity.lookup_developer_identity, IdentityPoolId=pool_id, DeveloperUserIdentifier="nobody")
        == "ResourceNotFoundException"
    )
    assert _code(signed_identity.lookup_developer_identity, IdentityPoolId=pool_id) == "InvalidParameterException"


def test_merge_developer_identities(developer_pool, signed_identity):
    pool_id, link = developer_pool
    source, destination = link("src"), link("dst")
    merged = signed_identity.merge_developer_identities(
        IdentityPoolId=pool_id,
        DeveloperProviderName="login.myapp",
        SourceUserIdentifier="src",
        DestinationUserIdentifier="dst",
    )
    assert merged["IdentityId"] == destination
    found = signed_identity.lookup_developer_identity(IdentityPoolId=pool_id, IdentityId=destination)
    assert sorted(found["DeveloperUserIdentifierList"]) == ["dst", "src"]
    assert _code(signed_identity.describe_identity, IdentityId=source) == "ResourceNotFoundException"
    assert (
        _code(
            signed_identity.merge_developer_identities,
            IdentityPoolId=pool_id,
            DeveloperProviderName="login.myapp",
            SourceUserIdentifier="nobody",
            DestinationUserIdentifier="dst",
        )
        == "ResourceNotFoundException"
    )
    assert (
        _code(
            signed_identity.merge_developer_identities,
            IdentityPoolId=pool_id,
            DeveloperProviderName="other.name",
            SourceUserIdentifier="src",
            DestinationUserIdentifier="dst",
        )
        == "InvalidParameterException"
    )


def test_merge_refuses_two_users_of_one_public_provider(developer_pool):
    from identity.models import IdentityLogin
    from identity.services.developer import developer_identities_merge
    from userpools.errors import ResourceConflict

    pool_id, link = developer_pool
    source, destination = link("src"), link("dst")
    pool = identity_pool_get(pool_id)
    IdentityLogin.objects.create(identity_id=source, pool=pool, provider="accounts.google.com", subject="g1")
    IdentityLogin.objects.create(identity_id=destination, pool=pool, provider="accounts.google.com", subject="g2")
    with pytest.raises(ResourceConflict):
        developer_identities_merge(
            SYSTEM, pool_id=pool_id, provider_name="login.myapp", source="src", destination="dst"
        )


def test_unlink_developer_identity(developer_pool, signed_identity):
    pool_id, link = developer_pool
    identity_id = link("user-1")
    link("user-1b", identity_id)
    signed_identity.unlink_developer_identity(
        IdentityPoolId=pool_id,
        IdentityId=identity_id,
        DeveloperProviderName="login.myapp",
        DeveloperUserIdentifier="user-1",
    )
    found = signed_identity.lookup_developer_identity(IdentityPoolId=pool_id, IdentityId=identity_id)
    assert found["DeveloperUserIdentifierList"] == ["user-1b"]
    assert (
        _code(
            signed_identity.unlink_developer_identity,
            IdentityPoolId=pool_id,
            IdentityId=identity_id,
            DeveloperProviderName="login.myapp",
            DeveloperUserIdentifier="user-1",
        )
        == "ResourceNotFoundException"
    )


def test_developer_operations_need_a_developer_provider(identity_pool, signed_identity):
    pool_id = identity_pool()["IdentityPoolId"]
    assert (
        _code(signed_identity.lookup_developer_identity, IdentityPoolId=pool_id, DeveloperUserIdentifier="x")
        == "InvalidParameterException"
    )
