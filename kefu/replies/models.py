"""Canned replies 快捷短语 and scripts 标准话术: what an agent inserts with `/` in the reply box.

A reply belongs to one agent (personal), to one team, or to everyone (neither owner nor team: the
house scripts, such as seed 002's standard phrases). Bodies may name variables that are filled from
the conversation when inserted: {customer_name}, {agent_name}.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReplyCategory(models.TextChoices):
    OPENING = "opening", _("Opening")  # 开头语, 欢迎语
    COMFORT = "comfort", _("Comfort")  # 安抚: the buyer has a problem
    PRICE = "price", _("Price change")  # 改价
    PAYMENT = "payment", _("Payment")  # 付款
    LOGISTICS = "logistics", _("Logistics")  # 物流
    APOLOGY = "apology", _("Apology")  # 道歉
    CLOSING = "closing", _("Closing")  # 结束语
    PRESALES = (
        "presales",
        _("Pre-sales flow"),
    )  # 售前服务流程: 活动告知, 宝贝介绍, 订单确认, 收藏店铺


class CannedReply(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_replies",
        verbose_name=_("personal reply of"),
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_replies",
        verbose_name=_("team"),
    )
    shortcut = models.CharField(
        _("shortcut"),
        max_length=30,
        help_text=_("Typed after / in the reply box, e.g. hello."),
    )
    title = models.CharField(_("title"), max_length=80)
    body = models.TextField(
        _("text"),
        max_length=2000,
        help_text=_("Variables: {customer_name}, {agent_name}."),
    )
    category = models.CharField(
        _("category"), max_length=12, choices=ReplyCategory.choices, default=ReplyCategory.OPENING
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["category", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner__isnull=True) | models.Q(team__isnull=True),
                name="canned_reply_one_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"/{self.shortcut} {self.title}"

    @property
    def scope(self) -> str:
        return "personal" if self.owner_id else ("team" if self.team_id else "everyone")
