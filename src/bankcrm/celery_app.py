"""The project's Celery application: settings from Django (``CELERY_*``), tasks from each app's
``tasks.py``, and the beat schedule from ``BANKCRM_SCHEDULE``."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankcrm.settings")

app = Celery("bankcrm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedule(sender: Celery, **_kwargs: object) -> None:
    from bankcrm.jobs.schedule import beat_schedule

    sender.conf.beat_schedule = beat_schedule()
