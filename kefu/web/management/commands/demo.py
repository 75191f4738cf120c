from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kefu.demo import build_demo, demo_usernames, generate_password


class Command(BaseCommand):
    help = "Build the demo organisation and data (idempotent). Prints the demo sign-ins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", help="the one password of every demo user (default: generated)"
        )

    def handle(self, *args, password=None, **options):
        password = password or generate_password()
        try:
            build_demo(password=password)
        except ValidationError as error:
            raise CommandError(
                "The demo password breaks the password rules: " + " ".join(error.messages)
            ) from error
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"Demo sign-ins: {', '.join(demo_usernames())}")
        self.stdout.write(f"Password for all of them: {password}")
