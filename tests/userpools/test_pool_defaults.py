"""What DescribeUserPool reports: Cognito's defaults for a bare pool, a faithful echo of a
rich CreateUserPool request, and UpdateUserPool's reset-to-default semantics."""

from __future__ import annotations

import copy
from datetime import datetime

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

STANDARD_ATTRIBUTES = [
    "sub",
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "email_verified",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
    "updated_at",
    "identities",
]

DEFAULT_PASSWORD_POLICY = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 7,
}

LAMBDA = "arn:aws:lambda:us-east-1:000000000000:function:"

RICH_REQUEST = {
    "Policies": {
        "PasswordPolicy": {
            "MinimumLength": 12,
            "RequireUppercase": False,
            "RequireLowercase": True,
            "RequireNumbers": True,
            "RequireSymbols": False,
            "PasswordHistorySize": 5,
            "TemporaryPasswordValidityDays": 3,
        },
        "SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]},
    },
    "DeletionProtection": "ACTIVE",
    "LambdaConfig": {
        "PreSignUp": LAMBDA + "pre-sign-up",
        "PostConfirmation": LAMBDA + "post-confirmation",
        "PreTokenGenerationConfig": {"LambdaVersion": "V2_0", "LambdaArn": LAMBDA + "pre-token"},
    },
    "AutoVerifiedAttributes": ["email"],
    "AliasAttributes": ["email", "preferred_username"],
    "VerificationMessageTemplate": {
        "EmailMessage": "Your code is {####}",
        "EmailSubject": "Verify your email",
        "SmsMessage": "Code {####}",
        "DefaultEmailOption": "CONFIRM_WITH_CODE",
    },
    "SmsAuthenticationMessage": "Sign-in code {####}",
    "MfaConfiguration": "OFF",
    "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
    "DeviceConfiguration": {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True},
    "EmailConfiguration": {
        "SourceArn": "arn:aws:ses:us-east-1:000000000000:identity/noreply@example.com",
        "ReplyToEmailAddress": "help@example.com",
        "EmailSendingAccount": "DEVELOPER",
        "From": "Example <noreply@example.com>",
    },
    "AdminCreateUserConfig": {
        "AllowAdminCreateUserOnly": True,
        "UnusedAccountValidityDays": 3,
        "InviteMessageTemplate": {
            "EmailMessage": "Hello {username}, your password is {####}",
            "EmailSubject": "Welcome",
            "SMSMessage": "User {username} password {####}",
        },
    },
    "Schema": [
        {
            "Name": "tenant",
            "AttributeDataType": "String",
            "Mutable": False,
            "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "64"},
        },
        {
            "Name": "level",
            "AttributeDataType": "Number",
            "Mutable": True,
            "NumberAttributeConstraints": {"MinValue": "1", "MaxValue": "100"},
        },
        {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
    ],
    "UsernameConfiguration": {"CaseSensitive": False},
    "AccountRecoverySetting": {
        "RecoveryMechanisms": [
            {"Priority": 1, "Name": "verified_email"},
            {"Priority": 2, "Name": "verified_phone_number"},
        ]
    },
    "UserPoolAddOns": {"AdvancedSecurityMode": "AUDIT"},
    "UserPoolTags": {"team": "identity", "env": "test"},
    "UserPoolTier": "PLUS",
}

# Members the described pool must echo exactly as sent.
ECHOED = [
    "Policies",
    "DeletionProtection",
    "LambdaConfig",
    "AutoVerifiedAttributes",
    "AliasAttributes",
    "VerificationMessageTemplate",
    "SmsAuthenticationMessage",
    "MfaConfiguration",
    "UserAttributeUpdateSettings",
    "DeviceConfiguration",
    "EmailConfiguration",
    "AdminCreateUserConfig",
    "UsernameConfiguration",
    "AccountRecoverySetting",
    "UserPoolAddOns",
    "UserPoolTags",
    "UserPoolTier",
]


def _attr(pool: dict, name: str) -> dict:
    return next(a for a in pool["SchemaAttributes"] if a["Name"] == name)


def test_bare_pool_reports_cognitos_defaults(idp, make_pool):
    created = make_pool("bare")
    pool = idp.describe_user_pool(UserPoolId=created["Id"])["UserPool"]

    assert pool["Id"] == created["Id"]
    assert pool["Name"] == "bare"
    assert pool["Arn"] == f"arn:aws:cognito-idp:us-east-1:000000000000:userpool/{pool['Id']}"
    assert pool["Policies"]["PasswordPolicy"] == DEFAULT_PASSWORD_POLICY
    assert pool["Policies"]["SignInPolicy"] == {"AllowedFirstAuthFactors": ["PASSWORD"]}
    assert pool["EstimatedNumberOfUsers"] == 0
    assert pool["MfaConfiguration"] == "OFF"
    assert pool["DeletionProtection"] == "INACTIVE"
    assert pool["LambdaConfig"] == {}
    assert pool["UserPoolTags"] == {}
    assert pool["UserPoolTier"] == "ESSENTIALS"
    assert pool["VerificationMessageTemplate"] == {"DefaultEmailOption": "CONFIRM_WITH_CODE"}
    assert pool["EmailConfiguration"] == {"EmailSendingAccount": "COGNITO_DEFAULT"}
    assert pool["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": False, "UnusedAccountValidityDays": 7}
    assert pool["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": []}
    for absent in (
        "AliasAttributes",
        "UsernameAttributes",
        "AutoVerifiedAttributes",
        "Domain",
        "CustomDomain",
        "UserPoolAddOns",
        "SmsConfiguration",
        "DeviceConfiguration",
    ):
        assert absent not in pool, absent
    assert isinstance(pool["CreationDate"], datetime)
    assert isinstance(pool["LastModifiedDate"], datetime)
    assert pool["CreationDate"].tzinfo is not None


def test_bare_pool_has_the_standard_schema(idp, pool_id):
    pool = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert [a["Name"] for a in pool["SchemaAttributes"]] == STANDARD_ATTRIBUTES
    assert _attr(pool, "sub") == {
        "Name": "sub",
        "AttributeDataType": "String",
        "DeveloperOnlyAttribute": False,
        "Mutable": False,
        "Required": True,
        "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "2048"},
    }
    assert _attr(pool, "email")["Required"] is False
    assert _attr(pool, "email_verified")["AttributeDataType"] == "Boolean"
    assert _attr(pool, "updated_at")["NumberAttributeConstraints"] == {"MinValue": "0"}
    assert _attr(pool, "birthdate")["StringAttributeConstraints"] == {"MinLength": "10", "MaxLength": "10"}


def test_create_response_matches_describe(idp, make_pool):
    created = make_pool("same", UserPoolTags={"k": "v"})
    described = idp.describe_user_pool(UserPoolId=created["Id"])["UserPool"]
    assert created == described


def test_everything_create_accepts_is_described(idp, make_pool):
    created = make_pool("rich", **copy.deepcopy(RICH_REQUEST))
    pool = idp.describe_user_pool(UserPoolId=created["Id"])["UserPool"]

    for member in ECHOED:
        assert pool[member] == RICH_REQUEST[member], member
    # The legacy message members mirror VerificationMessageTemplate, as in Cognito.
    assert pool["EmailVerificationMessage"] == "Your code is {####}"
    assert pool["EmailVerificationSubject"] == "Verify your email"
    assert pool["SmsVerificationMessage"] == "Code {####}"

    names = [a["Name"] for a in pool["SchemaAttributes"]]
    assert names[: len(STANDARD_ATTRIBUTES)] == STANDARD_ATTRIBUTES
    assert names[len(STANDARD_ATTRIBUTES) :] == ["custom:tenant", "custom:level"]
    assert _attr(pool, "email")["Required"] is True
    assert _attr(pool, "custom:tenant") == {
        "Name": "custom:tenant",
        "AttributeDataType": "String",
        "DeveloperOnlyAttribute": False,
        "Mutable": False,
        "Required": False,
        "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "64"},
    }
    assert _attr(pool, "custom:level") == {
        "Name": "custom:level",
        "AttributeDataType": "Number",
        "DeveloperOnlyAttribute": False,
        "Mutable": True,
        "Required": False,
        "NumberAttributeConstraints": {"MinValue": "1", "MaxValue": "100"},
    }


def test_username_attributes_and_developer_only_attribute(idp, make_pool):
    pool = make_pool(
        "by-email",
        UsernameAttributes=["email"],
        Schema=[{"Name": "secret", "AttributeDataType": "String", "DeveloperOnlyAttribute": True}],
    )
    assert pool["UsernameAttributes"] == ["email"]
    assert "AliasAttributes" not in pool
    assert _attr(pool, "dev:custom:secret")["DeveloperOnlyAttribute"] is True


def test_partial_password_policy_turns_omitted_requirements_off(idp, make_pool):
    pool = make_pool("partial", Policies={"PasswordPolicy": {"MinimumLength": 10}})
    assert pool["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 10,
        "RequireUppercase": False,
        "RequireLowercase": False,
        "RequireNumbers": False,
        "RequireSymbols": False,
        "TemporaryPasswordValidityDays": 7,
    }


def test_update_resets_omitted_settings_but_keeps_fixed_ones(idp, make_pool):
    pool_id = make_pool(
        "fixed",
        DeletionProtection="ACTIVE",
        LambdaConfig={"PreSignUp": LAMBDA + "pre"},
        AutoVerifiedAttributes=["email"],
        UsernameAttributes=["email"],
        UsernameConfiguration={"CaseSensitive": False},
        Policies={"PasswordPolicy": {"MinimumLength": 20}},
        Schema=[{"Name": "tenant", "AttributeDataType": "String"}],
        UserPoolTags={"team": "identity"},
    )["Id"]
    before = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]

    assert idp.update_user_pool(UserPoolId=pool_id)["ResponseMetadata"]["HTTPStatusCode"] == 200
    after = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]

    # Reset to Cognito's defaults ...
    assert after["DeletionProtection"] == "INACTIVE"
    assert after["LambdaConfig"] == {}
    assert "AutoVerifiedAttributes" not in after
    assert after["Policies"]["PasswordPolicy"] == DEFAULT_PASSWORD_POLICY
    assert after["MfaConfiguration"] == "OFF"
    # ... but what can never change after creation stays.
    assert after["Name"] == "fixed"
    assert after["SchemaAttributes"] == before["SchemaAttributes"]
    assert after["UsernameAttributes"] == ["email"]
    assert after["UsernameConfiguration"] == {"CaseSensitive": False}
    assert after["CreationDate"] == before["CreationDate"]
    # Tags and the feature plan are not settings UpdateUserPool resets (Cognate's reading).
    assert after["UserPoolTags"] == {"team": "identity"}
    assert after["UserPoolTier"] == before["UserPoolTier"]
    assert after["LastModifiedDate"] >= before["LastModifiedDate"]


def test_update_applies_what_it_is_given(idp, pool_id):
    idp.update_user_pool(
        UserPoolId=pool_id,
        PoolName="renamed",
        DeletionProtection="ACTIVE",
        AutoVerifiedAttributes=["email"],
        Policies={"PasswordPolicy": {"MinimumLength": 9, "RequireNumbers": True}},
        UserPoolTags={"a": "b"},
        UserPoolTier="PLUS",
        UserPoolAddOns={"AdvancedSecurityMode": "ENFORCED"},
    )
    pool = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["Name"] == "renamed"
    assert pool["DeletionProtection"] == "ACTIVE"
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 9
    assert pool["Policies"]["PasswordPolicy"]["RequireUppercase"] is False
    assert pool["UserPoolTags"] == {"a": "b"}
    assert pool["UserPoolTier"] == "PLUS"
    assert pool["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
