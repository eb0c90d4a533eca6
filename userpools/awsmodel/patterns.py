"""The model's patterns (Java regular expressions, matched whole) as Python patterns."""

from __future__ import annotations

import functools
import re

import regex

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


@functools.cache
def _compile_pattern(pattern: str) -> re.Pattern[str] | regex.Pattern[str]:
    """Compile a model (Java) pattern for use with ``fullmatch``.

    With the standard library's ``re`` where it can express the pattern (all but the
    ``\\p{..}`` ones): the same syntax and meaning as ``regex``'s V0 (tests/wire checks
    every model pattern both ways), and faster on long values such as the tokens every
    token-authorized request carries (measured: benchmarks/README.md, Performance mechanisms).
    """
    python = _LINEAR_EQUIVALENTS.get(pattern) or _java_to_python(pattern)
    try:
        return re.compile(python)
    except re.error:
        return regex.compile(python, regex.V0)
