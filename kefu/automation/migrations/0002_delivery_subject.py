"""Each delivery names the record it is about (as RuleLog does), so an erasure finds a customer's
deliveries by it rather than by searching every body. The deliveries made before are filled in
from their bodies, once: a webhook's data names its kind and id; a robot's message links to the
record (a survey's to its customer's page)."""

import json
import re

from django.db import migrations, models

# A robot message's link, by the record kind it names (kefu.automation.actions._link).
LINK = re.compile(r"\]\(/(tickets|conversations|customers|feedback/problems)/(\d+)/\)")
KINDS = {
    "tickets": "ticket",
    "conversations": "conversation",
    "customers": "customer",
    "feedback/problems": "problem",
}


def _subject(webhook_id, body):
    if webhook_id is not None:
        try:
            data = json.loads(body).get("data")
        except (ValueError, AttributeError):
            return None
        if isinstance(data, dict) and isinstance(data.get("kind"), str):
            if isinstance(data.get("id"), int) and data["id"] >= 0:
                return data["kind"][:20], data["id"]
        return None
    found = LINK.search(body)
    return (KINDS[found.group(1)], int(found.group(2))) if found else None


def fill_in(apps, schema_editor):
    Delivery = apps.get_model("automation", "Delivery")
    last = 0
    while True:
        page = list(
            Delivery.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "webhook_id", "body")[:1000]
        )
        if not page:
            return
        last = page[-1][0]
        changed = []
        for pk, webhook_id, body in page:
            subject = _subject(webhook_id, body)
            if subject:
                changed.append(Delivery(pk=pk, subject_kind=subject[0], subject_id=subject[1]))
        Delivery.objects.bulk_update(changed, ["subject_kind", "subject_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("automation", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="subject_id",
            field=models.PositiveBigIntegerField(blank=True, null=True, verbose_name="record"),
        ),
        migrations.AddField(
            model_name="delivery",
            name="subject_kind",
            field=models.CharField(blank=True, max_length=20, verbose_name="record kind"),
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                fields=["subject_kind", "subject_id"], name="automation_delivery_subject"
            ),
        ),
        migrations.RunPython(fill_in, migrations.RunPython.noop, elidable=True),
    ]
