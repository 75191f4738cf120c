"""Complaint satisfaction moves to the one scale of every channel (kefu.core.satisfaction): the five
text levels become 1–5, so a chat's rating and a return visit's answer add up per agent.

The text column is kept until its values are copied, then dropped; a new number column takes its
name. Reversible: the numbers go back to the text levels.
"""

from django.db import migrations, models

import kefu.core.satisfaction

LEVELS = {
    "very_dissatisfied": 1,
    "dissatisfied": 2,
    "neutral": 3,
    "satisfied": 4,
    "very_satisfied": 5,
}


def to_numbers(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    for text, number in LEVELS.items():
        Ticket.objects.filter(satisfaction=text).update(satisfaction_level=number)


def to_text(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    for text, number in LEVELS.items():
        Ticket.objects.filter(satisfaction_level=number).update(satisfaction=text)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0003_merged_into"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="satisfaction_level",
            field=models.PositiveSmallIntegerField(
                blank=True,
                choices=kefu.core.satisfaction.Satisfaction.choices,
                null=True,
                verbose_name="satisfaction",
            ),
        ),
        migrations.RunPython(to_numbers, to_text),
        migrations.RemoveField(model_name="ticket", name="satisfaction"),
        migrations.RenameField(
            model_name="ticket", old_name="satisfaction_level", new_name="satisfaction"
        ),
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.CheckConstraint(
                condition=models.Q(("satisfaction__isnull", True))
                | models.Q(("satisfaction__gte", 1), ("satisfaction__lte", 5)),
                name="ticket_satisfaction_1_to_5",
            ),
        ),
    ]
