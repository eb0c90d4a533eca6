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

from django.conf import settings  # noqa: E402

from config.framing import ContentLengthGuard  # noqa: E402
from config.wire.documents import DocumentCache  # noqa: E402  (needs the apps loaded)
from config.wire.front import WireFront  # noqa: E402


def front_of(app):
    """The JWKS replay in front of ``app``, and the wire front in front of that unless
    ``COGNATE_WIRE_FRONT`` is off (benchmarks/README.md, Performance mechanisms)."""
    replay = DocumentCache(app)
    return WireFront(replay) if settings.COGNATE_WIRE_FRONT else replay


application = ContentLengthGuard(front_of(django_application))
