"""The Celery application. Workers: ``celery -A config worker``; the periodic jobs in
``beat_schedule`` need one beat process too: ``celery -A config beat``.

With no ``CELERY_BROKER_URL`` tasks run eagerly in the calling process (see
``CELERY_TASK_ALWAYS_EAGER`` in config/settings.py), so the embedded default needs no broker.
"""

import os

from celery import Celery
from celery.schedules import crontab
from django.apps import apps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("cognate")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _tasks_register(sender: Celery, **kwargs) -> None:
    """Register every app's tasks in any process, not only in a worker (which imports them
    when it starts): a service queues a task by its name from ``app.tasks`` (e.g.
    userpools/services/delivery.py) instead of importing the task module that imports it.
    The app is finalized on first use of ``app.tasks`` or of a task, after Django is set up
    in a web process; a worker that finalizes it sooner imports them itself."""
    if apps.ready:
        sender.autodiscover_tasks(force=True)


app.conf.beat_schedule = {
    # Used and expired challenge sessions, refresh tokens expired for a day (userpools.tasks).
    "userpools.sessions_prune": {"task": "userpools.sessions_prune", "schedule": crontab(minute=17)},
    # Identity-pool temporary credentials expired for a day (identity.tasks).
    "identity.credentials_prune": {"task": "identity.credentials_prune", "schedule": crontab(minute=41)},
    # Hosted pages' browser sessions and authorization codes (hostedui.tasks).
    "hostedui.sessions_prune": {"task": "hostedui.sessions_prune", "schedule": crontab(minute=29)},
    # Custom domains whose TXT record may have been published since (userpools.tasks).
    "userpools.domains_verify": {"task": "userpools.domains_verify", "schedule": crontab(minute="*/10")},
}
