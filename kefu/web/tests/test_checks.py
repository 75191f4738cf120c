"""The settings checks `kefu serve` and `manage.py check` report."""

import pytest
from django.core.management import call_command
from django.test import override_settings

from kefu.web.checks import web_threads_fit_the_pool

# The cases below size a pool in DATABASES; nothing connects with it.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


def _pooled(size: int) -> dict:
    return {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "OPTIONS": {"pool": {"max_size": size}},
        }
    }


@override_settings(WEB_THREADS=8, DATABASES=_pooled(8))
def test_as_many_web_threads_as_pooled_connections_is_warned_with_the_sizes_that_would_do():
    (warning,) = web_threads_fit_the_pool()
    assert warning.id == "kefu.W001"
    assert "KEFU_WEB_THREADS (8)" in warning.msg
    assert "at least 10" in warning.hint and "at most 6" in warning.hint


@override_settings(WEB_THREADS=8, DATABASES=_pooled(10))
def test_the_default_sizes_pass():
    assert web_threads_fit_the_pool() == []


@override_settings(
    WEB_THREADS=64, DATABASES={"default": {"ENGINE": "kefu.core.sqlite", "OPTIONS": {}}}
)
def test_without_a_pool_there_is_nothing_to_fit():
    assert web_threads_fit_the_pool() == []


@override_settings(WEB_THREADS=12)
def test_manage_py_check_reports_it(capsys):
    with override_settings(DATABASES=_pooled(14)):
        call_command("check")
    assert "kefu.W001" not in capsys.readouterr().err
    with override_settings(DATABASES=_pooled(12)):
        call_command("check")
    assert "kefu.W001" in capsys.readouterr().err
