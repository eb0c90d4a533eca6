"""WSGI entry point: ``gunicorn config.wsgi``.

Django's application, behind :class:`config.wire.documents.DocumentCache` (the pools'
JWKS, replayed without Django while its document is unchanged).
"""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from config.wire.documents import DocumentCache  # noqa: E402  (needs the apps loaded)

application = DocumentCache(django_application)
