"""WSGI entry point for gunicorn (and runserver): refuses to serve with DEBUG off and no keys."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankcrm.settings")
application = get_wsgi_application()

from bankcrm.core.checks import require_production_keys  # noqa: E402 (needs the settings)

require_production_keys()
