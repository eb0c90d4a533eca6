"""Terms documents with boto3 against the live server.

Pinned (API reference of CreateTerms ... ListTerms, e.g.
https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateTerms.html):
* one document per TermsName (terms-of-use, privacy-policy) and app client (TermsExistsException);
* TermsSource LINK, Enforcement NONE; Links from a managed login language or
  cognito:default to a URL (https here), 1 to 13 of them;
* ListTerms in pages with NextToken.
"""

from __future__ import annotations

import uuid

import pytest

from tests.userpools.conftest import call_error

pytestmark = pytest.mark.django_db(transaction=True)

LINKS = {"cognito:default": "https://example.com/terms", "cognito:german": "https://example.com/de/agb"}


@pytest.fixture
def client_id(pool_id, make_client) -> str:
    return make_client(pool_id)["ClientId"]


def _create(idp, pool_id, client_id, name="terms-of-use", links=None):
    return idp.create_terms(
        UserPoolId=pool_id,
        ClientId=client_id,
        TermsName=name,
        TermsSource="LINK",
        Enforcement="NONE",
        Links=links or LINKS,
    )["Terms"]


def test_create_describe_update_delete(idp, pool_id, client_id):
    created = _create(idp, pool_id, client_id)
    assert uuid.UUID(created["TermsId"]).version == 4
    assert {k: created[k] for k in ("UserPoolId", "ClientId", "TermsName", "TermsSource", "Enforcement", "Links")} == {
        "UserPoolId": pool_id,
        "ClientId": client_id,
        "TermsName": "terms-of-use",
        "TermsSource": "LINK",
        "Enforcement": "NONE",
        "Links": LINKS,
    }
    assert created["CreationDate"] and created["LastModifiedDate"]
    terms_id = created["TermsId"]

    assert idp.describe_terms(UserPoolId=pool_id, TermsId=terms_id)["Terms"] == created
    assert (
        idp.describe_terms_by_client(UserPoolId=pool_id, ClientId=client_id, TermsName="terms-of-use")["Terms"][
            "TermsId"
        ]
        == terms_id
    )

    updated = idp.update_terms(
        UserPoolId=pool_id, TermsId=terms_id, Links={"cognito:default": "https://example.com/v2"}
    )["Terms"]
    assert updated["Links"] == {"cognito:default": "https://example.com/v2"}
    assert updated["TermsName"] == "terms-of-use"
    renamed = idp.update_terms(UserPoolId=pool_id, TermsId=terms_id, TermsName="privacy-policy")["Terms"]
    assert renamed["TermsName"] == "privacy-policy" and renamed["Links"] == updated["Links"]

    idp.delete_terms(UserPoolId=pool_id, TermsId=terms_id)
    assert call_error(idp.describe_terms, UserPoolId=pool_id, TermsId=terms_id) == "ResourceNotFoundException"
    assert call_error(idp.delete_terms, UserPoolId=pool_id, TermsId=terms_id) == "ResourceNotFoundException"


def test_one_document_per_name_and_client(idp, pool_id, client_id, make_client):
    _create(idp, pool_id, client_id)
    assert (
        call_error(
            idp.create_terms,
            UserPoolId=pool_id,
            ClientId=client_id,
            TermsName="terms-of-use",
            TermsSource="LINK",
            Enforcement="NONE",
            Links=LINKS,
        )
        == "TermsExistsException"
    )
    privacy = _create(idp, pool_id, client_id, "privacy-policy")
    assert (
        call_error(idp.update_terms, UserPoolId=pool_id, TermsId=privacy["TermsId"], TermsName="terms-of-use")
        == "TermsExistsException"
    )
    _create(idp, pool_id, make_client(pool_id, "second")["ClientId"])  # another client may


@pytest.mark.parametrize(
    "links",
    [
        {"cognito:default": "http://example.com/terms"},
        {"cognito:default": "javascript:alert(1)"},
        {"cognito:default": "https://"},
        {"cognito:default": "not a url"},
        {"en-US": "https://example.com/terms"},  # the model's language ids are cognito:<language>
        {},
        {
            f"cognito:{lang}": "https://example.com"
            for lang in (
                "default",
                "dutch",
                "english",
                "french",
                "spanish",
                "german",
                "bahasa-indonesia",
                "italian",
                "japanese",
                "korean",
                "portuguese-brazil",
                "chinese-simplified",
                "chinese-traditional",
            )
        }
        | {"cognito:klingon": "https://x"},
    ],
)
def test_invalid_links(raw_idp, pool_id, client_id, links):
    assert (
        call_error(
            raw_idp.create_terms,
            UserPoolId=pool_id,
            ClientId=client_id,
            TermsName="terms-of-use",
            TermsSource="LINK",
            Enforcement="NONE",
            Links=links,
        )
        == "InvalidParameterException"
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"TermsName": "cookie-policy"},
        {"TermsSource": "FILE"},
        {"Enforcement": "REQUIRED"},
    ],
)
def test_invalid_names_and_enums(raw_idp, pool_id, client_id, overrides):
    request = {
        "UserPoolId": pool_id,
        "ClientId": client_id,
        "TermsName": "terms-of-use",
        "TermsSource": "LINK",
        "Enforcement": "NONE",
        "Links": LINKS,
        **overrides,
    }
    assert call_error(raw_idp.create_terms, **request) == "InvalidParameterException"


def test_links_are_required(raw_idp, pool_id, client_id):
    assert (
        call_error(
            raw_idp.create_terms,
            UserPoolId=pool_id,
            ClientId=client_id,
            TermsName="terms-of-use",
            TermsSource="LINK",
            Enforcement="NONE",
        )
        == "InvalidParameterException"
    )


def test_list_in_pages(idp, pool_id, make_client):
    made = []
    for index in range(3):
        client = make_client(pool_id, f"c{index}")["ClientId"]
        made += [_create(idp, pool_id, client)["TermsId"], _create(idp, pool_id, client, "privacy-policy")["TermsId"]]
    seen, token = [], None
    while True:
        page = idp.list_terms(UserPoolId=pool_id, MaxResults=4, **({"NextToken": token} if token else {}))
        assert len(page["Terms"]) <= 4
        for item in page["Terms"]:
            assert set(item) == {"TermsId", "TermsName", "Enforcement", "CreationDate", "LastModifiedDate"}
        seen += [t["TermsId"] for t in page["Terms"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == made
    assert len(idp.list_terms(UserPoolId=pool_id)["Terms"]) == 6
    assert call_error(idp.list_terms, UserPoolId=pool_id, NextToken="garbage") == "InvalidParameterException"


def test_not_found(idp, pool_id, client_id, make_pool, make_client):
    missing = str(uuid.uuid4())
    assert (
        call_error(
            idp.create_terms,
            UserPoolId=pool_id,
            ClientId="nosuchclient",
            TermsName="terms-of-use",
            TermsSource="LINK",
            Enforcement="NONE",
            Links=LINKS,
        )
        == "ResourceNotFoundException"
    )
    assert call_error(idp.list_terms, UserPoolId="us-east-1_nothere00") == "ResourceNotFoundException"
    assert call_error(idp.describe_terms, UserPoolId=pool_id, TermsId=missing) == "ResourceNotFoundException"
    assert call_error(idp.update_terms, UserPoolId=pool_id, TermsId=missing, Links=LINKS) == "ResourceNotFoundException"
    assert (
        call_error(idp.describe_terms_by_client, UserPoolId=pool_id, ClientId=client_id, TermsName="privacy-policy")
        == "ResourceNotFoundException"
    )
    other_pool = make_pool("other")["Id"]
    other = _create(idp, other_pool, make_client(other_pool)["ClientId"])
    assert call_error(idp.describe_terms, UserPoolId=pool_id, TermsId=other["TermsId"]) == "ResourceNotFoundException"
    assert (
        call_error(
            idp.create_terms,
            UserPoolId=pool_id,
            ClientId=other["ClientId"],
            TermsName="terms-of-use",
            TermsSource="LINK",
            Enforcement="NONE",
            Links=LINKS,
        )
        == "ResourceNotFoundException"
    )
