"""Calling the WSGI stack in front of Django directly, as gunicorn does (tests of
config/wire/documents.py and config/wire/front.py)."""

from __future__ import annotations

import io

import pytest
from django.core import signals
from django.db import close_old_connections


@pytest.fixture
def keep_the_test_connection():
    """Django's handler (and the wire front, which sends the same signals) closes the
    connection when a request ends, which would end the test's transaction; the test
    client disconnects the same receivers."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


class Counting:
    """A WSGI application (``app()``, looked up on each call), counting the requests that reach it."""

    def __init__(self, app) -> None:
        self.app = app
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.app()(environ, start_response)


def call(app, env: dict, body: bytes = b"") -> tuple[str, list[tuple[str, str]], bytes]:
    """(status, sorted headers, body) of ``app``'s answer to ``env`` with ``body``."""
    sent = []
    result = app(
        dict(env, **{"wsgi.input": io.BytesIO(body)}),
        lambda status, headers, exc_info=None: sent.extend([status, headers]),
    )
    try:
        answer = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return sent[0], sorted(sent[1]), answer


def stable(answer):
    """An answer without the request id, which differs between any two responses."""
    status, headers, body = answer
    return status, [(k, v) for k, v in headers if k.lower() != "x-amzn-requestid"], body


def cookie_setting(app):
    """``app`` with a cookie added to every answer, as a middleware that sets one would."""

    def wrapped(environ, start_response):
        def start(status, headers, exc_info=None):
            headers = [*headers, ("Set-Cookie", "sessionid=one-clients-session; HttpOnly")]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return app(environ, start)

    return wrapped
