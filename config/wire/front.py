"""The wire API (``POST /``) answered in front of Django's handler, in the envelope its
middleware chain put on an earlier answer.

Every Cognito operation arrives as ``POST /``. What Django's handler and the middleware
chain (``MIDDLEWARE``) do for such a request, beside calling
the view, is fixed by a few request inputs: the CORS headers follow ``Origin``, the
security headers the scheme, the host check ``Host`` and the proxy headers, and
X-Frame-Options, Vary and the rest are the same on every answer, yet the handler and
the chain cost their CPU on every request (measured: benchmarks/README.md, Performance
mechanisms).

:class:`WireFront` wraps the WSGI application (``config.wsgi``). The first ``POST /``
with a given :data:`~config.wire.documents.KEY` (method, path, query, script name,
scheme, Host, server name/port, X-Forwarded-Proto/Host/Port, Origin) goes through Django
as before, and the headers its chain added to the view's answer (every header but the
view's own, :data:`VIEW_HEADERS`) are remembered as that key's envelope. Later requests
with the same key call the wire view directly, with Django's request signals around it
(``request_started`` before, ``request_finished`` when the response closes: the database
connections are checked and recycled as under Django's handler), and leave with the
view's headers, the envelope and a Content-Length: the same status, headers and body that
Django's handler would send (tests/wire/test_front.py compares them).

Never answered here: anything but ``POST /``; a Host that is a pool's domain (the hosted
pages answer there); a request whose key has no envelope yet. An envelope is remembered
only from an answer the wire view made (it carries ``x-amzn-RequestId``) and that sets no
cookie (one client's cookie must never go to another), so a request
the chain itself refuses (a Host not in ALLOWED_HOSTS: Django's 400) is refused by
Django every time. One deliberate difference: Django's handler logs every 4xx answer on
the ``django.request`` logger ("Bad Request: /"); a wire error answered here is not
logged (it is the client's error, already in its response; a 500 is still logged by the
view).

:data:`~config.wire.documents.CHAIN` pins the middleware on this path, as for the JWKS
replay: a test fails when it changes, so that whoever adds middleware checks that the
key still names every request input the chain reads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.core import signals
from django.core.handlers.wsgi import WSGIRequest, get_script_name
from django.urls import Resolver404, get_resolver, set_script_prefix

from config.wire.documents import KEY, sets_cookie
from config.wire.views import wire_endpoint
from hostedui.services.hosts import pool_of_host_header

# The headers the wire view sets itself (config.wire.views._render, render_error), and
# Content-Length, which CommonMiddleware adds from the body: never part of an envelope.
VIEW_HEADERS = frozenset({"content-type", "content-length", "x-amzn-requestid", "x-amzn-errortype"})
MAX_ENTRIES = 10_000  # distinct request keys remembered (Hosts and Origins are the client's)

StartResponse = Callable[..., Any]


def _routes_to_the_wire_view() -> bool:
    try:
        return get_resolver().resolve("/").func is wire_endpoint
    except Resolver404:
        return False


class WireFront:
    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app = app
        self._envelopes: dict[tuple[Any, ...], tuple[tuple[str, str], ...]] = {}
        self._lock = threading.Lock()

    def clear(self, **_: object) -> None:
        """Forget every envelope (settings the chain reads changed: tests do that)."""
        with self._lock:
            self._envelopes.clear()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != "/":
            return self.app(environ, start_response)
        if pool_of_host_header(environ.get("HTTP_HOST", "")) is not None:
            return self.app(environ, start_response)
        key = tuple(environ.get(name) for name in KEY)
        envelope = self._envelopes.get(key)
        if envelope is None:
            return self._remember(key, environ, start_response)
        return self._answer(envelope, environ, start_response)

    def _answer(
        self, envelope: tuple[tuple[str, str], ...], environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        """What Django's WSGIHandler does around a view, less the resolving and middleware."""
        set_script_prefix(get_script_name(environ))
        signals.request_started.send(sender=self.__class__, environ=environ)
        request = WSGIRequest(environ)
        response = wire_endpoint(request)
        response._resource_closers.append(request.close)
        try:
            body = response.content
            headers = list(response.items())
            own = {name.lower() for name, _ in headers}
            headers += [(name, value) for name, value in envelope if name.lower() not in own]
            if "content-length" not in own:
                headers.append(("Content-Length", str(len(body))))
            start_response(f"{response.status_code} {response.reason_phrase}", headers)
        finally:
            response.close()  # request_finished
        return [body]

    def _remember(
        self, key: tuple[Any, ...], environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        """Answer through Django, and keep what the chain added if the wire view answered."""
        sent: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            sent[:] = [status, list(headers)]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        result = self.app(environ, capture)
        if (
            sent
            and any(name.lower() == "x-amzn-requestid" for name, _ in sent[1])
            and not sets_cookie(sent[1])
            and _routes_to_the_wire_view()
        ):
            envelope = tuple((name, value) for name, value in sent[1] if name.lower() not in VIEW_HEADERS)
            with self._lock:
                if len(self._envelopes) >= MAX_ENTRIES:
                    self._envelopes.clear()
                self._envelopes[key] = envelope
        return result
