"""Demo customers: about 5,000 in Guangxi and Guangdong, with real districts and streets."""

import datetime as dt
import os
import random

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext as _
from faker import Faker

from kefu.accounts.models import Skill, User
from kefu.accounts.roles import Role
from kefu.core.models import TimelineEntry
from kefu.customers import identities
from kefu.customers.documents import index_customers
from kefu.customers.models import (
    ContactIdentity,
    Customer,
    Gender,
    IdentityKind,
    Level,
    Source,
    Tag,
)
from kefu.customers.services.assignment import CONTACT_WITHIN
from kefu.customers.services.profiles import completeness_of

# province -> city -> district -> streets (real names)
PLACES = {
    "广西壮族自治区": {
        "南宁市": {
            "青秀区": ["新竹街道", "中山街道", "津头街道", "南湖街道"],
            "兴宁区": ["民生街道", "朝阳街道"],
            "西乡塘区": ["北湖街道", "衡阳街道", "华强街道"],
            "江南区": ["福建园街道", "江南街道"],
        },
        "柳州市": {
            "城中区": ["城中街道", "公园街道"],
            "鱼峰区": ["天马街道", "驾鹤街道"],
            "柳南区": ["柳南街道", "南站街道"],
        },
        "桂林市": {
            "秀峰区": ["秀峰街道", "丽君街道"],
            "七星区": ["东江街道", "漓东街道"],
            "象山区": ["象山街道", "南门街道"],
        },
    },
    "广东省": {
        "广州市": {
            "天河区": ["石牌街道", "五山街道", "天河南街道", "林和街道"],
            "越秀区": ["北京街道", "农林街道", "东山街道"],
            "海珠区": ["江南中街道", "滨江街道"],
        },
        "深圳市": {
            "福田区": ["华富街道", "莲花街道", "香蜜湖街道"],
            "南山区": ["粤海街道", "南头街道", "蛇口街道"],
            "罗湖区": ["东门街道", "翠竹街道"],
        },
        "佛山市": {
            "禅城区": ["祖庙街道", "石湾镇街道"],
            "南海区": ["桂城街道"],
        },
    },
}
TAGS = ["老客户", "批发客户", "投诉过", "价格敏感", "节日问候", "生日客户", "企业客户"]
ROADS = [
    "民族大道",
    "友爱路",
    "金湖路",
    "体育路",
    "中山路",
    "天河路",
    "深南大道",
    "解放路",
    "人民路",
    "建设路",
]


# Customers joined over the 13 months before the demo: before the year of tickets, chats and calls
# that the reports show (issue 13).
JOINED_DAYS = 400


def build(*, password: str, count: int | None = None, seed: int = 2026) -> None:
    """Idempotent: does nothing when the archive already has customers. KEFU_DEMO_CUSTOMERS sets how
    many (5,000 by default; tests of the start command use fewer)."""
    if Customer.objects.exists():
        return
    count = count if count is not None else int(os.environ.get("KEFU_DEMO_CUSTOMERS", "5000"))
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    agents = list(User.objects.filter(role=Role.AGENT, is_active=True).order_by("id"))
    vip_skill = Skill.objects.filter(code="vip").first()
    tags = [Tag.objects.get_or_create(name=name)[0] for name in TAGS]
    places = [
        (province, city, district, street)
        for province, cities in PLACES.items()
        for city, districts in cities.items()
        for district, streets in districts.items()
        for street in streets
    ]
    now = timezone.now()
    taken: set[str] = set()
    customers: list[Customer] = []
    contacts: list[list[tuple[IdentityKind, str]]] = []
    created_times: list[dt.datetime] = []
    while len(customers) < count:
        try:
            mobile = identities.normalise_mobile(fake.phone_number())
        except identities.InvalidIdentity:
            continue
        if mobile in taken:
            continue
        taken.add(mobile)
        province, city, district, street = rng.choice(places)
        level = rng.choices([Level.REGULAR, Level.MEMBER, Level.VIP], weights=[70, 22, 8])[0]
        gender = rng.choice([Gender.MALE, Gender.FEMALE, Gender.FEMALE, Gender.UNKNOWN])
        name = (
            fake.name_male()
            if gender == Gender.MALE
            else fake.name_female()
            if gender == Gender.FEMALE
            else fake.name()
        )
        owner = rng.choice(agents) if agents and rng.random() < 0.7 else None
        created = now - dt.timedelta(days=rng.uniform(0, JOINED_DAYS), minutes=rng.randint(0, 600))
        customer = Customer(
            name=name,
            gender=gender,
            mobile=mobile,
            mobile_last4=mobile[-4:],
            region=province,
            city=city,
            district=district,
            street=street if rng.random() < 0.9 else "",
            address=f"{rng.choice(ROADS)}{rng.randint(1, 300)}号" if rng.random() < 0.8 else "",
            level=level,
            member_no=f"M{rng.randint(10**7, 10**8 - 1)}" if level != Level.REGULAR else "",
            card_no=f"C{rng.randint(10**9, 10**10 - 1)}" if rng.random() < 0.15 else "",
            source=rng.choice(
                [
                    Source.PHONE,
                    Source.WEB_CHAT,
                    Source.SHOP,
                    Source.SHOP,
                    Source.WECHAT,
                    Source.COUNTER,
                ]
            ),
            needed_skill=vip_skill if level == Level.VIP else None,
            owner=owner,
            created_by=rng.choice(agents) if agents else None,
            reviewed_at=created + dt.timedelta(days=1) if rng.random() < 0.85 else None,
            notes=rng.choice(["", "", "偏好电话联系", "工作日白天不方便接听", "曾反馈物流慢"]),
        )
        if owner is not None:
            customer.owner_assigned_at = created + dt.timedelta(hours=rng.randint(1, 48))
            # Most were contacted long ago; a few recent ones still wait, some of them overdue.
            if customer.owner_assigned_at > now - dt.timedelta(days=10) and rng.random() < 0.7:
                customer.contact_due_at = customer.owner_assigned_at + CONTACT_WITHIN
            else:
                customer.last_contacted_at = customer.owner_assigned_at + dt.timedelta(
                    days=rng.randint(0, 6)
                )
        email = (
            f"{fake.user_name()}{rng.randint(1, 999)}@{rng.choice(['qq.com', '163.com', '126.com', 'example.cn'])}"
            if rng.random() < 0.4
            else ""
        )
        customer.email = email
        customer.completeness = completeness_of(customer)
        customers.append(customer)
        created_times.append(created)
        contacts.append(
            [(IdentityKind.MOBILE, mobile)]
            + ([(IdentityKind.EMAIL, email)] if email else [])
            + (
                [(IdentityKind.WECHAT, f"wxid_{fake.pystr(min_chars=8, max_chars=12).lower()}")]
                if rng.random() < 0.3
                else []
            )
        )
    Customer.objects.bulk_create(customers, batch_size=500)
    for customer, created in zip(customers, created_times, strict=True):
        customer.created_at = created
    Customer.objects.bulk_update(customers, ["created_at"], batch_size=500)
    seen = set()
    rows = []
    for customer, pairs in zip(customers, contacts, strict=True):
        for kind, value in pairs:
            if (kind, value) not in seen:
                seen.add((kind, value))
                rows.append(ContactIdentity(customer=customer, kind=kind, value=value))
    ContactIdentity.objects.bulk_create(rows, batch_size=1000)
    index_customers(c.pk for c in customers)  # found by the archive's search as built
    links = Customer.tags.through
    link_rows = [
        links(customer_id=c.pk, tag_id=t.pk)
        for c in customers
        for t in rng.sample(tags, k=rng.choice([0, 0, 1, 1, 2]))
    ]
    links.objects.bulk_create(link_rows, batch_size=1000)
    customer_type = ContentType.objects.get_for_model(Customer)
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                subject_type=customer_type,
                subject_id=str(c.pk),
                customer_id=c.pk,
                kind="customers.created",
                summary=_("Customer record created"),
                actor=c.created_by,
                occurred_at=created,
            )
            for c, created in zip(customers, created_times, strict=True)
        ],
        batch_size=1000,
    )
