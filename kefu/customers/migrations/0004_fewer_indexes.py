"""Fewer indexes to keep up on every write (bench/README.md, customers: an import writes thousands of
rows a second, and PostgreSQL's upkeep of 18 indexes on the customer table bound it).

Dropped: the foreign-key indexes on customer.owner, customer.created_by and contactidentity.customer,
each the leading column of a composite index that serves the same look-ups (customer_owner_recent,
customer_capture, identity_customer_kind), and mobile_last4's LIKE twin on PostgreSQL (it is only
matched exactly); mobile_last4 keeps a plain index under a name of its own.

The indexes are dropped by name, not by AlterField: on SQLite AlterField copies the whole table,
three times here, which at a million customers is minutes of migration holding the write lock.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_user_manager_and_audit_ip_label'),
        ('customers', '0003_contact_reminded_at'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='contactidentity',
                    name='customer',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='identities', to='customers.customer'),
                ),
                migrations.AlterField(
                    model_name='customer',
                    name='created_by',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='customer',
                    name='mobile_last4',
                    field=models.CharField(blank=True, max_length=4),
                ),
                migrations.AlterField(
                    model_name='customer',
                    name='owner',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='owned_customers', to=settings.AUTH_USER_MODEL, verbose_name='owner agent'),
                ),
                migrations.AddIndex(
                    model_name='customer',
                    index=models.Index(fields=['mobile_last4'], name='customer_mobile_last4'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=[
                        'DROP INDEX IF EXISTS "customers_contactidentity_customer_id_a4049e09"',
                        'DROP INDEX IF EXISTS "customers_customer_created_by_id_e3e9e010"',
                        'DROP INDEX IF EXISTS "customers_customer_owner_id_fbb2798e"',
                        'DROP INDEX IF EXISTS "customers_customer_mobile_last4_ed72c5ba_like"',
                        'DROP INDEX IF EXISTS "customers_customer_mobile_last4_ed72c5ba"',
                        'CREATE INDEX "customer_mobile_last4" ON "customers_customer" ("mobile_last4")',
                    ],
                    reverse_sql=[
                        'DROP INDEX IF EXISTS "customer_mobile_last4"',
                        'CREATE INDEX "customers_customer_mobile_last4_ed72c5ba" ON "customers_customer" ("mobile_last4")',
                        'CREATE INDEX "customers_customer_owner_id_fbb2798e" ON "customers_customer" ("owner_id")',
                        'CREATE INDEX "customers_customer_created_by_id_e3e9e010" ON "customers_customer" ("created_by_id")',
                        'CREATE INDEX "customers_contactidentity_customer_id_a4049e09" ON "customers_contactidentity" ("customer_id")',
                    ],
                ),
            ],
        ),
    ]
