"""User pools over the wire: CRUD, listing, custom attributes, CSV header, MFA config,
signing certificate — each with its happy path and the errors a caller can cause."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography import x509

from tests.userpools.conftest import call_error

pytestmark = pytest.mark.django_db(transaction=True)

UNKNOWN_POOL = "us-east-1_nothere00"


def _token(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# --- CreateUserPool / DescribeUserPool / UpdateUserPool / DeleteUserPool ---------------


def test_create_user_pool_ids_look_like_cognitos(make_pool):
    pool = make_pool("ids")
    region, _, suffix = pool["Id"].partition("_")
    assert region == "us-east-1"
    assert len(suffix) == 9 and suffix.isalnum()
    assert make_pool("ids")["Id"] != pool["Id"]  # names need not be unique


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"PoolName": "bad#name"}, "InvalidParameterException"),
        ({"PoolName": ""}, "InvalidParameterException"),
        ({"PoolName": "x" * 129}, "InvalidParameterException"),
        ({}, "InvalidParameterException"),
        ({"PoolName": "p", "Policies": {"PasswordPolicy": {"MinimumLength": 5}}}, "InvalidParameterException"),
        ({"PoolName": "p", "Policies": {"PasswordPolicy": {"MinimumLength": 100}}}, "InvalidParameterException"),
        ({"PoolName": "p", "Policies": {"PasswordPolicy": {"MinimumLength": "eight"}}}, "SerializationException"),
        ({"PoolName": "p", "MfaConfiguration": "SOMETIMES"}, "InvalidParameterException"),
        ({"PoolName": "p", "MfaConfiguration": "ON"}, "InvalidParameterException"),
        (
            {"PoolName": "p", "UsernameAttributes": ["email"], "AliasAttributes": ["phone_number"]},
            "InvalidParameterException",
        ),
        ({"PoolName": "p", "UserPoolTags": {"aws:owner": "me"}}, "InvalidParameterException"),
        (
            {"PoolName": "p", "UserPoolAddOns": {"AdvancedSecurityMode": "ENFORCED"}},
            "FeatureUnavailableInTierException",
        ),
        (
            {
                "PoolName": "p",
                "UserPoolTier": "LITE",
                "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}},
            },
            "FeatureUnavailableInTierException",
        ),
        (
            {"PoolName": "p", "VerificationMessageTemplate": {"EmailMessage": "no placeholder"}},
            "InvalidParameterException",
        ),
        ({"PoolName": "p", "EmailConfiguration": {"EmailSendingAccount": "DEVELOPER"}}, "InvalidParameterException"),
        (
            {"PoolName": "p", "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]}},
            "InvalidParameterException",
        ),
        ({"PoolName": "p", "Schema": [{"Name": "email", "AttributeDataType": "Number"}]}, "InvalidParameterException"),
        ({"PoolName": "p", "Schema": [{"Name": "t", "AttributeDataType": "String"}] * 2}, "InvalidParameterException"),
        (
            {"PoolName": "p", "Schema": [{"Name": "t", "AttributeDataType": "String", "Required": True}]},
            "InvalidParameterException",
        ),
        (
            {
                "PoolName": "p",
                "Schema": [
                    {
                        "Name": "t",
                        "AttributeDataType": "String",
                        "StringAttributeConstraints": {"MinLength": "10", "MaxLength": "5"},
                    }
                ],
            },
            "InvalidParameterException",
        ),
        (
            {
                "PoolName": "p",
                "Schema": [
                    {"Name": "n", "AttributeDataType": "Number", "NumberAttributeConstraints": {"MinValue": "low"}}
                ],
            },
            "InvalidParameterException",
        ),
        (
            {
                "PoolName": "p",
                "Schema": [
                    {"Name": "s", "AttributeDataType": "String", "StringAttributeConstraints": {"MaxLength": "\u0663"}}
                ],
            },  # an Arabic-Indic 3
            "InvalidParameterException",
        ),
        ({"PoolName": "p", "UserPoolTags": {f"k{i}": "v" for i in range(51)}}, "UserPoolTaggingException"),
        (
            {
                "PoolName": "p",
                "AccountRecoverySetting": {
                    "RecoveryMechanisms": [
                        {"Priority": 1, "Name": "admin_only"},
                        {"Priority": 2, "Name": "verified_email"},
                    ]
                },
            },
            "InvalidParameterException",
        ),
    ],
    ids=lambda v: json.dumps(v)[:60] if isinstance(v, dict) else v,
)
def test_create_user_pool_rejects_bad_input(raw_idp, kwargs, code):
    assert call_error(raw_idp.create_user_pool, **kwargs) == code


def test_describe_unknown_pool(idp):
    assert call_error(idp.describe_user_pool, UserPoolId=UNKNOWN_POOL) == "ResourceNotFoundException"


def test_describe_malformed_pool_id(raw_idp):
    assert call_error(raw_idp.describe_user_pool, UserPoolId="no-underscore") == "InvalidParameterException"


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"UserPoolId": UNKNOWN_POOL}, "ResourceNotFoundException"),
        ({"MfaConfiguration": "ON"}, "InvalidParameterException"),
        ({"DeletionProtection": "MAYBE"}, "InvalidParameterException"),
        ({"PoolName": "bad#name"}, "InvalidParameterException"),
        ({"UserPoolTags": {"aws:cloudformation:stack": "x"}}, "InvalidParameterException"),
        ({"UserPoolAddOns": {"AdvancedSecurityMode": "AUDIT"}}, "FeatureUnavailableInTierException"),
    ],
)
def test_update_user_pool_rejects_bad_input(raw_idp, pool_id, kwargs, code):
    assert call_error(raw_idp.update_user_pool, **{"UserPoolId": pool_id, **kwargs}) == code


def test_delete_user_pool(idp, pool_id):
    idp.delete_user_pool(UserPoolId=pool_id)
    assert call_error(idp.describe_user_pool, UserPoolId=pool_id) == "ResourceNotFoundException"
    assert call_error(idp.delete_user_pool, UserPoolId=pool_id) == "ResourceNotFoundException"


def test_deletion_protection_blocks_delete_until_turned_off(idp, make_pool):
    pool_id = make_pool("guarded", DeletionProtection="ACTIVE")["Id"]
    assert call_error(idp.delete_user_pool, UserPoolId=pool_id) == "InvalidParameterException"
    idp.describe_user_pool(UserPoolId=pool_id)  # still there

    idp.update_user_pool(UserPoolId=pool_id, DeletionProtection="INACTIVE")
    idp.delete_user_pool(UserPoolId=pool_id)
    assert call_error(idp.describe_user_pool, UserPoolId=pool_id) == "ResourceNotFoundException"


def test_pool_with_a_domain_cannot_be_deleted(idp, pool_id):
    idp.create_user_pool_domain(UserPoolId=pool_id, Domain="guarded-by-domain")
    assert call_error(idp.delete_user_pool, UserPoolId=pool_id) == "InvalidParameterException"

    idp.delete_user_pool_domain(UserPoolId=pool_id, Domain="guarded-by-domain")
    idp.delete_user_pool(UserPoolId=pool_id)


def test_deleting_a_pool_deletes_its_clients(idp, pool_id, make_client):
    client_id = make_client(pool_id)["ClientId"]
    idp.delete_user_pool(UserPoolId=pool_id)
    code = call_error(idp.describe_user_pool_client, UserPoolId=pool_id, ClientId=client_id)
    assert code == "ResourceNotFoundException"


# --- ListUserPools ----------------------------------------------------------------------


def test_list_user_pools_pages_through_every_pool_once(idp, make_pool):
    created = {make_pool(f"pool-{i}")["Id"]: f"pool-{i}" for i in range(7)}
    seen: list[str] = []
    pages = []
    kwargs = {"MaxResults": 3}
    while True:
        page = idp.list_user_pools(**kwargs)
        pages.append(len(page["UserPools"]))
        for p in page["UserPools"]:
            assert p["Name"] == created[p["Id"]]
            assert set(p) == {"Id", "Name", "LambdaConfig", "CreationDate", "LastModifiedDate"}
        seen += [p["Id"] for p in page["UserPools"]]
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert pages == [3, 3, 1]
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen))


def test_list_user_pools_with_the_boto3_paginator(idp, make_pool):
    created = {make_pool(f"p{i}")["Id"] for i in range(4)}
    paginator = idp.get_paginator("list_user_pools")
    seen = [p["Id"] for page in paginator.paginate(MaxResults=3) for p in page["UserPools"]]
    assert sorted(seen) == sorted(created)


def test_list_user_pools_exact_page_has_no_next_token(idp, make_pool):
    for i in range(3):
        make_pool(f"p{i}")
    page = idp.list_user_pools(MaxResults=3)
    assert len(page["UserPools"]) == 3
    assert "NextToken" not in page


def test_list_user_pools_deleted_pool_between_pages(idp, make_pool):
    ids = [make_pool(f"p{i}")["Id"] for i in range(4)]
    first = idp.list_user_pools(MaxResults=2)
    idp.delete_user_pool(UserPoolId=first["UserPools"][-1]["Id"])  # the token's anchor goes away
    second = idp.list_user_pools(MaxResults=2, NextToken=first["NextToken"])
    assert [p["Id"] for p in first["UserPools"] + second["UserPools"]] == ids


@pytest.mark.parametrize(
    "kwargs",
    [
        {"MaxResults": 0},
        {"MaxResults": 61},
        {"MaxResults": -1},
        {},
        {"MaxResults": 3, "NextToken": "garbage"},
        {"MaxResults": 3, "NextToken": _token(["not-a-date", "us-east-1_x"])},
        {"MaxResults": 3, "NextToken": _token(["2024-01-01T00:00:00+00:00"])},
        {"MaxResults": 3, "NextToken": _token({"a": 1})},
        {"MaxResults": 3, "NextToken": _token([None, None])},
        {"MaxResults": 3, "NextToken": "%%%%"},
        {"MaxResults": 3, "NextToken": _token(["2024-01-01T00:00:00+00:00", 10**30])},
        {"MaxResults": 3, "NextToken": _token(["2024-01-01T00:00:00", "us-east-1_x"])},  # naive time
        {"MaxResults": 3, "NextToken": base64.urlsafe_b64encode(b"[" * 60000).decode()},  # deep nesting
    ],
    ids=lambda v: str(v)[:80],
)
def test_list_user_pools_rejects_bad_input(raw_idp, pool_id, kwargs):
    assert call_error(raw_idp.list_user_pools, **kwargs) == "InvalidParameterException"


# --- AddCustomAttributes / GetCSVHeader ---------------------------------------------------


def test_add_custom_attributes_shows_in_schema_and_csv_header(idp, pool_id):
    idp.add_custom_attributes(
        UserPoolId=pool_id,
        CustomAttributes=[
            {"Name": "x", "AttributeDataType": "String"},
            {
                "Name": "score",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "0", "MaxValue": "10"},
            },
        ],
    )
    schema = {a["Name"]: a for a in idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["SchemaAttributes"]}
    assert schema["custom:x"]["AttributeDataType"] == "String"
    assert schema["custom:x"]["Mutable"] is True
    assert schema["custom:x"]["Required"] is False
    assert schema["custom:score"]["NumberAttributeConstraints"] == {"MinValue": "0", "MaxValue": "10"}

    header = idp.get_csv_header(UserPoolId=pool_id)
    assert header["UserPoolId"] == pool_id
    assert header["CSVHeader"][-2:] == ["custom:x", "custom:score"]


@pytest.mark.parametrize(
    "existing, new, code",
    [
        ([], [{"Name": "x", "AttributeDataType": "String"}] * 2, "InvalidParameterException"),
        (
            [{"Name": "x", "AttributeDataType": "String"}],
            [{"Name": "x", "AttributeDataType": "Number"}],
            "InvalidParameterException",
        ),
        ([], [{"Name": "x", "AttributeDataType": "String", "Required": True}], "InvalidParameterException"),
        ([], [{"Name": "x", "AttributeDataType": "Text"}], "InvalidParameterException"),
        ([], [], "InvalidParameterException"),
        (
            [],
            [{"Name": "x", "AttributeDataType": "Boolean", "StringAttributeConstraints": {"MaxLength": "3"}}],
            "InvalidParameterException",
        ),
    ],
)
def test_add_custom_attributes_rejects_bad_input(raw_idp, make_pool, existing, new, code):
    pool_id = make_pool("attrs", Schema=existing)["Id"] if existing else make_pool("attrs")["Id"]
    assert call_error(raw_idp.add_custom_attributes, UserPoolId=pool_id, CustomAttributes=new) == code
    schema = raw_idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["SchemaAttributes"]
    assert len([a for a in schema if a["Name"].startswith("custom:")]) == len(existing)  # nothing half-added


def test_a_pool_has_at_most_fifty_custom_attributes(idp, make_pool):
    pool_id = make_pool("many", Schema=[{"Name": f"a{i}", "AttributeDataType": "String"} for i in range(25)])["Id"]
    idp.add_custom_attributes(
        UserPoolId=pool_id, CustomAttributes=[{"Name": f"b{i}", "AttributeDataType": "String"} for i in range(25)]
    )
    code = call_error(
        idp.add_custom_attributes,
        UserPoolId=pool_id,
        CustomAttributes=[{"Name": "one-more", "AttributeDataType": "String"}],
    )
    assert code == "InvalidParameterException"
    assert len(idp.get_csv_header(UserPoolId=pool_id)["CSVHeader"]) == 21 + 50


def test_add_custom_attributes_to_unknown_pool(idp):
    code = call_error(
        idp.add_custom_attributes,
        UserPoolId=UNKNOWN_POOL,
        CustomAttributes=[{"Name": "x", "AttributeDataType": "String"}],
    )
    assert code == "ResourceNotFoundException"


def test_csv_header_of_a_bare_pool(idp, pool_id):
    header = idp.get_csv_header(UserPoolId=pool_id)["CSVHeader"]
    assert "cognito:username" in header
    assert "cognito:mfa_enabled" in header
    assert {"email", "email_verified", "phone_number", "given_name"} <= set(header)
    assert "sub" not in header
    assert not [h for h in header if h.startswith("custom:")]


def test_csv_header_of_unknown_pool(idp):
    assert call_error(idp.get_csv_header, UserPoolId=UNKNOWN_POOL) == "ResourceNotFoundException"


# --- GetUserPoolMfaConfig / SetUserPoolMfaConfig -----------------------------------------


def test_mfa_config_of_a_new_pool_is_off(idp, pool_id):
    assert idp.get_user_pool_mfa_config(UserPoolId=pool_id)["MfaConfiguration"] == "OFF"


def test_turn_totp_mfa_on(idp, pool_id):
    answer = idp.set_user_pool_mfa_config(
        UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="ON"
    )
    assert answer["MfaConfiguration"] == "ON"
    assert answer["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
    got = idp.get_user_pool_mfa_config(UserPoolId=pool_id)
    got.pop("ResponseMetadata")
    answer.pop("ResponseMetadata")
    assert got == answer
    assert idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["MfaConfiguration"] == "ON"


def test_update_user_pool_can_require_mfa_once_a_factor_is_enabled(idp, pool_id):
    assert call_error(idp.update_user_pool, UserPoolId=pool_id, MfaConfiguration="ON") == "InvalidParameterException"
    idp.set_user_pool_mfa_config(UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": True})
    idp.update_user_pool(UserPoolId=pool_id, MfaConfiguration="ON")
    assert idp.get_user_pool_mfa_config(UserPoolId=pool_id)["MfaConfiguration"] == "ON"
    idp.update_user_pool(UserPoolId=pool_id)  # omitted: back to the default, OFF
    assert idp.get_user_pool_mfa_config(UserPoolId=pool_id)["MfaConfiguration"] == "OFF"


def test_mfa_optional_keeps_factors_set_earlier(idp, pool_id):
    idp.set_user_pool_mfa_config(UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": True})
    answer = idp.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OPTIONAL")
    assert answer["MfaConfiguration"] == "OPTIONAL"
    assert answer["SoftwareTokenMfaConfiguration"] == {"Enabled": True}


def test_sms_mfa_with_sms_configuration(idp, pool_id):
    sms = {
        "SmsAuthenticationMessage": "Code {####}",
        "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::000000000000:role/sns", "ExternalId": "x"},
    }
    answer = idp.set_user_pool_mfa_config(UserPoolId=pool_id, SmsMfaConfiguration=sms, MfaConfiguration="OPTIONAL")
    assert answer["SmsMfaConfiguration"] == sms
    assert answer["MfaConfiguration"] == "OPTIONAL"


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"MfaConfiguration": "ON"}, "InvalidParameterException"),
        (
            {"MfaConfiguration": "OPTIONAL", "SoftwareTokenMfaConfiguration": {"Enabled": False}},
            "InvalidParameterException",
        ),
        ({"MfaConfiguration": "ALWAYS"}, "InvalidParameterException"),
        ({"SmsMfaConfiguration": {"SmsAuthenticationMessage": "no code"}}, "InvalidParameterException"),
        ({"EmailMfaConfiguration": {"Message": "Code {####}"}, "MfaConfiguration": "ON"}, "InvalidParameterException"),
        ({"UserPoolId": UNKNOWN_POOL, "SoftwareTokenMfaConfiguration": {"Enabled": True}}, "ResourceNotFoundException"),
    ],
)
def test_set_mfa_config_rejects_bad_input(raw_idp, pool_id, kwargs, code):
    assert call_error(raw_idp.set_user_pool_mfa_config, **{"UserPoolId": pool_id, **kwargs}) == code
    assert raw_idp.get_user_pool_mfa_config(UserPoolId=pool_id)["MfaConfiguration"] == "OFF"


def test_get_mfa_config_of_unknown_pool(idp):
    assert call_error(idp.get_user_pool_mfa_config, UserPoolId=UNKNOWN_POOL) == "ResourceNotFoundException"


# --- GetSigningCertificate ----------------------------------------------------------------


def test_signing_certificate_is_stable_base64_der(idp, pool_id):
    first = idp.get_signing_certificate(UserPoolId=pool_id)["Certificate"]
    cert = x509.load_der_x509_certificate(base64.b64decode(first))
    assert cert.public_key().key_size == 2048
    assert idp.get_signing_certificate(UserPoolId=pool_id)["Certificate"] == first


def test_signing_certificates_differ_between_pools(idp, make_pool):
    a, b = make_pool("a")["Id"], make_pool("b")["Id"]
    assert (
        idp.get_signing_certificate(UserPoolId=a)["Certificate"]
        != idp.get_signing_certificate(UserPoolId=b)["Certificate"]
    )


def test_signing_certificate_of_unknown_pool(idp):
    assert call_error(idp.get_signing_certificate, UserPoolId=UNKNOWN_POOL) == "ResourceNotFoundException"
