"""Unit tests for identity.policy -- pure Python, no Django."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:  # the repo root is not necessarily importable under plain pytest
    sys.path.insert(0, _ROOT)

from identity.policy import Decision, PolicyError, evaluate, validate_policy  # noqa: E402
from identity.policy import patterns as policy_module  # noqa: E402

ALLOW, EXPLICIT_DENY, IMPLICIT_DENY = Decision.ALLOW, Decision.EXPLICIT_DENY, Decision.IMPLICIT_DENY

ARN_PREFIX = "arn:aws:cognito-idp:us-east-1:000000000000:userpool/"
POOL_A = ARN_PREFIX + "us-east-1_abc"
POOL_B = ARN_PREFIX + "us-east-1_xyz"


def doc(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    document: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        document["Version"] = version
    return document


def allow(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


# --------------------------------------------------------------------------
# Actions, resources, Allow/Deny
# --------------------------------------------------------------------------

DECISION_CASES = [
    # (id, documents, action, resource, expected)
    ("allow-one-pool", [doc(allow("cognito-idp:*", POOL_A))], "cognito-idp:ListUsers", POOL_A, ALLOW),
    ("other-pool-implicit", [doc(allow("cognito-idp:*", POOL_A))], "cognito-idp:ListUsers", POOL_B, IMPLICIT_DENY),
    ("no-documents", [], "cognito-idp:ListUsers", POOL_A, IMPLICIT_DENY),
    ("empty-statement-list", [doc()], "cognito-idp:ListUsers", POOL_A, IMPLICIT_DENY),
    (
        "deny-wins-same-doc",
        [doc(allow(), deny("cognito-idp:DeleteUserPool", POOL_A))],
        "cognito-idp:DeleteUserPool",
        POOL_A,
        EXPLICIT_DENY,
    ),
    (
        "deny-wins-other-doc",
        [doc(allow()), doc(deny("cognito-idp:Delete*", ARN_PREFIX + "*"))],
        "cognito-idp:DeleteUserPool",
        POOL_B,
        EXPLICIT_DENY,
    ),
    (
        "deny-first-allow-later",
        [doc(deny("cognito-idp:DeleteUserPool", POOL_A)), doc(allow())],
        "cognito-idp:DeleteUserPool",
        POOL_A,
        EXPLICIT_DENY,
    ),
    (
        "deny-other-pool-does-not-apply",
        [doc(allow(), deny("cognito-idp:DeleteUserPool", POOL_A))],
        "cognito-idp:DeleteUserPool",
        POOL_B,
        ALLOW,
    ),
    (
        "deny-other-action-does-not-apply",
        [doc(allow(), deny("cognito-idp:DeleteUserPool", POOL_A))],
        "cognito-idp:ListUsers",
        POOL_A,
        ALLOW,
    ),
    ("deny-alone", [doc(deny())], "cognito-idp:ListUsers", POOL_A, EXPLICIT_DENY),
    # wildcard actions, case-insensitive
    ("star-action", [doc(allow("*"))], "cognito-idp:ListUsers", POOL_A, ALLOW),
    ("service-star", [doc(allow("cognito-idp:*"))], "cognito-idp:AdminCreateUser", POOL_A, ALLOW),
    ("service-star-other-service", [doc(allow("cognito-idp:*"))], "cognito-identity:GetId", POOL_A, IMPLICIT_DENY),
    ("prefix-star", [doc(allow("cognito-idp:Describe*"))], "cognito-idp:DescribeUserPool", POOL_A, ALLOW),
    ("prefix-star-miss", [doc(allow("cognito-idp:Describe*"))], "cognito-idp:ListUsers", POOL_A, IMPLICIT_DENY),
    (
        "action-case-insensitive",
        [doc(allow("Cognito-IDP:describe*"))],
        "COGNITO-IDP:DescribeUserPoolClient",
        POOL_A,
        ALLOW,
    ),
    ("exact-action-case", [doc(allow("cognito-idp:listusers"))], "cognito-idp:ListUsers", POOL_A, ALLOW),
    (
        "action-list",
        [doc(allow(["cognito-idp:ListUsers", "cognito-idp:AdminGetUser"]))],
        "cognito-idp:AdminGetUser",
        POOL_A,
        ALLOW,
    ),
    ("infix-star", [doc(allow("cognito-idp:*User"))], "cognito-idp:AdminGetUser", POOL_A, ALLOW),
    ("infix-star-miss", [doc(allow("cognito-idp:*User"))], "cognito-idp:AdminGetUserPool", POOL_A, IMPLICIT_DENY),
    # ? wildcard
    ("question-action", [doc(allow("cognito-idp:ListUser?"))], "cognito-idp:ListUsers", POOL_A, ALLOW),
    (
        "question-action-too-long",
        [doc(allow("cognito-idp:ListUser?"))],
        "cognito-idp:ListUsersInGroup",
        POOL_A,
        IMPLICIT_DENY,
    ),
    (
        "question-action-needs-one",
        [doc(allow("cognito-idp:ListUsers?"))],
        "cognito-idp:ListUsers",
        POOL_A,
        IMPLICIT_DENY,
    ),
    ("question-resource", [doc(allow("*", ARN_PREFIX + "us-east-1_ab?"))], "cognito-idp:ListUsers", POOL_A, ALLOW),
    (
        "question-resource-miss",
        [doc(allow("*", ARN_PREFIX + "us-east-1_ab?"))],
        "cognito-idp:ListUsers",
        POOL_A + "d",
        IMPLICIT_DENY,
    ),
    # resources: case-sensitive, wildcards
    (
        "resource-case-sensitive",
        [doc(allow("*", ARN_PREFIX + "US-EAST-1_ABC"))],
        "cognito-idp:ListUsers",
        POOL_A,
        IMPLICIT_DENY,
    ),
    ("resource-prefix-star", [doc(allow("*", ARN_PREFIX + "us-east-1_a*"))], "cognito-idp:ListUsers", POOL_A, ALLOW),
    (
        "resource-any-region",
        [doc(allow("*", "arn:aws:cognito-idp:*:*:userpool/*"))],
        "cognito-idp:ListUsers",
        POOL_B,
        ALLOW,
    ),
    (
        "resource-other-account",
        [doc(allow("*", "arn:aws:cognito-idp:*:111111111111:userpool/*"))],
        "cognito-idp:ListUsers",
        POOL_B,
        IMPLICIT_DENY,
    ),
    ("resource-list", [doc(allow("*", [POOL_B, POOL_A]))], "cognito-idp:ListUsers", POOL_A, ALLOW),
    # NotAction
    (
        "notaction-allow-other",
        [doc({"Effect": "Allow", "NotAction": "cognito-idp:Delete*", "Resource": "*"})],
        "cognito-idp:ListUsers",
        POOL_A,
        ALLOW,
    ),
    (
        "notaction-allow-excluded",
        [doc({"Effect": "Allow", "NotAction": "cognito-idp:Delete*", "Resource": "*"})],
        "cognito-idp:DeleteUserPool",
        POOL_A,
        IMPLICIT_DENY,
    ),
    (
        "notaction-excluded-case",
        [doc({"Effect": "Allow", "NotAction": "cognito-idp:delete*", "Resource": "*"})],
        "cognito-idp:DeleteUserPool",
        POOL_A,
        IMPLICIT_DENY,
    ),
    (
        "notaction-deny",
        [
            doc(
                allow(),
                {"Effect": "Deny", "NotAction": ["cognito-idp:Describe*", "cognito-idp:List*"], "Resource": "*"},
            )
        ],
        "cognito-idp:AdminDeleteUser",
        POOL_A,
        EXPLICIT_DENY,
    ),
    (
        "notaction-deny-excluded",
        [
            doc(
                allow(),
                {"Effect": "Deny", "NotAction": ["cognito-idp:Describe*", "cognito-idp:List*"], "Resource": "*"},
            )
        ],
        "cognito-idp:ListUsers",
        POOL_A,
        ALLOW,
    ),
    # NotResource
    (
        "notresource-other",
        [doc({"Effect": "Allow", "Action": "*", "NotResource": POOL_A})],
        "cognito-idp:ListUsers",
        POOL_B,
        ALLOW,
    ),
    (
        "notresource-excluded",
        [doc({"Effect": "Allow", "Action": "*", "NotResource": POOL_A})],
        "cognito-idp:ListUsers",
        POOL_A,
        IMPLICIT_DENY,
    ),
    (
        "notresource-deny",
        [doc(allow(), {"Effect": "Deny", "Action": "*", "NotResource": ARN_PREFIX + "us-east-1_a*"})],
        "cognito-idp:ListUsers",
        POOL_B,
        EXPLICIT_DENY,
    ),
    (
        "notresource-deny-excluded",
        [doc(allow(), {"Effect": "Deny", "Action": "*", "NotResource": ARN_PREFIX + "us-east-1_a*"})],
        "cognito-idp:ListUsers",
        POOL_A,
        ALLOW,
    ),
    # legacy version / no version still evaluates
    (
        "version-2008",
        [doc(allow("cognito-idp:*", POOL_A), version="2008-10-17")],
        "cognito-idp:ListUsers",
        POOL_A,
        ALLOW,
    ),
    ("no-version", [doc(allow("cognito-idp:*", POOL_A), version=None)], "cognito-idp:ListUsers", POOL_A, ALLOW),
    ("json-string-document", [json.dumps(doc(allow("cognito-idp:*", POOL_A)))], "cognito-idp:ListUsers", POOL_A, ALLOW),
]


@pytest.mark.parametrize(
    ("documents", "action", "resource", "expected"),
    [case[1:] for case in DECISION_CASES],
    ids=[case[0] for case in DECISION_CASES],
)
def test_decisions(documents, action, resource, expected):
    assert evaluate(documents, action=action, resource=resource) is expected


def test_single_document_instead_of_list():
    assert evaluate(doc(allow()), action="cognito-idp:ListUsers", resource=POOL_A) is ALLOW


def test_statement_as_single_object():
    document = {"Version": "2012-10-17", "Statement": allow("cognito-idp:ListUsers", POOL_A)}
    assert evaluate([document], action="cognito-idp:ListUsers", resource=POOL_A) is ALLOW


def test_generator_of_documents():
    docs = (d for d in [doc(allow()), doc(deny("cognito-idp:ListUsers"))])
    assert evaluate(docs, action="cognito-idp:ListUsers", resource=POOL_A) is EXPLICIT_DENY


# --------------------------------------------------------------------------
# Conditions
# --------------------------------------------------------------------------

TAG = "aws:PrincipalTag/team"
NOW_ISO = "2026-11-26T12:00:00Z"

CONDITION_CASES = [
    # (id, condition block, context, expected-to-apply)
    # String family
    ("StringEquals-match", {"StringEquals": {TAG: "blue"}}, {TAG: "blue"}, True),
    ("StringEquals-case", {"StringEquals": {TAG: "blue"}}, {TAG: "Blue"}, False),
    ("StringEquals-missing", {"StringEquals": {TAG: "blue"}}, {}, False),
    ("StringEquals-values-or", {"StringEquals": {TAG: ["red", "blue"]}}, {TAG: "blue"}, True),
    ("StringEquals-no-wildcards", {"StringEquals": {TAG: "bl*"}}, {TAG: "blue"}, False),
    (
        "StringEquals-key-case-insensitive",
        {"StringEquals": {"AWS:PRINCIPALTAG/TEAM": "blue"}},
        {"aws:principaltag/team": "blue"},
        True,
    ),
    ("StringNotEquals-other", {"StringNotEquals": {TAG: "blue"}}, {TAG: "red"}, True),
    ("StringNotEquals-same", {"StringNotEquals": {TAG: "blue"}}, {TAG: "blue"}, False),
    ("StringNotEquals-any-of-values", {"StringNotEquals": {TAG: ["red", "blue"]}}, {TAG: "blue"}, False),
    ("StringNotEquals-missing-is-true", {"StringNotEquals": {TAG: "blue"}}, {}, True),
    ("StringEqualsIgnoreCase-match", {"StringEqualsIgnoreCase": {TAG: "BLUE"}}, {TAG: "blue"}, True),
    ("StringEqualsIgnoreCase-miss", {"StringEqualsIgnoreCase": {TAG: "BLUE"}}, {TAG: "red"}, False),
    ("StringNotEqualsIgnoreCase-same", {"StringNotEqualsIgnoreCase": {TAG: "BLUE"}}, {TAG: "blue"}, False),
    ("StringNotEqualsIgnoreCase-other", {"StringNotEqualsIgnoreCase": {TAG: "BLUE"}}, {TAG: "red"}, True),
    (
        "StringLike-star",
        {"StringLike": {"cognito-idp:pool": "us-east-1_*"}},
        {"cognito-idp:pool": "us-east-1_abc"},
        True,
    ),
    (
        "StringLike-star-miss",
        {"StringLike": {"cognito-idp:pool": "us-east-1_*"}},
        {"cognito-idp:pool": "eu-west-1_abc"},
        False,
    ),
    ("StringLike-question", {"StringLike": {"k": "a?c"}}, {"k": "abc"}, True),
    ("StringLike-question-miss", {"StringLike": {"k": "a?c"}}, {"k": "abbc"}, False),
    ("StringLike-case-sensitive", {"StringLike": {"k": "A*"}}, {"k": "abc"}, False),
    ("StringLike-missing", {"StringLike": {"k": "*"}}, {}, False),
    ("StringNotLike-match", {"StringNotLike": {"k": "a*"}}, {"k": "abc"}, False),
    ("StringNotLike-miss", {"StringNotLike": {"k": "a*"}}, {"k": "xyz"}, True),
    ("StringNotLike-missing-is-true", {"StringNotLike": {"k": "a*"}}, {}, True),
    # keys within an operator AND, operators AND
    ("keys-and-both", {"StringEquals": {"a": "1", "b": "2"}}, {"a": "1", "b": "2"}, True),
    ("keys-and-one", {"StringEquals": {"a": "1", "b": "2"}}, {"a": "1"}, False),
    ("operators-and-both", {"StringEquals": {"a": "1"}, "StringLike": {"b": "x*"}}, {"a": "1", "b": "xy"}, True),
    ("operators-and-one", {"StringEquals": {"a": "1"}, "StringLike": {"b": "x*"}}, {"a": "1", "b": "yy"}, False),
    # Bool
    ("Bool-true", {"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "true"}, True),
    ("Bool-false", {"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": "false"}, False),
    ("Bool-json-true", {"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": "TRUE"}, True),
    ("Bool-python-bool-context", {"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": False}, True),
    ("Bool-missing", {"Bool": {"aws:SecureTransport": "false"}}, {}, False),
    # Null
    ("Null-true-missing", {"Null": {"aws:TokenIssueTime": "true"}}, {}, True),
    ("Null-true-present", {"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": NOW_ISO}, False),
    ("Null-false-present", {"Null": {"aws:TokenIssueTime": "false"}}, {"aws:TokenIssueTime": NOW_ISO}, True),
    ("Null-false-missing", {"Null": {"aws:TokenIssueTime": False}}, {}, False),
    ("Null-empty-list-is-missing", {"Null": {"aws:TagKeys": "true"}}, {"aws:TagKeys": []}, True),
    # Numeric
    ("NumericEquals", {"NumericEquals": {"n": "10"}}, {"n": "10.0"}, True),
    ("NumericEquals-miss", {"NumericEquals": {"n": "10"}}, {"n": "11"}, False),
    ("NumericEquals-not-a-number", {"NumericEquals": {"n": "10"}}, {"n": "ten"}, False),
    ("NumericNotEquals", {"NumericNotEquals": {"n": "10"}}, {"n": "11"}, True),
    ("NumericNotEquals-same", {"NumericNotEquals": {"n": 10}}, {"n": "10"}, False),
    ("NumericLessThan", {"NumericLessThan": {"aws:MultiFactorAuthAge": 3600}}, {"aws:MultiFactorAuthAge": "100"}, True),
    (
        "NumericLessThan-miss",
        {"NumericLessThan": {"aws:MultiFactorAuthAge": 3600}},
        {"aws:MultiFactorAuthAge": "7200"},
        False,
    ),
    ("NumericLessThan-boundary", {"NumericLessThan": {"n": "5"}}, {"n": "5"}, False),
    ("NumericLessThanEquals-boundary", {"NumericLessThanEquals": {"n": "5"}}, {"n": "5"}, True),
    ("NumericGreaterThan", {"NumericGreaterThan": {"n": "5"}}, {"n": "5.5"}, True),
    ("NumericGreaterThan-boundary", {"NumericGreaterThan": {"n": "5"}}, {"n": "5"}, False),
    ("NumericGreaterThanEquals", {"NumericGreaterThanEquals": {"n": "-1"}}, {"n": "-1"}, True),
    ("NumericGreaterThanEquals-missing", {"NumericGreaterThanEquals": {"n": "-1"}}, {}, False),
    # Date / IP (beyond the brief, IAM standard)
    (
        "DateGreaterThan",
        {"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}},
        {"aws:CurrentTime": NOW_ISO},
        True,
    ),
    (
        "DateLessThan-miss",
        {"DateLessThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}},
        {"aws:CurrentTime": NOW_ISO},
        False,
    ),
    (
        "DateEquals-epoch",
        {"DateEquals": {"aws:EpochTime": "2026-11-26T12:00:00Z"}},
        {"aws:EpochTime": "1795694400"},
        True,
    ),
    ("IpAddress-in", {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "10.1.2.3"}, True),
    (
        "IpAddress-out",
        {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.1"]}},
        {"aws:SourceIp": "192.168.0.2"},
        False,
    ),
    ("IpAddress-v6", {"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}, {"aws:SourceIp": "2001:db8::1"}, True),
    ("NotIpAddress", {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "192.168.0.2"}, True),
    # ARN
    (
        "ArnLike",
        {"ArnLike": {"aws:SourceArn": "arn:aws:cognito-idp:*:000000000000:userpool/*"}},
        {"aws:SourceArn": POOL_A},
        True,
    ),
    (
        "ArnLike-other-account",
        {"ArnLike": {"aws:SourceArn": "arn:aws:cognito-idp:*:111111111111:userpool/*"}},
        {"aws:SourceArn": POOL_A},
        False,
    ),
    ("ArnEquals-exact", {"ArnEquals": {"aws:SourceArn": POOL_A}}, {"aws:SourceArn": POOL_A}, True),
    (
        "ArnEquals-wildcard",
        {"ArnEquals": {"aws:SourceArn": ARN_PREFIX + "us-east-1_?bc"}},
        {"aws:SourceArn": POOL_A},
        True,
    ),
    (
        "ArnLike-star-does-not-cross-colon",
        {"ArnLike": {"aws:SourceArn": "arn:aws:*:000000000000:userpool/*"}},
        {"aws:SourceArn": POOL_A},
        False,
    ),
    (
        "ArnLike-resource-with-colons",
        {"ArnLike": {"aws:SourceArn": "arn:aws:lambda:*:*:function:fn:*"}},
        {"aws:SourceArn": "arn:aws:lambda:us-east-1:000000000000:function:fn:prod"},
        True,
    ),
    (
        "ArnLike-not-an-arn",
        {"ArnLike": {"aws:SourceArn": "arn:aws:cognito-idp:*:*:*"}},
        {"aws:SourceArn": "us-east-1_abc"},
        False,
    ),
    ("ArnNotEquals", {"ArnNotEquals": {"aws:SourceArn": POOL_A}}, {"aws:SourceArn": POOL_B}, True),
    ("ArnNotEquals-same", {"ArnNotEquals": {"aws:SourceArn": POOL_A}}, {"aws:SourceArn": POOL_A}, False),
    ("ArnNotLike", {"ArnNotLike": {"aws:SourceArn": ARN_PREFIX + "us-east-1_a*"}}, {"aws:SourceArn": POOL_B}, True),
    (
        "ArnNotLike-match",
        {"ArnNotLike": {"aws:SourceArn": ARN_PREFIX + "us-east-1_a*"}},
        {"aws:SourceArn": POOL_A},
        False,
    ),
    ("ArnNotLike-missing-is-true", {"ArnNotLike": {"aws:SourceArn": ARN_PREFIX + "*"}}, {}, True),
    # ...IfExists
    ("IfExists-missing", {"StringEqualsIfExists": {TAG: "blue"}}, {}, True),
    ("IfExists-present-match", {"StringEqualsIfExists": {TAG: "blue"}}, {TAG: "blue"}, True),
    ("IfExists-present-miss", {"StringEqualsIfExists": {TAG: "blue"}}, {TAG: "red"}, False),
    ("NumericIfExists-missing", {"NumericLessThanIfExists": {"n": "1"}}, {}, True),
    ("ArnLikeIfExists-present-miss", {"ArnLikeIfExists": {"aws:SourceArn": POOL_A}}, {"aws:SourceArn": POOL_B}, False),
    ("BoolIfExists-missing", {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, {}, True),
    # ForAnyValue / ForAllValues
    (
        "ForAnyValue-hit",
        {"ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "env"]}},
        {"aws:TagKeys": ["team", "other"]},
        True,
    ),
    (
        "ForAnyValue-miss",
        {"ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "env"]}},
        {"aws:TagKeys": ["x", "y"]},
        False,
    ),
    ("ForAnyValue-missing", {"ForAnyValue:StringEquals": {"aws:TagKeys": "team"}}, {}, False),
    (
        "ForAnyValue-NotEquals",
        {"ForAnyValue:StringNotEquals": {"aws:TagKeys": "team"}},
        {"aws:TagKeys": ["team", "x"]},
        True,
    ),
    (
        "ForAnyValue-NotEquals-all-equal",
        {"ForAnyValue:StringNotEquals": {"aws:TagKeys": "team"}},
        {"aws:TagKeys": ["team"]},
        False,
    ),
    (
        "ForAllValues-subset",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}},
        {"aws:TagKeys": ["team"]},
        True,
    ),
    (
        "ForAllValues-extra",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}},
        {"aws:TagKeys": ["team", "x"]},
        False,
    ),
    ("ForAllValues-missing-is-true", {"ForAllValues:StringEquals": {"aws:TagKeys": "team"}}, {}, True),
    ("ForAllValues-empty-is-true", {"ForAllValues:StringEquals": {"aws:TagKeys": "team"}}, {"aws:TagKeys": []}, True),
    (
        "ForAllValues-like",
        {"ForAllValues:StringLike": {"aws:TagKeys": "team-*"}},
        {"aws:TagKeys": ["team-a", "team-b"]},
        True,
    ),
    (
        "ForAllValues-NotLike",
        {"ForAllValues:StringNotLike": {"aws:TagKeys": "secret*"}},
        {"aws:TagKeys": ["team", "secretive"]},
        False,
    ),
    (
        "ForAllValues-IfExists",
        {"ForAllValues:StringEqualsIfExists": {"aws:TagKeys": "team"}},
        {"aws:TagKeys": ["x"]},
        False,
    ),
    (
        "set-prefix-case-insensitive",
        {"forallvalues:stringequals": {"aws:TagKeys": "team"}},
        {"aws:TagKeys": ["team"]},
        True,
    ),
    # multi-valued key without prefix
    ("multi-no-prefix-positive", {"StringEquals": {"k": "b"}}, {"k": ["a", "b"]}, True),
    ("multi-no-prefix-negated", {"StringNotEquals": {"k": "b"}}, {"k": ["a", "b"]}, False),
    ("multi-no-prefix-negated-none", {"StringNotEquals": {"k": "c"}}, {"k": ["a", "b"]}, True),
]


@pytest.mark.parametrize(
    ("condition", "context", "applies"),
    [case[1:] for case in CONDITION_CASES],
    ids=[case[0] for case in CONDITION_CASES],
)
def test_conditions(condition, context, applies):
    allow_doc = doc(allow("cognito-idp:ListUsers", POOL_A, Condition=condition))
    deny_doc = doc(allow(), deny("cognito-idp:ListUsers", POOL_A, Condition=condition))
    kwargs = dict(action="cognito-idp:ListUsers", resource=POOL_A, context=context)
    assert evaluate([allow_doc], **kwargs) is (ALLOW if applies else IMPLICIT_DENY)
    assert evaluate([deny_doc], **kwargs) is (EXPLICIT_DENY if applies else ALLOW)


# --------------------------------------------------------------------------
# Policy variables
# --------------------------------------------------------------------------

POOL_VAR = "aws:PrincipalTag/pool"
SUB = "cognito-identity.amazonaws.com:sub"
BUCKET = "arn:aws:s3:::bucket/"

VARIABLE_CASES = [
    # (id, statement, action, resource, context, expected)
    (
        "resource-var",
        allow("*", ARN_PREFIX + "${aws:PrincipalTag/pool}"),
        "cognito-idp:ListUsers",
        POOL_A,
        {POOL_VAR: "us-east-1_abc"},
        ALLOW,
    ),
    (
        "resource-var-other-pool",
        allow("*", ARN_PREFIX + "${aws:PrincipalTag/pool}"),
        "cognito-idp:ListUsers",
        POOL_B,
        {POOL_VAR: "us-east-1_abc"},
        IMPLICIT_DENY,
    ),
    (
        "resource-var-key-case",
        allow("*", ARN_PREFIX + "${AWS:principaltag/POOL}"),
        "cognito-idp:ListUsers",
        POOL_A,
        {POOL_VAR: "us-east-1_abc"},
        ALLOW,
    ),
    (
        "resource-var-missing",
        allow("*", ARN_PREFIX + "${aws:PrincipalTag/pool}"),
        "cognito-idp:ListUsers",
        POOL_A,
        {},
        IMPLICIT_DENY,
    ),
    (
        "resource-var-multivalued",
        allow("*", ARN_PREFIX + "${aws:PrincipalTag/pool}"),
        "cognito-idp:ListUsers",
        POOL_A,
        {POOL_VAR: ["us-east-1_abc", "x"]},
        IMPLICIT_DENY,
    ),
    (
        "resource-var-single-item-list",
        allow("*", ARN_PREFIX + "${aws:PrincipalTag/pool}"),
        "cognito-idp:ListUsers",
        POOL_A,
        {POOL_VAR: ["us-east-1_abc"]},
        ALLOW,
    ),
    (
        "resource-var-default",
        allow("*", ARN_PREFIX + "${aws:PrincipalTag/pool, 'us-east-1_abc'}"),
        "cognito-idp:ListUsers",
        POOL_A,
        {},
        ALLOW,
    ),
    (
        "resource-var-default-unused",
        allow("*", ARN_PREFIX + "${aws:PrincipalTag/pool, 'us-east-1_abc'}"),
        "cognito-idp:ListUsers",
        POOL_A,
        {POOL_VAR: "us-east-1_xyz"},
        IMPLICIT_DENY,
    ),
    (
        "resource-var-default-quote",
        allow("*", BUCKET + "${aws:username, 'o''brien'}/*"),
        "s3:GetObject",
        BUCKET + "o'brien/f",
        {},
        ALLOW,
    ),
    (
        "cognito-sub",
        allow("s3:GetObject", BUCKET + "${cognito-identity.amazonaws.com:sub}/*"),
        "s3:GetObject",
        BUCKET + "us-east-1:1234/file.txt",
        {SUB: "us-east-1:1234"},
        ALLOW,
    ),
    (
        "cognito-sub-other",
        allow("s3:GetObject", BUCKET + "${cognito-identity.amazonaws.com:sub}/*"),
        "s3:GetObject",
        BUCKET + "us-east-1:9999/file.txt",
        {SUB: "us-east-1:1234"},
        IMPLICIT_DENY,
    ),
    (
        "value-is-literal",
        allow("*", ARN_PREFIX + "${aws:PrincipalTag/pool}"),
        "cognito-idp:ListUsers",
        POOL_A,
        {POOL_VAR: "*"},
        IMPLICIT_DENY,
    ),
    (
        "value-is-literal-star",
        allow("*", ARN_PREFIX + "${aws:PrincipalTag/pool}"),
        "cognito-idp:ListUsers",
        ARN_PREFIX + "*",
        {POOL_VAR: "*"},
        ALLOW,
    ),
    ("escape-star", allow("*", BUCKET + "${*}"), "s3:GetObject", BUCKET + "*", {}, ALLOW),
    ("escape-star-not-wildcard", allow("*", BUCKET + "${*}"), "s3:GetObject", BUCKET + "x", {}, IMPLICIT_DENY),
    ("escape-question", allow("*", BUCKET + "a${?}"), "s3:GetObject", BUCKET + "a?", {}, ALLOW),
    ("escape-question-not-wildcard", allow("*", BUCKET + "a${?}"), "s3:GetObject", BUCKET + "ab", {}, IMPLICIT_DENY),
    ("escape-dollar", allow("*", BUCKET + "${$}{x}"), "s3:GetObject", BUCKET + "${x}", {}, ALLOW),
    (
        "unresolved-deny-does-not-deny",
        deny("*", BUCKET + "${aws:username}/*"),
        "s3:GetObject",
        BUCKET + "alice/f",
        {},
        IMPLICIT_DENY,
    ),
    (
        "unresolved-notresource",
        {"Effect": "Allow", "Action": "*", "NotResource": BUCKET + "${aws:username}"},
        "s3:GetObject",
        BUCKET + "x",
        {},
        ALLOW,
    ),
    (
        "condition-var-like",
        allow("s3:ListBucket", "*", Condition={"StringLike": {"s3:prefix": "home/${aws:username}/*"}}),
        "s3:ListBucket",
        "arn:aws:s3:::bucket",
        {"aws:username": "alice", "s3:prefix": "home/alice/docs"},
        ALLOW,
    ),
    (
        "condition-var-like-other-user",
        allow("s3:ListBucket", "*", Condition={"StringLike": {"s3:prefix": "home/${aws:username}/*"}}),
        "s3:ListBucket",
        "arn:aws:s3:::bucket",
        {"aws:username": "alice", "s3:prefix": "home/bob/docs"},
        IMPLICIT_DENY,
    ),
    (
        "condition-var-missing",
        allow("s3:ListBucket", "*", Condition={"StringLike": {"s3:prefix": "home/${aws:username}/*"}}),
        "s3:ListBucket",
        "arn:aws:s3:::bucket",
        {"s3:prefix": "home//docs"},
        IMPLICIT_DENY,
    ),
    (
        "condition-var-equals",
        allow("*", "*", Condition={"StringEquals": {"aws:ResourceTag/owner": "${aws:PrincipalTag/team}"}}),
        "cognito-idp:ListUsers",
        POOL_A,
        {"aws:ResourceTag/owner": "blue", TAG: "blue"},
        ALLOW,
    ),
    (
        "condition-var-not-equals-unresolved",
        allow("*", "*", Condition={"StringNotEquals": {"aws:ResourceTag/owner": "${aws:PrincipalTag/team}"}}),
        "cognito-idp:ListUsers",
        POOL_A,
        {"aws:ResourceTag/owner": "blue"},
        IMPLICIT_DENY,
    ),
    (
        "condition-var-arn",
        allow("*", "*", Condition={"ArnLike": {"aws:SourceArn": ARN_PREFIX + "${aws:PrincipalTag/pool}"}}),
        "cognito-idp:ListUsers",
        POOL_A,
        {"aws:SourceArn": POOL_A, POOL_VAR: "us-east-1_abc"},
        ALLOW,
    ),
    (
        "condition-var-escaped-star-in-like",
        allow("*", "*", Condition={"StringLike": {"k": "a${*}"}}),
        "cognito-idp:ListUsers",
        POOL_A,
        {"k": "abc"},
        IMPLICIT_DENY,
    ),
    (
        "numeric-has-no-variables",
        allow("*", "*", Condition={"NumericEquals": {"n": "${aws:PrincipalTag/n}"}}),
        "cognito-idp:ListUsers",
        POOL_A,
        {"n": "1", "aws:PrincipalTag/n": "1"},
        IMPLICIT_DENY,
    ),
]


@pytest.mark.parametrize(
    ("statement", "action", "resource", "context", "expected"),
    [case[1:] for case in VARIABLE_CASES],
    ids=[case[0] for case in VARIABLE_CASES],
)
def test_policy_variables(statement, action, resource, context, expected):
    assert evaluate([doc(statement)], action=action, resource=resource, context=context) is expected


def test_variables_are_literal_in_2008_version():
    literal = ARN_PREFIX + "${aws:PrincipalTag/pool}"
    legacy = doc(allow("*", literal), version="2008-10-17")
    ctx = {POOL_VAR: "us-east-1_abc"}
    assert evaluate([legacy], action="cognito-idp:ListUsers", resource=POOL_A, context=ctx) is IMPLICIT_DENY
    assert evaluate([legacy], action="cognito-idp:ListUsers", resource=literal, context=ctx) is ALLOW
    unversioned = doc(allow("*", literal), version=None)
    assert evaluate([unversioned], action="cognito-idp:ListUsers", resource=POOL_A, context=ctx) is IMPLICIT_DENY


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------

MALFORMED = [
    ("not-json", "{not json", "not valid JSON"),
    ("json-array", "[]", "JSON object"),
    ("list", [], "JSON object"),
    ("no-statement", {"Version": "2012-10-17"}, "Statement"),
    ("bad-version", {"Version": "2020-01-01", "Statement": []}, "Version"),
    ("unknown-top-level", {"Version": "2012-10-17", "Statement": [], "Foo": 1}, "Foo"),
    ("statement-number", {"Statement": 42}, "Statement"),
    ("statement-item-string", {"Statement": ["Allow"]}, "Statement[0]"),
    ("effect-lowercase", doc({"Effect": "allow", "Action": "*", "Resource": "*"}), "Effect"),
    ("effect-missing", doc({"Action": "*", "Resource": "*"}), "Effect"),
    (
        "action-and-notaction",
        doc({"Effect": "Allow", "Action": "*", "NotAction": "*", "Resource": "*"}),
        "exactly one of Action",
    ),
    ("no-action", doc({"Effect": "Allow", "Resource": "*"}), "exactly one of Action"),
    ("action-number", doc(allow(5)), "Action"),
    ("action-empty-list", doc(allow([])), "Action"),
    ("action-empty-string", doc(allow([""])), "Action"),
    ("action-no-service", doc(allow("ListUsers")), "service:Action"),
    ("no-resource", doc({"Effect": "Allow", "Action": "*"}), "exactly one of Resource"),
    (
        "resource-and-notresource",
        doc({"Effect": "Allow", "Action": "*", "Resource": "*", "NotResource": "*"}),
        "exactly one of Resource",
    ),
    ("resource-not-arn", doc(allow("*", "userpool/us-east-1_abc")), "ARN"),
    ("resource-dict", doc(allow("*", {"a": 1})), "Resource"),
    ("principal", doc(allow(Principal="*")), "Principal"),
    ("unknown-statement-key", doc(allow(Foo="bar")), "Foo"),
    ("sid-number", doc(allow(Sid=1)), "Sid"),
    ("condition-list", doc(allow(Condition=[])), "Condition"),
    ("unknown-operator", doc(allow(Condition={"StringEqualz": {"k": "v"}})), "StringEqualz"),
    ("unknown-set-prefix", doc(allow(Condition={"ForSomeValues:StringEquals": {"k": "v"}})), "ForSomeValues"),
    ("null-ifexists", doc(allow(Condition={"NullIfExists": {"k": "true"}})), "Null"),
    ("null-bad-value", doc(allow(Condition={"Null": {"k": "maybe"}})), "maybe"),
    ("operator-block-not-dict", doc(allow(Condition={"StringEquals": "v"})), "StringEquals"),
    ("operator-block-empty", doc(allow(Condition={"StringEquals": {}})), "StringEquals"),
    ("condition-value-dict", doc(allow(Condition={"StringEquals": {"k": {"x": 1}}})), "k"),
    ("condition-values-empty", doc(allow(Condition={"StringEquals": {"k": []}})), "at least one"),
    (
        "duplicate-key-case",
        doc(allow(Condition={"StringEquals": {"aws:username": "a", "AWS:UserName": "b"}})),
        "case-insensitive",
    ),
    ("variable-unclosed", doc(allow("*", BUCKET + "${aws:username")), "closing brace"),
    ("variable-empty", doc(allow("*", BUCKET + "${}")), "Invalid policy variable"),
    ("variable-unquoted-default", doc(allow("*", BUCKET + "${aws:username, anon}")), "single quotes"),
    ("variable-in-condition", doc(allow(Condition={"StringEquals": {"k": "${aws:username"}})), "closing brace"),
]


@pytest.mark.parametrize(
    ("document", "fragment"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_documents(document, fragment):
    with pytest.raises(PolicyError) as info:
        validate_policy(document)
    assert fragment in str(info.value)
    with pytest.raises(PolicyError):
        evaluate([document], action="cognito-idp:ListUsers", resource=POOL_A)


def test_policy_error_is_value_error():
    assert issubclass(PolicyError, ValueError)


def test_malformed_variable_is_fine_in_2008_version():
    # ${...} is plain text before 2012-10-17.
    assert validate_policy(doc(allow("*", BUCKET + "${aws:username"), version="2008-10-17"))


def test_validate_normalises():
    raw = json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "ops",
            "Statement": {
                "Sid": "One",
                "Effect": "Allow",
                "Action": "cognito-idp:ListUsers",
                "Resource": POOL_A,
                "Condition": {
                    "Bool": {"aws:SecureTransport": True},
                    "NumericLessThan": {"aws:MultiFactorAuthAge": 3600},
                    "StringLike": {"k": ["a*", "b*"]},
                },
            },
        }
    )
    normalised = validate_policy(raw)
    assert normalised == {
        "Version": "2012-10-17",
        "Id": "ops",
        "Statement": [
            {
                "Sid": "One",
                "Effect": "Allow",
                "Action": ["cognito-idp:ListUsers"],
                "Resource": [POOL_A],
                "Condition": {
                    "Bool": {"aws:SecureTransport": ["true"]},
                    "NumericLessThan": {"aws:MultiFactorAuthAge": ["3600"]},
                    "StringLike": {"k": ["a*", "b*"]},
                },
            }
        ],
    }
    assert validate_policy(normalised) == normalised  # idempotent
    assert validate_policy({"Statement": []})["Version"] == "2008-10-17"


def test_validate_does_not_mutate_input():
    original = doc(allow("cognito-idp:ListUsers", POOL_A))
    snapshot = json.loads(json.dumps(original))
    validate_policy(original)
    assert original == snapshot


def test_pattern_compilation_is_cached():
    policy_module._compile_glob.cache_clear()
    document = doc(allow("cognito-idp:Describe*", ARN_PREFIX + "*"))
    for _ in range(5):
        evaluate([document], action="cognito-idp:DescribeUserPool", resource=POOL_A)
    info = policy_module._compile_glob.cache_info()
    assert info.misses == 2 and info.hits >= 8


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("*", "", True),
        ("*", "anything:at/all", True),
        ("a*", "a", True),
        ("*a", "ba", True),
        ("*ab*ab", "ab", False),
        ("*ab*ab", "abab", True),
        ("*ab*ab", "xabyyab", True),
        ("a*b*c", "a-b-b-c", True),
        ("a*b*c", "a-c-b", False),
        ("a?c*", "abcdef", True),
        ("a?c*", "acdef", False),
        ("**", "x", True),
        ("*?", "", False),
        ("*?", "x", True),
        ("a*a*a", "aa", False),
        ("a*a*a", "aaa", True),
        ("line*end", "line\nend", True),
    ],
)
def test_glob_semantics(pattern, text, expected):
    document = doc(allow("*", "arn:" + pattern))
    got = evaluate([document], action="s3:GetObject", resource="arn:" + text)
    assert got is (ALLOW if expected else IMPLICIT_DENY)


def test_glob_matching_is_not_exponential():
    import time

    pattern = "*a" * 12 + "*b"
    start = time.perf_counter()
    got = evaluate(
        [doc(allow("*", "arn:" + pattern, Condition={"StringLike": {"k": pattern}}))],
        action="s3:GetObject",
        resource="arn:" + "a" * 20000,
        context={"k": "a" * 20000},
    )
    assert got is IMPLICIT_DENY
    assert time.perf_counter() - start < 2.0


# --------------------------------------------------------------------------
# Role trust policies (evaluate_trust / validate_trust_policy).
# --------------------------------------------------------------------------

from identity.policy import evaluate_trust, validate_trust_policy  # noqa: E402

COGNITO = "cognito-identity.amazonaws.com"
ASSUME = "sts:AssumeRoleWithWebIdentity"
GUEST_CONTEXT = {f"{COGNITO}:aud": "us-east-1:pool-a", f"{COGNITO}:amr": ["unauthenticated"]}
USER_CONTEXT = {
    f"{COGNITO}:aud": "us-east-1:pool-a",
    f"{COGNITO}:amr": ["authenticated", "accounts.google.com", "accounts.google.com:1"],
}


def trust(effect: str = "Allow", principal: Any = None, action: Any = ASSUME, **extra: Any) -> dict[str, Any]:
    return {"Effect": effect, "Principal": principal or {"Federated": COGNITO}, "Action": action, **extra}


AUD_A = {"StringEquals": {f"{COGNITO}:aud": "us-east-1:pool-a"}}


@pytest.mark.parametrize(
    "statements, context, expected",
    [
        ([], GUEST_CONTEXT, IMPLICIT_DENY),
        ([trust(Condition=AUD_A)], GUEST_CONTEXT, ALLOW),
        ([trust(Condition=AUD_A)], {**GUEST_CONTEXT, f"{COGNITO}:aud": "us-east-1:pool-b"}, IMPLICIT_DENY),
        ([trust(Condition=AUD_A)], {}, IMPLICIT_DENY),
        (
            [trust(Condition={**AUD_A, "ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"}})],
            GUEST_CONTEXT,
            IMPLICIT_DENY,
        ),
        (
            [trust(Condition={**AUD_A, "ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"}})],
            USER_CONTEXT,
            ALLOW,
        ),
        ([trust(principal={"Federated": "accounts.google.com"}, Condition=AUD_A)], GUEST_CONTEXT, IMPLICIT_DENY),
        ([trust(principal={"Service": COGNITO})], GUEST_CONTEXT, IMPLICIT_DENY),
        ([trust(principal="*")], GUEST_CONTEXT, ALLOW),
        ([trust(principal={"AWS": "*"})], GUEST_CONTEXT, ALLOW),
        ([trust(action="sts:AssumeRole")], GUEST_CONTEXT, IMPLICIT_DENY),
        ([trust(action="sts:*")], GUEST_CONTEXT, ALLOW),
        ([trust(), trust("Deny", Condition=AUD_A)], GUEST_CONTEXT, EXPLICIT_DENY),
    ],
)
def test_evaluate_trust(statements, context, expected):
    document = doc(*statements) if statements else {}
    got = evaluate_trust(document, principal_type="Federated", principal=COGNITO, action=ASSUME, context=context)
    assert got is expected


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Allow", "Action": ASSUME},  # no Principal
        trust(Resource="*"),  # a trust policy has no Resource
        {"Effect": "Allow", "NotPrincipal": {"Federated": COGNITO}, "Action": ASSUME},
        trust(principal={"Nobody": COGNITO}),
        trust(principal=[COGNITO]),
    ],
)
def test_malformed_trust_policies_are_refused(statement):
    with pytest.raises(PolicyError):
        validate_trust_policy(doc(statement))
    with pytest.raises(PolicyError):
        evaluate_trust(doc(statement), principal_type="Federated", principal=COGNITO, action=ASSUME)


def test_a_trust_policy_is_no_identity_policy():
    with pytest.raises(PolicyError):
        validate_policy(doc(trust()))
