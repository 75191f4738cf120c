"""Keyset pagination: a cursor from the address bar is never trusted."""

import pytest

from kefu.core.pagination import _parse_cursor, _parse_time_cursor


@pytest.mark.parametrize("cursor", ["0", "-5", "abc", "", None, str(2**63), "9" * 40])
def test_a_cursor_that_names_no_row_starts_from_the_first_page(cursor):
    assert _parse_cursor(cursor) is None


def test_a_plain_id_is_a_cursor():
    assert _parse_cursor("1234") == 1234


@pytest.mark.parametrize(
    "cursor", ["9" * 30 + "_1", "abc_def", "1_" + str(2**63), "_", "12", "", None, "1_0"]
)
def test_a_date_time_cursor_that_names_no_row_starts_from_the_first_page(cursor):
    assert _parse_time_cursor(cursor) is None


def test_a_date_time_cursor_is_microseconds_and_an_id():
    moment, last_id = _parse_time_cursor("1700000000000001_42")
    assert (moment.isoformat(), last_id) == ("2023-11-14T22:13:20.000001+00:00", 42)
