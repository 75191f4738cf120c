"""Keyset pagination: a cursor from the address bar is never trusted."""

import pytest

from kefu.core.pagination import _parse_cursor


@pytest.mark.parametrize("cursor", ["0", "-5", "abc", "", None, str(2**63), "9" * 40])
def test_a_cursor_that_names_no_row_starts_from_the_first_page(cursor):
    assert _parse_cursor(cursor) is None


def test_a_plain_id_is_a_cursor():
    assert _parse_cursor("1234") == 1234
