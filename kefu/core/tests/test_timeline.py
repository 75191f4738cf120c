import pytest

from kefu.accounts.roles import Role
from kefu.core import timeline

pytestmark = pytest.mark.django_db


def test_entries_are_recorded_for_a_subject_newest_first(make_user):
    agent = make_user(Role.AGENT)
    subject = make_user(Role.AGENT)
    timeline.record(subject=subject, kind="tests.first", summary="第一条", actor=agent)
    timeline.record(
        subject=subject, kind="tests.note", summary="内部备注", actor=agent, is_internal=True
    )
    timeline.record(subject=agent, kind="tests.other", summary="别人的")
    assert [e.summary for e in timeline.entries_for(subject)] == ["内部备注", "第一条"]
    assert [e.summary for e in timeline.entries_for(subject, include_internal=False)] == ["第一条"]
