import datetime as dt

from ninja import Field, Schema


class IdentityOut(Schema):
    id: int
    kind: str
    value: str  # masked for mobile, landline and e-mail


class CustomerOut(Schema):
    id: int
    name: str
    gender: str
    mobile: str  # masked: use the reveal action on the page to see it in full (audited)
    email: str  # masked
    region: str
    city: str
    district: str
    street: str
    address: str
    level: str
    member_no: str
    card_no: str
    source: str
    tags: list[str]
    custom: dict
    notes: str
    owner_id: int | None
    contact_due_at: dt.datetime | None
    completeness: int
    identities: list[IdentityOut]
    created_at: dt.datetime


class CustomerPage(Schema):
    items: list[CustomerOut]
    next_cursor: int | None


class CustomerIn(Schema):
    name: str = Field(..., min_length=1, max_length=60)
    gender: str = "unknown"
    mobiles: list[str] = Field(default_factory=list, max_length=10)
    phone: str = Field("", max_length=20)
    email: str = Field("", max_length=254)
    wechat: str = Field("", max_length=120)
    qq: str = Field("", max_length=12)
    wangwang: str = Field("", max_length=120)
    region: str = Field("", max_length=20)
    city: str = Field("", max_length=30)
    district: str = Field("", max_length=30)
    street: str = Field("", max_length=40)
    address: str = Field("", max_length=200)
    level: str = "regular"
    member_no: str = Field("", max_length=40)
    card_no: str = Field("", max_length=40)
    source: str = "other"
    tags: list[str] = Field(default_factory=list, max_length=20)
    custom: dict = Field(default_factory=dict)
    notes: str = Field("", max_length=2000)


class CustomerPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=60)
    gender: str | None = None
    mobiles: list[str] | None = Field(None, max_length=10)
    phone: str | None = Field(None, max_length=20)
    email: str | None = Field(None, max_length=254)
    wechat: str | None = Field(None, max_length=120)
    qq: str | None = Field(None, max_length=12)
    wangwang: str | None = Field(None, max_length=120)
    region: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=30)
    district: str | None = Field(None, max_length=30)
    street: str | None = Field(None, max_length=40)
    address: str | None = Field(None, max_length=200)
    level: str | None = None
    member_no: str | None = Field(None, max_length=40)
    card_no: str | None = Field(None, max_length=40)
    source: str | None = None
    tags: list[str] | None = Field(None, max_length=20)
    custom: dict | None = None
    notes: str | None = Field(None, max_length=2000)


class ConsentIn(Schema):
    purpose: str = Field(description="care or marketing", max_length=10)
    given: bool = Field(description="false: withdrawn (退订)")


class ConsentOut(Schema):
    purpose: str
    label: str
    given: bool  # the newest record's; no record: not given
    source: str | None
    recorded_at: dt.datetime | None
    recorded_by_id: int | None
