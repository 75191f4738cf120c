import datetime as dt
from typing import Any

from ninja import Field, Schema

from kefu.core.bulk_api import BulkItemOut

AMOUNT = 'yuan as a string with at most two decimals, e.g. "128.00" (stored as integer fen)'


class ItemIn(Schema):
    sku: str = Field("", max_length=64)
    name: str = Field(max_length=200)
    attributes: str = Field("", max_length=200, description="e.g. 颜色分类:暖白")
    quantity: int = Field(1, ge=1, le=100000)
    price: str = Field("0", max_length=20, description=AMOUNT)


class OrderIn(Schema):
    platform: str = Field(description="taobao, tmall, jd, pinduoduo or shop")
    number: str = Field(max_length=64, description="the platform's order number")
    buyer_id: str = Field(
        "", max_length=120, description="the buyer's 旺旺 id (matches the customer)"
    )
    receiver_name: str = Field("", max_length=60)
    receiver_mobile: str = Field("", max_length=20, description="matches the customer by mobile")
    address: str = Field("", max_length=300)
    amount: str = Field("0", max_length=20, description=AMOUNT)
    paid: str = Field("0", max_length=20, description=AMOUNT)
    payment_method: str = Field("", description="alipay, wechat, bank_transfer, cod or other")
    paid_at: dt.datetime | None = None
    state: str = Field(
        "unpaid", description="unpaid, paid, printed, packed, shipped, received or closed"
    )
    logistics_company: str = Field("", max_length=40)
    tracking_number: str = Field("", max_length=64)
    ordered_at: dt.datetime | None = None
    items: list[ItemIn] = Field(default_factory=list, max_length=200)


class OrdersBulkIn(Schema):
    items: list[Any] = Field(
        min_length=1,
        max_length=100,
        description="1 to 100 orders, each as the body of POST /orders, checked one by one",
    )


class OrdersBulkOut(Schema):
    created: int
    updated_or_unchanged: int
    results: list[BulkItemOut]


class ItemOut(Schema):
    id: int
    sku: str
    name: str
    attributes: str
    quantity: int
    price_fen: int


class OrderOut(Schema):
    id: int
    platform: str
    number: str
    buyer_id: str
    customer_id: int | None
    receiver_name: str
    receiver_mobile: str = Field(description="masked unless the caller may reveal personal data")
    address: str
    amount_fen: int
    paid_fen: int
    payment_method: str
    paid_at: dt.datetime | None
    state: str
    state_label: str
    logistics_company: str
    tracking_number: str
    ordered_at: dt.datetime | None
    remarks_pending: bool
    created: bool = Field(False, description="true when this posting created the order")
    version: int
    items: list[ItemOut]


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: int | None


class RemarkIn(Schema):
    text: str = Field(max_length=400)


class RemarkOut(Schema):
    id: int
    order_id: int
    text: str
    author_id: int
    created_at: dt.datetime
    confirmed_at: dt.datetime | None


class ConfirmOut(Schema):
    confirmed: int


class ChangeIn(Schema):
    kind: str = Field(description="address, attributes or cancel")
    new_address: str = Field("", max_length=300)
    item_id: int | None = None
    new_attributes: str = Field("", max_length=200)
    reason: str = Field("", max_length=300)


class StepIn(Schema):
    step: str = Field(description="the next step's code (ChangeOut.next_step)")


class WithdrawIn(Schema):
    reason: str = Field("", max_length=200)


class ChangeOut(Schema):
    id: int
    order_id: int
    kind: str
    path: str
    status: str
    steps: list[str]
    steps_done: list[dict[str, Any]]
    next_step: str | None


class TransferIn(Schema):
    payer: str = Field(max_length=60)
    bank: str = Field("", max_length=60)
    amount: str = Field(max_length=20, description=AMOUNT)
    transferred_on: dt.date
    reference: str = Field("", max_length=64)


class TransferOut(Schema):
    id: int
    order_id: int
    payer: str
    bank: str
    amount_fen: int
    transferred_on: dt.date
    reference: str


class StockIn(Schema):
    quantity: int
    name: str = Field("", max_length=200)


class PromiseOut(Schema):
    sku: str
    in_stock: int | None
    ships_on: dt.date | None
    line: str = Field(description="the sentence to tell the buyer")
