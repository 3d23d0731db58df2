"""`bankcrm worker [--queues …] [--concurrency N]`: a Celery worker with the project's settings."""

from __future__ import annotations

import socket
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Start a Celery worker for the background jobs (needs BANKCRM_BROKER_URL). "
        "Queues: imports, analytics, sends, default."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queues",
            "-Q",
            default=",".join(settings.BANKCRM_QUEUES),
            help="comma-separated queues to take work from (default: all of them)",
        )
        parser.add_argument(
            "--concurrency", "-c", type=int, default=0, help="worker processes (default: CPUs)"
        )
        parser.add_argument("--name", "-n", default="", help="node name (default: bankcrm@host)")
        parser.add_argument("--loglevel", "-l", default="INFO")
        parser.add_argument(
            "--pool", default="prefork", choices=["prefork", "solo", "threads"], help="pool kind"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from bankcrm.celery_app import app

        if not settings.BANKCRM_BROKER_URL:
            raise CommandError(
                "BANKCRM_BROKER_URL is not set: without a broker, jobs run in the process that "
                "starts them and no worker is needed (redis://… or amqp://… to use workers)."
            )
        queues = [q.strip() for q in options["queues"].split(",") if q.strip()]
        unknown = sorted(set(queues) - set(settings.BANKCRM_QUEUES))
        if unknown:
            raise CommandError(
                f"unknown queue(s): {', '.join(unknown)}; "
                f"the queues are {', '.join(settings.BANKCRM_QUEUES)}"
            )
        argv = [
            "worker",
            f"--queues={','.join(queues)}",
            f"--loglevel={options['loglevel']}",
            f"--hostname={options['name'] or 'bankcrm@' + socket.gethostname()}",
            f"--pool={options['pool']}",
            "--without-mingle",
        ]
        if options["concurrency"]:
            argv.append(f"--concurrency={options['concurrency']}")
        app.worker_main(argv)
