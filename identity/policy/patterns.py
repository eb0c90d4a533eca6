"""Patterns in policies: ``*``/``?`` wildcards, ``${...}`` policy variables and the request
context they are resolved against (IAM "Policy variables and tags")."""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from identity.policy.base import PolicyError


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
        raise PolicyError(f"Default value of policy variable '${{{inner}}}' in {pattern!r} must be in single quotes.")
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


def _resolve(pattern: str, ctx: _Context, *, wildcards: bool, variables: bool) -> tuple[_Chunk, ...] | None:
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
