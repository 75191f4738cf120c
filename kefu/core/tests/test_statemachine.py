"""The state-machine helper: allowed moves, refused moves with a clear message, guards."""

import pytest
from django.db import models
from django.utils import translation

from kefu.accounts.roles import Perm, Role
from kefu.core.errors import PermissionRefused
from kefu.core.statemachine import (
    RoleRefused,
    StateMachine,
    Transition,
    TransitionRefused,
    require_perm,
    role_guard,
)
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
        Transition(
            "approve",
            "批准",
            source=[PlanState.PROPOSED],
            target=PlanState.APPROVED,
            guard=require_perm(Perm.APPROVE),
        ),
        Transition(
            "send_back",
            "退回",
            source=[PlanState.PROPOSED],
            target=PlanState.DRAFT,
            guard=require_perm(Perm.APPROVE),
        ),
    ],
)


def test_an_allowed_move_returns_its_target():
    assert FLOW.check(PlanState.DRAFT, "propose").target == PlanState.PROPOSED


@pytest.mark.django_db
def test_a_move_from_the_wrong_state_names_the_move_and_the_state():
    supervisor = UserFactory(role=Role.SUPERVISOR)  # the role may approve: only the state refuses
    with translation.override("zh-hans"), pytest.raises(TransitionRefused) as refused:
        FLOW.check(PlanState.DRAFT, "approve", actor=supervisor)
    message = str(refused.value)
    assert "批准" in message and "草稿" in message and "待审批" in message
    assert refused.value.transition_name == "approve"
    assert refused.value.status_code == 400


@pytest.mark.django_db
def test_a_refusal_by_role_is_403_in_any_state_and_one_on_the_input_is_400():
    agent = UserFactory(role=Role.AGENT)
    for state in PlanState.values:  # the role may never approve: told so whatever the state
        with pytest.raises(TransitionRefused) as refused:
            FLOW.check(state, "approve", actor=agent)
        assert refused.value.status_code == 403
    needs_input = StateMachine(
        subject="方案",
        states=PlanState,
        transitions=[
            Transition(
                "propose",
                "提交审批",
                source=[PlanState.DRAFT],
                target=PlanState.PROPOSED,
                guards=(
                    lambda actor, obj: "方案没有步骤",
                    role_guard(lambda actor, obj: "别的部门"),
                ),
            )
        ],
    )
    with pytest.raises(TransitionRefused) as refused:  # who acts is checked before the input
        needs_input.check(PlanState.DRAFT, "propose", actor=agent)
    assert (refused.value.reason, refused.value.status_code) == ("别的部门", 403)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.SUPERVISOR, True), (Role.MANAGER, True), (Role.AGENT, False), (Role.INSPECTOR, False)],
)
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
    assert [t.name for t in FLOW.allowed(PlanState.PROPOSED, actor=supervisor)] == [
        "approve",
        "send_back",
    ]
    assert FLOW.allowed(PlanState.PROPOSED, actor=agent) == []
    assert FLOW.allowed(PlanState.APPROVED, actor=supervisor) == []


def test_an_unknown_move_is_refused():
    with pytest.raises(TransitionRefused):
        FLOW.check(PlanState.DRAFT, "teleport")


def test_a_table_naming_unknown_states_is_rejected_when_built():
    with pytest.raises(ValueError, match="unknown states"):
        StateMachine(
            subject="x",
            states=PlanState,
            transitions=[Transition("t", "t", source=["nowhere"], target=PlanState.DRAFT)],
        )


class ChatState(models.TextChoices):
    OPEN = "open", "接待中"
    CLOSED = "closed", "已结束"


def serving(actor, obj):
    return None if actor == "agent" else "只有接待的客服可以回复"


CHAT_FLOW = StateMachine(
    subject="会话",
    states=ChatState,
    transitions=[
        Transition(
            "reply", "回复", source=[ChatState.OPEN], target=None, guard=role_guard(serving)
        ),
        Transition("close", "结束", source=[ChatState.OPEN], target=ChatState.CLOSED),
    ],
)


def test_a_step_without_a_target_keeps_the_state_and_is_guarded_like_a_move():
    assert CHAT_FLOW.check(ChatState.OPEN, "reply", actor="agent").target is None
    assert CHAT_FLOW.target_of(ChatState.OPEN, "reply") == ChatState.OPEN
    assert CHAT_FLOW.target_of(ChatState.OPEN, "close") == ChatState.CLOSED
    assert CHAT_FLOW.may(ChatState.OPEN, "reply", actor="agent")
    assert not CHAT_FLOW.may(ChatState.CLOSED, "reply", actor="agent")


def test_a_role_guards_refusal_is_a_403_and_a_states_a_400():
    with pytest.raises(RoleRefused) as by_role:
        CHAT_FLOW.check(ChatState.OPEN, "reply", actor="visitor")
    assert by_role.value.status_code == 403 and isinstance(by_role.value, PermissionRefused)
    with pytest.raises(TransitionRefused) as by_state:
        CHAT_FLOW.check(ChatState.CLOSED, "reply", actor="agent")
    assert by_state.value.status_code == 400 and not isinstance(by_state.value, RoleRefused)
