"""Quality API of the managers' settings, as their pages have them (Perm.MANAGE_SETTINGS): the KPI
targets and weights 绩效指标 (kpi/targets/), the reward/penalty rules 奖罚规则 with the payday
(sheets/rules/), the rubric's items 质检标准 (rubric/; read with GET /quality/rubric) and the sampling
rules of the manual review 抽检规则 with the appeal period (rubric/sampling/; inspectors read them). Through the same services, so a refusal is the page's (400, nothing saved) and
every change is audited as on the page; a value of the wrong type or out of range is 422 naming
the field."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Field, Router, Schema, Status

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.models import User
from kefu.accounts.roles import Perm
from kefu.quality import api as reads
from kefu.quality import kpi
from kefu.quality.models import CheckKind, Indicator, QualitySettings, RewardRule, RuleKind
from kefu.quality.services import MAX_POINTS, performance, rubric, sheet_rules
from kefu.quality.services.performance import MAX_TARGET
from kefu.quality.services.rubric import quality_settings

router = Router(tags=["quality"])


def _managers_only(user: User) -> None:
    if not user.has_perm(Perm.MANAGE_SETTINGS):
        raise PermissionDenied


# ---- KPI targets 绩效指标 -----------------------------------------------------------------------


class KpiTargetOut(Schema):
    indicator: str
    label: str
    unit: str
    higher_is_better: bool
    target: float
    weight: int  # the weights of all indicators add up to 100


class KpiTargetIn(Schema):
    indicator: Indicator
    target: float = Field(ge=0, le=MAX_TARGET)
    weight: int = Field(ge=0, le=100)


class KpiTargetsIn(Schema):
    targets: list[KpiTargetIn] = Field(
        max_length=len(Indicator), description="every indicator once; the weights add up to 100"
    )


def _targets_out() -> list[dict[str, Any]]:
    goals = kpi.targets()
    labels = dict(Indicator.choices)
    return [
        {
            "indicator": key,
            "label": str(labels[key]),
            "unit": str(spec.unit),
            "higher_is_better": spec.higher_is_better,
            "target": goals[key].target,
            "weight": goals[key].weight,
        }
        for key, spec in kpi.SPECS.items()
    ]


@router.get(
    "/quality/kpi-targets",
    response=list[KpiTargetOut],
    summary="The managers' KPI targets and weights, one per indicator",
)
def kpi_targets(request: AuthenticatedRequest) -> list[dict[str, Any]]:
    _managers_only(request.user)
    return _targets_out()


@router.get(
    "/quality/kpi-targets/{indicator}",
    response=KpiTargetOut,
    summary="One indicator's target and weight",
)
def kpi_target(request: AuthenticatedRequest, indicator: str) -> dict[str, Any]:
    _managers_only(request.user)
    found = [t for t in _targets_out() if t["indicator"] == indicator]
    if not found:
        raise Http404
    return found[0]


@router.put(
    "/quality/kpi-targets",
    response=list[KpiTargetOut],
    summary="Set every indicator's target and weight at once (weights adding up to 100); a bad "
    "value refuses all, nothing saved",
)
def save_kpi_targets(request: AuthenticatedRequest, body: KpiTargetsIn) -> list[dict[str, Any]]:
    _managers_only(request.user)
    performance.save_targets(
        actor=request.user,
        changes=[
            performance.TargetChange(indicator=t.indicator, target=t.target, weight=t.weight)
            for t in body.targets
        ],
        request=request,
    )
    return _targets_out()


# ---- Reward/penalty rules 奖罚规则 ----------------------------------------------------------------


class RewardRuleOut(Schema):
    kind: str
    label: str
    points: int  # per count (a counted rule) or once (a threshold rule)
    threshold: float | None  # a quality score 0–100, for the threshold rules only
    uses_threshold: bool
    is_active: bool


class RewardRulesOut(Schema):
    payday: int  # the sheets are drafted the day before
    rules: list[RewardRuleOut]


class RewardRuleIn(Schema):
    kind: RuleKind
    points: int = Field(ge=-MAX_POINTS, le=MAX_POINTS)
    threshold: float | None = Field(None, ge=0, le=100, description="the threshold rules only")
    is_active: bool = True


class RewardRulesIn(Schema):
    payday: int = Field(ge=sheet_rules.PAYDAYS.start, le=sheet_rules.PAYDAYS.stop - 1)
    rules: list[RewardRuleIn] = Field(max_length=len(RuleKind), description="every rule once")


class RewardRuleChangeIn(Schema):
    points: int | None = Field(None, ge=-MAX_POINTS, le=MAX_POINTS)
    threshold: float | None = Field(None, ge=0, le=100)
    is_active: bool | None = None


def _rule_out(rule: RewardRule) -> dict[str, Any]:
    return {
        "kind": rule.kind,
        "label": str(dict(RuleKind.choices).get(rule.kind, rule.kind)),
        "points": rule.points,
        "threshold": rule.threshold,
        "uses_threshold": rule.kind in sheet_rules.THRESHOLD_KINDS,
        "is_active": rule.is_active,
    }


def _rules_out() -> dict[str, Any]:
    return {
        "payday": quality_settings().payday,
        "rules": [_rule_out(rule) for rule in sheet_rules.rules()],
    }


@router.get(
    "/quality/reward-rules",
    response=RewardRulesOut,
    summary="The reward/penalty rules 奖罚规则 the month's sheets are drafted from, and the payday",
)
def reward_rules(request: AuthenticatedRequest) -> dict[str, Any]:
    _managers_only(request.user)
    return _rules_out()


@router.get(
    "/quality/reward-rules/{kind}",
    response=RewardRuleOut,
    summary="One reward/penalty rule",
)
def reward_rule(request: AuthenticatedRequest, kind: str) -> dict[str, Any]:
    _managers_only(request.user)
    found = [rule for rule in sheet_rules.rules() if rule.kind == kind]
    if not found:
        raise Http404
    return _rule_out(found[0])


@router.put(
    "/quality/reward-rules",
    response=RewardRulesOut,
    summary="Set every rule and the payday at once, as the page does; a bad value refuses all, "
    "nothing saved",
)
def save_reward_rules(request: AuthenticatedRequest, body: RewardRulesIn) -> dict[str, Any]:
    _managers_only(request.user)
    sheet_rules.save_rules(
        actor=request.user,
        changes=[
            sheet_rules.RuleChange(
                kind=r.kind, points=r.points, threshold=r.threshold, is_active=r.is_active
            )
            for r in body.rules
        ],
        payday=body.payday,
        request=request,
    )
    return _rules_out()


@router.patch(
    "/quality/reward-rules/{kind}",
    response=RewardRuleOut,
    summary="Change one rule (the values given); the other rules and the payday stay as they are",
)
def change_reward_rule(
    request: AuthenticatedRequest, kind: str, body: RewardRuleChangeIn
) -> dict[str, Any]:
    _managers_only(request.user)
    current = sheet_rules.rules()
    if kind not in {rule.kind for rule in current}:
        raise Http404
    given = body.model_fields_set
    changes = []
    for rule in current:
        change = sheet_rules.RuleChange(
            kind=rule.kind, points=rule.points, threshold=rule.threshold, is_active=rule.is_active
        )
        if rule.kind == kind:
            change = sheet_rules.RuleChange(
                kind=kind,
                points=body.points if body.points is not None else rule.points,
                threshold=body.threshold if "threshold" in given else rule.threshold,
                is_active=body.is_active if body.is_active is not None else rule.is_active,
            )
        changes.append(change)
    saved = sheet_rules.save_rules(
        actor=request.user, changes=changes, payday=quality_settings().payday, request=request
    )
    return _rule_out(next(rule for rule in saved if rule.kind == kind))


# ---- The rubric 质检标准 -------------------------------------------------------------------------


class RubricItemIn(Schema):
    id: int
    label: str = Field(min_length=1, max_length=80)
    weight: int = Field(ge=0, le=100)
    is_active: bool
    phrases: list[str] = Field(default_factory=list, max_length=200)
    triggers: list[str] = Field(
        default_factory=list, max_length=200, description="a complaining customer's phrases"
    )
    limit: int | None = Field(None, ge=0, le=86_400, description="seconds, for the timed checks")


class RubricIn(Schema):
    items: list[RubricItemIn] = Field(
        max_length=40, description="every item once; the active items' weights add up to 100"
    )


class NewRubricItemIn(Schema):
    kind: CheckKind
    label: str = Field(min_length=1, max_length=80)


@router.put(
    "/quality/rubric/items",
    response=list[reads.RubricItemOut],
    summary="Change the rubric's items all at once (the active items' weights adding up to 100; "
    "each active phrase check with its phrases, each timed check with its limit); a refusal "
    "saves nothing",
)
def save_rubric(request: AuthenticatedRequest, body: RubricIn) -> list[dict[str, Any]]:
    _managers_only(request.user)
    rubric.save_rubric(
        actor=request.user,
        changes=[
            rubric.ItemChange(
                id=item.id,
                label=item.label,
                weight=item.weight,
                is_active=item.is_active,
                phrases="\n".join(item.phrases),
                triggers="\n".join(item.triggers),
                limit=item.limit,
            )
            for item in body.items
        ],
        request=request,
    )
    return reads.rubric(request)


@router.post(
    "/quality/rubric/items",
    response={201: reads.RubricItemOut},
    summary="Add a rubric item, inactive with weight 0 (the weights still add up to 100)",
)
def add_rubric_item(request: AuthenticatedRequest, body: NewRubricItemIn) -> Status[Any]:
    _managers_only(request.user)
    item = rubric.add_rubric_item(
        actor=request.user, kind=body.kind, label=body.label, request=request
    )
    return Status(201, next(i for i in reads.rubric(request) if i["id"] == item.pk))


# ---- The sampling rules 抽检规则 -------------------------------------------------------------------


class SamplingOut(Schema):
    random_percent: int  # of the checked chats and calls, picked at random for a review
    sample_complaints: bool  # every one where the customer complained
    sample_low_ratings: bool  # every one rated at or below low_rating_max
    low_rating_max: int
    new_agent_days: int  # every one of an agent in their first days (0: none)
    sample_severe: bool  # every one with a severe finding (a forbidden word)
    appeal_days: int  # the agent may appeal a review once within these days
    leaderboard_on: bool  # the leaderboard 评比 is switched on
    fen_per_point: int  # one point of the reward/penalty sheet is this much money (fen)


class SamplingIn(Schema):
    random_percent: int = Field(ge=0, le=100)
    sample_complaints: bool
    sample_low_ratings: bool
    low_rating_max: int = Field(ge=1, le=5)
    new_agent_days: int = Field(ge=0, le=90)
    sample_severe: bool
    appeal_days: int = Field(ge=1, le=30)
    leaderboard_on: bool
    fen_per_point: int = Field(ge=0, le=1_000_000)


def _sampling_out(current: QualitySettings) -> dict[str, Any]:
    return {name: getattr(current, name) for name in rubric.SAMPLING_FIELDS}


@router.get(
    "/quality/sampling",
    response=SamplingOut,
    summary="The sampling rules of the manual review 抽检规则 (random %, every complaint, every "
    "low rating, every new agent's first days, every severe finding), the appeal period and the "
    "leaderboard's switch",
)
def sampling(request: AuthenticatedRequest) -> dict[str, Any]:
    user = request.user
    if not (user.has_perm(Perm.MANAGE_SETTINGS) or user.has_perm(Perm.INSPECT_QUALITY)):
        raise PermissionDenied
    return _sampling_out(quality_settings())


@router.put(
    "/quality/sampling",
    response=SamplingOut,
    summary="Set the sampling rules, the appeal period and the leaderboard's switch at once, as "
    "the rubric page does; a value out of range refuses all (422 naming it), nothing saved",
)
def save_sampling(request: AuthenticatedRequest, body: SamplingIn) -> dict[str, Any]:
    _managers_only(request.user)
    saved = rubric.save_sampling(actor=request.user, values=body.dict(), request=request)
    return _sampling_out(saved)
