"""The demo's feedback (issue 16.6): bugs reported by several customers each, grouped into
problems, one fixed (its reporters told), one confirmed, the rest waiting for the developers."""

import pytest

from kefu.accounts import demo as accounts_demo
from kefu.customers.models import Customer
from kefu.feedback import demo
from kefu.feedback.models import FeedbackReport, Problem, ProblemState

pytestmark = pytest.mark.django_db


def test_the_demo_has_grouped_problems_in_several_states():
    accounts_demo.build(password="Demo-2026-pass")
    for i in range(20):
        Customer.objects.create(name=f"玩家{i}", mobile=f"+86139001390{i:02d}")
    demo.build(password="unused")
    problems = Problem.objects.all()
    assert problems.count() == len(demo.BUGS)
    for problem in problems:  # each reported by three customers or more, grouped
        reporters = FeedbackReport.objects.filter(problem=problem).values("customer").distinct()
        assert reporters.count() >= 3
    assert not FeedbackReport.objects.filter(problem__isnull=True).exists()
    states = set(problems.values_list("state", flat=True))
    assert {ProblemState.FIXED, ProblemState.CONFIRMED, ProblemState.OPEN} <= states
    assert problems.get(state=ProblemState.FIXED).fixed_version == "2.3.1"
    demo.build(password="unused")  # a second build changes nothing
    assert Problem.objects.count() == len(demo.BUGS)
