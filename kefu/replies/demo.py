"""Demo canned replies: seed 002's standard phrases (旺旺 language rules) for everyone, the 售前 service
flow 欢迎语→活动告知→宝贝介绍→订单确认→收藏店铺 for the pre-sales team, and a few personal ones.

Shortcuts are pinyin initials, as agents type them: /hy 欢迎, /ax 安抚, /gj 改价 …
"""

from kefu.accounts.models import Team, User
from kefu.replies.models import CannedReply, ReplyCategory

C = ReplyCategory

# (shortcut, category, title, body): seed 002, 职责 1 语言能力 and 售前客服 工作内容及流程.
EVERYONE = [
    (
        "hy",
        C.OPENING,
        "欢迎语",
        "您好！欢迎光临本店😘 我是客服{agent_name}，很高兴为您服务，请问有什么可以帮助您吗？",
    ),
    ("ax", C.COMFORT, "买家遇到问题", "您好！请不要着急！我们会帮您解决处理好的！"),
    (
        "axsh",
        C.COMFORT,
        "收到货反映商品有问题",
        "🙂您好！先不要着急！麻烦您说一下具体情况，我们了解清楚后马上给您解决。",
    ),
    ("gj", C.PRICE, "改价（答应过改价的）", "您请稍等....我马上帮您改！"),
    ("fk", C.PAYMENT, "价格改好，通知付款", "让您久等了，价格已改好，付款后我们会尽快安排发货！"),
    ("wl", C.LOGISTICS, "查询物流", "您好！您稍等下，我马上帮您查询"),
    (
        "wlyc",
        C.LOGISTICS,
        "货还没到",
        "不好意思，还请您再耐心等待一下！我们会立即与快递公司联系，尽快将商品送达您手中",
    ),
    (
        "fh",
        C.LOGISTICS,
        "发货时间",
        "有库存的情况下，当天16:00以前付款都可以当天发货；没有现货的话，当天付款次日发货。",
    ),
    ("bq", C.APOLOGY, "中差评（买家在线）", "您好！刚看过您给我们的评价，真的很抱歉！"),
    ("zj", C.CLOSING, "付款完成，没有其它问题", "合作愉快🤝 再见👋"),
]

# The pre-sales service flow (售前服务流程), for the 售前组 team.
PRESALES = [
    ("hd", C.PRESALES, "活动告知", "亲，本店现在正在做活动：【活动内容】，现在下单更优惠哦！"),
    (
        "bb",
        C.PRESALES,
        "宝贝介绍（引导式回答）",
        "只要您保养得当的话，就不会容易生锈，正常一般都可以用4-5年的！",
    ),
    (
        "dd",
        C.PRESALES,
        "订单确认",
        "{customer_name}您好，跟您确认一下订单：收货地址、商品型号和数量都没问题吧？确认无误我们马上安排发货！",
    ),
    (
        "sc",
        C.PRESALES,
        "收藏店铺",
        "喜欢的话可以收藏一下我们的店铺哦，上新和活动第一时间就能看到～期待您再次光临！",
    ),
]

PERSONAL = [
    (
        "wo",
        C.OPENING,
        "老客户问候",
        "{customer_name}您好！好久不见，很高兴又为您服务，最近用得还满意吗？",
    ),
]


def build(*, password: str) -> None:
    """Idempotent: a shortcut that already exists in its scope is kept as it is."""

    def add(rows, *, owner=None, team=None):
        for position, (shortcut, category, title, body) in enumerate(rows):
            CannedReply.objects.get_or_create(
                shortcut=shortcut,
                owner=owner,
                team=team,
                defaults={"category": category, "title": title, "body": body, "position": position},
            )

    add(EVERYONE)
    presales_team = Team.objects.filter(name="售前组").first()
    if presales_team is not None:
        add(PRESALES, team=presales_team)
    else:
        add(PRESALES)
    agent = User.objects.filter(username="agent1").first()
    if agent is not None:
        add(PERSONAL, owner=agent)
