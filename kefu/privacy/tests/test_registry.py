"""Every app that keeps rows tied to a customer declares what it holds (kefu/core/personal_data.py),
so a copy and an erasure reach it; a new app with a customer foreign key fails here until it does."""

from django.apps import apps

from kefu.core import personal_data as pd


def test_every_app_with_customer_rows_declares_its_personal_data():
    customer = apps.get_model("customers", "Customer")
    holding = {
        model._meta.app_label
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.concrete and field.is_relation and field.related_model is customer
    }
    holding.discard("privacy")  # its own requests, erased with the rest by services._erase
    assert holding <= {h.name for h in pd.holders()}, holding - {h.name for h in pd.holders()}


def test_every_retention_kind_counts_and_purges_nothing_on_an_empty_database(db):
    from django.utils import timezone

    for kind in pd.retention_kinds():
        assert kind.count(timezone.now()) == 0
        assert kind.purge(timezone.now()) == 0
