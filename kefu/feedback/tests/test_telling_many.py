"""Issue 16's benchmark, (b): telling the reporters of a fixed problem in batches. Each batch is one
task (notices, timeline entries and SMS written in one transaction, then sent); each reporter is
told exactly once, however often the task runs."""

import pytest
from django.utils import translation

from kefu.accounts.models import User
from kefu.accounts.roles import Role
from kefu.core.models import TimelineEntry
from kefu.customers.models import Customer
from kefu.feedback import services, tasks
from kefu.feedback.models import FeedbackReport, NoticeOutcome, Problem, ReporterNotice
from kefu.sms.models import SmsMessage, SmsStatus, SmsTemplate
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def problem(make_user):
    with translation.override("en"):
        yield _problem(make_user)


def _problem(make_user):
    SmsTemplate.objects.create(code="feedback_update", name="反馈", body="{name}：{title} {result}")
    make_user(Role.DEPARTMENT_STAFF, department=DepartmentFactory(code="tech"))
    problem = Problem.objects.create(title="登录闪退", category="bug", severity="high")
    # Seven reporters with a mobile (told by SMS), three with only an e-mail address.
    customers = [Customer(name=f"玩家{i}", mobile=f"+861390000000{i}") for i in range(7)] + [
        Customer(name=f"玩家{i}", email=f"p{i}@example.com") for i in range(7, 10)
    ]
    FeedbackReport.objects.bulk_create(
        FeedbackReport(
            customer=c,
            channel="phone",
            category="bug",
            severity="high",
            title="登录闪退",
            problem=problem,
        )
        for c in Customer.objects.bulk_create(customers)
    )
    return problem


def _fix(problem, capture):
    with capture(execute=True):
        services.change_problem_state(
            actor=User.objects.get(role=Role.DEPARTMENT_STAFF),
            problem_id=problem.pk,
            move="fix",
            fixed_version="2.3.1",
        )


def _told_once(mailoutbox):
    assert ReporterNotice.objects.count() == 10
    assert not ReporterNotice.objects.filter(pending=True).exists()
    sms = list(SmsMessage.objects.all())
    assert len(sms) == 7 and len({m.to for m in sms}) == 7
    assert all(m.status == SmsStatus.SENT and "2.3.1" in m.body for m in sms)
    assert sorted(m.to[0] for m in mailoutbox) == [f"p{i}@example.com" for i in range(7, 10)]
    assert TimelineEntry.objects.filter(kind="feedback.told").count() == 10
    outcomes = sorted(ReporterNotice.objects.values_list("outcome", flat=True))
    assert outcomes == [NoticeOutcome.EMAIL] * 3 + [NoticeOutcome.SMS] * 7


def test_a_fixed_problem_tells_its_reporters_in_batches_each_once(
    problem, django_capture_on_commit_callbacks, mailoutbox, monkeypatch
):
    monkeypatch.setattr(services, "NOTICE_BATCH", 4)
    batches = []
    record = services.record_notices

    def spy(*, problem_id, report_ids):
        batches.append(len(report_ids))
        return record(problem_id=problem_id, report_ids=report_ids)

    monkeypatch.setattr(services, "record_notices", spy)
    _fix(problem, django_capture_on_commit_callbacks)
    assert batches == [4, 4, 2]
    _told_once(mailoutbox)


def test_the_batch_task_run_twice_tells_nobody_twice(
    problem, django_capture_on_commit_callbacks, mailoutbox
):
    ids = list(FeedbackReport.objects.order_by("id").values_list("pk", flat=True))
    _fix(problem, django_capture_on_commit_callbacks)
    tasks.tell_reporters_batch(problem.pk, ids)
    tasks.tell_reporters_batch(problem.pk, ids)
    assert services.tell_reporters(problem_id=problem.pk) == 0
    _told_once(mailoutbox)


def test_a_task_stopped_after_recording_sends_on_its_retry_once(problem, mailoutbox):
    """The process died between the batch's transaction and the sending: the notices are recorded
    and pending, their SMS queued; the retried task sends each once and records nothing again."""
    problem.state, problem.fixed_version = "fixed", "2.3.1"
    problem.save()
    ids = list(FeedbackReport.objects.order_by("id").values_list("pk", flat=True))
    services.record_notices(problem_id=problem.pk, report_ids=ids)
    assert ReporterNotice.objects.filter(pending=True).count() == 10
    assert SmsMessage.objects.filter(status=SmsStatus.QUEUED).count() == 7
    assert not mailoutbox
    assert list(services.notice_batches(problem_id=problem.pk)) == []  # recorded: none again
    tasks.tell_reporters_batch(problem.pk, ids)
    tasks.tell_reporters_batch(problem.pk, ids)
    _told_once(mailoutbox)
