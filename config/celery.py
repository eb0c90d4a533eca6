"""The Celery application. Workers: ``celery -A config worker``.

With no ``CELERY_BROKER_URL`` tasks run eagerly in the calling process
(DESIGN.md decision 9), so the embedded default needs no broker.
"""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("cognate")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
