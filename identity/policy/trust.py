"""A role's trust policy (IAM "Role trust policy"): who may assume the role, under which
conditions; validated as identity policies are, evaluated for one principal."""

from __future__ import annotations

from collections.abc import Mapping

from identity.policy.base import VERSION_2012, Decision
from identity.policy.conditions import _condition_holds
from identity.policy.evaluation import _action_matches
from identity.policy.patterns import _Context
from identity.policy.validation import _validate_document


def validate_trust_policy(document: dict | str) -> dict:
    """Parse and validate a role's trust policy (IAM "Role trust policy"), as
    :func:`validate_policy` does an identity policy, except that each statement names a
    ``Principal`` (``"*"`` or ``{"Federated": ..., "AWS": ..., "Service": ...}``, each
    normalised to a list) and no ``Resource``."""
    return _validate_document(document, trust=True)


def _principal_matches(principal: str | Mapping[str, list[str]], kind: str, name: str) -> bool:
    if principal == "*":
        return True
    # Principals take no wildcards but the anonymous "*" (IAM "AWS JSON policy elements:
    # Principal"), which {"AWS": "*"} also spells.
    return name in principal.get(kind, ()) or "*" in principal.get("AWS", ())


def evaluate_trust(
    document: dict | str | None,
    *,
    principal_type: str,
    principal: str,
    action: str,
    context: Mapping[str, str | list[str]] | None = None,
) -> Decision:
    """Evaluate a role's trust policy for one principal asking to assume the role, e.g.
    ``principal_type="Federated"``, ``principal="cognito-identity.amazonaws.com"``,
    ``action="sts:AssumeRoleWithWebIdentity"``, with the web identity's condition keys
    (``cognito-identity.amazonaws.com:aud`` ...) in ``context``.

    An empty or absent document trusts nobody (implicit deny). A statement applies when
    its Principal names the principal (``"*"``, ``{"AWS": "*"}`` or a matching name of the
    type), its Action matches and its Condition holds; then as :func:`evaluate`.
    Raises :class:`PolicyError` for a malformed document.
    """
    if not document:
        return Decision.IMPLICIT_DENY
    policy = validate_trust_policy(document)
    variables = policy["Version"] == VERSION_2012
    ctx = _Context(context)
    allowed = False
    for statement in policy["Statement"]:
        if not _principal_matches(statement["Principal"], principal_type, principal):
            continue
        if "Action" in statement:
            if not _action_matches(statement["Action"], action):
                continue
        elif _action_matches(statement["NotAction"], action):
            continue
        if not all(
            _condition_holds(op_name, key, values, ctx, variables)
            for op_name, block in statement.get("Condition", {}).items()
            for key, values in block.items()
        ):
            continue
        if statement["Effect"] == "Deny":
            return Decision.EXPLICIT_DENY
        allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY
