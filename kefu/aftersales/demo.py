"""Demo after-sales work of the lamp shop: a case in every step, one under platform arbitration,
and neutral and negative reviews handled and waiting. Built again, it adds nothing."""

import datetime as dt

from django.core.files.base import ContentFile
from django.utils import timezone

from kefu.accounts.models import User
from kefu.aftersales import reviews, services
from kefu.aftersales.models import AfterSalesCase, Review
from kefu.orders.models import FulfilmentState, Order

# A 1×1 PNG, standing in for the buyer's photo of a cracked shade.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15"
    b"\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def build(*, password: str) -> None:
    agent = User.objects.filter(username="agent2").first()
    warehouse = User.objects.filter(username="warehouse1").first()
    finance = User.objects.filter(username="finance1").first()
    if not (agent and warehouse and finance) or AfterSalesCase.objects.exists():
        return
    orders = list(
        Order.objects.filter(
            state__in=[FulfilmentState.SHIPPED, FulfilmentState.RECEIVED], paid_fen__gt=0
        ).order_by("id")[:12]
    )
    if len(orders) < 9:
        return

    def case(order, kind, reason, refund_fen=0):
        return services.open_case(
            actor=agent, order=order, kind=kind, reason=reason, refund_fen=refund_fen
        )

    def half(order):
        return min(order.paid_fen, max(order.paid_fen // 2, 1))

    case(orders[0], "return", "买家拍错尺寸，七天无理由退货", half(orders[0]))
    waiting = case(orders[1], "exchange", "想换成冷白色")
    services.move_case(actor=agent, case=waiting, move="accept_return")
    quality = case(orders[2], "quality", "灯罩运输途中开裂", half(orders[2]))
    services.add_photo(actor=agent, case=quality, upload=ContentFile(PNG, name="灯罩开裂.png"))
    services.review_photos(actor=agent, case=quality)
    services.move_case(actor=agent, case=quality, move="accept_return")
    services.move_case(
        actor=warehouse, case=quality, move="intake_refund", parcel_notes="包裹内纸条：请退回支付宝"
    )
    refunded = case(orders[3], "refund_only", "少发一个灯泡", min(990, orders[3].paid_fen))
    services.move_case(actor=agent, case=refunded, move="accept_refund")
    services.move_case(actor=finance, case=refunded, move="pay_refund")
    reissue = case(orders[4], "reissue", "快递丢件，补发")
    services.move_case(actor=agent, case=reissue, move="accept_reissue")
    rejected = case(orders[5], "return", "已使用三个月要求退货", half(orders[5]))
    services.move_case(actor=agent, case=rejected, move="reject", note="超过退换期限")
    disputed = case(orders[6], "refund_only", "买家称未收到货，申请小二介入", half(orders[6]))
    services.move_case(actor=agent, case=disputed, move="flag_arbitration")

    if Review.objects.exists():
        return
    today = timezone.localdate()
    handled = reviews.record_review(
        actor=agent,
        order=orders[7],
        rating="negative",
        text="灯不亮，差评",
        reviewed_on=today - dt.timedelta(days=2),
    )
    reviews.contact_reviewer(
        actor=agent,
        review=handled,
        note="电话联系：灯泡未拧紧，指导后已正常使用",
        no_money_offered=True,
    )
    reviews.close_review(actor=agent, review=handled, outcome="revised")
    reviews.record_review(
        actor=agent,
        order=orders[8],
        rating="neutral",
        text="发货有点慢",
        reviewed_on=today - dt.timedelta(days=1),
    )
