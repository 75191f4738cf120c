"""Times under a minute read 刚刚, not "0 分钟" (issue 9.21)."""

import datetime as dt

import pytest
from django.utils import timezone

from kefu.accounts.models import AuditEntry
from kefu.accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_the_home_page_says_just_now_for_what_happened_this_minute(client_for):
    client, _manager = client_for(Role.MANAGER)  # signing in records audit entries: just now
    page = client.get("/").content.decode()
    assert "刚刚" in page
    assert "0\xa0分钟" not in page
    AuditEntry.objects.update(created_at=timezone.now() - dt.timedelta(minutes=5))
    page = client.get("/").content.decode()
    assert "5\xa0分钟前" in page  # timesince joins with a no-break space
