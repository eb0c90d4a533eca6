"""Parsing and validating policy documents (identity and trust policies) into their
normalised form; :class:`~identity.policy.base.PolicyError` names the offending element."""

from __future__ import annotations

import json
import re
from typing import Any

from identity.policy.base import _VERSIONS, VERSION_2008, VERSION_2012, PolicyError
from identity.policy.conditions import _OPERATORS, _parse_operator
from identity.policy.patterns import _tokenize

_TOP_LEVEL_KEYS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_KEYS = frozenset({"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"})
# A role's trust policy (IAM "Role trust policy"): who may assume the role, under which
# conditions. A Principal instead of a Resource; NotPrincipal is not supported.
_TRUST_STATEMENT_KEYS = frozenset({"Sid", "Effect", "Action", "NotAction", "Principal", "Condition"})
_PRINCIPAL_TYPES = frozenset({"AWS", "Federated", "Service", "CanonicalUser"})
_ACTION_RE = re.compile(r"[A-Za-z0-9-]+:\S+")


def _as_string_list(value: Any, where: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise PolicyError(f"{where} must be a string or a non-empty list of strings.")
    for item in items:
        if not isinstance(item, str) or not item:
            raise PolicyError(f"{where} must contain only non-empty strings, got {item!r}.")
    return list(items)


def _condition_value(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    raise PolicyError(f"{where} values must be strings, numbers or booleans, got {value!r}.")


def _validate_condition(condition: Any, where: str, variables: bool) -> dict[str, dict[str, list[str]]]:
    if not isinstance(condition, dict):
        raise PolicyError(f"{where}.Condition must be an object.")
    normalised: dict[str, dict[str, list[str]]] = {}
    for op_name, block in condition.items():
        parsed = _parse_operator(op_name)
        op_where = f"{where}.Condition.{op_name}"
        if not isinstance(block, dict) or not block:
            raise PolicyError(f"{op_where} must be a non-empty object of condition keys.")
        keys: dict[str, list[str]] = {}
        seen: dict[str, str] = {}
        for key, raw_values in block.items():
            if not isinstance(key, str) or not key:
                raise PolicyError(f"{op_where} has an empty condition key.")
            if key.lower() in seen:
                raise PolicyError(
                    f"{op_where} repeats the condition key {key!r} (keys are case-insensitive; "
                    f"already have {seen[key.lower()]!r})."
                )
            seen[key.lower()] = key
            key_where = f"{op_where}.{key}"
            raw_list = raw_values if isinstance(raw_values, list) else [raw_values]
            if not raw_list:
                raise PolicyError(f"{key_where} must have at least one value.")
            values = [_condition_value(v, key_where) for v in raw_list]
            if parsed.base == "Null":
                bad = [v for v in values if v.strip().lower() not in ("true", "false")]
                if bad:
                    raise PolicyError(f"{key_where}: Null takes 'true' or 'false', got {bad[0]!r}.")
            elif variables and _OPERATORS[parsed.base].variables:
                for v in values:
                    _tokenize(v, False, True)  # raises on malformed ${...}
            keys[key] = values
        normalised[op_name] = keys
    return normalised


def _validate_principal(principal: Any, where: str) -> str | dict[str, list[str]]:
    if principal == "*":
        return "*"
    if not isinstance(principal, dict) or not principal:
        raise PolicyError(f'{where}.Principal must be \'*\' or an object such as {{"Federated": "..."}}.')
    out: dict[str, list[str]] = {}
    for kind, names in principal.items():
        if kind not in _PRINCIPAL_TYPES:
            raise PolicyError(f"{where}.Principal has an unknown principal type {kind!r}.")
        out[kind] = _as_string_list(names, f"{where}.Principal.{kind}")
    return out


def _validate_statement(statement: Any, index: int, variables: bool, trust: bool = False) -> dict[str, Any]:
    where = f"Statement[{index}]"
    if not isinstance(statement, dict):
        raise PolicyError(f"{where} must be an object.")
    if trust:
        if "NotPrincipal" in statement:
            raise PolicyError(f"{where}: NotPrincipal is not supported in trust policies.")
        if "Principal" not in statement:
            raise PolicyError(f"{where}: a trust policy statement needs a Principal.")
        if "Resource" in statement or "NotResource" in statement:
            raise PolicyError(f"{where}: a trust policy statement has no Resource (the role is the resource).")
    elif "Principal" in statement or "NotPrincipal" in statement:
        raise PolicyError(f"{where}: Principal/NotPrincipal are not allowed in identity-based policies.")
    unknown = sorted(set(statement) - (_TRUST_STATEMENT_KEYS if trust else _STATEMENT_KEYS))
    if unknown:
        raise PolicyError(f"{where} has unsupported element(s): {', '.join(unknown)}.")

    out: dict[str, Any] = {}
    if "Sid" in statement:
        if not isinstance(statement["Sid"], str):
            raise PolicyError(f"{where}.Sid must be a string.")
        out["Sid"] = statement["Sid"]

    effect = statement.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"{where}.Effect must be 'Allow' or 'Deny', got {effect!r}.")
    out["Effect"] = effect

    has_action, has_not_action = "Action" in statement, "NotAction" in statement
    if has_action == has_not_action:
        raise PolicyError(f"{where} must have exactly one of Action or NotAction.")
    action_key = "Action" if has_action else "NotAction"
    actions = _as_string_list(statement[action_key], f"{where}.{action_key}")
    for action in actions:
        if action != "*" and not _ACTION_RE.fullmatch(action):
            raise PolicyError(f"{where}.{action_key} {action!r} must be '*' or of the form 'service:Action'.")
    out[action_key] = actions

    if trust:
        out["Principal"] = _validate_principal(statement["Principal"], where)
        if "Condition" in statement:
            out["Condition"] = _validate_condition(statement["Condition"], where, variables)
        return out

    has_resource, has_not_resource = "Resource" in statement, "NotResource" in statement
    if has_resource == has_not_resource:
        raise PolicyError(f"{where} must have exactly one of Resource or NotResource.")
    resource_key = "Resource" if has_resource else "NotResource"
    resources = _as_string_list(statement[resource_key], f"{where}.{resource_key}")
    for resource in resources:
        if resource != "*" and not resource.startswith("arn:"):
            raise PolicyError(f"{where}.{resource_key} {resource!r} must be '*' or an ARN.")
        _tokenize(resource, True, variables)  # raises on malformed ${...}
    out[resource_key] = resources

    if "Condition" in statement:
        out["Condition"] = _validate_condition(statement["Condition"], where, variables)
    return out


def validate_policy(document: dict | str) -> dict:
    """Parse (if JSON text) and validate an identity policy document.

    Returns a normalised copy: ``Version`` always present (``"2008-10-17"``
    when absent, as IAM defaults), ``Statement`` always a list, Action /
    NotAction / Resource / NotResource always lists of strings, condition
    values always lists of strings. Raises :class:`PolicyError` naming the
    offending element.
    """
    return _validate_document(document, trust=False)


def _validate_document(document: dict | str, *, trust: bool) -> dict:
    if isinstance(document, (str, bytes)):
        try:
            document = json.loads(document)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PolicyError(f"Policy document is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise PolicyError("Policy document must be a JSON object.")

    unknown = sorted(set(document) - _TOP_LEVEL_KEYS)
    if unknown:
        raise PolicyError(f"Policy document has unsupported top-level element(s): {', '.join(unknown)}.")

    version = document.get("Version", VERSION_2008)
    if version not in _VERSIONS:
        raise PolicyError(f"Policy Version must be '{VERSION_2012}' or '{VERSION_2008}', got {version!r}.")

    if "Statement" not in document:
        raise PolicyError("Policy document is missing the Statement element.")
    statements = document["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        raise PolicyError("Statement must be an object or a list of objects.")

    variables = version == VERSION_2012
    normalised: dict[str, Any] = {"Version": version}
    if "Id" in document:
        if not isinstance(document["Id"], str):
            raise PolicyError("Id must be a string.")
        normalised["Id"] = document["Id"]
    normalised["Statement"] = [
        _validate_statement(statement, index, variables, trust) for index, statement in enumerate(statements)
    ]
    return normalised
