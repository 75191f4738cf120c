"""The supervisors' workbench at 1,000,000 rows (issue 11): every figure from an index, none from
reading a whole big table. bench/pages measured the page at 1.2 s when the visits' coverage figure
counted the members row by row and walked every member to find the month's visits."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.accounts.roles import Role
from kefu.customers.models import Customer, Level
from tests.plans import query_plan

BIG = (
    "customers_customer",
    "tickets_ticket",
    "visits_returnvisit",
    "visits_visitrecord",
    "sms_smsmessage",
    "dispatch_workorder",
    "conversations_conversation",
)
# The page's statements today (session, user, cards); a new card adds to it knowingly.
STATEMENTS = 35


def test_the_supervisors_workbench_reads_indexes_only(client_for):
    for level in (Level.MEMBER, Level.VIP, Level.REGULAR):
        Customer.objects.create(name=f"c-{level}", level=level)
    client, _supervisor = client_for(Role.SUPERVISOR)

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")

    assert response.status_code == 200
    assert b'data-testid="coverage"' in response.content
    sqls = [q["sql"] for q in captured.captured_queries]
    assert len(sqls) <= STATEMENTS, "\n".join(sqls)
    for sql in sqls:
        if not any(f'"{table}"' in sql for table in BIG):
            continue
        plan = query_plan(sql)
        assert "Seq Scan" not in plan, (sql, plan)
        assert not re.search(rf"SCAN ({'|'.join(BIG)})(?! USING)", plan), (sql, plan)
    # The members (三个必保's denominator) are a figure the database keeps (customers.LevelCount),
    # not a count of the archive at each load; the archive is read only for the month's visited.
    assert any('"customers_levelcount"' in s for s in sqls), sqls
    members = [s for s in sqls if "customers_customer" in s and "'member', 'vip'" in s]
    assert members and all("visits_visitrecord" in s for s in members), members
