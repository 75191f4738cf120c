"""The rubric 质检标准 and the sampling rules: managers (Perm.MANAGE_SETTINGS) edit the scoring items,
their weights (the active ones sum to 100) and phrase lists. The first read seeds the items of
seed 002 (开头语、结束语、道歉语固定; 啊、恩、噢、行 少用)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.core.errors import DomainError, PermissionRefused
from kefu.core.text import strip_control_characters
from kefu.quality.models import CheckKind, QualitySettings, RubricItem

K = CheckKind
MAX_PHRASES = 200
MAX_PHRASE_LENGTH = 40
# The checks that work from a phrase list, and those that need a limit.
PHRASE_KINDS = {K.GREETING, K.CLOSING, K.APOLOGY, K.FORBIDDEN, K.FILLER}
LIMIT_KINDS = {K.FIRST_RESPONSE, K.RESPONSE_TIME, K.FILLER}

DEFAULT_ITEMS = [
    (K.GREETING, "开头语", 10, "您好\n你好\n很高兴为您服务\n欢迎光临", "", None),
    (
        K.CLOSING,
        "结束语",
        10,
        "感谢您的咨询\n感谢您的耐心\n祝您生活愉快\n再见\n欢迎下次光临\n还有其他可以帮您",
        "",
        None,
    ),
    (
        K.APOLOGY,
        "道歉语",
        10,
        "抱歉\n对不起\n不好意思\n给您添麻烦了",
        "投诉\n差评\n太慢\n生气\n不满意\n骗子\n怎么回事",
        None,
    ),
    (
        K.FORBIDDEN,
        "服务禁语",
        20,
        "滚\n笨蛋\n你有病\n你自己看\n关我什么事\n爱买不买\n不归我管\n听不懂吗",
        "",
        None,
    ),
    (K.FORBIDDEN, "违规承诺", 10, "保证赔偿\n百分之百\n绝对没问题\n肯定不会坏", "", None),
    (K.FILLER, "语气词少用", 5, "啊\n恩\n嗯\n噢\n哦\n行", "", 3),
    (K.FIRST_RESPONSE, "首次响应时限", 10, "", "", 60),
    (K.RESPONSE_TIME, "响应时限", 10, "", "", 120),
    (K.PRESALES_FLOW, "售前服务流程", 5, "", "", None),
    (K.RESOLUTION, "问题解决", 10, "", "", None),
]


def quality_settings() -> QualitySettings:
    found = QualitySettings.objects.filter(pk=1).first()
    if found is None:
        found, _created = QualitySettings.objects.get_or_create(pk=1)
    return found


def rubric_items() -> list[RubricItem]:
    """Every scoring item, in order; seeds the defaults once (under the settings row's lock)."""
    items = list(RubricItem.objects.all())
    if items:
        return items
    with transaction.atomic():
        quality_settings()
        QualitySettings.objects.select_for_update().filter(pk=1).first()
        if not RubricItem.objects.exists():
            RubricItem.objects.bulk_create(
                RubricItem(
                    kind=kind,
                    label=label,
                    weight=weight,
                    phrases=phrases,
                    triggers=triggers,
                    limit=limit,
                    position=n,
                )
                for n, (kind, label, weight, phrases, triggers, limit) in enumerate(DEFAULT_ITEMS)
            )
    return list(RubricItem.objects.all())


def active_items() -> list[RubricItem]:
    return [item for item in rubric_items() if item.is_active]


@dataclass
class ItemChange:
    id: int
    label: str
    weight: int
    is_active: bool
    phrases: str
    triggers: str
    limit: int | None


def _clean_lines(raw: str, *, what: str) -> str:
    lines = list(dict.fromkeys(" ".join(line.split()) for line in raw.splitlines()))
    lines = [line for line in lines if line]
    if len(lines) > MAX_PHRASES:
        raise DomainError(_("%(what)s: at most %(n)d phrases.") % {"what": what, "n": MAX_PHRASES})
    for line in lines:
        if len(line) > MAX_PHRASE_LENGTH:
            raise DomainError(
                _("%(what)s: a phrase has at most %(n)d characters (%(phrase)s…).")
                % {"what": what, "n": MAX_PHRASE_LENGTH, "phrase": line[:10]}
            )
    return "\n".join(lines)


def _require(actor: User, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionRefused(_("You do not have permission to do this."))


@transaction.atomic
def save_rubric(
    *, actor: User, changes: list[ItemChange], request: HttpRequest | None = None
) -> list[RubricItem]:
    """Change the items all at once: the weights of the active items must sum to 100, each active
    phrase check needs its phrases and each timed check its limit. Nothing is saved on a refusal."""
    _require(actor, Perm.MANAGE_SETTINGS)
    items = {item.pk: item for item in RubricItem.objects.select_for_update()}
    if {c.id for c in changes} != set(items):
        raise DomainError(_("The rubric changed meanwhile; look at it again."))
    for change in changes:
        item = items[change.id]
        label = " ".join(strip_control_characters(change.label).split())
        if not label or len(label) > 80:
            raise DomainError(_("Each item needs a name of at most 80 characters."))
        if not 0 <= change.weight <= 100:
            raise DomainError(_("A weight is between 0 and 100."))
        item.label, item.weight, item.is_active = label, change.weight, change.is_active
        item.phrases = _clean_lines(strip_control_characters(change.phrases), what=label)
        item.triggers = _clean_lines(strip_control_characters(change.triggers), what=label)
        item.limit = change.limit
        if item.is_active and item.kind in PHRASE_KINDS and not item.phrase_list():
            raise DomainError(_("%(item)s: give at least one phrase.") % {"item": label})
        if item.is_active and item.kind == K.APOLOGY and not item.trigger_list():
            raise DomainError(
                _("%(item)s: give at least one phrase of a complaining customer.") % {"item": label}
            )
        if item.is_active and item.kind in LIMIT_KINDS and item.limit is None:
            raise DomainError(_("%(item)s: give the limit.") % {"item": label})
    total = sum(item.weight for item in items.values() if item.is_active)
    if total != 100:
        raise DomainError(
            _("The weights of the active items add up to %(total)d; they must add up to 100.")
            % {"total": total}
        )
    for item in items.values():
        item.save()
    audit(
        AuditAction.SETTINGS_CHANGED,
        actor=actor,
        object_type="quality.rubricitem",
        object_repr=_("Quality rubric"),
        request=request,
        details={"weights": {i.label: i.weight for i in items.values() if i.is_active}},
    )
    return list(RubricItem.objects.all())


@transaction.atomic
def add_rubric_item(
    *, actor: User, kind: str, label: str, request: HttpRequest | None = None
) -> RubricItem:
    """A new item starts inactive with weight 0: the weights still sum to 100."""
    _require(actor, Perm.MANAGE_SETTINGS)
    rubric_items()
    if kind not in CheckKind.values:
        raise DomainError(_("Choose what the item checks."))
    label = " ".join(strip_control_characters(label).split())
    if not label or len(label) > 80:
        raise DomainError(_("Each item needs a name of at most 80 characters."))
    if RubricItem.objects.count() >= 40:
        raise DomainError(_("A rubric has at most 40 items."))
    last = RubricItem.objects.order_by("-position").first()
    item = RubricItem.objects.create(
        kind=kind,
        label=label,
        weight=0,
        is_active=False,
        position=(last.position + 1) if last else 0,
    )
    audit(AuditAction.SETTINGS_CHANGED, actor=actor, obj=item, request=request)
    return item


SAMPLING_FIELDS = (
    "random_percent",
    "sample_complaints",
    "sample_low_ratings",
    "low_rating_max",
    "new_agent_days",
    "sample_severe",
    "appeal_days",
    "leaderboard_on",
    "fen_per_point",
)


@transaction.atomic
def save_sampling(
    *, actor: User, values: dict[str, Any], request: HttpRequest | None = None
) -> QualitySettings:
    """The sampling rules, the appeal period and the leaderboard's switch (checked by the form or
    the API's schema; a value the model's own ranges refuse is a DomainError naming its field)."""
    _require(actor, Perm.MANAGE_SETTINGS)
    current = quality_settings()
    for name in SAMPLING_FIELDS:
        setattr(current, name, values[name])
    try:
        current.full_clean()
    except ValidationError as refused:
        field, messages = next(iter(refused.message_dict.items()))
        raise DomainError(" ".join(messages), field=field) from refused
    current.save()
    audit(
        AuditAction.SETTINGS_CHANGED,
        actor=actor,
        obj=current,
        request=request,
        details={name: values[name] for name in SAMPLING_FIELDS},
    )
    return current
