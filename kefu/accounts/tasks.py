import datetime as dt

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kefu.accounts.models import SignInFailure


@db_periodic_task(crontab(minute="17", hour="3"))
def forget_old_sign_in_failures() -> None:
    """The throttle only needs the last window; the audit log keeps the history."""
    SignInFailure.objects.filter(created_at__lt=timezone.now() - dt.timedelta(days=1)).delete()
