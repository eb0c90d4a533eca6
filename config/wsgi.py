"""WSGI entry point: ``gunicorn config.wsgi``.

Django's application, behind :class:`config.wire.documents.DocumentCache` (the pools'
JWKS, replayed without Django while its document is unchanged) and
:class:`config.wire.front.WireFront` (``POST /``, the wire API, answered by its view in
the envelope Django's middleware put on an earlier answer), all behind
:class:`config.framing.ContentLengthGuard` (a malformed Content-Length is a 400).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from config.framing import ContentLengthGuard  # noqa: E402
from config.wire.documents import DocumentCache  # noqa: E402  (needs the apps loaded)
from config.wire.front import WireFront  # noqa: E402

application = ContentLengthGuard(WireFront(DocumentCache(django_application)))
