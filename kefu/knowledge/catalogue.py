"""A lamp and lighting shop's knowledge, made from templates (like the seeds' shop): product sheets and
FAQs per product, the shop's policies and scripts, the synonyms and words of the trade, and a
labelled set of customer questions (each with the article that answers it). Used by the demo, the
tests and bench/knowledge (recall@5)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

SERIES = [
    "极光", "月影", "星河", "暖阳", "清风", "云朵", "晨曦", "竹影", "琥珀", "冰川",
    "朗月", "流萤", "松间", "雪松", "青瓷", "墨羽", "秋水", "禾田", "银杏", "丹霞",
]  # fmt: skip
KINDS = [
    # (kind name, sku prefix, power W, price ¥, where it is used)
    ("吸顶灯", "XD", 36, Decimal("299.00"), "客厅、卧室"),
    ("护眼台灯", "TD", 12, Decimal("199.00"), "书桌、学习"),
    ("落地灯", "LD", 24, Decimal("459.00"), "沙发旁、阅读角"),
    ("筒灯", "TG", 7, Decimal("39.90"), "吊顶、走廊"),
    ("吊灯", "DD", 60, Decimal("899.00"), "餐厅、客厅"),
    ("壁灯", "BD", 9, Decimal("129.00"), "床头、过道"),
    ("灯带", "DT", 14, Decimal("89.00"), "吊顶暗藏、柜体"),
    ("智能灯泡", "QP", 9, Decimal("59.00"), "任意E27灯座"),
]
FAQS = [
    # (title template, body template, question templates: how customers ask)
    (
        "{name}不亮怎么办",
        "{name}通电后不亮：先确认墙壁开关和空气开关已打开，灯座接线牢固；仍不亮多为驱动电源故障，"
        "拍照发给客服，保修期内免费寄送新的驱动电源。",
        ["我买的{name}装好了不亮", "{series}{kind}突然不亮了怎么回事", "{name}开了没反应"],
    ),
    (
        "{name}怎么安装",
        "{name}安装：断电后拆下旧灯，按说明书固定底座，接好火线零线，扣上灯罩即可。"
        "需要上门安装可预约师傅，安装费按地区收取。",
        ["{name}怎么装", "{series}{kind}安装步骤是什么", "{name}可以上门安装吗"],
    ),
    (
        "{name}保修多久",
        "{name}整灯保修{warranty}年，光源保修3年；人为损坏、进水不在保修范围。保修凭订单号即可，无需发票。",
        ["{name}保修几年", "{series}{kind}坏了还在保修期吗", "{name}质保多长时间"],
    ),
    (
        "{name}能调光调色吗",
        "{name}支持{dimming}。遥控器或App都能调，记忆上次的亮度和色温。",
        ["{name}可以调亮度吗", "{series}{kind}能变色温吗", "{name}有遥控吗"],
    ),
]
POLICIES = [
    (
        "七天无理由退货规则",
        "签收后7天内，商品完好、配件齐全、不影响二次销售可申请七天无理由退货。定制灯具和已安装的灯带除外。",
        ["收到不喜欢可以退吗", "七天无理由怎么退", "拆封了还能退货吗"],
        "policy",
        "售后政策",
    ),
    (
        "退款多久到账",
        "退货寄回并验收后，退款在1-3个工作日内原路退回；信用卡和花呗以银行或支付宝到账为准。",
        ["我想退钱多久能到", "退款什么时候到账", "钱什么时候退给我"],
        "policy",
        "售后政策",
    ),
    (
        "退货运费谁承担",
        "质量问题退换货，来回运费由本店承担；无理由退货的寄回运费由买家承担，已买运费险可抵扣。",
        ["退货运费谁出", "退回去要我出邮费吗", "质量问题寄回运费怎么算"],
        "policy",
        "售后政策",
    ),
    (
        "发货时间和截单时间",
        "每天16:00前付款当天发货，16:00后次日发货；节假日顺延。预售商品以页面发货时间为准。",
        ["什么时候发货", "今天下单今天能发吗", "几点前下单当天发"],
        "policy",
        "物流配送",
    ),
    (
        "用什么快递，能指定吗",
        "默认发中通和韵达，偏远地区发邮政；需要顺丰可联系客服补差价。",
        ["发什么快递", "能发顺丰吗", "可以指定快递公司吗"],
        "policy",
        "物流配送",
    ),
    (
        "物流一直不更新怎么办",
        "物流超过48小时不更新，请把订单号发给客服，我们联系快递核实；确认丢件的免费补发。",
        ["快递好几天没动了", "物流信息不更新", "包裹是不是丢了"],
        "faq",
        "物流配送",
    ),
    (
        "收到灯具破损怎么办",
        "签收时请当面验货；收到破损请在48小时内拍下外包装和破损处照片发给客服，核实后免费补发或退款。",
        ["收到的灯罩碎了", "灯到了是坏的", "快递摔坏了怎么处理"],
        "faq",
        "售后政策",
    ),
    (
        "怎么开发票",
        "下单时在备注写发票抬头和税号，电子发票在发货后3天内发到邮箱；需要专票请联系客服。",
        ["发票怎么开", "能开专票吗", "电子发票什么时候给"],
        "faq",
        "订单与发票",
    ),
    (
        "修改收货地址",
        "未发货的订单可以在订单页修改地址，或把新地址发给客服改；已发货的需联系快递改派。",
        ["地址填错了", "怎么改收货地址", "发货了还能改地址吗"],
        "faq",
        "订单与发票",
    ),
    (
        "色温怎么选",
        "色温越低越暖：卧室选3000K暖光，客厅选4000K中性光，书房和厨房选5000K以上白光。",
        ["暖光和白光选哪个", "卧室用多少K的灯", "色温是什么意思"],
        "guide",
        "选购指南",
    ),
    (
        "灯具尺寸怎么选",
        "吸顶灯直径按房间面积选：10平米以内选40cm，15平米左右选50cm，20平米以上选60cm以上。",
        ["多大的房间用多大的灯", "客厅灯选多大尺寸", "吸顶灯尺寸怎么选"],
        "guide",
        "选购指南",
    ),
    (
        "会员积分怎么用",
        "每消费1元积1分，100积分抵1元，下单时勾选使用；积分有效期一年。",
        ["积分能抵钱吗", "积分怎么用", "会员积分有什么用"],
        "policy",
        "会员与活动",
    ),
    (
        "优惠券用不了",
        "优惠券需满足使用门槛且在有效期内，特价商品和部分新品不能用券；一个订单只能用一张。",
        ["优惠券为什么用不了", "领的券怎么不能用", "可以叠加优惠券吗"],
        "faq",
        "会员与活动",
    ),
    (
        "价格保护规则",
        "下单后7天内本店同款降价，可申请退差价；活动秒杀和赠品不参与价保。",
        ["买了就降价能退差价吗", "价保怎么申请", "降价了补差价吗"],
        "policy",
        "会员与活动",
    ),
    (
        "安抚话术：物流延误",
        "亲，非常抱歉让您久等了！我已经帮您催促快递，有进展第一时间告诉您，请您放心。",
        [],
        "script",
        "服务话术",
    ),
    (
        "欢迎话术",
        "您好，欢迎光临本店！我是客服，很高兴为您服务，请问有什么可以帮您？",
        [],
        "script",
        "服务话术",
    ),
]
SYNONYMS = [
    "退款 退钱 返款 退回钱",
    "发票 开票 票据",
    "快递 物流 包裹",
    "不亮 没反应 不能亮",
    "破损 碎了 摔坏",
    "安装 装 上门安装",
    "退货 退 退回",
    "坏 坏了 故障",
    "保修 质保 保修期",
    "调光 调亮度",
    "色温 冷暖光",
    "运费 邮费",
    "优惠券 券",
]
CATEGORIES = [
    "商品资料",
    "常见问题",
    "售后政策",
    "物流配送",
    "订单与发票",
    "选购指南",
    "会员与活动",
    "服务话术",
]


@dataclass
class Entry:
    key: str
    title: str
    body: str
    category: str
    kind: str = "faq"
    visibility: str = "public"
    tags: list[str] = field(default_factory=list)
    sku: str = ""
    specs: str = ""
    price: Decimal | None = None
    care_notes: str = ""


def products() -> list[tuple[str, str, str, str, int, Decimal, str]]:
    """(series, kind, name, sku, power, price, where) for every product: 20 series × 8 kinds,
    the first 2 kinds in every series and the rest in every other series."""
    out = []
    for i, series in enumerate(SERIES):
        for j, (kind, prefix, power, price, where) in enumerate(KINDS):
            if j >= 2 and (i + j) % 2:
                continue
            out.append(
                (
                    series,
                    kind,
                    f"{series}{kind}",
                    f"{prefix}-{100 + i * 10 + j}",
                    power,
                    price,
                    where,
                )
            )
    return out


def entries(*, products_limit: int | None = None) -> list[Entry]:
    """Every article of the catalogue (a few hundred)."""
    found: list[Entry] = []
    for series, kind, name, sku, power, price, where in products()[:products_limit]:
        found.append(
            Entry(
                key=f"sheet:{name}",
                title=f"{name} {sku} 商品资料",
                body=f"{name}，适合{where}。{power}W LED 光源，显色指数 Ra≥90，无频闪。",
                category="商品资料",
                kind="product",
                tags=[kind, series],
                sku=sku,
                specs=f"功率 {power}W\n色温 3000-6500K\n光源 LED\n电压 220V",
                price=price,
                care_notes="断电后用干软布擦拭，勿用酒精或湿布擦灯罩。",
            )
        )
        for t, (title, body, _questions) in enumerate(FAQS):
            values = {
                "name": name,
                "series": series,
                "kind": kind,
                "warranty": 2 if kind in ("吊灯", "落地灯") else 1,
                "dimming": "无极调光和三档色温" if power >= 12 else "三段开关调光",
            }
            found.append(
                Entry(
                    key=f"faq{t}:{name}",
                    title=title.format(**values),
                    body=body.format(**values),
                    category="常见问题",
                    tags=[kind],
                    visibility="public" if t != 1 else "internal",
                )
            )
    for p, (title, body, _questions, kind, category) in enumerate(POLICIES):
        found.append(
            Entry(
                key=f"policy{p}",
                title=title,
                body=body,
                category=category,
                kind=kind,
                visibility="internal" if kind == "script" else "public",
            )
        )
    return found


def questions(
    *, limit: int = 200, seed: int = 17, products_limit: int | None = None
) -> list[tuple[str, str]]:
    """(question as a customer types it, key of the article that answers it), `limit` of them."""
    pool: list[tuple[str, str]] = []
    for series, kind, name, *_rest in products()[:products_limit]:
        for t, (_title, _body, asked) in enumerate(FAQS):
            for q in asked:
                pool.append((q.format(name=name, series=series, kind=kind), f"faq{t}:{name}"))
    for p, (_title, _body, asked, _kind, _category) in enumerate(POLICIES):
        for q in asked:
            pool.append((q, f"policy{p}"))
    policy = [x for x in pool if x[1].startswith("policy")]
    rest = [x for x in pool if not x[1].startswith("policy")]
    random.Random(seed).shuffle(rest)
    return (policy + rest)[:limit]


TRADE_WORDS = ["色温", "调光", "顺丰", "驱动电源", "运费险", "七天无理由", "价保", "灯罩", "灯座"]


def domain_words() -> list[str]:
    return [
        *TRADE_WORDS,
        *SERIES,
        *(k for k, *_ in KINDS),
        *(name for _s, _k, name, *_r in products()),
    ]
