"""Request-body validation against botocore's service models.

Pure Python (no Django).  Given a decoded AWS JSON 1.1 request body, check it
against the operation's input shape the way AWS's front end does, and raise
:class:`RequestValidationError` on failure.

Two failure families, mirroring AWS:

* **Wrong JSON types** (a string where an object is expected, ``true`` for an
  integer, a fractional number for an integer, invalid base64 for a blob, a
  ``null`` inside a list/map, a non-object body, ...).  AWS fails these while
  deserializing, before any constraint is looked at, so they raise with
  ``code == "SerializationException"`` and *only* type errors are reported.
  Message (never echoes the value)::

      Invalid value at 'policies.passwordPolicy': expected object, got string
      Request body must be a JSON object, got array

* **Constraint violations** (``required``, ``min``/``max``, ``pattern``,
  ``enum``).  ``code == "InvalidParameterException"`` (the one validation
  error both Cognito models declare).  Message, as AWS formats it::

      1 validation error detected: Value 'x!' at 'poolName' failed to satisfy
      constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+

      2 validation errors detected: <e1>; <e2>

  Values of sensitive shapes (and anything nested in one) are never echoed:
  ``Value at 'password' failed to satisfy constraint: ...``.

Member paths: member names with their first letter lower-cased, joined by
``.``; list items add ``.<1-based index>.member``; values of a map whose
value shape is a container add ``.<key>`` (just the map path for sensitive
maps).  e.g. ``schema.1.member.name``, ``roleMappings.graph.facebook.com.type``.

Unknown structure members are ignored (AWS JSON services ignore them), and a
JSON ``null`` for a structure member means "absent".
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import functools
import math
import re
from typing import Any

import regex

__all__ = [
    "ServiceSpec",
    "RequestValidationError",
    "validate_input",
    "INVALID_PARAMETER",
    "SERIALIZATION",
    "MAX_REPORTED_ERRORS",
]

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

_SCALAR_KINDS = frozenset(
    {"string", "integer", "long", "double", "float", "boolean", "timestamp", "blob"}
)


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


# --------------------------------------------------------------------------
# Java-regex -> Python `regex` translation
# --------------------------------------------------------------------------

# AWS (Coral) validates with java.util.regex and String.matches() semantics:
# the whole string must match, \w \d \s are ASCII-only, while \p{L} & co are
# Unicode, and '.' excludes line terminators.  The `regex` module's ASCII
# flag would also make \p{..} ASCII-only, so expand the shorthands instead.
_JAVA_CLASS_BODY = {
    "w": r"0-9A-Za-z_",
    "d": r"0-9",
    "s": r"\t\n\x0B\f\r\x20",
    "W": r"\x00-\x2F\x3A-\x40\x5B-\x5E\x60\x7B-\U0010FFFF",
    "D": r"\x00-\x2F\x3A-\U0010FFFF",
    "S": r"\x00-\x08\x0E-\x1F\x21-\U0010FFFF",
}
_JAVA_DOT = r"[^\n\r\x85\u2028\u2029]"


def _java_to_python(pattern: str) -> str:
    dotall = "(?s)" in pattern
    out: list[str] = []
    in_class = False
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt in _JAVA_CLASS_BODY:
                body = _JAVA_CLASS_BODY[nxt]
                out.append(body if in_class else f"[{body}]")
                i += 2
                continue
            if nxt in "pP" and i + 2 < n and pattern[i + 2] == "{":
                end = pattern.index("}", i)
                out.append(pattern[i : end + 1])
                i = end + 1
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
            out.append(c)
            if i + 1 < n and pattern[i + 1] == "^":
                out.append("^")
                i += 1
        elif c == "]" and in_class:
            in_class = False
            out.append(c)
        elif c == "." and not in_class and not dotall:
            out.append(_JAVA_DOT)
        else:
            out.append(c)
        i += 1
    return "".join(out)


# Model patterns that backtrack catastrophically (seconds for a 20000-char
# value that ends in a disallowed character) mapped to linear-time
# equivalents.  C = the message alphabet; '{', '#', '}' are all in C, so
#   C*\{####\}C*        <=> every char in C and "{####}" occurs;
#   C*\{##C*##\}C*      <=> every char in C and a "##}" starts at least 3
#                           chars after the first "{##".
# tests/wire/test_validation.py checks equivalence against the direct
# translation, and times every model pattern against adversarial input.
_MSG_CLASS = r"[\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\x0B\f\r\x20*]"
_LINEAR_EQUIVALENTS = {
    r"[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{####\}[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*": (
        rf"(?={_MSG_CLASS}*+\Z)(?s:.*?)\{{####\}}(?s:.*)"
    ),
    r"[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{##[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*##\}[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*": (
        rf"(?={_MSG_CLASS}*+\Z)(?>(?s:.*?)\{{##)(?s:.*?)##\}}(?s:.*)"
    ),
}


@functools.lru_cache(maxsize=None)
def _compile_pattern(pattern: str) -> "re.Pattern[str] | regex.Pattern[str]":
    """Compile a model (Java) pattern for use with ``fullmatch``.

    With the standard library's ``re`` where it can express the pattern (all but the
    ``\\p{..}`` ones): the same syntax and meaning as ``regex``'s V0 (tests/wire checks
    every model pattern both ways), and several times faster on long values such as the
    tokens every token-authorized request carries (12 us against 1.7 us for an access token).
    """
    python = _LINEAR_EQUIVALENTS.get(pattern) or _java_to_python(pattern)
    try:
        return re.compile(python)
    except re.error:
        return regex.compile(python, regex.V0)


# --------------------------------------------------------------------------
# Compiled shape tree
# --------------------------------------------------------------------------


class _Node:
    """A precompiled shape: everything the per-request walk needs."""

    __slots__ = (
        "name",
        "kind",
        "sensitive",
        "document",
        "min",
        "max",
        "enum",
        "enum_set",
        "pattern",
        "regex",
        "members",
        "required",
        "member",
        "key",
        "value",
        "value_is_scalar",
        "constraint_texts",
    )

    def __init__(self, name: str, shape: dict) -> None:
        self.name = name
        self.kind: str = shape["type"]
        self.sensitive: bool = bool(shape.get("sensitive"))
        self.document: bool = bool(shape.get("document"))
        self.min = shape.get("min")
        self.max = shape.get("max")
        enum = shape.get("enum")
        self.enum: tuple[str, ...] | None = tuple(enum) if enum else None
        self.enum_set = frozenset(enum) if enum else None
        self.pattern: str | None = shape.get("pattern")
        self.regex = _compile_pattern(self.pattern) if self.pattern else None
        # (wire name, path segment, node, member-level sensitive) - filled later
        self.members: tuple[tuple[str, str, _Node, bool], ...] = ()
        self.required: frozenset[str] = frozenset(shape.get("required", ()))
        self.member: _Node | None = None
        self.key: _Node | None = None
        self.value: _Node | None = None
        self.value_is_scalar = False
        self.constraint_texts = self._constraint_texts()

    def _constraint_texts(self) -> tuple[str, ...]:
        """All constraints of this shape, as listed in AWS's aggregated
        'Map keys/value must satisfy constraint: [...]' messages."""
        out: list[str] = []
        word = "value" if self.kind in ("integer", "long", "double", "float") else "length"
        if self.max is not None:
            out.append(f"Member must have {word} less than or equal to {self.max}")
        if self.min is not None:
            out.append(f"Member must have {word} greater than or equal to {self.min}")
        if self.pattern is not None:
            out.append(f"Member must satisfy regular expression pattern: {self.pattern}")
        if self.enum is not None:
            out.append(f"Member must satisfy enum value set: [{', '.join(self.enum)}]")
        return tuple(out)


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


# --------------------------------------------------------------------------
# ServiceSpec
# --------------------------------------------------------------------------


# Where the published model is narrower than the service it describes. Cognito takes
# custom domains (fully qualified, with dots) in the same ``Domain`` member whose model
# pattern admits only a single prefix label.
_LABEL = r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
SHAPE_OVERRIDES: dict[str, dict[str, dict]] = {
    "cognito-idp": {"DomainType": {"max": 253, "pattern": rf"^{_LABEL}(?:\.{_LABEL})*$"}},
}


class ServiceSpec:
    """One botocore service model, loaded once and precompiled.

    Use :meth:`load` (cached per service name).  Operation methods raise
    ``KeyError`` for an unknown operation name.
    """

    def __init__(self, name: str, model: dict) -> None:
        self.name = name
        self.model = model
        self.metadata: dict = model["metadata"]
        self.target_prefix: str = self.metadata["targetPrefix"]
        self._operations: dict[str, dict] = model["operations"]
        self._shapes: dict[str, dict] = model["shapes"]
        self._operation_names = frozenset(self._operations)
        self._nodes: dict[str, _Node] = {}
        # Precompile every input tree now (patterns included): per-request
        # work is then only the walk over the caller's data.
        self._input_nodes: dict[str, _Node | None] = {}
        for op in self._operations:
            shape_name = self.input_shape(op)
            self._input_nodes[op] = self._node(shape_name) if shape_name else None

    @classmethod
    @functools.cache
    def load(cls, name: str) -> "ServiceSpec":
        from botocore.loaders import Loader

        model = Loader().load_service_model(name, "service-2")
        for shape, changes in SHAPE_OVERRIDES.get(name, {}).items():
            model["shapes"][shape] = {**model["shapes"][shape], **changes}
        return cls(name, model)

    def __repr__(self) -> str:
        return f"<ServiceSpec {self.name} ({len(self._operations)} operations)>"

    # -- model queries ------------------------------------------------------

    def operation_names(self) -> frozenset[str]:
        return self._operation_names

    def operation(self, operation: str) -> dict:
        return self._operations[operation]

    def is_unsigned(self, operation: str) -> bool:
        op = self._operations[operation]
        return op.get("auth") == ["smithy.api#noAuth"] or op.get("authtype") == "none"

    def input_shape(self, operation: str) -> str | None:
        ref = self._operations[operation].get("input")
        return ref["shape"] if ref else None

    def output_shape(self, operation: str) -> str | None:
        ref = self._operations[operation].get("output")
        return ref["shape"] if ref else None

    def error_names(self, operation: str) -> frozenset[str]:
        return frozenset(e["shape"] for e in self._operations[operation].get("errors", ()))

    def shape(self, name: str) -> dict:
        """The raw botocore shape dict (shared; do not mutate)."""
        return self._shapes[name]

    # -- compilation ----------------------------------------------------------

    def _node(self, name: str) -> _Node:
        node = self._nodes.get(name)
        if node is not None:
            return node
        shape = self._shapes[name]
        node = _Node(name, shape)
        self._nodes[name] = node  # register first: tolerates recursive shapes
        kind = node.kind
        if kind in ("structure", "union") and not node.document:
            node.members = tuple(
                (
                    mname,
                    _lower_first(mname),
                    self._node(ref["shape"]),
                    bool(ref.get("sensitive")),
                )
                for mname, ref in shape.get("members", {}).items()
            )
        elif kind == "list":
            node.member = self._node(shape["member"]["shape"])
        elif kind == "map":
            node.key = self._node(shape["key"]["shape"])
            node.value = self._node(shape["value"]["shape"])
            node.value_is_scalar = node.value.kind in _SCALAR_KINDS
        return node

    def input_node(self, operation: str) -> _Node | None:
        return self._input_nodes[operation]


# --------------------------------------------------------------------------
# Validation walk
# --------------------------------------------------------------------------

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
                tasks.append((_VIOLATION, path, node, value, sensitive,
                              "Map keys must satisfy constraint: [" + ", ".join(key_node.constraint_texts) + "]"))
            if bad_value:
                tasks.append((_VIOLATION, path, node, value, sensitive,
                              "Map value must satisfy constraint: [" + ", ".join(value_node.constraint_texts) + "]"))
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
