"""Evaluating identity policies for one request (IAM "Policy evaluation logic")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from identity.policy.base import VERSION_2012, Decision
from identity.policy.conditions import _condition_holds
from identity.policy.patterns import _compile_glob, _Context, _glob_match, _resolve
from identity.policy.validation import validate_policy


def _action_matches(patterns: Iterable[str], action: str) -> bool:
    return any(_compile_glob(p, True).fullmatch(action) for p in patterns)


def _resource_matches(patterns: Iterable[str], resource: str, ctx: _Context, variables: bool) -> bool:
    for pattern in patterns:
        if variables and "${" in pattern:
            chunks = _resolve(pattern, ctx, wildcards=True, variables=True)
            if chunks is not None and _glob_match(chunks, resource):
                return True
        elif _compile_glob(pattern, False).fullmatch(resource):
            return True
    return False


def _statement_applies(
    statement: Mapping[str, Any], action: str, resource: str, ctx: _Context, variables: bool
) -> bool:
    if "Action" in statement:
        if not _action_matches(statement["Action"], action):
            return False
    elif _action_matches(statement["NotAction"], action):
        return False

    if "Resource" in statement:
        if not _resource_matches(statement["Resource"], resource, ctx, variables):
            return False
    elif _resource_matches(statement["NotResource"], resource, ctx, variables):
        return False

    for op_name, block in statement.get("Condition", {}).items():
        for key, values in block.items():
            if not _condition_holds(op_name, key, values, ctx, variables):
                return False
    return True


def evaluate(
    documents: Iterable[dict],
    *,
    action: str,
    resource: str,
    context: Mapping[str, str | list[str]] | None = None,
) -> Decision:
    """Evaluate identity policies for one request, IAM style.

    ``documents`` may be raw or already-normalised policy dicts (or JSON
    strings); each is run through :func:`validate_policy`, so a malformed one
    raises :class:`PolicyError`. ``action`` is e.g. ``"cognito-idp:ListUsers"``,
    ``resource`` an ARN, ``context`` the request's condition keys (keys are
    case-insensitive; values a string or a list of strings for multi-valued
    keys).

    An explicit Deny in any applicable statement wins, else any applicable Allow
    allows, else the result is an implicit deny (IAM "policy evaluation logic").
    """
    if isinstance(documents, (dict, str, bytes)):
        documents = [documents]
    ctx = _Context(context)
    allowed = False
    for document in documents:
        policy = validate_policy(document)
        variables = policy["Version"] == VERSION_2012
        for statement in policy["Statement"]:
            if not _statement_applies(statement, action, resource, ctx, variables):
                continue
            if statement["Effect"] == "Deny":
                return Decision.EXPLICIT_DENY
            allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY
