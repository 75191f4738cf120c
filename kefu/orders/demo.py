"""Demo orders of a lamp shop (the seed's 灯饰 shop on Taobao and Tmall): orders in every fulfilment
state, matched to demo customers by mobile, with red-flag remarks waiting for the printing desk and
change requests under way. Built again, it changes nothing (orders are keyed by platform + number)."""

import datetime as dt
import random

from django.utils import timezone

from kefu.accounts.models import User
from kefu.customers.models import ContactIdentity, IdentityKind
from kefu.orders.models import ChangeRequest, FulfilmentState, OrderRemark
from kefu.orders.services import changes, remarks
from kefu.orders.services.orders import clean_order, record_order

PRODUCTS = [
    (
        "LD-101",
        "北欧简约客厅吊灯",
        ["颜色分类:暖白", "颜色分类:冷白", "颜色分类:三色变光"],
        "399.00",
    ),
    ("LD-205", "LED护眼台灯", ["颜色分类:白色", "颜色分类:黑色"], "129.00"),
    ("LD-310", "卧室吸顶灯 50cm", ["规格:50cm 36W", "规格:60cm 48W"], "268.00"),
    ("LD-412", "水晶壁灯", ["颜色分类:金色", "颜色分类:银色"], "188.00"),
    ("LD-520", "E27 LED灯泡 12W", ["颜色分类:暖白", "颜色分类:正白"], "9.90"),
]
COURIERS = ["顺丰速运", "中通快递", "圆通速递", "韵达快递"]
STATES = [
    FulfilmentState.UNPAID,
    FulfilmentState.PAID,
    FulfilmentState.PAID,
    FulfilmentState.PRINTED,
    FulfilmentState.PACKED,
    FulfilmentState.SHIPPED,
    FulfilmentState.SHIPPED,
    FulfilmentState.RECEIVED,
    FulfilmentState.RECEIVED,
    FulfilmentState.CLOSED,
]


def build(*, password: str) -> None:
    rng = random.Random(15)
    mobiles = list(
        ContactIdentity.objects.filter(kind=IdentityKind.MOBILE)
        .select_related("customer")
        .order_by("id")
        .values_list("value", "customer__name", "customer__address")[:60]
    )
    now = timezone.now()
    made = []
    for index, (mobile, name, address) in enumerate(mobiles):
        state = STATES[index % len(STATES)]
        items = []
        amount = 0
        for sku, product, attributes, price in rng.sample(PRODUCTS, rng.randint(1, 2)):
            quantity = rng.randint(1, 3)
            items.append(
                {
                    "sku": sku,
                    "name": product,
                    "attributes": rng.choice(attributes),
                    "quantity": quantity,
                    "price": price,
                }
            )
            amount += int(price.replace(".", "")) * quantity
        ordered_at = now - dt.timedelta(days=rng.randint(0, 20), minutes=rng.randint(0, 600))
        shipped = state in (FulfilmentState.SHIPPED, FulfilmentState.RECEIVED)
        body = {
            "platform": "tmall" if index % 3 == 0 else "taobao",
            "number": f"{ordered_at:%Y%m%d}{100000 + index}",
            "buyer_id": f"灯饰买家{index:03d}",
            "receiver_name": name,
            "receiver_mobile": mobile,
            "address": address or "广西壮族自治区南宁市青秀区民族大道100号",
            "amount": f"{amount // 100}.{amount % 100:02d}",
            "paid": "0"
            if state == FulfilmentState.UNPAID
            else f"{amount // 100}.{amount % 100:02d}",
            "payment_method": "bank_transfer" if index % 7 == 0 else "alipay",
            "paid_at": None
            if state == FulfilmentState.UNPAID
            else ordered_at + dt.timedelta(minutes=5),
            "state": state,
            "logistics_company": rng.choice(COURIERS) if shipped else "",
            "tracking_number": f"SF{rng.randint(10**11, 10**12 - 1)}" if shipped else "",
            "ordered_at": ordered_at,
            "items": items,
        }
        order, _created = record_order(actor=None, data=clean_order(body), check_permission=False)
        made.append(order)
    agent = User.objects.filter(username="agent1").first()
    if agent is None or OrderRemark.objects.exists():
        return
    paid = [o for o in made if o.state == FulfilmentState.PAID]
    printed = [o for o in made if o.state == FulfilmentState.PRINTED]
    for order, text in zip(
        paid[:3],
        ["客户要求发顺丰", "客户要求开发票，抬头：南宁市某某灯饰有限公司", "客户要求周六送货"],
        strict=False,
    ):
        remarks.add_remark(actor=agent, order=order, text=text)
    if printed and not ChangeRequest.objects.exists():
        change = changes.request_change(
            actor=agent,
            order=printed[0],
            kind="address",
            new_address="广西壮族自治区桂林市七星区漓江路1号",
        )
        changes.record_change_step(actor=agent, change=change, step="retrieve_slips")
