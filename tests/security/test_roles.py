"""Roles cannot be escalated into (issue G0, finding 2).

Two barriers, each tried on its own, with real boto3 clients against live_server:

* setting a role (SetIdentityPoolRoles: Roles and RoleMappings' rules; CreateGroup and
  UpdateGroup's RoleArn, over the wire and the REST API) needs ``iam:PassRole`` on that
  role in the caller's policy;
* the built-in broker issues credentials for a role only if the role's trust policy lets
  the identity pool (and that kind of identity: guest or authenticated) assume it, on
  every path: the pool's roles, a Rules mapping, and a group's role through a Token mapping
  (``cognito:preferred_role``).
"""

# ruff: noqa: F811 - the fixtures imported from tests/identitypools/conftest.py are arguments here

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from identity.services.pools import role_save
from tests.api.test_rest_api import Api
from tests.conftest import error_code
from tests.identitypools.conftest import (  # noqa: F401 - fixtures
    _identity_env,
    cognito_identity,
    identity_pool,
    idp_client,
    make_role,
    signed_identity,
    user_pool_login,
)
from userpools.context import SYSTEM
from userpools.ids import user_pool_arn

pytestmark = pytest.mark.django_db(transaction=True)

ACCESS_DENIED = "AccessDeniedException"
BAD_CONFIGURATION = "InvalidIdentityPoolConfigurationException"
# An operator's role meant for some back office: it may do anything in any user pool.
IDP_ADMIN_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "cognito-idp:*", "Resource": "*"}],
}
IDENTITY_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "cognito-identity:*", "Resource": "*"}],
}


def cognito_trust_policy(pool_ids: list[str], kind: str | None = None) -> dict:
    """A role trust policy as AWS's console writes it for identity-pool roles."""
    condition: dict = {"StringEquals": {"cognito-identity.amazonaws.com:aud": pool_ids}}
    if kind:
        condition["ForAnyValue:StringLike"] = {"cognito-identity.amazonaws.com:amr": kind}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": condition,
            }
        ],
    }


def _policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _pass_role(arn: str) -> dict:
    return {"Effect": "Allow", "Action": "iam:PassRole", "Resource": arn}


def _client_with(boto_client, service: str, creds: dict):
    return boto_client(service, key=(creds["AccessKeyId"], creds["SecretKey"]), aws_session_token=creds["SessionToken"])


def _code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_code(excinfo)


# --- iam:PassRole ----------------------------------------------------------------------------


def test_identity_only_key_cannot_give_a_guest_pool_an_idp_admin_role(
    boto_client, make_access_key, make_role, cognito_identity, idp_client
):
    """The issue's attack: a key allowed only cognito-identity:* makes a guest pool whose
    unauthenticated role allows cognito-idp:*, then lists pools, reads users and sets a
    password with the guest credentials. SetIdentityPoolRoles now needs iam:PassRole."""
    victim_pool = idp_client.create_user_pool(PoolName="victims")["UserPool"]["Id"]
    idp_client.admin_create_user(UserPoolId=victim_pool, Username="victim", MessageAction="SUPPRESS")
    # The role trusts every identity pool: this test is about the first barrier only.
    admin_role = make_role("back-office", IDP_ADMIN_POLICY)
    attacker = boto_client("cognito-identity", key=make_access_key(IDENTITY_ONLY, username="mallory"))
    pool_id = attacker.create_identity_pool(IdentityPoolName="guests", AllowUnauthenticatedIdentities=True)[
        "IdentityPoolId"
    ]
    assert (
        _code(attacker.set_identity_pool_roles, IdentityPoolId=pool_id, Roles={"unauthenticated": admin_role})
        == ACCESS_DENIED
    )
    assert attacker.get_identity_pool_roles(IdentityPoolId=pool_id).get("Roles", {}) == {}
    # So the guests get no credentials at all, let alone ones that reach the victim.
    identity_id = cognito_identity.get_id(IdentityPoolId=pool_id)["IdentityId"]
    assert _code(cognito_identity.get_credentials_for_identity, IdentityId=identity_id) == BAD_CONFIGURATION
    assert idp_client.admin_get_user(UserPoolId=victim_pool, Username="victim")["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_pass_role_is_needed_for_each_role_set_and_only_that_role(
    boto_client, make_access_key, make_role, user_pool_login, signed_identity
):
    login = user_pool_login()
    guest_role, user_role, admin_role = make_role("guest"), make_role("user"), make_role("admin", IDP_ADMIN_POLICY)
    pool_id = signed_identity.create_identity_pool(
        IdentityPoolName="app",
        AllowUnauthenticatedIdentities=True,
        CognitoIdentityProviders=[login.identity_provider()],
    )["IdentityPoolId"]
    key = make_access_key(
        _policy(IDENTITY_ONLY["Statement"][0], _pass_role(guest_role), _pass_role(user_role)), username="deployer"
    )
    deployer = boto_client("cognito-identity", key=key)
    # Least privilege: the roles it may pass, and no other.
    deployer.set_identity_pool_roles(
        IdentityPoolId=pool_id, Roles={"unauthenticated": guest_role, "authenticated": user_role}
    )
    assert (
        _code(
            deployer.set_identity_pool_roles,
            IdentityPoolId=pool_id,
            Roles={"unauthenticated": guest_role, "authenticated": admin_role},
        )
        == ACCESS_DENIED
    )
    # A role named only in a role mapping's rule is passed too.
    mapping = {
        login.provider: {
            "Type": "Rules",
            "AmbiguousRoleResolution": "AuthenticatedRole",
            "RulesConfiguration": {
                "Rules": [{"Claim": "sub", "MatchType": "NotEqual", "Value": "x", "RoleARN": admin_role}]
            },
        }
    }
    assert (
        _code(
            deployer.set_identity_pool_roles,
            IdentityPoolId=pool_id,
            Roles={"authenticated": user_role},
            RoleMappings=mapping,
        )
        == ACCESS_DENIED
    )
    roles = signed_identity.get_identity_pool_roles(IdentityPoolId=pool_id)
    assert roles["Roles"] == {"unauthenticated": guest_role, "authenticated": user_role}
    assert not roles.get("RoleMappings")
    # An explicit deny of PassRole wins over an allow.
    denied = boto_client(
        "cognito-identity",
        key=make_access_key(
            _policy(
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "iam:PassRole", "Resource": admin_role},
            ),
            username="ops",
        ),
    )
    assert (
        _code(denied.set_identity_pool_roles, IdentityPoolId=pool_id, Roles={"authenticated": admin_role})
        == ACCESS_DENIED
    )
    denied.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"authenticated": user_role})


def test_pool_scoped_key_cannot_put_an_admin_role_on_a_group(boto_client, make_access_key, make_role, live_server):
    """The issue's attack: a key limited to pool A puts an admin-capable role on a group
    (over the wire or the REST API); pool-A users would then get credentials reading pool B."""
    admin_role = make_role("admin", IDP_ADMIN_POLICY)
    operator = boto_client("cognito-idp", key=make_access_key())
    pool_a = operator.create_user_pool(PoolName="a")["UserPool"]["Id"]
    scoped = make_access_key(
        _policy({"Effect": "Allow", "Action": "cognito-idp:*", "Resource": user_pool_arn(pool_a)}),
        username="pool-a-admin",
    )
    wire = boto_client("cognito-idp", key=scoped)
    assert _code(wire.create_group, UserPoolId=pool_a, GroupName="admins", RoleArn=admin_role) == ACCESS_DENIED
    wire.create_group(UserPoolId=pool_a, GroupName="staff")  # no role: nothing is passed
    assert _code(wire.update_group, UserPoolId=pool_a, GroupName="staff", RoleArn=admin_role) == ACCESS_DENIED
    assert "RoleArn" not in operator.get_group(UserPoolId=pool_a, GroupName="staff")["Group"]

    rest = Api(live_server.url, scoped)
    created = rest.post(f"pools/{pool_a}/groups/", {"GroupName": "rest-admins", "RoleArn": admin_role})
    assert (created.status_code, created.json()["code"]) == (403, ACCESS_DENIED), created.text
    updated = rest.patch(f"pools/{pool_a}/groups/staff/", {"RoleArn": admin_role})
    assert (updated.status_code, updated.json()["code"]) == (403, ACCESS_DENIED), updated.text
    assert rest.patch(f"pools/{pool_a}/groups/staff/", {"Description": "d"}).status_code == 200
    assert "RoleArn" not in operator.get_group(UserPoolId=pool_a, GroupName="staff")["Group"]
    assert _code(operator.get_group, UserPoolId=pool_a, GroupName="rest-admins") == "ResourceNotFoundException"

    # The same key with iam:PassRole on that role may.
    allowed = boto_client(
        "cognito-idp",
        key=make_access_key(
            _policy(
                {"Effect": "Allow", "Action": "cognito-idp:*", "Resource": user_pool_arn(pool_a)},
                _pass_role(admin_role),
            ),
            username="trusted-admin",
        ),
    )
    allowed.update_group(UserPoolId=pool_a, GroupName="staff", RoleArn=admin_role)
    assert operator.get_group(UserPoolId=pool_a, GroupName="staff")["Group"]["RoleArn"] == admin_role


# --- Trust -----------------------------------------------------------------------------------


def test_guest_role_must_trust_the_pool(boto_client, signed_identity, cognito_identity, idp_client):
    """The issue's attack once more, with the roles set by someone allowed to pass them: the
    admin-capable role trusts another pool only, so the guest pool gets no credentials."""
    victim_pool = idp_client.create_user_pool(PoolName="victims")["UserPool"]["Id"]
    trusted_pool = signed_identity.create_identity_pool(
        IdentityPoolName="back-office", AllowUnauthenticatedIdentities=False
    )["IdentityPoolId"]
    guests = signed_identity.create_identity_pool(IdentityPoolName="guests", AllowUnauthenticatedIdentities=True)[
        "IdentityPoolId"
    ]
    admin_role = role_save(
        SYSTEM, name="back-office", policy=IDP_ADMIN_POLICY, trust_policy=cognito_trust_policy([trusted_pool])
    ).arn
    signed_identity.set_identity_pool_roles(IdentityPoolId=guests, Roles={"unauthenticated": admin_role})
    identity_id = cognito_identity.get_id(IdentityPoolId=guests)["IdentityId"]
    assert _code(cognito_identity.get_credentials_for_identity, IdentityId=identity_id) == BAD_CONFIGURATION

    # Trusted for this pool's authenticated identities only: still not for guests.
    role_save(
        SYSTEM,
        name="back-office",
        policy=IDP_ADMIN_POLICY,
        role=_role(admin_role),
        trust_policy=cognito_trust_policy([trusted_pool, guests], kind="authenticated"),
    )
    assert _code(cognito_identity.get_credentials_for_identity, IdentityId=identity_id) == BAD_CONFIGURATION
    # A role as an upgrade leaves it (an empty trust policy) trusts nobody.
    role_save(SYSTEM, name="back-office", policy=IDP_ADMIN_POLICY, role=_role(admin_role), trust_policy={})
    assert _code(cognito_identity.get_credentials_for_identity, IdentityId=identity_id) == BAD_CONFIGURATION

    # Control: once the role trusts this pool's guests, they act as it.
    role_save(
        SYSTEM,
        name="back-office",
        policy=IDP_ADMIN_POLICY,
        role=_role(admin_role),
        trust_policy=cognito_trust_policy([guests], kind="unauthenticated"),
    )
    creds = cognito_identity.get_credentials_for_identity(IdentityId=identity_id)["Credentials"]
    listed = _client_with(boto_client, "cognito-idp", creds).list_user_pools(MaxResults=10)["UserPools"]
    assert victim_pool in {p["Id"] for p in listed}


def _role(arn: str):
    from identity.models import Role

    return Role.objects.get(arn=arn)


def test_group_role_through_a_token_mapping_must_trust_the_pool(
    idp_client, signed_identity, cognito_identity, user_pool_login, make_role
):
    """A group's RoleArn reaches the broker as the token's cognito:preferred_role: the role
    must trust the identity pool for authenticated identities."""
    login = user_pool_login()
    pool_id = signed_identity.create_identity_pool(
        IdentityPoolName="app",
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[login.identity_provider()],
    )["IdentityPoolId"]
    other_pool = signed_identity.create_identity_pool(IdentityPoolName="other", AllowUnauthenticatedIdentities=False)[
        "IdentityPoolId"
    ]
    user_role = make_role("user")
    group_role = make_role("group-admin", IDP_ADMIN_POLICY, trust=cognito_trust_policy([other_pool]))
    rules_role = make_role("rules-admin", IDP_ADMIN_POLICY, trust=cognito_trust_policy([other_pool]))
    idp_client.create_group(UserPoolId=login.pool_id, GroupName="admins", RoleArn=group_role, Precedence=1)
    login.sign_in("alice")
    idp_client.admin_add_user_to_group(UserPoolId=login.pool_id, Username="alice", GroupName="admins")
    signed_identity.set_identity_pool_roles(
        IdentityPoolId=pool_id,
        Roles={"authenticated": user_role},
        RoleMappings={login.provider: {"Type": "Token", "AmbiguousRoleResolution": "AuthenticatedRole"}},
    )
    logins = {login.provider: login.sign_in("alice")}
    identity_id = cognito_identity.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
    assert (
        _code(cognito_identity.get_credentials_for_identity, IdentityId=identity_id, Logins=logins) == BAD_CONFIGURATION
    )
    assert (
        _code(
            cognito_identity.get_credentials_for_identity,
            IdentityId=identity_id,
            Logins=logins,
            CustomRoleArn=group_role,
        )
        == BAD_CONFIGURATION
    )

    # A Rules mapping's role likewise.
    signed_identity.set_identity_pool_roles(
        IdentityPoolId=pool_id,
        Roles={"authenticated": user_role},
        RoleMappings={
            login.provider: {
                "Type": "Rules",
                "AmbiguousRoleResolution": "AuthenticatedRole",
                "RulesConfiguration": {
                    "Rules": [
                        {"Claim": "cognito:groups", "MatchType": "Contains", "Value": "admins", "RoleARN": rules_role}
                    ]
                },
            },
        },
    )
    assert (
        _code(cognito_identity.get_credentials_for_identity, IdentityId=identity_id, Logins=logins) == BAD_CONFIGURATION
    )

    # Control: trusted for this pool, the group's role is issued.
    role_save(
        SYSTEM,
        name="rules-admin",
        policy=IDP_ADMIN_POLICY,
        role=_role(rules_role),
        trust_policy=cognito_trust_policy([pool_id], kind="authenticated"),
    )
    cognito_identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)


def test_roles_from_before_trust_policies_trust_nobody_until_an_operator_says(signed_identity, cognito_identity):
    """An upgrade leaves roles with an empty trust policy: no credentials for them, until
    ``manage.py role_trust`` (or the admin console) gives them one."""
    from io import StringIO

    from django.core.management import call_command

    guests = signed_identity.create_identity_pool(IdentityPoolName="guests", AllowUnauthenticatedIdentities=True)[
        "IdentityPoolId"
    ]
    others = signed_identity.create_identity_pool(IdentityPoolName="others", AllowUnauthenticatedIdentities=True)[
        "IdentityPoolId"
    ]
    old = role_save(SYSTEM, name="old-guest", policy=IDENTITY_ONLY).arn
    assert _role(old).trust_policy == {}
    for pool_id in (guests, others):
        signed_identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"unauthenticated": old})
    in_guests = cognito_identity.get_id(IdentityPoolId=guests)["IdentityId"]
    assert _code(cognito_identity.get_credentials_for_identity, IdentityId=in_guests) == BAD_CONFIGURATION

    call_command("role_trust", "old-guest", "--pool", guests, "--kind", "unauthenticated", stdout=StringIO())
    cognito_identity.get_credentials_for_identity(IdentityId=in_guests)
    in_others = cognito_identity.get_id(IdentityPoolId=others)["IdentityId"]
    assert _code(cognito_identity.get_credentials_for_identity, IdentityId=in_others) == BAD_CONFIGURATION

    # The pools that use it today, each for the kind it is used as.
    call_command("role_trust", "old-guest", "--pools-using-it", stdout=StringIO())
    cognito_identity.get_credentials_for_identity(IdentityId=in_others)
    call_command("role_trust", "old-guest", "--none", stdout=StringIO())
    assert _code(cognito_identity.get_credentials_for_identity, IdentityId=in_guests) == BAD_CONFIGURATION


def test_the_upgrade_gives_pass_role_to_keys_holding_the_old_full_access_default_only(make_access_key):
    """Migration identity/0004: a key that still has the old default ("everything Cognate
    serves") keeps being able to set roles; a key with a policy of its own gains nothing."""
    import importlib

    from django.apps import apps

    from identity.models import AccessKey

    migration = importlib.import_module("identity.migrations.0004_role_trust_policy")
    old_default, own = make_access_key(username="old")[0], make_access_key(IDENTITY_ONLY, username="own")[0]
    AccessKey.objects.filter(access_key_id=old_default).update(policy=migration.OLD_DEFAULT)
    own_policy = AccessKey.objects.get(access_key_id=own).policy
    migration.default_keys_may_pass_roles(apps, None)
    assert "iam:PassRole" in AccessKey.objects.get(access_key_id=old_default).policy["Statement"][0]["Action"]
    assert AccessKey.objects.get(access_key_id=own).policy == own_policy
