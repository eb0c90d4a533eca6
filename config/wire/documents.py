"""The pools' JWKS answered in front of Django, by replaying the response Django gave.

JWT libraries fetch ``GET /{UserPoolId}/.well-known/jwks.json`` often
(benchmarks/auth_compare.py measures it; benchmarks/README.md, Performance mechanisms),
and answering them costs Django's handler and middleware chain more than the document.
:class:`DocumentCache` wraps the WSGI application (``config.wsgi``) and, for a request
that agrees with an earlier one on everything the documents' middleware chain reads
(:data:`KEY`: method, path, scheme and proxy headers, Host, Origin), sends the status,
headers and body Django sent then, as long as the token service still holds the very
document object that response was made from (:func:`tokens.jwks_cached`): a key rotation
or the token service's cache expiring makes a new object, and the next request goes
through Django again and is remembered afresh.

What is never replayed: anything but GET of a pool's ``jwks.json``; a Host that is a
pool's domain (the hosted pages answer there); a pool whose document is not in this
process's cache (answering would need the database); a response other than 200 (an
unknown pool's 404, a disallowed Host's 400); a response that sets a cookie (nothing on
this path does: were a middleware to, one client's cookie must not go to another); an
answer made while the document was not
cached (nothing ties it to the document cached afterwards, which a rotation may have
replaced meanwhile: the next request's answer is remembered instead). A replay makes no
query and sends no request signals, which nothing on this path needs.

:data:`CHAIN` pins the middleware the documents pass through (``MIDDLEWARE``): tests
fail when it changes, so that whoever adds middleware checks :data:`KEY` still
names every request input the chain reads.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from hostedui.services.hosts import pool_of_host_header
from userpools.services import tokens

# What the middleware chain reads of a request on these paths (CORS: Origin; security
# headers and CommonMiddleware: scheme, Host, the proxy headers; WhiteNoise and the
# pool-domain middleware: the URL and Host). The session, CSRF, authentication, OTP,
# messages and axes middleware read cookies or the session only when a view uses them
# (the wire view and the JWKS view do not), and then would set a cookie: such an answer
# is never remembered.
KEY = (
    "REQUEST_METHOD",
    "PATH_INFO",
    "QUERY_STRING",
    "SCRIPT_NAME",
    "wsgi.url_scheme",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_ORIGIN",
)
CHAIN = (
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "hostedui.middleware.PoolDomainMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
)
MAX_ENTRIES = 10_000  # distinct request keys remembered (Hosts and Origins are the client's)

_JWKS = re.compile(r"/([\w-]+_[0-9a-zA-Z]+)/\.well-known/jwks\.json")

StartResponse = Callable[..., Any]


def sets_cookie(headers: Iterable[tuple[str, str]]) -> bool:
    """Whether an answer's headers set a cookie: such an answer is never replayed."""
    return any(name.lower() == "set-cookie" for name, _ in headers)


class _Answer:
    __slots__ = ("document", "status", "headers", "body")

    def __init__(self, document: dict[str, Any], status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.document, self.status, self.headers, self.body = document, status, headers, body


class DocumentCache:
    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app = app
        self._answers: dict[tuple[Any, ...], _Answer] = {}
        self._lock = threading.Lock()

    def clear(self, **_: object) -> None:
        """Forget every remembered answer (settings the chain reads changed: tests do that)."""
        with self._lock:
            self._answers.clear()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET":
            return self.app(environ, start_response)
        match = _JWKS.fullmatch(environ.get("PATH_INFO", ""))
        if match is None:
            return self.app(environ, start_response)
        if pool_of_host_header(environ.get("HTTP_HOST", "")) is not None:
            return self.app(environ, start_response)
        document = tokens.jwks_cached(match.group(1))
        if document is None:
            return self.app(environ, start_response)
        key = tuple(environ.get(name) for name in KEY)
        answer = self._answers.get(key)
        if answer is not None and answer.document is document:
            start_response(answer.status, list(answer.headers))
            return [answer.body]
        return self._remember(key, match.group(1), document, environ, start_response)

    def _remember(
        self,
        key: tuple[Any, ...],
        pool_id: str,
        document: dict[str, Any],
        environ: dict[str, Any],
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        """Answer through Django, and keep the answer if it may be replayed: if the token
        service held ``document`` before and after, the view answered from it."""
        sent: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            sent[:] = [status, list(headers)]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()  # Django's request_finished
        if sent and sent[0].startswith("200 ") and not sets_cookie(sent[1]) and tokens.jwks_cached(pool_id) is document:
            with self._lock:
                if len(self._answers) >= MAX_ENTRIES:
                    self._answers.clear()
                self._answers[key] = _Answer(document, sent[0], sent[1], body)
        return [body]
