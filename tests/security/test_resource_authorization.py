"""Every signed operation is authorized on the ARN of what it touches (issue G0, finding 5).

Operations that name no pool (DescribeIdentity, DeleteIdentities, DescribeUserPoolDomain)
are authorized on the pool of the identity or domain they name, so "Allow *, Deny X"
holds for them; a ResourceArn counts in its canonical spelling. An id or domain that
names nothing is authorized as "any pool": a caller allowed only some pools is refused
it exactly as it is refused a foreign one.
"""

# ruff: noqa: F811 - the fixtures imported from tests/identitypools/conftest.py are arguments here

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.conftest import error_code
from tests.identitypools.conftest import _identity_env, cognito_identity, signed_identity  # noqa: F401 - fixtures
from userpools.conf import cognate_settings

pytestmark = pytest.mark.django_db(transaction=True)

ACCESS_DENIED = "AccessDeniedException"
UNKNOWN_IDENTITY = "us-east-1:00000000-0000-4000-8000-000000000000"


def _code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_code(excinfo)


def _identity_pool_arn(pool_id: str, partition: str = "aws") -> str:
    return f"arn:{partition}:cognito-identity:{pool_id.split(':')[0]}:{cognate_settings().ACCOUNT_ID}:identitypool/{pool_id}"


def _user_pool_arn(pool_id: str) -> str:
    return f"arn:aws:cognito-idp:{pool_id.split('_')[0]}:{cognate_settings().ACCOUNT_ID}:userpool/{pool_id}"


def _policy(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.fixture
def two_pools(signed_identity, cognito_identity):
    """Identity pools X and Y that allow guests, with one identity each."""
    out = {}
    for name in ("x", "y"):
        pool_id = signed_identity.create_identity_pool(IdentityPoolName=name, AllowUnauthenticatedIdentities=True)[
            "IdentityPoolId"
        ]
        out[name] = pool_id
        out[f"{name}_identity"] = cognito_identity.get_id(IdentityPoolId=pool_id)["IdentityId"]
    return out


def test_deny_on_an_identity_pool_holds_for_operations_naming_its_identities(
    two_pools, boto_client, make_access_key, signed_identity
):
    """The issue's attack: with "Allow *, Deny identitypool/X" a key deleted identities in X."""
    x, in_x, in_y = two_pools["x"], two_pools["x_identity"], two_pools["y_identity"]
    key = make_access_key(
        _policy(
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": _identity_pool_arn(x)},
        ),
        username="mallory",
    )
    attacker = boto_client("cognito-identity", key=key)
    assert _code(attacker.delete_identities, IdentityIdsToDelete=[in_x]) == ACCESS_DENIED
    assert _code(attacker.describe_identity, IdentityId=in_x) == ACCESS_DENIED
    # One denied identity among allowed ones: nothing is deleted.
    assert _code(attacker.delete_identities, IdentityIdsToDelete=[in_y, in_x]) == ACCESS_DENIED
    assert signed_identity.describe_identity(IdentityId=in_x)["IdentityId"] == in_x
    assert signed_identity.describe_identity(IdentityId=in_y)["IdentityId"] == in_y
    # Control: the rest of the account is allowed.
    assert attacker.describe_identity(IdentityId=in_y)["IdentityId"] == in_y
    attacker.delete_identities(IdentityIdsToDelete=[in_y])
    assert _code(signed_identity.describe_identity, IdentityId=in_y) == "ResourceNotFoundException"


def test_pool_scoped_key_acts_on_its_pools_identities_and_learns_nothing_of_others(
    two_pools, boto_client, make_access_key, signed_identity
):
    y, in_x, in_y = two_pools["y"], two_pools["x_identity"], two_pools["y_identity"]
    scoped = boto_client(
        "cognito-identity",
        key=make_access_key(
            _policy({"Effect": "Allow", "Action": "cognito-identity:*", "Resource": _identity_pool_arn(y)}),
            username="pool-y-admin",
        ),
    )
    assert scoped.describe_identity(IdentityId=in_y)["IdentityId"] == in_y
    # A foreign identity and one that does not exist answer alike.
    assert _code(scoped.describe_identity, IdentityId=in_x) == ACCESS_DENIED
    assert _code(scoped.describe_identity, IdentityId=UNKNOWN_IDENTITY) == ACCESS_DENIED
    assert _code(scoped.delete_identities, IdentityIdsToDelete=[in_x]) == ACCESS_DENIED
    assert _code(scoped.delete_identities, IdentityIdsToDelete=[UNKNOWN_IDENTITY]) == ACCESS_DENIED
    assert signed_identity.describe_identity(IdentityId=in_x)["IdentityId"] == in_x
    scoped.delete_identities(IdentityIdsToDelete=[in_y])
    # A caller allowed every pool is told the truth.
    assert _code(signed_identity.describe_identity, IdentityId=UNKNOWN_IDENTITY) == "ResourceNotFoundException"
    assert signed_identity.delete_identities(IdentityIdsToDelete=[UNKNOWN_IDENTITY])["UnprocessedIdentityIds"] == []


def test_describe_user_pool_domain_is_authorized_on_the_domains_pool(boto_client, make_access_key):
    operator = boto_client("cognito-idp", key=make_access_key())
    pool_a = operator.create_user_pool(PoolName="a")["UserPool"]["Id"]
    pool_b = operator.create_user_pool(PoolName="b")["UserPool"]["Id"]
    operator.create_user_pool_domain(UserPoolId=pool_a, Domain="pool-a-login")
    operator.create_user_pool_domain(UserPoolId=pool_b, Domain="pool-b-login")

    deny_a = boto_client(
        "cognito-idp",
        key=make_access_key(
            _policy(
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "*", "Resource": _user_pool_arn(pool_a)},
            ),
            username="deny-a",
        ),
    )
    assert _code(deny_a.describe_user_pool_domain, Domain="pool-a-login") == ACCESS_DENIED
    assert deny_a.describe_user_pool_domain(Domain="pool-b-login")["DomainDescription"]["UserPoolId"] == pool_b

    only_b = boto_client(
        "cognito-idp",
        key=make_access_key(
            _policy({"Effect": "Allow", "Action": "cognito-idp:*", "Resource": _user_pool_arn(pool_b)}),
            username="only-b",
        ),
    )
    assert only_b.describe_user_pool_domain(Domain="pool-b-login")["DomainDescription"]["UserPoolId"] == pool_b
    assert _code(only_b.describe_user_pool_domain, Domain="pool-a-login") == ACCESS_DENIED
    assert _code(only_b.describe_user_pool_domain, Domain="no-such-domain") == ACCESS_DENIED
    # Every pool allowed: an unknown domain is Cognito's empty description.
    assert operator.describe_user_pool_domain(Domain="no-such-domain")["DomainDescription"] == {}


def test_another_spelling_of_a_denied_pools_arn_is_still_denied(
    two_pools, boto_client, make_access_key, signed_identity
):
    """TagResource reads the pool from an ARN of any partition: authorization uses the
    pool's canonical ARN, so "Deny identitypool/X" holds for every spelling of it."""
    x = two_pools["x"]
    attacker = boto_client(
        "cognito-identity",
        key=make_access_key(
            _policy(
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "*", "Resource": _identity_pool_arn(x)},
            ),
            username="mallory",
        ),
    )
    for partition in ("aws-cn", "aws-us-gov", "aws"):
        assert (
            _code(attacker.tag_resource, ResourceArn=_identity_pool_arn(x, partition), Tags={"owner": "mallory"})
            == ACCESS_DENIED
        )
    assert signed_identity.list_tags_for_resource(ResourceArn=_identity_pool_arn(x)).get("Tags", {}) == {}
    attacker.tag_resource(ResourceArn=_identity_pool_arn(two_pools["y"], "aws-cn"), Tags={"owner": "mallory"})
