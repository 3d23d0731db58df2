"""Issue an API token for a staff member; the token is printed once and stored hashed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bankcrm.access.services import token_create
from bankcrm.core.models import User


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="a label for the token")
        parser.add_argument("--days", type=int, default=90, help="days until it expires")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"], is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"No active staff member named {options['username']!r}") from None
        token, raw = token_create(user=user, name=options["name"], days=options["days"])
        self.stdout.write(raw)
        self.stderr.write(f"expires {token.expires_at:%Y-%m-%d}; it will not be shown again")
