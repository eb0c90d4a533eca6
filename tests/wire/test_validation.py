"""Tests for userpools.awsmodel (pure Python; no Django needed).

Run: .venv/bin/pytest -p no:django tests/wire/test_validation.py -q
"""

from __future__ import annotations

import copy
import itertools
import string
import sys
import time
from pathlib import Path

import pytest
import regex
from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# With `-p no:django` nothing puts the repo root on sys.path (pytest's
# rootdir-relative insertion adds tests/wire/), so do it here.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from userpools.awsmodel import (  # noqa: E402
    MAX_DEPTH,
    MAX_REPORTED_ERRORS,
    RequestValidationError,
    ServiceSpec,
    validate_input,
)
from userpools.awsmodel.patterns import _LINEAR_EQUIVALENTS, _compile_pattern, _java_to_python  # noqa: E402

IPE = "InvalidParameterException"
SER = "SerializationException"


@pytest.fixture(scope="module")
def idp() -> ServiceSpec:
    return ServiceSpec.load("cognito-idp")


@pytest.fixture(scope="module")
def identity() -> ServiceSpec:
    return ServiceSpec.load("cognito-identity")


def fail(spec: ServiceSpec, op: str, params) -> RequestValidationError:
    with pytest.raises(RequestValidationError) as info:
        validate_input(spec, op, params)
    return info.value


def one(text: str) -> str:
    return f"1 validation error detected: {text}"


ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"


def full_create_user_pool() -> dict:
    return {
        "PoolName": "my-app users",
        "Policies": {
            "PasswordPolicy": {
                "MinimumLength": 12,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": False,
                "PasswordHistorySize": 5,
                "TemporaryPasswordValidityDays": 7,
            },
            "SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]},
        },
        "DeletionProtection": "ACTIVE",
        "LambdaConfig": {
            "PreSignUp": ARN.format("pre-signup"),
            "PostConfirmation": ARN.format("post-confirmation"),
            "PreTokenGenerationConfig": {
                "LambdaVersion": "V2_0",
                "LambdaArn": ARN.format("pre-token"),
            },
        },
        "AutoVerifiedAttributes": ["email"],
        "UsernameAttributes": ["email"],
        "VerificationMessageTemplate": {
            "DefaultEmailOption": "CONFIRM_WITH_CODE",
            "EmailMessage": "Your verification code is {####}.\nThanks!",
            "EmailSubject": "Verify your email",
            "EmailMessageByLink": "Please click {##Verify Email##} to continue.",
            "EmailSubjectByLink": "Verify your email",
            "SmsMessage": "Your code is {####}",
        },
        "SmsAuthenticationMessage": "Your sign-in code is {####}",
        "MfaConfiguration": "OPTIONAL",
        "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
        "DeviceConfiguration": {
            "ChallengeRequiredOnNewDevice": True,
            "DeviceOnlyRememberedOnUserPrompt": True,
        },
        "EmailConfiguration": {"EmailSendingAccount": "COGNITO_DEFAULT"},
        "SmsConfiguration": {
            "SnsCallerArn": "arn:aws:iam::123456789012:role/cognito-sms",
            "ExternalId": "c0ffee",
            "SnsRegion": "us-east-1",
        },
        "UserPoolTags": {"env": "prod", "team": "identity", "empty": ""},
        "AdminCreateUserConfig": {
            "AllowAdminCreateUserOnly": False,
            "InviteMessageTemplate": {
                "SMSMessage": "Hi {username}, temp password {####}",
                "EmailMessage": "Hi {username}, your temporary password is {####}",
                "EmailSubject": "Welcome",
            },
        },
        "Schema": [
            {
                "Name": "email",
                "AttributeDataType": "String",
                "Mutable": True,
                "Required": True,
                "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "2048"},
            },
            {
                "Name": "tenant_id",
                "AttributeDataType": "String",
                "DeveloperOnlyAttribute": False,
                "Mutable": True,
                "StringAttributeConstraints": {"MaxLength": "64"},
            },
            {
                "Name": "age",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "0", "MaxValue": "150"},
            },
        ],
        "UserPoolAddOns": {"AdvancedSecurityMode": "OFF"},
        "UsernameConfiguration": {"CaseSensitive": False},
        "AccountRecoverySetting": {
            "RecoveryMechanisms": [
                {"Priority": 1, "Name": "verified_email"},
                {"Priority": 2, "Name": "verified_phone_number"},
            ]
        },
        "UserPoolTier": "ESSENTIALS",
    }


# ---------------------------------------------------------------------------
# ServiceSpec
# ---------------------------------------------------------------------------


def test_service_spec_basics(idp, identity):
    assert ServiceSpec.load("cognito-idp") is idp  # cached
    assert idp.name == "cognito-idp"
    assert idp.target_prefix == "AWSCognitoIdentityProviderService"
    assert identity.target_prefix == "AWSCognitoIdentityService"
    assert len(idp.operation_names()) == 153
    assert len(identity.operation_names()) == 23
    assert isinstance(idp.operation_names(), frozenset)
    assert idp.is_unsigned("InitiateAuth") is True
    assert idp.is_unsigned("CreateUserPool") is False
    assert idp.is_unsigned("SignUp") is True
    assert identity.is_unsigned("GetId") is True
    assert identity.is_unsigned("CreateIdentityPool") is False
    assert idp.input_shape("CreateUserPool") == "CreateUserPoolRequest"
    assert idp.output_shape("CreateUserPool") == "CreateUserPoolResponse"
    assert "InvalidParameterException" in idp.error_names("CreateUserPool")
    assert "InvalidParameterException" in identity.error_names("CreateIdentityPool")
    assert idp.shape("InvalidParameterException")["exception"] is True
    assert identity.shape("InvalidParameterException")["exception"] is True
    assert idp.shape("UserPoolNameType")["pattern"] == r"[\w\s+=,.@-]+"
    with pytest.raises(KeyError):
        idp.input_shape("NoSuchOperation")
    with pytest.raises(KeyError):
        validate_input(idp, "NoSuchOperation", {})


def test_unsigned_operations_match_model(idp, identity):
    unsigned = {op for op in idp.operation_names() if idp.is_unsigned(op)}
    assert {
        "InitiateAuth",
        "RespondToAuthChallenge",
        "SignUp",
        "ConfirmSignUp",
        "ForgotPassword",
        "GetUser",
        "RevokeToken",
    } <= unsigned
    assert "AdminInitiateAuth" not in unsigned
    assert {op for op in identity.operation_names() if identity.is_unsigned(op)} == {
        "GetCredentialsForIdentity",
        "GetId",
        "GetOpenIdToken",
        "UnlinkIdentity",
    }


# ---------------------------------------------------------------------------
# CreateUserPool
# ---------------------------------------------------------------------------


def test_full_create_user_pool_is_valid(idp):
    body = full_create_user_pool()
    validate_input(idp, "CreateUserPool", body)
    # botocore's own client-side validator agrees that this is a real body.
    botocore_model = ServiceModel(Loader().load_service_model("cognito-idp", "service-2"))
    report = ParamValidator().validate(body, botocore_model.operation_model("CreateUserPool").input_shape)
    assert not report.has_errors(), report.generate_report()


def test_minimal_bodies_valid(idp):
    validate_input(idp, "CreateUserPool", {"PoolName": "p"})
    validate_input(idp, "ListUserPools", {"MaxResults": 60})
    validate_input(idp, "ListUserPools", {"MaxResults": 1, "NextToken": "abc"})


def test_missing_and_null_required(idp):
    msg = one("Value null at 'poolName' failed to satisfy constraint: Member must not be null")
    for body in ({}, {"PoolName": None}, {"poolName": "lowercase key is unknown"}):
        e = fail(idp, "CreateUserPool", body)
        assert e.code == IPE
        assert e.message == msg
        assert e.errors == [msg.removeprefix("1 validation error detected: ")]
        assert e.error_count == 1


def test_pool_name_bad_pattern(idp):
    e = fail(idp, "CreateUserPool", {"PoolName": "bad/name"})
    assert e.code == IPE
    assert e.message == one(
        "Value 'bad/name' at 'poolName' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: [\w\s+=,.@-]+"
    )


def test_pool_name_java_regex_semantics(idp):
    # Java's \w is ASCII-only: AWS rejects non-ASCII letters in PoolName.
    e = fail(idp, "CreateUserPool", {"PoolName": "Pool é"})
    assert "Member must satisfy regular expression pattern" in e.message
    validate_input(idp, "CreateUserPool", {"PoolName": "Pool_1 a+b=c,d.e@f-g"})


def test_pool_name_too_long_and_empty(idp):
    e = fail(idp, "CreateUserPool", {"PoolName": "a" * 129})
    assert e.message == one(
        f"Value '{'a' * 129}' at 'poolName' failed to satisfy constraint: "
        "Member must have length less than or equal to 128"
    )
    validate_input(idp, "CreateUserPool", {"PoolName": "a" * 128})
    e = fail(idp, "CreateUserPool", {"PoolName": ""})
    assert e.error_count == 2
    assert e.message == (
        "2 validation errors detected: "
        "Value '' at 'poolName' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: [\w\s+=,.@-]+; "
        "Value '' at 'poolName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


@pytest.mark.parametrize("value, ok", [(5, False), (6, True), (99, True), (100, False)])
def test_password_policy_minimum_length_range(idp, value, ok):
    body = {"PoolName": "p", "Policies": {"PasswordPolicy": {"MinimumLength": value}}}
    if ok:
        validate_input(idp, "CreateUserPool", body)
        return
    e = fail(idp, "CreateUserPool", body)
    bound = "greater than or equal to 6" if value < 6 else "less than or equal to 99"
    assert e.message == one(
        f"Value '{value}' at 'policies.passwordPolicy.minimumLength' failed to satisfy "
        f"constraint: Member must have value {bound}"
    )


def test_bad_enum(idp):
    e = fail(idp, "CreateUserPool", {"PoolName": "p", "MfaConfiguration": "on"})
    assert e.message == one(
        "Value 'on' at 'mfaConfiguration' failed to satisfy constraint: "
        "Member must satisfy enum value set: [OFF, ON, OPTIONAL]"
    )


def test_enum_inside_list_path(idp):
    e = fail(idp, "CreateUserPool", {"PoolName": "p", "AutoVerifiedAttributes": ["email", "fax"]})
    assert e.message == one(
        "Value 'fax' at 'autoVerifiedAttributes.2.member' failed to satisfy constraint: "
        "Member must satisfy enum value set: [phone_number, email]"
    )


def test_list_member_structure_path(idp):
    body = {"PoolName": "p", "Schema": [{"Name": "ok"}, {"Name": "x" * 21}]}
    e = fail(idp, "CreateUserPool", body)
    assert e.message == one(
        f"Value '{'x' * 21}' at 'schema.2.member.name' failed to satisfy constraint: "
        "Member must have length less than or equal to 20"
    )


def test_required_member_nested(idp):
    body = {"PoolName": "p", "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1}]}}
    e = fail(idp, "CreateUserPool", body)
    assert e.message == one(
        "Value null at 'accountRecoverySetting.recoveryMechanisms.1.member.name' "
        "failed to satisfy constraint: Member must not be null"
    )


def test_several_errors_joined_in_model_member_order(idp):
    body = {
        "PoolName": "p",
        "MfaConfiguration": "NOPE",
        "Policies": {"PasswordPolicy": {"MinimumLength": 1}},
    }
    e = fail(idp, "CreateUserPool", body)
    assert e.code == IPE
    assert e.error_count == 2
    assert e.errors == [
        "Value '1' at 'policies.passwordPolicy.minimumLength' failed to satisfy constraint: "
        "Member must have value greater than or equal to 6",
        "Value 'NOPE' at 'mfaConfiguration' failed to satisfy constraint: "
        "Member must satisfy enum value set: [OFF, ON, OPTIONAL]",
    ]
    assert e.message == "2 validation errors detected: " + "; ".join(e.errors)


def test_list_too_long(idp):
    schema = [{"Name": f"a{i}"} for i in range(51)]
    e = fail(idp, "CreateUserPool", {"PoolName": "p", "Schema": schema})
    rendered = "[" + ", ".join(f"{{Name: a{i}}}" for i in range(51)) + "]"
    assert e.message == one(
        f"Value '{rendered}' at 'schema' failed to satisfy constraint: Member must have length less than or equal to 50"
    )
    validate_input(idp, "CreateUserPool", {"PoolName": "p", "Schema": schema[:50]})


def test_list_too_short(idp):
    e = fail(idp, "CreateUserPool", {"PoolName": "p", "Schema": []})
    assert e.message == one(
        "Value '[]' at 'schema' failed to satisfy constraint: Member must have length greater than or equal to 1"
    )


def test_map_key_and_value_constraints(idp):
    e = fail(idp, "CreateUserPool", {"PoolName": "p", "UserPoolTags": {"k" * 129: "v"}})
    assert e.message == one(
        f"Value '{{{'k' * 129}=v}}' at 'userPoolTags' failed to satisfy constraint: "
        "Map keys must satisfy constraint: [Member must have length less than or equal to 128, "
        "Member must have length greater than or equal to 1]"
    )
    e = fail(idp, "CreateUserPool", {"PoolName": "p", "UserPoolTags": {"": "v", "a": "b"}})
    assert e.errors == [
        "Value '{=v, a=b}' at 'userPoolTags' failed to satisfy constraint: "
        "Map keys must satisfy constraint: [Member must have length less than or equal to 128, "
        "Member must have length greater than or equal to 1]"
    ]
    e = fail(idp, "CreateUserPool", {"PoolName": "p", "UserPoolTags": {"k": "v" * 257}})
    assert e.errors == [
        f"Value '{{k={'v' * 257}}}' at 'userPoolTags' failed to satisfy constraint: "
        "Map value must satisfy constraint: [Member must have length less than or equal to 256, "
        "Member must have length greater than or equal to 0]"
    ]
    # one aggregated error per map however many entries fail
    tags = {"": "v" * 300, "k" * 200: "v" * 300}
    e = fail(idp, "CreateUserPool", {"PoolName": "p", "UserPoolTags": tags})
    assert e.error_count == 2
    assert "Map keys must satisfy constraint" in e.errors[0]
    assert "Map value must satisfy constraint" in e.errors[1]


# ---------------------------------------------------------------------------
# Wrong JSON types -> SerializationException
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, message",
    [
        ({"PoolName": "p", "Policies": "strong"}, "Invalid value at 'policies': expected object, got string"),
        (
            {"PoolName": "p", "Policies": {"PasswordPolicy": {"MinimumLength": True}}},
            "Invalid value at 'policies.passwordPolicy.minimumLength': expected integer, got boolean",
        ),
        (
            {"PoolName": "p", "Policies": {"PasswordPolicy": {"MinimumLength": 8.0}}},
            "Invalid value at 'policies.passwordPolicy.minimumLength': expected integer, got non-integer number",
        ),
        (
            {"PoolName": "p", "Policies": {"PasswordPolicy": {"MinimumLength": "8"}}},
            "Invalid value at 'policies.passwordPolicy.minimumLength': expected integer, got string",
        ),
        (
            {"PoolName": "p", "Policies": {"PasswordPolicy": {"MinimumLength": 2**31}}},
            "Invalid value at 'policies.passwordPolicy.minimumLength': expected integer, "
            "got number out of range for a 32-bit integer",
        ),
        ({"PoolName": 12}, "Invalid value at 'poolName': expected string, got number"),
        ({"PoolName": ["p"]}, "Invalid value at 'poolName': expected string, got array"),
        (
            {"PoolName": "p", "DeviceConfiguration": {"ChallengeRequiredOnNewDevice": "true"}},
            "Invalid value at 'deviceConfiguration.challengeRequiredOnNewDevice': expected boolean, got string",
        ),
        ({"PoolName": "p", "Schema": {"Name": "x"}}, "Invalid value at 'schema': expected array, got object"),
        ({"PoolName": "p", "Schema": [None]}, "Invalid value at 'schema.1.member': expected object, got null"),
        (
            {"PoolName": "p", "Schema": [{"Name": "ok"}, "x"]},
            "Invalid value at 'schema.2.member': expected object, got string",
        ),
        ({"PoolName": "p", "UserPoolTags": ["a"]}, "Invalid value at 'userPoolTags': expected object, got array"),
        (
            {"PoolName": "p", "UserPoolTags": {"env": 1}},
            "Invalid value at 'userPoolTags.env': expected string, got number",
        ),
        (
            {"PoolName": "p", "UserPoolTags": {"env": None}},
            "Invalid value at 'userPoolTags.env': expected string, got null",
        ),
    ],
)
def test_wrong_types_are_serialization_errors(idp, body, message):
    e = fail(idp, "CreateUserPool", body)
    assert e.code == SER
    assert e.message == message
    assert e.errors[0] == message


@pytest.mark.parametrize(
    "body, got",
    [([], "array"), ("x", "string"), (None, "null"), (3, "number"), (True, "boolean")],
)
def test_top_level_must_be_object(idp, identity, body, got):
    for spec, op in ((idp, "CreateUserPool"), (idp, "GetUser"), (identity, "GetId")):
        e = fail(spec, op, body)
        assert e.code == SER
        assert e.message == f"Request body must be a JSON object, got {got}"


def test_type_errors_take_precedence_over_constraints(idp):
    # AWS fails deserialization before validating constraints.
    body = {"PoolName": "bad/name", "MfaConfiguration": 1, "UserPoolTags": {"": True}}
    e = fail(idp, "CreateUserPool", body)
    assert e.code == SER
    assert e.error_count == 2
    assert e.errors == [
        "Invalid value at 'mfaConfiguration': expected string, got number",
        "Invalid value at 'userPoolTags.': expected string, got boolean",
    ]
    assert e.message == e.errors[0]


def test_unknown_members_ignored_and_null_optional_is_absent(idp):
    body = {
        "PoolName": "p",
        "Bogus": {"x": [1, 2]},
        "poolname": 5,
        "Policies": None,
        "Schema": None,
        "UserPoolTags": None,
    }
    validate_input(idp, "CreateUserPool", body)


def test_messages_are_always_utf8_encodable(idp):
    # json.loads('"\\ud800"') yields a lone surrogate; echoing it verbatim
    # would make the UTF-8 response body unencodable.
    e = fail(idp, "CreateUserPool", {"PoolName": "a\ud800b"})
    assert e.message == one(
        "Value 'a\ufffdb' at 'poolName' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: [\w\s+=,.@-]+"
    )
    e = fail(idp, "CreateUserPool", {"PoolName": "p", "UserPoolTags": {"\udfff": 1}})
    assert e.message == "Invalid value at 'userPoolTags.\ufffd': expected string, got number"
    # a valid surrogate pair (as a JSON decoder might leave it) is joined up
    e = fail(idp, "CreateUserPool", {"PoolName": "\ud83d\ude00"})
    assert "Value '\U0001f600'" in e.message
    e.message.encode("utf-8")


# ---------------------------------------------------------------------------
# ListUserPools
# ---------------------------------------------------------------------------


def test_list_user_pools_max_results(idp):
    e = fail(idp, "ListUserPools", {})
    assert e.message == one("Value null at 'maxResults' failed to satisfy constraint: Member must not be null")
    e = fail(idp, "ListUserPools", {"MaxResults": 0})
    assert e.message == one(
        "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"
    )
    e = fail(idp, "ListUserPools", {"MaxResults": 61})
    assert e.message == one(
        "Value '61' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 60"
    )
    e = fail(idp, "ListUserPools", {"MaxResults": 10, "NextToken": "has space"})
    assert e.message == one(
        "Value 'has space' at 'nextToken' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: [\S]+"
    )


# ---------------------------------------------------------------------------
# Sensitive values are never echoed
# ---------------------------------------------------------------------------


def test_sensitive_string_not_echoed(idp):
    e = fail(idp, "SignUp", {"ClientId": "abc", "Username": "bob", "Password": "hunter 2"})
    assert e.message == one(
        "Value at 'password' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: [\S]+"
    )
    assert "hunter" not in e.message


def test_client_secret_sensitive(idp):
    body = {"UserPoolId": "us-east-1_abc", "ClientName": "web", "ClientSecret": "tooshort"}
    e = fail(idp, "CreateUserPoolClient", body)
    assert e.message == one(
        "Value at 'clientSecret' failed to satisfy constraint: Member must have length greater than or equal to 24"
    )
    assert "tooshort" not in e.message


def test_sensitive_map_not_echoed(idp):
    assert idp.shape("AuthParametersType")["sensitive"] is True
    secret = "p" * 131073
    body = {
        "AuthFlow": "USER_PASSWORD_AUTH",
        "ClientId": "abc",
        "AuthParameters": {"USERNAME": "bob", "PASSWORD": secret},
    }
    e = fail(idp, "InitiateAuth", body)
    assert e.message == one(
        "Value at 'authParameters' failed to satisfy constraint: Map value must satisfy "
        "constraint: [Member must have length less than or equal to 131072, "
        "Member must have length greater than or equal to 0]"
    )
    # type errors inside a sensitive map do not name the key either
    body["AuthParameters"] = {"SECRET_HASH_KEYNAME": 5}
    e = fail(idp, "InitiateAuth", body)
    assert e.message == "Invalid value at 'authParameters': expected string, got number"
    # ... while a non-sensitive map does
    body = {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "abc", "ClientMetadata": {"k": 5}}
    assert fail(idp, "InitiateAuth", body).message == (
        "Invalid value at 'clientMetadata.k': expected string, got number"
    )


def test_sensitive_member_inside_list(idp):
    body = {
        "UserPoolId": "us-east-1_abc",
        "Username": "bob",
        "UserAttributes": [{"Name": "email", "Value": "s3cr3t" * 400}],
    }
    e = fail(idp, "AdminCreateUser", body)
    assert e.message == one(
        "Value at 'userAttributes.1.member.value' failed to satisfy constraint: "
        "Member must have length less than or equal to 2048"
    )
    assert "s3cr3t" not in e.message


def test_sensitive_members_redacted_when_container_is_echoed(idp):
    # AttributeListType has no size limit in the model, so use a synthetic one
    spec = synthetic_spec()
    body = {"Req": "x", "Creds": [{"User": "u1", "Secret": "TOPSECRET"}] * 3}
    e = fail(spec, "Op", body)
    assert e.message == one(
        "Value '[{User: u1, Secret: *** Sensitive Data Redacted ***}, "
        "{User: u1, Secret: *** Sensitive Data Redacted ***}, "
        "{User: u1, Secret: *** Sensitive Data Redacted ***}]' at 'creds' failed to satisfy "
        "constraint: Member must have length less than or equal to 2"
    )


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_sensitive_values_never_echoed_property(idp, text):
    password = "SeNsItIvE-" + text + " "  # trailing space violates [\S]+
    body = {
        "ClientId": "SeNsItIvE-client id",
        "Username": "SeNsItIvE-" + text + "\x00",
        "Password": password,
        "SecretHash": "SeNsItIvE-" + text + "!",
    }
    e = fail(idp, "SignUp", body)
    assert e.code == IPE
    assert "SeNsItIvE" not in e.message


# ---------------------------------------------------------------------------
# cognito-identity
# ---------------------------------------------------------------------------


def test_create_identity_pool_required(identity):
    e = fail(identity, "CreateIdentityPool", {})
    assert e.code == IPE
    assert e.message == (
        "2 validation errors detected: "
        "Value null at 'identityPoolName' failed to satisfy constraint: Member must not be null; "
        "Value null at 'allowUnauthenticatedIdentities' failed to satisfy constraint: Member must not be null"
    )
    validate_input(
        identity,
        "CreateIdentityPool",
        {
            "IdentityPoolName": "my_pool",
            "AllowUnauthenticatedIdentities": False,
            "AllowClassicFlow": False,
            "SupportedLoginProviders": {"graph.facebook.com": "1234567890"},
            "CognitoIdentityProviders": [
                {
                    "ProviderName": "cognito-idp.us-east-1.amazonaws.com/us-east-1_abcDEF123",
                    "ClientId": "1example23456789",
                    "ServerSideTokenCheck": True,
                }
            ],
            "IdentityPoolTags": {"env": "dev"},
        },
    )


def test_identity_map_max_entries(identity):
    providers = {f"p{i}.example.com": "id" for i in range(11)}
    e = fail(
        identity,
        "CreateIdentityPool",
        {"IdentityPoolName": "pool", "AllowUnauthenticatedIdentities": True, "SupportedLoginProviders": providers},
    )
    rendered = "{" + ", ".join(f"{k}=id" for k in providers) + "}"
    assert e.message == one(
        f"Value '{rendered}' at 'supportedLoginProviders' failed to satisfy constraint: "
        "Member must have length less than or equal to 10"
    )


def test_identity_nested_map_value_paths(identity):
    body = {
        "IdentityPoolId": "us-east-1:0f0e0d0c-0000-4000-8000-000000000000",
        "Roles": {"authenticated": "arn:aws:iam::123456789012:role/auth"},
        "RoleMappings": {
            "graph.facebook.com": {"AmbiguousRoleResolution": "Deny"},
            "accounts.google.com": {"Type": "Rules", "RulesConfiguration": {"Rules": []}},
        },
    }
    e = fail(identity, "SetIdentityPoolRoles", body)
    assert e.errors == [
        "Value null at 'roleMappings.graph.facebook.com.type' failed to satisfy constraint: Member must not be null",
        "Value '[]' at 'roleMappings.accounts.google.com.rulesConfiguration.rules' failed to "
        "satisfy constraint: Member must have length greater than or equal to 1",
    ]


# ---------------------------------------------------------------------------
# Error cap
# ---------------------------------------------------------------------------


def test_error_count_capped(idp):
    schema = [{"Name": ""} for _ in range(20)]  # 2 errors each
    e = fail(idp, "CreateUserPool", {"PoolName": "p", "Schema": schema})
    assert e.error_count == 40
    assert len(e.errors) == MAX_REPORTED_ERRORS == 10
    assert e.message.startswith("40 validation errors detected: Value '' at 'schema.1.member.name'")
    assert e.message.count("failed to satisfy constraint") == 10
    assert e.errors[-1].startswith("Value '' at 'schema.5.member.name'")


def test_type_error_count_capped(idp):
    e = fail(idp, "CreateUserPool", {"PoolName": "p", "Schema": list(range(30))})
    assert e.code == SER
    assert e.error_count == 30
    assert len(e.errors) == 10


# ---------------------------------------------------------------------------
# Synthetic model: long / double / timestamp / blob / document / recursion
# ---------------------------------------------------------------------------


def synthetic_spec() -> ServiceSpec:
    model = {
        "metadata": {"targetPrefix": "Synthetic"},
        "operations": {
            "Op": {"name": "Op", "input": {"shape": "Req"}},
            "NoInput": {"name": "NoInput", "authtype": "none"},
            "Rec": {"name": "Rec", "input": {"shape": "Node"}, "auth": ["smithy.api#noAuth"]},
        },
        "shapes": {
            "Req": {
                "type": "structure",
                "required": ["Req"],
                "members": {
                    "Req": {"shape": "Str"},
                    "L": {"shape": "Long"},
                    "D": {"shape": "Dbl"},
                    "T": {"shape": "Ts"},
                    "B": {"shape": "Blob"},
                    "Doc": {"shape": "Doc"},
                    "Creds": {"shape": "CredList"},
                    "MFAOptions": {"shape": "Str"},
                },
            },
            "Str": {"type": "string"},
            "Long": {"type": "long", "min": -5},
            "Dbl": {"type": "double", "min": 0.5, "max": 10},
            "Ts": {"type": "timestamp"},
            "Blob": {"type": "blob", "min": 2, "max": 4},
            "Doc": {"type": "structure", "members": {}, "document": True},
            "CredList": {"type": "list", "member": {"shape": "Cred"}, "max": 2},
            "Cred": {"type": "structure", "members": {"User": {"shape": "Str"}, "Secret": {"shape": "Secret"}}},
            "Secret": {"type": "string", "sensitive": True},
            "Node": {"type": "structure", "members": {"Child": {"shape": "Node"}, "V": {"shape": "Str"}}},
        },
    }
    return ServiceSpec("synthetic", model)


def test_synthetic_spec_auth_and_no_input():
    spec = synthetic_spec()
    assert spec.is_unsigned("NoInput") and spec.is_unsigned("Rec") and not spec.is_unsigned("Op")
    assert spec.input_shape("NoInput") is None
    validate_input(spec, "NoInput", {"anything": 1})
    assert fail(spec, "NoInput", []).code == SER


def test_member_path_lower_cases_first_letter_only():
    e = fail(synthetic_spec(), "Op", {"Req": "x", "MFAOptions": 1})
    assert e.message == "Invalid value at 'mFAOptions': expected string, got number"


@pytest.mark.parametrize("value", [2**40, -5, 0, 2**63 - 1])
def test_long_ok(value):
    validate_input(synthetic_spec(), "Op", {"Req": "x", "L": value})


def test_long_bad():
    spec = synthetic_spec()
    assert fail(spec, "Op", {"Req": "x", "L": 2**63}).message == (
        "Invalid value at 'l': expected integer, got number out of range for a 64-bit integer"
    )
    assert fail(spec, "Op", {"Req": "x", "L": -6}).message == one(
        "Value '-6' at 'l' failed to satisfy constraint: Member must have value greater than or equal to -5"
    )


@pytest.mark.parametrize("value", [1, 0.5, 10, 9.99])
def test_double_ok(value):
    validate_input(synthetic_spec(), "Op", {"Req": "x", "D": value})


def test_double_bad():
    spec = synthetic_spec()
    for value, got in (
        (True, "boolean"),
        ("1", "string"),
        (float("inf"), "non-finite number"),
        (float("nan"), "non-finite number"),
        (10**400, "non-finite number"),
    ):
        e = fail(spec, "Op", {"Req": "x", "D": value})
        assert (e.code, e.message) == (SER, f"Invalid value at 'd': expected number, got {got}")
    assert fail(spec, "Op", {"Req": "x", "D": 10.5}).message == one(
        "Value '10.5' at 'd' failed to satisfy constraint: Member must have value less than or equal to 10"
    )


@pytest.mark.parametrize("value", [1700000000, 1700000000.25, "2024-01-02T03:04:05Z", "2024-01-02"])
def test_timestamp_ok(value):
    validate_input(synthetic_spec(), "Op", {"Req": "x", "T": value})


@pytest.mark.parametrize(
    "value, got", [("yesterday", "string that is not an ISO 8601 timestamp"), (True, "boolean"), ([], "array")]
)
def test_timestamp_bad(value, got):
    e = fail(synthetic_spec(), "Op", {"Req": "x", "T": value})
    assert e.code == SER
    assert e.message == (
        f"Invalid value at 't': expected timestamp (epoch-seconds number or ISO 8601 string), got {got}"
    )


def test_blob():
    spec = synthetic_spec()
    validate_input(spec, "Op", {"Req": "x", "B": "aGk="})  # b"hi"
    validate_input(spec, "Op", {"Req": "x", "B": "aGVsbA=="})  # 4 bytes
    e = fail(spec, "Op", {"Req": "x", "B": "not base64!"})
    assert (e.code, e.message) == (
        SER,
        "Invalid value at 'b': expected base64-encoded string, got string that is not valid base64",
    )
    assert fail(spec, "Op", {"Req": "x", "B": "aGk"}).code == SER  # bad padding
    assert fail(spec, "Op", {"Req": "x", "B": 5}).code == SER
    e = fail(spec, "Op", {"Req": "x", "B": "aGVsbG8="})  # 5 decoded bytes
    assert e.message == one(
        "Value 'aGVsbG8=' at 'b' failed to satisfy constraint: Member must have length less than or equal to 4"
    )


@pytest.mark.parametrize("doc", [None, 1, "x", [1, {"a": None}], {"any": {"thing": [True]}}])
def test_document_accepts_any_json(doc):
    validate_input(synthetic_spec(), "Op", {"Req": "x", "Doc": doc})


def test_recursive_shape_depth_guard():
    spec = synthetic_spec()
    body: dict = {"V": "leaf"}
    for _ in range(MAX_DEPTH - 1):
        body = {"Child": body}
    validate_input(spec, "Rec", body)
    for _ in range(5000):
        body = {"Child": body}
    e = fail(spec, "Rec", body)
    assert e.code == SER
    assert "nested too deeply" in e.message


def test_deeply_nested_junk_does_not_crash(idp, identity):
    """Values nested 100,000 deep are answered with the wire's own errors, never a crash (a
    RecursionError would be a 500): refused wherever they stand for a member, and an array
    is no request at all."""
    junk: object = []
    for _ in range(100_000):
        junk = [junk]
    deep_obj: object = {}
    for _ in range(100_000):
        deep_obj = {"PoolName": deep_obj, "Policies": deep_obj}
    answered = {SER, "InvalidParameterException"}
    for spec in (idp, identity):
        for op in spec.operation_names():
            members = spec.shape(spec.input_shape(op)).get("members", {})
            for value in (junk, deep_obj):
                body = {name: value for name in members}
                body["Unknown"] = value
                assert fail(spec, op, body).code in answered, op
            error = fail(spec, op, junk)
            assert (error.code, error.message) == (SER, "Request body must be a JSON object, got array"), op
            try:
                validate_input(spec, op, deep_obj)
            except RequestValidationError as exc:
                assert exc.code in answered, op
            else:  # accepted only where neither key names a member (unknown members are ignored)
                assert not {"PoolName", "Policies"} & set(members), op


# ---------------------------------------------------------------------------
# Patterns: Java semantics, linear-time rewrites, adversarial timing
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern, text, matches",
    [
        (r"[\w\s+=,.@-]+", "abc_1 2", True),
        (r"[\w\s+=,.@-]+", "é", False),  # Java \w is ASCII
        (r"[\w\s+=,.@-]+", "\u00a0", False),  # Java \s is ASCII
        (r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+", "héllo日本€", True),  # \p{..} is Unicode
        (r"[\S]+", "ü", True),
        (r"[\S]+", "a b", False),
        (r"[\S]+", "a\x0bb", False),  # \x0B is Java whitespace
        (r"^[0-9a-fA-F]+$", "abc\n", False),  # String.matches(): whole input
        (r"[\w]+", "abc", True),
        (r"[\w]+", "abc!", False),  # fullmatch, not search
        (r".*\{####\}.*", "Code {####}", True),
        (r".*\{####\}.*", "Line\n{####}", False),  # Java '.' excludes terminators
        (r".*\{####\}.*", "Line\u2028{####}", False),
        (r"(?s).*", "multi\nline", True),
        (r"[A-Za-z0-9-_+/=.]+", "a-_+/=.", True),
        (r"[^_\p{Z}][\p{L}\p{M}\p{S}\p{N}\p{P}][^_\p{Z}]+", "abc", True),
        (
            r"^arn\:(aws|aws-us-gov|aws-eusc)\:secretsmanager\:([\d\w\-]+):(\d{12})\:secret\/[\w+=\/,.@\-]+$",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret/x",
            True,
        ),
    ],
)
def test_java_pattern_semantics(pattern, text, matches):
    assert (_compile_pattern(pattern).fullmatch(text) is not None) is matches


def test_linear_rewrites_equivalent_exhaustive():
    assert len(_LINEAR_EQUIVALENTS) == 2
    for java in _LINEAR_EQUIVALENTS:
        fast = _compile_pattern(java)
        slow = regex.compile(_java_to_python(java))
        for n in range(0, 9):
            for chars in itertools.product("{#}a\x00", repeat=n):
                text = "".join(chars)
                assert (fast.fullmatch(text) is None) == (slow.fullmatch(text) is None), (java, text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("{#}a \n*\x00é€")), max_size=40))
def test_linear_rewrites_equivalent_random(text):
    for java in _LINEAR_EQUIVALENTS:
        fast = _compile_pattern(java)
        slow = regex.compile(_java_to_python(java))
        assert (fast.fullmatch(text) is None) == (slow.fullmatch(text) is None)


def _model_patterns() -> dict[str, int]:
    out: dict[str, int] = {}
    for svc in ("cognito-idp", "cognito-identity"):
        for shape in ServiceSpec.load(svc).model["shapes"].values():
            if "pattern" in shape:
                out[shape["pattern"]] = max(out.get(shape["pattern"], 0), shape.get("max") or 20000)
    return out


def test_all_model_patterns_compile_and_resist_redos():
    bases = [
        "{####}" * 4000,
        "{##" * 7000,
        "{##a##}" * 3000,
        "a" * 20000,
        "a:" * 10000,
        "arn:" + "a" * 20000,
        "arn:a:a::1:" + "a" * 20000,
        "a_" * 10000,
        "-" * 20000,
        "a." * 10000,
        "1" * 20000,
        "https://" + "a" * 20000,
        "#" * 20000,
        "{" * 20000,
    ]
    for pattern, max_len in _model_patterns().items():
        compiled = _compile_pattern(pattern)
        for base in bases:
            for end in ("", "\x00", "\n", "!", " ", "_", "."):
                text = base[: max(max_len, 2048) - len(end)] + end
                start = time.perf_counter()
                compiled.fullmatch(text)
                assert time.perf_counter() - start < 0.25, (pattern, base[:10], end)


# ---------------------------------------------------------------------------
# Property tests over every operation of both services
# ---------------------------------------------------------------------------

ALL_OPS = sorted(
    [("cognito-idp", op) for op in ServiceSpec.load("cognito-idp").operation_names()]
    + [("cognito-identity", op) for op in ServiceSpec.load("cognito-identity").operation_names()]
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.text(st.characters(codec=None, categories=["Cs", "Lu"]), max_size=4)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)


def _check_error(e: RequestValidationError) -> None:
    assert e.code in (IPE, SER)
    assert 1 <= len(e.errors) <= MAX_REPORTED_ERRORS
    assert e.error_count >= len(e.errors)
    if e.code == IPE:
        n = e.error_count
        assert e.message == (f"{n} validation error{'s' if n != 1 else ''} detected: " + "; ".join(e.errors))
    else:
        assert e.message == e.errors[0]


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(target=st.sampled_from(ALL_OPS), data=st.data())
def test_random_json_never_crashes(target, data):
    svc, op = target
    spec = ServiceSpec.load(svc)
    members = list(spec.shape(spec.input_shape(op)).get("members", {}))
    keys = st.sampled_from(members) | st.text(max_size=10) if members else st.text(max_size=10)
    params = data.draw(json_values | st.dictionaries(keys, json_values, max_size=8))
    try:
        validate_input(spec, op, params)
    except RequestValidationError as e:
        _check_error(e)
        e.message.encode("utf-8")


# Shape-driven fuzzing: mostly well-typed values (so the walk reaches deep
# members), sometimes junk.  Cross-checked against botocore's client-side
# validator: whatever botocore rejects (missing required, wrong type, below
# min) we must reject too.

_MODELS = {
    svc: ServiceModel(Loader().load_service_model(svc, "service-2")) for svc in ("cognito-idp", "cognito-identity")
}
_junk = json_values.filter(lambda v: v is not None)
_text = st.text(alphabet=string.ascii_letters + string.digits + " _-.{}#é\n", max_size=12)


def _strategy(spec: ServiceSpec, name: str, junk: bool, depth: int = 0):
    shape = spec.shape(name)
    kind = shape["type"]
    if kind == "structure" and shape.get("document"):
        good = json_values
    elif kind == "structure":
        members = shape.get("members", {})
        # in junk mode required members may be left out too
        required = set() if junk else set(shape.get("required", ()))
        if depth > 6:
            good = st.just({})
        else:
            good = st.fixed_dictionaries(
                {m: _strategy(spec, ref["shape"], junk, depth + 1) for m, ref in members.items() if m in required},
                optional={
                    m: _strategy(spec, ref["shape"], junk, depth + 1) for m, ref in members.items() if m not in required
                },
            )
    elif kind == "list":
        good = st.lists(_strategy(spec, shape["member"]["shape"], junk, depth + 1), max_size=3)
    elif kind == "map":
        # JSON object keys are always strings: no junk for keys
        good = st.dictionaries(
            _strategy(spec, shape["key"]["shape"], False, depth + 1),
            _strategy(spec, shape["value"]["shape"], junk, depth + 1),
            max_size=3,
        )
    elif kind == "string":
        good = st.sampled_from(shape["enum"]) | _text if "enum" in shape else _text
    elif kind in ("integer", "long"):
        good = st.integers(min_value=-3, max_value=70) | st.integers()
    elif kind in ("double", "float"):
        good = st.floats(allow_nan=False) | st.integers(-10, 10)
    elif kind == "boolean":
        good = st.booleans()
    elif kind == "timestamp":
        good = st.sampled_from([1700000000, 1.5, "2024-01-02T03:04:05Z"])
    elif kind == "blob":
        good = st.sampled_from(["", "aGk=", "aGVsbG8="])
    else:  # pragma: no cover
        good = json_values
    # ~10% junk at each member position when junk is on
    return st.one_of(*([good] * 9), _junk) if junk and depth else good


_STRATEGY_CACHE: dict = {}


def _op_strategy(svc: str, op: str):
    key = (svc, op)
    if key not in _STRATEGY_CACHE:
        spec = ServiceSpec.load(svc)
        name = spec.input_shape(op)
        _STRATEGY_CACHE[key] = _strategy(spec, name, False) | _strategy(spec, name, True)
    return _STRATEGY_CACHE[key]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(target=st.sampled_from(ALL_OPS), data=st.data())
def test_shape_driven_fuzz_agrees_with_botocore(target, data):
    svc, op = target
    spec = ServiceSpec.load(svc)
    params = data.draw(_op_strategy(svc, op))
    try:
        validate_input(spec, op, copy.deepcopy(params))
        ours_ok = True
    except RequestValidationError as e:
        _check_error(e)
        ours_ok = False
    report = ParamValidator().validate(params, _MODELS[svc].operation_model(op).input_shape)
    botocore_errors = [err for err in report._errors if err[0] != "unknown field"]  # (reason, name, kw)
    if botocore_errors:
        assert not ours_ok, (op, params, report.generate_report())


# ---------------------------------------------------------------------------
# Performance smoke test
# ---------------------------------------------------------------------------


def test_performance_full_create_user_pool(idp):
    body = full_create_user_pool()
    validate_input(idp, "CreateUserPool", body)
    start = time.perf_counter()
    for _ in range(500):
        validate_input(idp, "CreateUserPool", body)
    per_call = (time.perf_counter() - start) / 500
    assert per_call < 0.002, per_call
