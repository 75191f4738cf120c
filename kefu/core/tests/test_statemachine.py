"""The state-machine helper: allowed moves, refused moves with a clear message, guards."""

import pytest
from django.db import models
from django.utils import translation

from kefu.accounts.roles import Perm, Role
from kefu.core.statemachine import StateMachine, Transition, TransitionRefused, require_perm
from tests.factories import UserFactory


class PlanState(models.TextChoices):
    DRAFT = "draft", "草稿"
    PROPOSED = "proposed", "待审批"
    APPROVED = "approved", "已批准"


FLOW = StateMachine(
    subject="方案",
    states=PlanState,
    transitions=[
        Transition("propose", "提交审批", source=[PlanState.DRAFT], target=PlanState.PROPOSED),
        Transition("approve", "批准", source=[PlanState.PROPOSED], target=PlanState.APPROVED,
                   guard=require_perm(Perm.APPROVE)),
        Transition("send_back", "退回", source=[PlanState.PROPOSED], target=PlanState.DRAFT,
                   guard=require_perm(Perm.APPROVE)),
    ],
)


def test_an_allowed_move_returns_its_target():
    assert FLOW.check(PlanState.DRAFT, "propose").target == PlanState.PROPOSED


def test_a_move_from_the_wrong_state_names_the_move_and_the_state():
    with translation.override("zh-hans"), pytest.raises(TransitionRefused) as refused:
        FLOW.check(PlanState.DRAFT, "approve")
    message = str(refused.value)
    assert "批准" in message and "草稿" in message and "待审批" in message
    assert refused.value.transition_name == "approve"


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "allowed"), [(Role.SUPERVISOR, True), (Role.MANAGER, True), (Role.AGENT, False), (Role.INSPECTOR, False)])
def test_the_guard_lets_only_roles_with_the_right_approve(role, allowed):
    user = UserFactory(role=role)
    if allowed:
        assert FLOW.check(PlanState.PROPOSED, "approve", actor=user).target == PlanState.APPROVED
    else:
        with translation.override("zh-hans"), pytest.raises(TransitionRefused, match="没有此权限"):
            FLOW.check(PlanState.PROPOSED, "approve", actor=user)


@pytest.mark.django_db
def test_allowed_lists_the_buttons_a_user_may_press():
    supervisor = UserFactory(role=Role.SUPERVISOR)
    agent = UserFactory(role=Role.AGENT)
    assert [t.name for t in FLOW.allowed(PlanState.PROPOSED, actor=supervisor)] == ["approve", "send_back"]
    assert FLOW.allowed(PlanState.PROPOSED, actor=agent) == []
    assert FLOW.allowed(PlanState.APPROVED, actor=supervisor) == []


def test_an_unknown_move_is_refused():
    with pytest.raises(TransitionRefused):
        FLOW.check(PlanState.DRAFT, "teleport")


def test_a_table_naming_unknown_states_is_rejected_when_built():
    with pytest.raises(ValueError, match="unknown states"):
        StateMachine(subject="x", states=PlanState, transitions=[Transition("t", "t", source=["nowhere"], target=PlanState.DRAFT)])
