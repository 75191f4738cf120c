"""Scheduled upkeep of the archive: planner statistics for SQLite."""

import pytest
from django.db import connection

from kefu.customers.models import Customer
from kefu.customers.tasks import refresh_planner_statistics

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="PostgreSQL's autovacuum keeps its own statistics"
)
def test_the_nightly_task_gives_sqlite_statistics_for_the_customer_table():
    Customer.objects.bulk_create(
        Customer(name=f"客户{n}", level="vip" if n % 10 == 0 else "regular") for n in range(200)
    )
    refresh_planner_statistics.call_local()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'customers_customer'")
        assert cursor.fetchone()[0] > 0
