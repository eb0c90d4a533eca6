"""The outermost WSGI layer: a request whose Content-Length is not a decimal number is
refused with 400 before any of Cognate's code reads its body.

RFC 9110 section 8.6: Content-Length is 1*DIGIT. gunicorn refuses anything else itself, but
Django's runserver (``make run``) and other servers pass the header through, and Django's
``HttpRequest.body`` then raises ValueError from ``int()``, which the wire view could only
answer as a 500 (tests/security/test_request_bodies.py). An absent or empty value is no
body, as Django reads it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

_DIGITS = re.compile(r"[0-9]{1,18}")
_BODY = b"Bad Request: Content-Length must be a decimal number.\n"


class ContentLengthGuard:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        value = environ.get("CONTENT_LENGTH")
        if value and _DIGITS.fullmatch(value) is None:
            start_response(
                "400 Bad Request",
                [
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(_BODY))),
                    ("Connection", "close"),
                ],
            )
            return [_BODY]
        return self.app(environ, start_response)
