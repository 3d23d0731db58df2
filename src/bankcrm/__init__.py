"""Bank CRM. The Celery app loads with the package: every app's ``shared_task`` binds to it."""

from bankcrm.celery_app import app as celery_app

__all__ = ["celery_app"]
