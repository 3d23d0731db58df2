"""`bankcrm beat`: Celery beat sending the scheduled jobs (settings.BANKCRM_SCHEDULE) on time.
Run exactly one beat per bank."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Start Celery beat: it sends each scheduled job (settings.BANKCRM_SCHEDULE) when due, "
        "in the bank's time zone. Run one beat per bank."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loglevel", "-l", default="INFO")
        parser.add_argument(
            "--schedule-file",
            default=settings.CELERY_BEAT_SCHEDULE_FILENAME,
            help="where beat keeps the time each job last ran",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from bankcrm.celery_app import app

        if not settings.BANKCRM_BROKER_URL:
            raise CommandError(
                "BANKCRM_BROKER_URL is not set: without a broker, use `bankcrm scheduler --once` "
                "from cron (redis://… or amqp://… to use beat)."
            )
        app.start(
            [
                "beat",
                f"--loglevel={options['loglevel']}",
                f"--schedule={options['schedule_file']}",
            ]
        )
