"""The validation walk: a decoded request body against an operation's input shape, and the
AWS-style errors it raises (see :mod:`userpools.awsmodel`)."""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import math
from typing import Any

from userpools.awsmodel.model import _SCALAR_KINDS, ServiceSpec, _Node

INVALID_PARAMETER = "InvalidParameterException"
SERIALIZATION = "SerializationException"

#: At most this many individual messages are rendered into ``message`` /
#: ``errors``; the "N validation errors detected" prefix counts all of them.
MAX_REPORTED_ERRORS = 10

#: Guard against pathological nesting (only reachable with recursive shapes,
#: which the Cognito models do not have, but kept for safety).
MAX_DEPTH = 64

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


class RequestValidationError(Exception):
    """A request body failed validation.

    ``code``: ``"InvalidParameterException"`` (constraint violations) or
    ``"SerializationException"`` (wrong JSON types).
    ``message``: the full AWS-style message.
    ``errors``: the individual messages (at most :data:`MAX_REPORTED_ERRORS`).
    ``error_count``: how many errors were detected in total (>= len(errors)).
    """

    def __init__(
        self,
        code: str,
        message: str,
        errors: list[str] | None = None,
        error_count: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors = list(errors) if errors is not None else [message]
        self.error_count = error_count if error_count is not None else len(self.errors)

    def __str__(self) -> str:  # pragma: no cover - trivial
        return self.message


_EXPECTED = {
    "structure": "object",
    "union": "object",
    "map": "object",
    "list": "array",
    "string": "string",
    "integer": "integer",
    "long": "integer",
    "double": "number",
    "float": "number",
    "boolean": "boolean",
    "timestamp": "timestamp (epoch-seconds number or ISO 8601 string)",
    "blob": "base64-encoded string",
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


_REDACTED = "*** Sensitive Data Redacted ***"


def _render(node: _Node, value: Any, sensitive: bool = False) -> str:
    """Java-toString-like rendering of a value, used only in messages."""
    if sensitive or node.sensitive:
        return _REDACTED
    kind = node.kind
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind == "list" and isinstance(value, list):
        return "[" + ", ".join(_render(node.member, v) for v in value) + "]"
    if kind == "map" and isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_render(node.value, v)}" for k, v in value.items()) + "}"
    if kind in ("structure", "union") and isinstance(value, dict) and not node.document:
        parts = []
        for mname, _seg, child, msens in node.members:
            v = value.get(mname)
            if v is not None:
                parts.append(f"{mname}: {_render(child, v, msens)}")
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, str):
        return value
    return str(value)


class _Collector:
    __slots__ = ("type_errors", "type_count", "constraint", "constraint_count")

    def __init__(self) -> None:
        self.type_errors: list[str] = []
        self.type_count = 0
        # (path, node or None for "missing", value, sensitive, constraint text);
        # values are rendered only if this ends as an InvalidParameterException
        self.constraint: list[tuple] = []
        self.constraint_count = 0

    def type_error(self, path: str, expected: str, got: str) -> None:
        self.type_count += 1
        if len(self.type_errors) < MAX_REPORTED_ERRORS:
            self.type_errors.append(f"Invalid value at '{path}': expected {expected}, got {got}")

    def violation(self, path: str, node: _Node, value: Any, sensitive: bool, text: str) -> None:
        self.constraint_count += 1
        if len(self.constraint) < MAX_REPORTED_ERRORS:
            self.constraint.append((path, node, value, sensitive, text))

    def missing(self, path: str) -> None:
        self.violation(path, None, None, False, "Member must not be null")


def _utf8_safe(text: str) -> str:
    """Messages echo caller data (values, map keys); JSON allows lone UTF-16
    surrogates ("\\ud800") which cannot be encoded as UTF-8 and would break
    the response.  Pair them up where valid, else replace with U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _format_violation(path: str, node: _Node | None, value: Any, sensitive: bool, text: str) -> str:
    if node is None:  # required member missing / null
        head = f"Value null at '{path}'"
    elif sensitive or node.sensitive:
        head = f"Value at '{path}'"
    else:
        head = f"Value '{_render(node, value)}' at '{path}'"
    return f"{head} failed to satisfy constraint: {text}"


def _scalar_violations(node: _Node, value: Any) -> list[str]:
    """Constraint texts violated by an already type-checked scalar value.
    Order: pattern, length/value range, enum."""
    out: list[str] = []
    kind = node.kind
    if kind == "string":
        if node.regex is not None and node.regex.fullmatch(value) is None:
            out.append(f"Member must satisfy regular expression pattern: {node.pattern}")
        if node.min is not None or node.max is not None:
            length = len(value)
            if node.min is not None and length < node.min:
                out.append(f"Member must have length greater than or equal to {node.min}")
            if node.max is not None and length > node.max:
                out.append(f"Member must have length less than or equal to {node.max}")
        if node.enum_set is not None and value not in node.enum_set:
            out.append(f"Member must satisfy enum value set: [{', '.join(node.enum)}]")
    elif kind in ("integer", "long", "double", "float"):
        if node.min is not None and value < node.min:
            out.append(f"Member must have value greater than or equal to {node.min}")
        if node.max is not None and value > node.max:
            out.append(f"Member must have value less than or equal to {node.max}")
    elif kind == "blob":
        length = len(base64.b64decode(value))
        if node.min is not None and length < node.min:
            out.append(f"Member must have length greater than or equal to {node.min}")
        if node.max is not None and length > node.max:
            out.append(f"Member must have length less than or equal to {node.max}")
    return out


def _scalar_type_problem(node: _Node, value: Any) -> str | None:
    """None if ``value`` has an acceptable JSON type for the scalar ``node``,
    else a description of what was received."""
    kind = node.kind
    if kind == "string":
        return None if isinstance(value, str) else _json_type(value)
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float):
                return "non-integer number"
            return _json_type(value)
        lo, hi = _INT32 if kind == "integer" else _INT64
        if not lo <= value <= hi:
            bits = 32 if kind == "integer" else 64
            return f"number out of range for a {bits}-bit integer"
        return None
    if kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _json_type(value)
        try:
            finite = math.isfinite(value)
        except OverflowError:  # int too large for a double
            finite = False
        return None if finite else "non-finite number"
    if kind == "boolean":
        return None if isinstance(value, bool) else _json_type(value)
    if kind == "timestamp":
        if isinstance(value, bool):
            return "boolean"
        if isinstance(value, (int, float)):
            try:
                return None if math.isfinite(value) else "non-finite number"
            except OverflowError:
                return "number out of range"
        if isinstance(value, str):
            try:
                _dt.datetime.fromisoformat(value)
            except ValueError:
                return "string that is not an ISO 8601 timestamp"
            return None
        return _json_type(value)
    if kind == "blob":
        if not isinstance(value, str):
            return _json_type(value)
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return "string that is not valid base64"
        return None
    return None  # unknown scalar kind: accept


# Tasks of the validation walk: a value to walk, or an error to record in its turn.
_WALK, _TYPE_ERROR, _MISSING, _VIOLATION = range(4)


def _walk(node: _Node, value: Any, path: str, sensitive: bool, depth: int, c: _Collector) -> None:
    """``value`` is not None here (None handling is the caller's business).

    A walk with its own stack, not recursion: it follows the model's shapes, which bound
    its depth (and :data:`MAX_DEPTH` bounds it if a model ever nests shapes in
    themselves), but nothing a client sends can deepen the interpreter's stack. Errors are
    recorded in the order a depth-first walk meets them: each container's tasks are
    pushed in reverse, so a member's whole subtree comes before its next sibling.
    """
    stack: list[tuple] = [(_WALK, node, value, path, sensitive, depth)]
    pop = stack.pop
    while stack:
        task = pop()
        tag = task[0]
        if tag == _TYPE_ERROR:
            c.type_error(*task[1:])
            continue
        if tag == _MISSING:
            c.missing(task[1])
            continue
        if tag == _VIOLATION:
            c.violation(*task[1:])
            continue
        _, node, value, path, sensitive, depth = task
        kind = node.kind
        sensitive = sensitive or node.sensitive

        if kind in _SCALAR_KINDS:
            problem = _scalar_type_problem(node, value)
            if problem is not None:
                c.type_error(path, _EXPECTED[kind], problem)
                continue
            for text in _scalar_violations(node, value):
                c.violation(path, node, value, sensitive, text)
            continue

        if depth > MAX_DEPTH:
            c.type_error(path, _EXPECTED.get(kind, kind), "value nested too deeply")
            continue

        if kind in ("structure", "union"):
            if node.document:
                continue  # any JSON value
            if not isinstance(value, dict):
                c.type_error(path, "object", _json_type(value))
                continue
            prefix = f"{path}." if path else ""
            required = node.required
            tasks = []
            for mname, seg, child, msens in node.members:
                v = value.get(mname)
                if v is None:
                    if mname in required:
                        tasks.append((_MISSING, prefix + seg))
                    continue
                tasks.append((_WALK, child, v, prefix + seg, sensitive or msens, depth + 1))
            stack.extend(reversed(tasks))
            continue

        if kind == "list":
            if not isinstance(value, list):
                c.type_error(path, "array", _json_type(value))
                continue
            _length_violations(node, len(value), path, value, sensitive, c)
            member = node.member
            tasks = []
            for i, item in enumerate(value, 1):
                item_path = f"{path}.{i}.member"
                if item is None:
                    tasks.append((_TYPE_ERROR, item_path, _EXPECTED.get(member.kind, member.kind), "null"))
                    continue
                tasks.append((_WALK, member, item, item_path, sensitive, depth + 1))
            stack.extend(reversed(tasks))
            continue

        if kind == "map":
            if not isinstance(value, dict):
                c.type_error(path, "object", _json_type(value))
                continue
            _length_violations(node, len(value), path, value, sensitive, c)
            key_node, value_node = node.key, node.value
            bad_key = bad_value = False
            tasks = []
            for k, v in value.items():
                if not bad_key:
                    problem = _scalar_type_problem(key_node, k)
                    if problem is None:
                        bad_key = bool(_scalar_violations(key_node, k))
                    else:  # keys are always strings in JSON; defensive
                        tasks.append((_TYPE_ERROR, path, "object with string keys", "non-string key"))
                v_path = path if sensitive else f"{path}.{k}"
                if v is None:
                    tasks.append((_TYPE_ERROR, v_path, _EXPECTED.get(value_node.kind, value_node.kind), "null"))
                    continue
                if node.value_is_scalar:
                    problem = _scalar_type_problem(value_node, v)
                    if problem is not None:
                        tasks.append((_TYPE_ERROR, v_path, _EXPECTED[value_node.kind], problem))
                    elif not bad_value and _scalar_violations(value_node, v):
                        bad_value = True
                else:
                    tasks.append((_WALK, value_node, v, v_path, sensitive, depth + 1))
            if bad_key:
                tasks.append(
                    (
                        _VIOLATION,
                        path,
                        node,
                        value,
                        sensitive,
                        "Map keys must satisfy constraint: [" + ", ".join(key_node.constraint_texts) + "]",
                    )
                )
            if bad_value:
                tasks.append(
                    (
                        _VIOLATION,
                        path,
                        node,
                        value,
                        sensitive,
                        "Map value must satisfy constraint: [" + ", ".join(value_node.constraint_texts) + "]",
                    )
                )
            stack.extend(reversed(tasks))
            continue

        # Unknown shape kind: accept.


def _length_violations(node: _Node, length: int, path: str, value: Any, sensitive: bool, c: _Collector) -> None:
    if node.min is not None and length < node.min:
        c.violation(path, node, value, sensitive, f"Member must have length greater than or equal to {node.min}")
    if node.max is not None and length > node.max:
        c.violation(path, node, value, sensitive, f"Member must have length less than or equal to {node.max}")


def validate_input(spec: ServiceSpec, operation: str, params: Any) -> None:
    """Validate a decoded JSON request body for ``operation``.

    Raises :class:`RequestValidationError`; raises ``KeyError`` if
    ``operation`` is not in the model (check ``spec.operation_names()`` first).
    Pass ``{}`` for an empty body.
    """
    node = spec.input_node(operation)
    if not isinstance(params, dict):
        msg = f"Request body must be a JSON object, got {_json_type(params)}"
        raise RequestValidationError(SERIALIZATION, msg, [msg], 1)
    if node is None:
        return
    c = _Collector()
    _walk(node, params, "", False, 0, c)
    if c.type_count:
        errors = [_utf8_safe(e) for e in c.type_errors]
        raise RequestValidationError(SERIALIZATION, errors[0], errors, c.type_count)
    if c.constraint_count:
        errors = [_utf8_safe(_format_violation(*v)) for v in c.constraint]
        n = c.constraint_count
        head = f"{n} validation error{'s' if n != 1 else ''} detected: "
        raise RequestValidationError(INVALID_PARAMETER, head + "; ".join(errors), errors, n)
