import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kefu.accounts import services
from kefu.accounts.roles import Role
from kefu.core.errors import DomainError


class Command(BaseCommand):
    help = "Create an administrator. The password comes from --password or KEFU_ADMIN_PASSWORD."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", default=os.environ.get("KEFU_ADMIN_PASSWORD"))
        parser.add_argument("--email", default="")

    def handle(self, *args, username, password, email, **options):
        if not password:
            raise CommandError(
                "Give --password or set KEFU_ADMIN_PASSWORD (no prompt: scripts run this)."
            )
        try:
            user = services.create_user(
                actor=None,
                username=username,
                password=password,
                role=Role.ADMINISTRATOR,
                email=email,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(self.style.SUCCESS(f"Administrator {user.username} created."))
