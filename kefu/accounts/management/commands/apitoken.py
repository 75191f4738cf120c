import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kefu.accounts import services
from kefu.accounts.models import User
from kefu.core.errors import DomainError


class Command(BaseCommand):
    help = "Print a new API token for USERNAME (send it as `Authorization: Bearer <token>`)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="script")
        parser.add_argument(
            "--scope",
            action="append",
            default=[],
            help="What the token may reach, e.g. tickets:read, customers:write, *:read "
            "(repeat for more; none: everything the user may).",
        )
        parser.add_argument("--days", type=int, default=0, help="Expires after this many days.")

    def handle(self, *args, username, name, scope, days, **options):
        user = User.objects.filter(username__iexact=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {username!r}.")
        try:
            services.check_scopes(scope)
        except DomainError as bad:
            raise CommandError(bad.message) from bad
        expires_at = timezone.now() + dt.timedelta(days=days) if days > 0 else None
        _token, raw = services.create_api_token(
            user=user, name=name, scopes=scope, expires_at=expires_at
        )
        self.stdout.write(raw)
