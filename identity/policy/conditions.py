"""Condition operators (IAM "Condition operators"): matching one condition key of a
statement's ``Condition`` block against the request context."""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from identity.policy.base import PolicyError
from identity.policy.patterns import _Chunk, _Context, _glob_match, _literal, _resolve, _Wild

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
            return datetime.fromtimestamp(float(number), tz=UTC)
        parsed = datetime.fromisoformat(value)
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


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
    return all(_glob_match(p, v) for p, v in zip(pattern_parts, value_parts, strict=True))


@dataclass(frozen=True)
class _Operator:
    matcher: _Matcher
    negated: bool = False
    variables: bool = False  # policy variables allowed in values


_OPERATORS: dict[str, _Operator] = {
    "StringEquals": _Operator(_m_string_equals, variables=True),
    "StringNotEquals": _Operator(_m_string_equals, negated=True, variables=True),
    "StringEqualsIgnoreCase": _Operator(_m_string_equals_ignore_case, variables=True),
    "StringNotEqualsIgnoreCase": _Operator(_m_string_equals_ignore_case, negated=True, variables=True),
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
                f"Unknown condition set operator {prefix!r} in {name!r}; use ForAnyValue: or ForAllValues:."
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
        return all(_resolvable(pv, ctx, variables) and not op.matcher(cv, pv, ctx, variables) for pv in values)
    return any(op.matcher(cv, pv, ctx, variables) for pv in values)


def _resolvable(pv: str, ctx: _Context, variables: bool) -> bool:
    if not variables:
        return True
    return _resolve(pv, ctx, wildcards=False, variables=True) is not None


def _condition_holds(op_name: str, key: str, values: Sequence[str], ctx: _Context, variables_enabled: bool) -> bool:
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
