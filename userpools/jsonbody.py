"""Reading a client's JSON, bounded: whatever cannot be read is a SerializationException.

Python's ``json`` accepts more than Cognito's front end does, and fails in ways that are
not ``JSONDecodeError``: a 5,000-digit integer raises a plain ValueError (the
int-string conversion limit), nesting deeper than the interpreter's stack raises
RecursionError, and nesting just short of that is accepted, for the next recursive walk
of the body to fail on. Here, as Cognito's front end (a Jackson-based reader) refuses
them before the operation runs:

- nesting deeper than :data:`MAX_DEPTH` (the deepest input shape of the Cognito models is
  six levels; a WebAuthn credential, the one free-form ``Document`` member, about four);
- numbers no member can hold: integers outside the signed 64-bit range (the model's
  ``long``), numbers that overflow a double, number literals longer than
  :data:`MAX_NUMBER_LENGTH` characters, and ``NaN``/``Infinity``, which are not JSON
  (RFC 8259 §6);
- a member named twice in one object: Python would keep the last, a proxy or a log
  reader in front of us may read the first, so neither is taken;
- text that is not UTF-8 (RFC 8259 §8.1; a leading byte order mark is ignored).

The wire API (``config.wire.views``), the REST API's parser (``userpools.api.parsers``)
and the hosted pages read JSON through :func:`loads`. Bodies larger than Django's
``DATA_UPLOAD_MAX_MEMORY_SIZE`` never get here: reading ``request.body`` refuses them.
"""

from __future__ import annotations

import json
import math
from typing import Any

from userpools.errors import ErrorCode, ServiceError

MAX_DEPTH = 64
MAX_NUMBER_LENGTH = 1000  # characters of one number literal (Jackson's default limit)
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_INT64_DIGITS = 20  # "-9223372036854775808"


class _Unreadable(ValueError):
    pass


def _integer(text: str) -> int:
    if len(text) > _INT64_DIGITS:
        raise _Unreadable("an integer out of the 64-bit range")
    value = int(text)
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise _Unreadable("an integer out of the 64-bit range")
    return value


def _number(text: str) -> float:
    if len(text) > MAX_NUMBER_LENGTH:
        raise _Unreadable("a number literal that is too long")
    value = float(text)
    if not math.isfinite(value):
        raise _Unreadable("a number out of a double's range")
    return value


def _constant(name: str) -> Any:
    raise _Unreadable(f"{name}, which is not JSON")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise _Unreadable("a member named twice in one object")
    return value


_DECODER = json.JSONDecoder(
    object_pairs_hook=_object, parse_int=_integer, parse_float=_number, parse_constant=_constant
)


def depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects nest deeper than ``limit`` in ``value`` (a walk with its
    own stack: no recursion, whatever the depth)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, (dict, list)):
                if depth >= limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _reason(exc: Exception) -> str:
    """What was wrong, without echoing the client's text."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at character {exc.pos}"
    if isinstance(exc, UnicodeDecodeError):
        return "the body is not UTF-8"
    if isinstance(exc, RecursionError):
        return f"nested more than {MAX_DEPTH} levels deep"
    return str(exc) if isinstance(exc, _Unreadable) else "a value that cannot be read"


def loads(raw: bytes | str) -> Any:
    """The JSON value in ``raw``; SerializationException (a ServiceError) for anything the
    module docstring lists, or any other malformed text. Never another exception."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, (bytes, bytearray)) else raw
        value = _DECODER.decode(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, _Unreadable
        raise ServiceError(f"Malformed JSON request body: {_reason(exc)}.", code=ErrorCode.SERIALIZATION) from None
    # Cheap for the usual body: nesting deeper than MAX_DEPTH needs more than MAX_DEPTH brackets.
    if isinstance(value, (dict, list)) and text.count("[") + text.count("{") > MAX_DEPTH and depth_exceeds(value):
        raise ServiceError(
            f"Malformed JSON request body: nested more than {MAX_DEPTH} levels deep.", code=ErrorCode.SERIALIZATION
        )
    return value
