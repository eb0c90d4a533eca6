"""IAM-style identity policy validation and evaluation.

Used for operator access keys today and for identity-pool (role) temporary
credentials later. The semantics follow the AWS IAM User Guide:

* "Policy evaluation logic" (reference_policies_evaluation-logic): an explicit
  ``Deny`` in any applicable statement wins; otherwise any applicable
  ``Allow`` allows; otherwise the request is implicitly denied.
* "IAM JSON policy elements" reference: ``Action``/``NotAction`` (case-
  insensitive, ``*``/``?`` wildcards), ``Resource``/``NotResource``
  (case-sensitive, ``*``/``?`` wildcards), ``Condition``.
* "IAM JSON policy elements: Condition operators": all keys within one
  operator and all operators within a block must be true (AND); several values
  for one key are ORed; condition *keys* are case-insensitive. If a key is
  absent from the request context, positive operators are false and negated
  operators (``StringNotEquals``, ``ArnNotLike``, ...) are true -- except
  ``...IfExists`` (true when absent) and ``Null`` (tests absence itself).
  ``ForAnyValue:`` is false and ``ForAllValues:`` is true for an absent key.
* "IAM policy elements: Variables and tags": ``${key}`` / ``${key, 'default'}``
  in ``Resource`` and in condition values (String, ARN and Bool operators),
  escapes ``${*}``, ``${?}``, ``${$}``; only for ``"Version": "2012-10-17"``
  (in ``2008-10-17`` policies -- also the default when Version is absent --
  ``${...}`` is literal text). A variable whose key is absent or multi-valued
  (and has no default) cannot be resolved: a ``Resource`` pattern containing it
  matches nothing, and a condition value containing it satisfies neither the
  positive nor the negated operator.

Condition operators supported: String{Not}Equals{IgnoreCase}, String{Not}Like,
Numeric{Not}Equals / LessThan{Equals} / GreaterThan{Equals}, the same Date*
family (ISO 8601 or epoch seconds), Bool, BinaryEquals, IpAddress /
NotIpAddress, Arn{Not}Equals / Arn{Not}Like, Null -- each with an optional
``ForAnyValue:``/``ForAllValues:`` prefix and ``IfExists`` suffix (not Null).
Anything else is rejected by :func:`validate_policy` with a PolicyError.

Deliberate simplifications, documented so nobody is surprised:

* Identity-based policies only: ``Principal``/``NotPrincipal`` are rejected.
* ``Resource`` wildcards match across ``:`` and ``/`` (whole-string glob), as
  IAM effectively does for trailing ``*``; ``ArnEquals``/``ArnLike`` compare
  the six ``:``-separated ARN components separately, as IAM documents.
* A context value given as an empty list is treated as an absent key.
* Without a ``ForAnyValue:``/``ForAllValues:`` prefix a multi-valued context key
  matches a positive operator if *any* of its values does (and a negated
  operator if *none* does).
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import ipaddress
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable, Mapping, Sequence

__all__ = [
    "Decision",
    "PolicyError",
    "evaluate",
    "evaluate_trust",
    "validate_policy",
    "validate_trust_policy",
]

# Handing a role to something that will issue its credentials later (an identity pool, a
# user-pool group) needs this action on the role's ARN, as in AWS IAM.
PASS_ROLE_ACTION = "iam:PassRole"

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"
_VERSIONS = (VERSION_2012, VERSION_2008)

_TOP_LEVEL_KEYS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_KEYS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)
# A role's trust policy (IAM "Role trust policy"): who may assume the role, under which
# conditions. A Principal instead of a Resource; NotPrincipal is not supported.
_TRUST_STATEMENT_KEYS = frozenset({"Sid", "Effect", "Action", "NotAction", "Principal", "Condition"})
_PRINCIPAL_TYPES = frozenset({"AWS", "Federated", "Service", "CanonicalUser"})
_ACTION_RE = re.compile(r"[A-Za-z0-9-]+:\S+")


class Decision(enum.Enum):
    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


class PolicyError(ValueError):
    """A policy document is malformed."""


# --------------------------------------------------------------------------
# Patterns: wildcards and policy variables.
# --------------------------------------------------------------------------


class _Wild(enum.Enum):
    STAR = "*"
    ONE = "?"


@dataclass(frozen=True)
class _Var:
    key: str  # lower-cased context key
    default: str | None


_Token = str | _Wild | _Var
# A resolved pattern: literal text and wildcards only.
_Chunk = str | _Wild


@functools.lru_cache(maxsize=4096)
def _tokenize(pattern: str, wildcards: bool, variables: bool) -> tuple[_Token, ...]:
    """Split a policy string into literal text, wildcards and variables.

    Raises PolicyError for a malformed ``${...}`` when variables are enabled.
    """
    tokens: list[_Token] = []
    literal: list[str] = []

    def flush() -> None:
        if literal:
            tokens.append("".join(literal))
            literal.clear()

    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if variables and ch == "$" and pattern.startswith("${", i):
            end = _find_variable_end(pattern, i + 2)
            if end < 0:
                raise PolicyError(f"Policy variable in {pattern!r} is missing its closing brace.")
            inner = pattern[i + 2 : end]
            if inner in ("*", "?", "$"):
                literal.append(inner)
            else:
                flush()
                tokens.append(_parse_variable(inner, pattern))
            i = end + 1
            continue
        if wildcards and ch in "*?":
            flush()
            tokens.append(_Wild.STAR if ch == "*" else _Wild.ONE)
        else:
            literal.append(ch)
        i += 1
    flush()
    return tuple(tokens)


def _find_variable_end(pattern: str, start: int) -> int:
    """Index of the ``}`` closing a variable, skipping quoted defaults."""
    in_quote = False
    i = start
    while i < len(pattern):
        ch = pattern[i]
        if ch == "'":
            if in_quote and pattern.startswith("''", i):
                i += 2
                continue
            in_quote = not in_quote
        elif ch == "}" and not in_quote:
            return i
        i += 1
    return -1


def _parse_variable(inner: str, pattern: str) -> _Var:
    key, comma, default_part = inner.partition(",")
    key = key.strip()
    if not key or any(c.isspace() for c in key):
        raise PolicyError(f"Invalid policy variable '${{{inner}}}' in {pattern!r}.")
    if not comma:
        return _Var(key.lower(), None)
    default_part = default_part.strip()
    if len(default_part) < 2 or default_part[0] != "'" or default_part[-1] != "'":
        raise PolicyError(
            f"Default value of policy variable '${{{inner}}}' in {pattern!r} must be in single quotes."
        )
    body = default_part[1:-1]
    if "'" in body.replace("''", ""):
        raise PolicyError(f"Unescaped quote in default of policy variable '${{{inner}}}'.")
    return _Var(key.lower(), body.replace("''", "'"))


class _Context:
    """Request context with case-insensitive keys and list values."""

    __slots__ = ("_values",)

    def __init__(self, context: Mapping[str, Any] | None):
        values: dict[str, list[str]] = {}
        for key, value in (context or {}).items():
            items = _context_values(value)
            if items:
                values[key.lower()] = items
        self._values = values

    def get(self, key: str) -> list[str] | None:
        """Values of ``key`` or None if absent (keys are case-insensitive)."""
        return self._values.get(key.lower())

    def variable(self, var: _Var) -> str | None:
        values = self._values.get(var.key)
        if values is not None and len(values) == 1:
            return values[0]
        return var.default


def _context_values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_scalar_to_str(v) for v in value if v is not None]
    return [_scalar_to_str(value)]


def _scalar_to_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _resolve(
    pattern: str, ctx: _Context, *, wildcards: bool, variables: bool
) -> tuple[_Chunk, ...] | None:
    """Substitute variables; None if one cannot be resolved."""
    chunks: list[_Chunk] = []
    for token in _tokenize(pattern, wildcards, variables):
        if isinstance(token, _Var):
            value = ctx.variable(token)
            if value is None:
                return None
            chunks.append(value)
        else:
            chunks.append(token)
    return tuple(chunks)


def _chunks_to_regex(chunks: Sequence[_Chunk]) -> str:
    """Regex (for fullmatch) equivalent to a ``*``/``?`` glob.

    A naive ``.*a.*a.*b`` backtracks exponentially in the number of stars on
    hostile input (request values are attacker-controlled). Instead each
    fixed-width segment between stars is matched at its *leftmost* occurrence
    inside an atomic group -- which is always optimal for globs -- and only
    the final segment is anchored at the end, giving O(len(text) * len(pattern)).
    """
    segments: list[str] = [""]
    for chunk in chunks:
        if chunk is _Wild.STAR:
            segments.append("")
        elif chunk is _Wild.ONE:
            segments[-1] += "."
        else:
            segments[-1] += re.escape(chunk)
    if len(segments) == 1:
        return segments[0]
    first, *middle, last = segments
    return first + "".join(f"(?>.*?{seg})" for seg in middle if seg) + ".*" + last


@functools.lru_cache(maxsize=4096)
def _compile(regex: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


@functools.lru_cache(maxsize=4096)
def _compile_glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """Compile a variable-free ``*``/``?`` glob."""
    return _compile(_chunks_to_regex(_tokenize(pattern, True, False)), ignore_case)


def _glob_match(chunks: Sequence[_Chunk], value: str, ignore_case: bool = False) -> bool:
    return _compile(_chunks_to_regex(chunks), ignore_case).fullmatch(value) is not None


def _literal(chunks: Sequence[_Chunk]) -> str:
    return "".join(c.value if isinstance(c, _Wild) else c for c in chunks)


# --------------------------------------------------------------------------
# Condition operators.
# --------------------------------------------------------------------------

# A matcher answers "does this single context value match this policy value?"
# for the *positive* form of the operator: (context_value, policy_value, ctx,
# variables_enabled) -> bool. A policy value whose variables cannot be resolved
# never matches.
_Matcher = Callable[[str, str, _Context, bool], bool]


def _string_value(pv: str, ctx: _Context, variables: bool) -> str | None:
    chunks = _resolve(pv, ctx, wildcards=False, variables=variables)
    return None if chunks is None else _literal(chunks)


def _m_string_equals(cv: str, pv: str, ctx: _Context, variables: bool) -> bool:
    value = _string_value(pv, ctx, variables)
    return value is not None and cv == value


def _m_string_equals_ignore_case(cv: str, pv: str, ctx: _Context, variables: bool) -> bool:
    value = _string_value(pv, ctx, variables)
    return value is not None and cv.casefold() == value.casefold()


def _m_string_like(cv: str, pv: str, ctx: _Context, variables: bool) -> bool:
    chunks = _resolve(pv, ctx, wildcards=True, variables=variables)
    return chunks is not None and _glob_match(chunks, cv)


def _m_bool(cv: str, pv: str, ctx: _Context, variables: bool) -> bool:
    value = _string_value(pv, ctx, variables)
    return value is not None and cv.strip().lower() == value.strip().lower()


def _m_binary(cv: str, pv: str, ctx: _Context, variables: bool) -> bool:
    try:
        return base64.b64decode(cv, validate=True) == base64.b64decode(pv, validate=True)
    except (binascii.Error, ValueError):
        return False


def _to_decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _numeric(compare: Callable[[Decimal, Decimal], bool]) -> _Matcher:
    def matcher(cv: str, pv: str, ctx: _Context, variables: bool) -> bool:
        left, right = _to_decimal(cv), _to_decimal(pv)
        return left is not None and right is not None and compare(left, right)

    return matcher


def _to_datetime(value: str) -> datetime | None:
    value = value.strip()
    number = _to_decimal(value)
    try:
        if number is not None:  # epoch seconds
            return datetime.fromtimestamp(float(number), tz=timezone.utc)
        parsed = datetime.fromisoformat(value)
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _date(compare: Callable[[datetime, datetime], bool]) -> _Matcher:
    def matcher(cv: str, pv: str, ctx: _Context, variables: bool) -> bool:
        left, right = _to_datetime(cv), _to_datetime(pv)
        return left is not None and right is not None and compare(left, right)

    return matcher


def _m_ip_address(cv: str, pv: str, ctx: _Context, variables: bool) -> bool:
    try:
        address = ipaddress.ip_address(cv.strip())
        network = ipaddress.ip_network(pv.strip(), strict=False)
    except ValueError:
        return False
    return address.version == network.version and address in network


def _split_chunks_on_colon(chunks: Sequence[_Chunk], limit: int) -> list[list[_Chunk]]:
    components: list[list[_Chunk]] = [[]]
    for chunk in chunks:
        if isinstance(chunk, _Wild):
            components[-1].append(chunk)
            continue
        pieces = chunk.split(":") if len(components) < limit else [chunk]
        for index, piece in enumerate(pieces):
            if index:
                if len(components) < limit:
                    components.append([])
                else:  # past the last separator, ':' is literal
                    components[-1].append(":")
            if piece:
                components[-1].append(piece)
    return components


def _m_arn_like(cv: str, pv: str, ctx: _Context, variables: bool) -> bool:
    chunks = _resolve(pv, ctx, wildcards=True, variables=variables)
    if chunks is None:
        return False
    pattern_parts = _split_chunks_on_colon(chunks, 6)
    value_parts = cv.split(":", 5)
    if len(pattern_parts) != 6 or len(value_parts) != 6:
        return False
    return all(_glob_match(p, v) for p, v in zip(pattern_parts, value_parts))


@dataclass(frozen=True)
class _Operator:
    matcher: _Matcher
    negated: bool = False
    variables: bool = False  # policy variables allowed in values


_OPERATORS: dict[str, _Operator] = {
    "StringEquals": _Operator(_m_string_equals, variables=True),
    "StringNotEquals": _Operator(_m_string_equals, negated=True, variables=True),
    "StringEqualsIgnoreCase": _Operator(_m_string_equals_ignore_case, variables=True),
    "StringNotEqualsIgnoreCase": _Operator(
        _m_string_equals_ignore_case, negated=True, variables=True
    ),
    "StringLike": _Operator(_m_string_like, variables=True),
    "StringNotLike": _Operator(_m_string_like, negated=True, variables=True),
    "NumericEquals": _Operator(_numeric(lambda a, b: a == b)),
    "NumericNotEquals": _Operator(_numeric(lambda a, b: a == b), negated=True),
    "NumericLessThan": _Operator(_numeric(lambda a, b: a < b)),
    "NumericLessThanEquals": _Operator(_numeric(lambda a, b: a <= b)),
    "NumericGreaterThan": _Operator(_numeric(lambda a, b: a > b)),
    "NumericGreaterThanEquals": _Operator(_numeric(lambda a, b: a >= b)),
    "DateEquals": _Operator(_date(lambda a, b: a == b)),
    "DateNotEquals": _Operator(_date(lambda a, b: a == b), negated=True),
    "DateLessThan": _Operator(_date(lambda a, b: a < b)),
    "DateLessThanEquals": _Operator(_date(lambda a, b: a <= b)),
    "DateGreaterThan": _Operator(_date(lambda a, b: a > b)),
    "DateGreaterThanEquals": _Operator(_date(lambda a, b: a >= b)),
    "Bool": _Operator(_m_bool, variables=True),
    "BinaryEquals": _Operator(_m_binary),
    "IpAddress": _Operator(_m_ip_address),
    "NotIpAddress": _Operator(_m_ip_address, negated=True),
    "ArnEquals": _Operator(_m_arn_like, variables=True),
    "ArnLike": _Operator(_m_arn_like, variables=True),
    "ArnNotEquals": _Operator(_m_arn_like, negated=True, variables=True),
    "ArnNotLike": _Operator(_m_arn_like, negated=True, variables=True),
}
_OPERATORS_LOWER = {name.lower(): name for name in (*_OPERATORS, "Null")}

_SET_PREFIXES = ("ForAnyValue", "ForAllValues")


@dataclass(frozen=True)
class _ParsedOperator:
    base: str  # canonical operator name, e.g. "StringLike" or "Null"
    set_prefix: str | None  # "ForAnyValue" / "ForAllValues" / None
    if_exists: bool


@functools.lru_cache(maxsize=256)
def _parse_operator(name: str) -> _ParsedOperator:
    rest = name
    set_prefix = None
    prefix, sep, tail = name.partition(":")
    if sep:
        canonical_prefix = next((p for p in _SET_PREFIXES if p.lower() == prefix.lower()), None)
        if canonical_prefix is None:
            raise PolicyError(
                f"Unknown condition set operator {prefix!r} in {name!r}; "
                "use ForAnyValue: or ForAllValues:."
            )
        set_prefix, rest = canonical_prefix, tail
    if_exists = False
    if rest.lower().endswith("ifexists"):
        if_exists, rest = True, rest[: -len("IfExists")]
    base = _OPERATORS_LOWER.get(rest.lower())
    if base is None:
        raise PolicyError(f"Unsupported condition operator {name!r}.")
    if base == "Null" and (if_exists or set_prefix):
        raise PolicyError(f"The Null operator cannot be combined with IfExists or set prefixes: {name!r}.")
    return _ParsedOperator(base, set_prefix, if_exists)


def _single_value(op: _Operator, cv: str, values: Sequence[str], ctx: _Context, variables: bool) -> bool:
    """Operator applied to one context value against the policy's values (ORed)."""
    if op.negated:
        # "Does not equal any of the values"; an unresolvable value satisfies nothing.
        return all(
            _resolvable(pv, ctx, variables) and not op.matcher(cv, pv, ctx, variables)
            for pv in values
        )
    return any(op.matcher(cv, pv, ctx, variables) for pv in values)


def _resolvable(pv: str, ctx: _Context, variables: bool) -> bool:
    if not variables:
        return True
    return _resolve(pv, ctx, wildcards=False, variables=True) is not None


def _condition_holds(
    op_name: str, key: str, values: Sequence[str], ctx: _Context, variables_enabled: bool
) -> bool:
    parsed = _parse_operator(op_name)
    context_values = ctx.get(key)

    if parsed.base == "Null":
        is_null = context_values is None
        return any((pv.strip().lower() == "true") == is_null for pv in values)

    op = _OPERATORS[parsed.base]
    variables = variables_enabled and op.variables

    if context_values is None:
        if parsed.if_exists or parsed.set_prefix == "ForAllValues":
            return True
        if parsed.set_prefix == "ForAnyValue":
            return False
        return op.negated

    results = (_single_value(op, cv, values, ctx, variables) for cv in context_values)
    if parsed.set_prefix == "ForAllValues":
        return all(results)
    if parsed.set_prefix == "ForAnyValue":
        return any(results)
    # No set prefix: a multi-valued key matches a positive operator if any value
    # does, and a negated operator only if every value does (= none matches).
    return all(results) if op.negated else any(results)


# --------------------------------------------------------------------------
# Validation / normalisation.
# --------------------------------------------------------------------------


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
        raise PolicyError(f"{where}.Principal must be '*' or an object such as {{\"Federated\": \"...\"}}.")
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
            raise PolicyError(
                f"{where}.{action_key} {action!r} must be '*' or of the form 'service:Action'."
            )
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


def validate_trust_policy(document: dict | str) -> dict:
    """Parse and validate a role's trust policy (IAM "Role trust policy"), as
    :func:`validate_policy` does an identity policy, except that each statement names a
    ``Principal`` (``"*"`` or ``{"Federated": ..., "AWS": ..., "Service": ...}``, each
    normalised to a list) and no ``Resource``."""
    return _validate_document(document, trust=True)


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


# --------------------------------------------------------------------------
# Evaluation.
# --------------------------------------------------------------------------


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
