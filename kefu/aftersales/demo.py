"""Demo after-sales work of the lamp shop: a case in every step, one under platform arbitration,
and neutral and negative reviews handled and waiting. Built again, it adds nothing."""

import datetime as dt

from django.core.files.base import ContentFile
from django.utils import timezone

from kefu.accounts.models import User
from kefu.aftersales import money, reviews, services
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

    def case(order: Order, kind: str, reason: str, refund_fen: int = 0) -> AfterSalesCase:
        return services.open_case(
            actor=agent, order=order, kind=kind, reason=reason, refund_fen=refund_fen
        )

    def half(order: Order) -> int:
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
    _money(agent=agent, finance=finance, orders=orders, waiting=waiting, quality=quality)

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


def _money(
    *,
    agent: User,
    finance: User,
    orders: list[Order],
    waiting: AfterSalesCase,
    quality: AfterSalesCase,
) -> None:
    """Postage and compensation in every state, courier claims open and settled, invoices to issue
    and issued (finance's work on the daily sheet, the claims sheet and the invoices list)."""
    money.add_money_line(
        actor=agent,
        case=waiting,
        kind="postage",
        amount_fen=min(1200, orders[1].paid_fen),
        reason="买家寄回运费，凭快递单报销",
    )
    paid = money.add_money_line(
        actor=agent,
        case=quality,
        kind="compensation",
        amount_fen=min(2000, orders[2].paid_fen // 4 or 1),
        reason="灯罩开裂耽误安装，补偿",
    )
    money.move_money_line(actor=finance, line=paid, move="approve")
    money.move_money_line(actor=finance, line=paid, move="pay")
    lost = money.file_claim(
        actor=agent,
        order=orders[4],
        kind="lost",
        claimed_fen=orders[4].paid_fen,
        description="物流停在中转站七天，快递确认丢件",
        courier="中通快递",
        tracking_number="ZT7788990011",
    )
    money.move_claim(
        actor=agent,
        claim=lost,
        move="accept",
        amount_fen=orders[4].paid_fen,
        note="按声明价值赔付",
        reference="ZTO-LP-20261201",
    )
    if len(orders) > 9:
        broken = money.file_claim(
            actor=agent,
            order=orders[9],
            kind="damaged",
            claimed_fen=min(5000, orders[9].paid_fen),
            description="外箱压坏，灯罩碎裂",
            courier="圆通速递",
            tracking_number="YT5566778899",
        )
        money.move_claim(
            actor=agent, claim=broken, move="accept", amount_fen=min(3000, orders[9].paid_fen)
        )
        money.move_claim(
            actor=finance, claim=broken, move="settle", amount_fen=min(3000, orders[9].paid_fen)
        )
    money.request_invoice(actor=agent, order=orders[0], kind="ordinary", title="王芳")
    issued = money.request_invoice(
        actor=agent,
        order=orders[3],
        kind="special",
        title="南宁市青秀区明亮灯饰有限公司",
        tax_number=money.credit_code("91450103MA5KXXXX0"),
        email="caiwu@mingliang.example",
    )
    money.move_invoice(
        actor=finance, invoice=issued, move="issue", invoice_number="26452000000012345678"
    )
