"""The live customers of each level, kept by the database: every way a customer is written moves
the counts as a recount would."""

import pytest
from django.core.management import call_command
from django.db.models import Count

from kefu.customers import level_counts
from kefu.customers.models import Customer, Level, LevelCount

pytestmark = pytest.mark.django_db(transaction=True)


def kept() -> dict[str, int]:
    return {c.level: c.live for c in LevelCount.objects.all() if c.live}


def counted() -> dict[str, int]:
    rows = Customer.objects.filter(merged_into__isnull=True).values("level").annotate(n=Count("id"))
    return {r["level"]: r["n"] for r in rows}


def test_every_kind_of_write_moves_the_counts_as_a_recount_would():
    a = Customer.objects.create(name="甲", level=Level.MEMBER)
    b = Customer.objects.create(name="乙", level=Level.VIP)
    Customer.objects.create(name="丙", level=Level.REGULAR)
    assert kept() == counted() == {Level.MEMBER: 1, Level.VIP: 1, Level.REGULAR: 1}

    Customer.objects.bulk_create(  # an import's insert: many rows in one statement
        [Customer(name=f"会员{i}", level=Level.MEMBER) for i in range(5)]
    )
    a.level = Level.VIP  # a change of level through save()
    a.save()
    Customer.objects.filter(name__startswith="会员").update(level=Level.REGULAR)  # one UPDATE
    Customer.objects.filter(pk=b.pk).update(merged_into=a)  # a merge: b no longer counts
    assert kept() == counted() == {Level.VIP: 1, Level.REGULAR: 6}

    Customer.objects.filter(pk=b.pk).update(merged_into=None)  # undone
    Customer.objects.filter(name="丙").delete()
    Customer.objects.filter(pk=a.pk).update(name="甲某")  # no level change: nothing moves
    assert kept() == counted() == {Level.VIP: 2, Level.REGULAR: 5}
    assert level_counts.live([Level.MEMBER, Level.VIP]) == 2


def test_a_migrate_recounts_and_keeps_the_triggers():
    Customer.objects.create(name="甲", level=Level.MEMBER)
    LevelCount.objects.update(live=99)  # out of step (written by hand)
    call_command("migrate", verbosity=0)
    assert kept() == {Level.MEMBER: 1}
    Customer.objects.create(name="乙", level=Level.MEMBER)
    assert kept() == counted() == {Level.MEMBER: 2}
