from django.core.management.base import BaseCommand, CommandError

from kefu.accounts import services
from kefu.accounts.models import User


class Command(BaseCommand):
    help = "Print a new API token for USERNAME (send it as `Authorization: Bearer <token>`)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="script")

    def handle(self, *args, username, name, **options):
        user = User.objects.filter(username__iexact=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {username!r}.")
        _token, raw = services.create_api_token(user=user, name=name)
        self.stdout.write(raw)
