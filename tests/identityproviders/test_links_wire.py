"""AdminLinkProviderForUser and AdminDisableProviderForUser over the wire (boto3 against
live_server); the rules are the operations' documentation in botocore's model."""

from __future__ import annotations

import json

import pytest

from tests.identityproviders.conftest import GOOGLE_DETAILS, idp_metadata
from tests.userpools.conftest import call_error
from userpools.models import AuditEvent, IdentityProvider, ProviderLink
from userpools.services.provider_links import linked_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pool(idp, make_pool):
    pool = make_pool(
        Schema=[
            {"Name": "badge", "AttributeDataType": "String", "Mutable": False},
            {"Name": "team", "AttributeDataType": "String", "Mutable": True},
        ]
    )["Id"]
    idp.create_identity_provider(
        UserPoolId=pool, ProviderName="Google", ProviderType="Google", ProviderDetails=dict(GOOGLE_DETAILS)
    )
    idp.create_identity_provider(
        UserPoolId=pool,
        ProviderName="Corp",
        ProviderType="SAML",
        ProviderDetails={"MetadataFile": idp_metadata()},
        AttributeMapping={"email": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"},
    )
    for username in ("alice", "bob"):
        idp.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS")
    return pool


def cognito(username):
    return {"ProviderName": "Cognito", "ProviderAttributeValue": username}


def source(provider="Google", name="Cognito_Subject", value="1234567890"):
    return {"ProviderName": provider, "ProviderAttributeName": name, "ProviderAttributeValue": value}


def identities(idp, pool, username):
    attributes = {
        a["Name"]: a["Value"] for a in idp.admin_get_user(UserPoolId=pool, Username=username)["UserAttributes"]
    }
    return json.loads(attributes["identities"]) if "identities" in attributes else []


def test_link_and_disable(idp, pool):
    assert idp.admin_link_provider_for_user(UserPoolId=pool, DestinationUser=cognito("alice"), SourceUser=source())
    link = ProviderLink.objects.get()
    assert (link.user.username, link.provider.name, link.attribute_name, link.attribute_value) == (
        "alice",
        "Google",
        "Cognito_Subject",
        "1234567890",
    )
    google = IdentityProvider.objects.get(pool_id=pool, name="Google")
    assert linked_user(google, "Cognito_Subject", "1234567890").username == "alice"
    assert linked_user(google, "Cognito_Subject", "other") is None
    [identity] = identities(idp, pool, "alice")
    assert identity["userId"] == "1234567890"
    assert identity["providerName"] == "Google" and identity["providerType"] == "Google"
    assert identity["primary"] is False and isinstance(identity["dateCreated"], int)
    # Linking the same identity to the same user again changes nothing.
    idp.admin_link_provider_for_user(UserPoolId=pool, DestinationUser=cognito("alice"), SourceUser=source())
    assert ProviderLink.objects.count() == 1
    idp.admin_disable_provider_for_user(UserPoolId=pool, User=source())
    assert not ProviderLink.objects.exists()
    assert linked_user(google, "Cognito_Subject", "1234567890") is None
    assert identities(idp, pool, "alice") == []
    actions = list(
        AuditEvent.objects.filter(pool_id=pool, action__startswith="provider_link").values_list("action", flat=True)
    )
    assert sorted(actions) == ["provider_link.create", "provider_link.delete"]


def test_a_provider_identity_links_to_one_user(idp, pool):
    idp.admin_link_provider_for_user(UserPoolId=pool, DestinationUser=cognito("alice"), SourceUser=source())
    code = call_error(
        idp.admin_link_provider_for_user, UserPoolId=pool, DestinationUser=cognito("bob"), SourceUser=source()
    )
    assert code == "AliasExistsException"


def test_saml_source_names_a_mapped_attribute_or_the_subject(idp, pool):
    idp.admin_link_provider_for_user(
        UserPoolId=pool, DestinationUser=cognito("alice"), SourceUser=source("Corp", "email", "alice@example.com")
    )
    idp.admin_link_provider_for_user(
        UserPoolId=pool, DestinationUser=cognito("bob"), SourceUser=source("Corp", "Cognito_Subject", "bob-nameid")
    )
    code = call_error(
        idp.admin_link_provider_for_user,
        UserPoolId=pool,
        DestinationUser=cognito("bob"),
        SourceUser=source("Corp", "phone_number", "+15555550100"),  # not mapped
    )
    assert code == "InvalidParameterException"
    assert [i["providerType"] for i in identities(idp, pool, "alice")] == ["SAML"]


@pytest.mark.parametrize(
    "bad_source",
    [
        source(name="email"),  # social providers: Cognito_Subject only
        source(provider="Cognito"),  # a Cognito user is no source
        source(provider="Nope"),  # no such provider
        {"ProviderName": "Google", "ProviderAttributeName": "Cognito_Subject"},  # no value
        {"ProviderName": "Google", "ProviderAttributeValue": "1"},  # no attribute name
    ],
)
def test_bad_source_user(idp, pool, bad_source):
    code = call_error(
        idp.admin_link_provider_for_user, UserPoolId=pool, DestinationUser=cognito("alice"), SourceUser=bad_source
    )
    assert code == "InvalidParameterException"
    assert not ProviderLink.objects.exists()


def test_destination_must_exist(idp, pool):
    code = call_error(
        idp.admin_link_provider_for_user, UserPoolId=pool, DestinationUser=cognito("nobody"), SourceUser=source()
    )
    assert code == "UserNotFoundException"
    code = call_error(
        idp.admin_link_provider_for_user,
        UserPoolId=pool,
        DestinationUser={"ProviderName": "Google", "ProviderAttributeValue": "999"},  # no such federated user
        SourceUser=source(),
    )
    assert code == "UserNotFoundException"
    code = call_error(
        idp.admin_link_provider_for_user,
        UserPoolId="us-east-1_Nope12345",
        DestinationUser=cognito("alice"),
        SourceUser=source(),
    )
    assert code == "ResourceNotFoundException"


def test_destination_with_an_immutable_attribute(idp, pool):
    idp.admin_create_user(
        UserPoolId=pool,
        Username="carol",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "custom:badge", "Value": "42"}],
    )
    code = call_error(
        idp.admin_link_provider_for_user, UserPoolId=pool, DestinationUser=cognito("carol"), SourceUser=source()
    )
    assert code == "InvalidParameterException"
    # A mutable custom attribute is fine.
    idp.admin_update_user_attributes(
        UserPoolId=pool, Username="bob", UserAttributes=[{"Name": "custom:team", "Value": "x"}]
    )
    idp.admin_link_provider_for_user(UserPoolId=pool, DestinationUser=cognito("bob"), SourceUser=source())


def test_at_most_five_identities_a_user(idp, pool):
    for i in range(5):
        idp.admin_link_provider_for_user(
            UserPoolId=pool, DestinationUser=cognito("alice"), SourceUser=source(value=f"sub-{i}")
        )
    code = call_error(
        idp.admin_link_provider_for_user,
        UserPoolId=pool,
        DestinationUser=cognito("alice"),
        SourceUser=source(value="six"),
    )
    assert code == "LimitExceededException"
    assert len(identities(idp, pool, "alice")) == 5


def test_disable_names_the_link_exactly(idp, pool):
    idp.admin_link_provider_for_user(
        UserPoolId=pool, DestinationUser=cognito("alice"), SourceUser=source("Corp", "email", "alice@example.com")
    )
    code = call_error(
        idp.admin_disable_provider_for_user, UserPoolId=pool, User=source("Corp", "email", "other@example.com")
    )
    assert code == "UserNotFoundException"
    for bad in [
        source(provider="Nope"),
        source(name="email"),
        cognito("alice") | {"ProviderAttributeName": "Cognito_Subject"},
    ]:
        assert call_error(idp.admin_disable_provider_for_user, UserPoolId=pool, User=bad) == "InvalidParameterException"
    idp.admin_disable_provider_for_user(UserPoolId=pool, User=source("Corp", "email", "alice@example.com"))
    assert identities(idp, pool, "alice") == []


def test_deleting_the_provider_ends_its_links(idp, pool):
    idp.admin_link_provider_for_user(UserPoolId=pool, DestinationUser=cognito("alice"), SourceUser=source())
    idp.admin_link_provider_for_user(
        UserPoolId=pool, DestinationUser=cognito("alice"), SourceUser=source("Corp", "Cognito_Subject", "nameid")
    )
    idp.delete_identity_provider(UserPoolId=pool, ProviderName="Google")
    assert [i["providerName"] for i in identities(idp, pool, "alice")] == ["Corp"]
    assert ProviderLink.objects.count() == 1
