"""User-pool domains (prefix and custom) and resource tags over the wire."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.userpools.conftest import call_error
from userpools.models import UserPoolDomain

pytestmark = pytest.mark.django_db(transaction=True)

UNKNOWN_POOL = "us-east-1_nothere00"
CERT = "arn:aws:acm:us-east-1:000000000000:certificate/11111111-2222-3333-4444-555555555555"
NEW_CERT = "arn:aws:acm:us-east-1:000000000000:certificate/66666666-7777-8888-9999-000000000000"


def _arn(pool_id: str) -> str:
    return f"arn:aws:cognito-idp:us-east-1:000000000000:userpool/{pool_id}"


# --- CreateUserPoolDomain / DescribeUserPoolDomain -----------------------------------------


def test_prefix_domain(idp, pool_id):
    created = idp.create_user_pool_domain(UserPoolId=pool_id, Domain="my-app")
    assert created["ManagedLoginVersion"] == 1
    assert "CloudFrontDomain" not in created

    described = idp.describe_user_pool_domain(Domain="my-app")["DomainDescription"]
    assert described["UserPoolId"] == pool_id
    assert described["Domain"] == "my-app"
    assert described["AWSAccountId"] == "000000000000"
    assert described["Status"] == "ACTIVE"
    assert described["ManagedLoginVersion"] == 1
    assert described["CloudFrontDistribution"]
    assert "CustomDomainConfig" not in described

    pool = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["Domain"] == "my-app"
    assert "CustomDomain" not in pool


def test_custom_domain(idp, pool_id):
    created = idp.create_user_pool_domain(
        UserPoolId=pool_id,
        Domain="auth.example.com",
        CustomDomainConfig={"CertificateArn": CERT},
        ManagedLoginVersion=2,
    )
    assert created["CloudFrontDomain"]
    assert created["ManagedLoginVersion"] == 2

    described = idp.describe_user_pool_domain(Domain="auth.example.com")["DomainDescription"]
    assert described["UserPoolId"] == pool_id
    assert described["CustomDomainConfig"] == {"CertificateArn": CERT}
    assert described["CloudFrontDistribution"] == created["CloudFrontDomain"]
    assert described["ManagedLoginVersion"] == 2
    assert idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["CustomDomain"] == "auth.example.com"


def test_a_pool_can_have_one_prefix_and_one_custom_domain(idp, pool_id):
    idp.create_user_pool_domain(UserPoolId=pool_id, Domain="both-kinds")
    idp.create_user_pool_domain(
        UserPoolId=pool_id, Domain="login.example.com", CustomDomainConfig={"CertificateArn": CERT}
    )
    pool = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert (pool["Domain"], pool["CustomDomain"]) == ("both-kinds", "login.example.com")


def test_describe_unknown_domain_is_empty(idp):
    answer = idp.describe_user_pool_domain(Domain="nobody-has-this")
    assert answer["DomainDescription"] == {}


def test_domain_names_are_unique_across_pools(idp, make_pool):
    first, second = make_pool("first")["Id"], make_pool("second")["Id"]
    idp.create_user_pool_domain(UserPoolId=first, Domain="taken")
    assert call_error(idp.create_user_pool_domain, UserPoolId=second, Domain="taken") == "InvalidParameterException"
    idp.create_user_pool_domain(UserPoolId=first, Domain="auth.taken.com", CustomDomainConfig={"CertificateArn": CERT})
    # A custom domain is taken once verified (before, several pools may claim it: tests/security/test_custom_domains.py).
    UserPoolDomain.objects.filter(domain="auth.taken.com").update(verified_at=timezone.now())
    code = call_error(
        idp.create_user_pool_domain,
        UserPoolId=second,
        Domain="auth.taken.com",
        CustomDomainConfig={"CertificateArn": CERT},
    )
    assert code == "InvalidParameterException"
    assert idp.describe_user_pool_domain(Domain="taken")["DomainDescription"]["UserPoolId"] == first


@pytest.mark.parametrize(
    "existing, kwargs, code",
    [
        (None, {"UserPoolId": UNKNOWN_POOL}, "ResourceNotFoundException"),
        ("first", {}, "InvalidParameterException"),  # a second prefix domain
        (None, {"Domain": "my-cognito-login"}, "InvalidParameterException"),  # reserved word
        (None, {"Domain": "aws-login"}, "InvalidParameterException"),
        (None, {"Domain": "Upper-Case"}, "InvalidParameterException"),
        (None, {"Domain": "-leading-hyphen"}, "InvalidParameterException"),
        (None, {"Domain": "under_score"}, "InvalidParameterException"),
        (None, {"Domain": ""}, "InvalidParameterException"),
        (None, {"Domain": "x" * 64}, "InvalidParameterException"),
        (None, {"Domain": "dotted.prefix"}, "InvalidParameterException"),  # dots need CustomDomainConfig
        (None, {"Domain": "nodots", "CustomDomainConfig": {"CertificateArn": CERT}}, "InvalidParameterException"),
        (None, {"Domain": "auth.example.com", "CustomDomainConfig": {}}, "InvalidParameterException"),
    ],
    ids=str,
)
def test_create_domain_rejects_bad_input(raw_idp, pool_id, existing, kwargs, code):
    if existing:
        raw_idp.create_user_pool_domain(UserPoolId=pool_id, Domain=existing)
    request = {"UserPoolId": pool_id, "Domain": "second", **kwargs}
    assert call_error(raw_idp.create_user_pool_domain, **request) == code
    if kwargs.get("UserPoolId") != UNKNOWN_POOL:
        pool = raw_idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        assert (pool.get("Domain"), pool.get("CustomDomain")) == (existing, None)


@pytest.mark.parametrize(
    "tier, version, code",
    [
        ("LITE", 2, "FeatureUnavailableInTierException"),
        ("ESSENTIALS", 3, "InvalidParameterException"),
        ("ESSENTIALS", 0, "InvalidParameterException"),
    ],
)
def test_managed_login_version(idp, make_pool, tier, version, code):
    pool_id = make_pool("branded", UserPoolTier=tier)["Id"]
    assert (
        call_error(idp.create_user_pool_domain, UserPoolId=pool_id, Domain="branded", ManagedLoginVersion=version)
        == code
    )
    idp.create_user_pool_domain(UserPoolId=pool_id, Domain="branded", ManagedLoginVersion=1)
    assert (
        call_error(idp.update_user_pool_domain, UserPoolId=pool_id, Domain="branded", ManagedLoginVersion=version)
        == code
    )
    assert idp.describe_user_pool_domain(Domain="branded")["DomainDescription"]["ManagedLoginVersion"] == 1


# --- UpdateUserPoolDomain / DeleteUserPoolDomain -----------------------------------------------


def test_update_domain(idp, pool_id):
    idp.create_user_pool_domain(
        UserPoolId=pool_id, Domain="auth.example.com", CustomDomainConfig={"CertificateArn": CERT}
    )
    updated = idp.update_user_pool_domain(
        UserPoolId=pool_id,
        Domain="auth.example.com",
        CustomDomainConfig={"CertificateArn": NEW_CERT},
        ManagedLoginVersion=2,
    )
    assert updated["ManagedLoginVersion"] == 2
    assert updated["CloudFrontDomain"]
    described = idp.describe_user_pool_domain(Domain="auth.example.com")["DomainDescription"]
    assert described["CustomDomainConfig"] == {"CertificateArn": NEW_CERT}
    assert described["ManagedLoginVersion"] == 2


def test_update_prefix_domain_branding_version(idp, pool_id):
    idp.create_user_pool_domain(UserPoolId=pool_id, Domain="brand")
    assert (
        idp.update_user_pool_domain(UserPoolId=pool_id, Domain="brand", ManagedLoginVersion=2)["ManagedLoginVersion"]
        == 2
    )
    assert idp.describe_user_pool_domain(Domain="brand")["DomainDescription"]["ManagedLoginVersion"] == 2


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"UserPoolId": UNKNOWN_POOL}, "ResourceNotFoundException"),
        ({"Domain": "not-mine"}, "InvalidParameterException"),
        ({"CustomDomainConfig": {"CertificateArn": CERT}}, "InvalidParameterException"),  # a prefix domain
    ],
    ids=str,
)
def test_update_domain_rejects_bad_input(idp, pool_id, make_pool, kwargs, code):
    idp.create_user_pool_domain(UserPoolId=pool_id, Domain="mine")
    idp.create_user_pool_domain(UserPoolId=make_pool("other")["Id"], Domain="not-mine")
    request = {"UserPoolId": pool_id, "Domain": "mine", **kwargs}
    assert call_error(idp.update_user_pool_domain, **request) == code
    assert idp.describe_user_pool_domain(Domain="mine")["DomainDescription"]["ManagedLoginVersion"] == 1


def test_delete_domain_frees_the_name(idp, make_pool):
    first, second = make_pool("first")["Id"], make_pool("second")["Id"]
    idp.create_user_pool_domain(UserPoolId=first, Domain="moving")
    idp.delete_user_pool_domain(UserPoolId=first, Domain="moving")
    assert idp.describe_user_pool_domain(Domain="moving")["DomainDescription"] == {}
    assert "Domain" not in idp.describe_user_pool(UserPoolId=first)["UserPool"]
    idp.create_user_pool_domain(UserPoolId=second, Domain="moving")
    assert idp.describe_user_pool_domain(Domain="moving")["DomainDescription"]["UserPoolId"] == second


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"Domain": "never-created"}, "InvalidParameterException"),
        ({"Domain": "not-mine"}, "InvalidParameterException"),
        ({"UserPoolId": UNKNOWN_POOL}, "ResourceNotFoundException"),
    ],
    ids=str,
)
def test_delete_domain_rejects_bad_input(idp, pool_id, make_pool, kwargs, code):
    idp.create_user_pool_domain(UserPoolId=pool_id, Domain="mine")
    idp.create_user_pool_domain(UserPoolId=make_pool("other")["Id"], Domain="not-mine")
    request = {"UserPoolId": pool_id, "Domain": "mine", **kwargs}
    assert call_error(idp.delete_user_pool_domain, **request) == code
    assert idp.describe_user_pool_domain(Domain="mine")["DomainDescription"]["UserPoolId"] == pool_id
    assert idp.describe_user_pool_domain(Domain="not-mine")["DomainDescription"]


# --- TagResource / UntagResource / ListTagsForResource -------------------------------------------


def test_tags_round_trip(idp, make_pool):
    pool_id = make_pool("tagged", UserPoolTags={"team": "identity"})["Id"]
    arn = _arn(pool_id)
    assert idp.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "identity"}

    idp.tag_resource(ResourceArn=arn, Tags={"env": "prod", "team": "platform"})
    assert idp.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "platform", "env": "prod"}
    assert idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["UserPoolTags"] == {"team": "platform", "env": "prod"}

    idp.untag_resource(ResourceArn=arn, TagKeys=["team", "not-there"])
    assert idp.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"env": "prod"}


def test_tags_of_an_untagged_pool(idp, pool_id):
    assert idp.list_tags_for_resource(ResourceArn=_arn(pool_id))["Tags"] == {}


WRONG_ARNS = [
    _arn(UNKNOWN_POOL),
    "arn:aws:cognito-idp:us-east-1:123456789012:userpool/{pool}",  # another account
    "arn:aws:cognito-idp:eu-west-1:000000000000:userpool/{pool}",  # another region
    "arn:aws:cognito-identity:us-east-1:000000000000:identitypool/us-east-1:abc",
]


@pytest.mark.parametrize("arn", WRONG_ARNS)
@pytest.mark.parametrize("operation", ["tag_resource", "untag_resource", "list_tags_for_resource"])
def test_tag_operations_on_unknown_resources(idp, pool_id, arn, operation):
    request: dict = {"ResourceArn": arn.format(pool=pool_id)}
    if operation == "tag_resource":
        request["Tags"] = {"k": "v"}
    elif operation == "untag_resource":
        request["TagKeys"] = ["k"]
    assert call_error(getattr(idp, operation), **request) == "ResourceNotFoundException"


@pytest.mark.parametrize(
    "operation, kwargs, code",
    [
        ("tag_resource", {"Tags": {"aws:owner": "me"}}, "InvalidParameterException"),
        ("tag_resource", {"Tags": {"AWS:Owner": "me"}}, "InvalidParameterException"),
        ("tag_resource", {"Tags": {f"k{i}": "v" for i in range(51)}}, "InvalidParameterException"),
        ("tag_resource", {"Tags": {"k": "v" * 257}}, "InvalidParameterException"),
        ("tag_resource", {"ResourceArn": "not-an-arn", "Tags": {"k": "v"}}, "InvalidParameterException"),
        ("untag_resource", {"TagKeys": ["x" * 129]}, "InvalidParameterException"),
        ("list_tags_for_resource", {"ResourceArn": ""}, "InvalidParameterException"),
    ],
    ids=str,
)
def test_tag_operations_reject_bad_input(raw_idp, make_pool, operation, kwargs, code):
    pool_id = make_pool("tagged", UserPoolTags={"keep": "me"})["Id"]
    request = {"ResourceArn": _arn(pool_id), **kwargs}
    assert call_error(getattr(raw_idp, operation), **request) == code
    assert raw_idp.list_tags_for_resource(ResourceArn=_arn(pool_id))["Tags"] == {"keep": "me"}


def test_tagging_beyond_fifty_tags_in_total(idp, make_pool):
    pool_id = make_pool("full", UserPoolTags={f"k{i}": "v" for i in range(50)})["Id"]
    idp.tag_resource(ResourceArn=_arn(pool_id), Tags={"k0": "replaced"})  # replacing is fine
    code = call_error(idp.tag_resource, ResourceArn=_arn(pool_id), Tags={"one-more": "v"})
    assert code == "InvalidParameterException"  # UserPoolTaggingException is not among TagResource's errors
