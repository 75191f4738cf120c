"""Demo tickets: the complaint categories 客诉分类, routing rules, time limits, and four months of tickets.

About 1,500 tickets (KEFU_DEMO_TICKETS; 0 builds only the categories, rules and time limits) of every
type, channel and priority, linked to the demo customers and worked by the demo agents, department
staff and supervisors. Every ticket lives its life through the real services (create_ticket, the
loop's moves, add_note) with `now` set in the past, in the order it happened: numbers, deadlines,
versions and timeline entries are what the application itself would have written. The time-limit
sweep runs along the way (during working hours) and once more at the end, so breaches are on
record for the months past and for the tickets still open.

Nobody is told about this history: the events of the build are dropped before commit (no
notifications, no e-mail about months-old demo tickets).
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import os
import random
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from faker import Faker

from kefu.accounts.models import Department, User
from kefu.accounts.roles import Role
from kefu.core.business_calendar import BusinessCalendar
from kefu.core.events import muted
from kefu.core.models import TimelineEntry
from kefu.customers.models import Customer, Level
from kefu.tickets.models import (
    Channel,
    NoteKind,
    RoutingRule,
    Satisfaction,
    SlaPolicy,
    Ticket,
    TicketCategory,
    TicketNote,
)
from kefu.tickets.services import loop, sla
from kefu.tickets.services.tickets import add_note, create_ticket, set_watching
from kefu.tickets.states import Priority, TicketType

DEFAULT_COUNT = 1500
HISTORY_DAYS = 120

# --- the catalog ---------------------------------------------------------------------------------

# root, its department code, [(leaf, department code when it differs from the root's)]
CATEGORY_TREE: list[tuple[str, str, list[tuple[str, str | None]]]] = [
    ("产品质量", "tech", [("屏幕故障", None), ("电池与充电", None), ("外观瑕疵", "warehouse"), ("功能异常", None), ("配件缺失", "warehouse")]),
    ("物流配送", "warehouse", [("延迟发货", None), ("快递破损", None), ("错发漏发", None), ("物流停滞", None)]),
    ("售后服务", "warehouse", [("退换货", None), ("维修进度", "tech"), ("退款到账", "finance"), ("安装服务", "tech")]),
    ("服务态度", "audit", [("客服态度", None), ("快递员态度", None), ("安装师傅态度", None), ("回复不及时", None)]),
    ("价格与活动", "finance", [("价格保护", None), ("优惠券使用", None), ("活动规则争议", None), ("赠品未发", "warehouse")]),
    ("账户与支付", "finance", [("重复扣款", None), ("发票问题", None), ("会员积分", None), ("账户安全", "tech")]),
    ("产品咨询", "tech", [("规格参数", None), ("使用方法", None), ("库存与到货", "warehouse")]),
    ("其他", "audit", []),
]

# 客诉处理时限标准 in working minutes: (name, category path or None, priority, first response, stage, resolution)
SLA_POLICIES: list[tuple[str, tuple[str, ...] | None, str, int, int, int]] = [
    ("默认时限", None, "", 60, 480, 1440),
    ("紧急工单", None, Priority.URGENT, 30, 120, 480),
    ("高优先级工单", None, Priority.HIGH, 45, 240, 960),
    ("低优先级工单", None, Priority.LOW, 120, 960, 2880),
    ("产品质量投诉", ("产品质量",), "", 60, 480, 2400),
    ("产品质量紧急投诉", ("产品质量",), Priority.URGENT, 30, 180, 960),
    ("维修进度", ("售后服务", "维修进度"), "", 60, 960, 4800),
    ("物流紧急投诉", ("物流配送",), Priority.URGENT, 30, 120, 960),
    ("服务态度投诉", ("服务态度",), "", 30, 240, 960),
    ("重复扣款", ("账户与支付", "重复扣款"), "", 30, 240, 960),
    ("账户安全紧急处理", ("账户与支付", "账户安全"), Priority.URGENT, 15, 60, 240),
    ("产品咨询", ("产品咨询",), "", 30, 240, 480),
]

# --- the words of the tickets (demo data in Chinese, not msgids) -----------------------------------

PRODUCTS = ["智能手机", "平板电脑", "蓝牙耳机", "智能手表", "扫地机器人", "空气净化器", "电饭煲", "显示器",
            "笔记本电脑", "充电宝", "无线路由器", "电动牙刷", "加湿器", "行李箱"]
COURIERS = ["顺丰速运", "中通快递", "圆通速递", "韵达快递", "京东物流", "邮政EMS", "申通快递"]
COURIER_PREFIX = {"顺丰速运": "SF", "中通快递": "ZT", "圆通速递": "YT", "韵达快递": "YD", "京东物流": "JDV",
                  "邮政EMS": "EMS", "申通快递": "ST"}

# (root, leaf) -> the cases of complaints in that category
CASES: dict[tuple[str, str], dict[str, list]] = {
    ("产品质量", "屏幕故障"): {
        "products": ["智能手机", "平板电脑", "显示器", "笔记本电脑", "智能手表"],
        "reports": [
            ("{product}屏幕出现亮点", "订单{order}购买的{product}，收到第{days}天发现屏幕右上角有两个亮点，黑屏时特别明显，影响使用。"),
            ("{product}屏幕频繁闪烁", "{product}用了不到一个月，亮度调低时屏幕频繁闪烁，重启后依旧，客户认为是质量问题。"),
            ("{product}屏幕出现绿色竖线", "客户反映{product}屏幕中间出现一条绿色竖线，没有摔过也没有进水。"),
            ("{product}触摸失灵", "{product}屏幕下半部分触摸没反应，打字经常点不中，已按客服指导恢复出厂设置，问题仍在。"),
        ],
        "demands": ["要求换新机", "要求免费维修", "要求退货退款"],
        "causes": ["技术部检测：屏幕排线松动，属于生产装配问题", "检测确认为面板坏点，超出出厂标准（不超过1个亮点）",
                   "系统固件版本过旧导致触控驱动异常，硬件正常"],
        "plans": ["为客户免费换新，往返运费由公司承担", "寄回维修，更换屏幕总成，维修期间提供备用机",
                  "远程协助客户升级固件，并赠送20元优惠券致歉"],
    },
    ("产品质量", "电池与充电"): {
        "products": ["智能手机", "蓝牙耳机", "充电宝", "智能手表", "扫地机器人", "电动牙刷"],
        "reports": [
            ("{product}续航严重缩水", "客户称{product}充满电只能用{days}个小时，宣传页写的是两天，怀疑电池有问题。"),
            ("{product}充电时机身发烫", "{product}充电十几分钟后机身很烫，客户担心安全问题，不敢继续使用。"),
            ("{product}无法充电", "订单{order}的{product}插上原装充电器没有任何反应，指示灯不亮，换了插座也一样。"),
            ("{product}电池鼓包", "客户发来照片，{product}后盖被顶起，明显电池鼓包，要求尽快处理。"),
        ],
        "demands": ["要求更换电池或换新", "要求退货退款", "要求出具检测报告"],
        "causes": ["检测发现该批次电芯容量偏低，已反馈供应商", "充电接口氧化，接触不良",
                   "客户使用第三方快充充电器导致保护电路触发，电池本身正常"],
        "plans": ["免费更换新电池并延长保修半年", "同批次问题产品一律换新，为客户直接更换新机",
                  "寄送原装充电器，指导正确充电方式，并补偿30元优惠券"],
    },
    ("产品质量", "外观瑕疵"): {
        "products": ["电饭煲", "空气净化器", "显示器", "笔记本电脑", "行李箱", "加湿器"],
        "reports": [
            ("收到的{product}有划痕", "客户开箱发现{product}正面有一道约3厘米的划痕，外包装完好，怀疑出库前就有。"),
            ("{product}外壳掉漆", "{product}边角掉漆，客户认为收到的是展示机或翻新机。"),
            ("{product}颜色与商品页不符", "客户下单的是雾霾蓝，收到的{product}颜色明显偏灰，要求换货。"),
        ],
        "demands": ["要求换新", "要求退货退款", "要求给予补偿"],
        "causes": ["仓库出库前未做外观复检，该批次部分商品运输中摩擦导致划痕", "商品页图片存在色差，未标注“以实物为准”",
                   "包装内衬缺失，运输中商品与纸箱摩擦"],
        "plans": ["换发全新商品，上门取回原件", "客户同意保留商品，补偿50元现金红包", "退货退款，运费由公司承担，并调整商品页图片"],
    },
    ("产品质量", "功能异常"): {
        "products": ["扫地机器人", "蓝牙耳机", "智能手表", "空气净化器", "无线路由器", "加湿器"],
        "reports": [
            ("{product}频繁死机", "{product}每天要死机两三次，只能强制重启，客户非常不满。"),
            ("{product}连不上手机App", "{product}按说明书操作也无法绑定App，客户已经试了{days}次，要求技术支持或退货。"),
            ("{product}运行时有异响", "{product}运行时有明显的咔咔声，晚上根本没法用。"),
            ("{product}使用中自动关机", "使用中{product}会突然自动关机，电量显示还有一半。"),
        ],
        "demands": ["要求换新", "要求上门检测", "要求退货退款"],
        "causes": ["固件存在已知缺陷，新版本已修复", "主板元件虚焊，属于个体质量问题",
                   "客户家中Wi-Fi为5G频段，设备只支持2.4G，说明书未写明"],
        "plans": ["推送新固件并远程指导升级，升级后持续观察三天", "上门取件维修，修好后顺丰寄回", "换新处理，说明书增加网络频段说明"],
    },
    ("产品质量", "配件缺失"): {
        "products": ["显示器", "扫地机器人", "空气净化器", "笔记本电脑", "电动牙刷"],
        "reports": [
            ("{product}少了充电器", "订单{order}收到的{product}包装盒里没有充电器，装箱清单上写有。"),
            ("{product}缺少安装配件", "{product}少了安装螺丝和挂架，客户无法安装。"),
            ("{product}没有说明书和保修卡", "客户收到的{product}没有说明书和保修卡，担心以后无法保修。"),
        ],
        "demands": ["要求尽快补发配件", "要求补发并给予补偿"],
        "causes": ["仓库打包时漏放配件，打包员未按装箱清单核对", "供应商来货配件短少，入库抽检未发现"],
        "plans": ["顺丰加急补发缺失配件，并赠送10元无门槛券", "补发配件，仓库打包环节增加称重复核"],
    },
    ("物流配送", "延迟发货"): {
        "reports": [
            ("下单{days}天还没发货", "客户{date}下单{product}（订单{order}），页面承诺48小时内发货，至今未发货也没有任何通知。"),
            ("预售商品超期未发货", "预售的{product}承诺{date}前发货，已经超期，客户等着送人。"),
            ("催了几次还是不发货", "客户已经在线催了三次，每次都说今天发，订单{order}至今仍是“待发货”。"),
        ],
        "demands": ["要求立即发货", "要求取消订单并赔偿", "要求说明原因"],
        "causes": ["该商品库存数据不同步，实际已缺货", "大促期间订单积压，拣货延迟", "收货地址需人工审核，订单卡在审核环节"],
        "plans": ["当天顺丰加急发出，按规则赔付延迟发货补偿金10元", "客户同意再等三天，赠送20元优惠券",
                  "客户要求取消订单，全额退款并补偿优惠券"],
    },
    ("物流配送", "快递破损"): {
        "products": ["显示器", "电饭煲", "空气净化器", "加湿器", "智能手机"],
        "reports": [
            ("收到的{product}摔坏了", "{courier}送来的包裹外箱被压扁，里面的{product}摔坏了，客户已拍照留证。"),
            ("{product}玻璃面板碎裂", "客户签收后开箱发现{product}玻璃面板碎裂，快递员已经离开。"),
            ("包裹有被拆开的痕迹", "{courier}包裹胶带被重新缠过，{product}的包装盒也被打开过，客户怀疑被调包。"),
        ],
        "demands": ["要求重新发货", "要求退款", "要求赔偿损失"],
        "causes": ["快递运输途中暴力分拣，外箱受压", "易碎品未使用防震泡沫，包装不达标", "中转站拆包抽检后未按规范重新封装"],
        "plans": ["重新发一件新品，破损件由快递上门取回，公司向快递公司索赔", "客户选择退款，全额退款并补偿15元",
                  "重新发货并改用加厚包装，向客户致歉"],
    },
    ("物流配送", "错发漏发"): {
        "reports": [
            ("发错颜色", "客户买的是白色{product}，收到的是黑色。"),
            ("订单少发了一件", "订单{order}买了两件{product}，只收到一件，物流显示已全部签收。"),
            ("收到的不是自己买的商品", "客户下单的是{product}，打开包裹是一个加湿器。"),
        ],
        "demands": ["要求补发正确商品", "要求补发漏发的商品", "要求退款"],
        "causes": ["拣货员看错库位，相邻库位放置了相似商品", "订单拆包发货，第二个包裹尚未出库，系统却显示全部发出",
                   "面单贴错，两个订单的包裹互换"],
        "plans": ["补发正确商品，错发商品由快递上门取回", "立即补发漏发商品，赠送10元券致歉", "补发商品，库位重新规划并张贴醒目标识"],
    },
    ("物流配送", "物流停滞"): {
        "reports": [
            ("物流{days}天没有更新", "{courier}单号{tracking}从{date}起一直停在中转站，客户着急使用。"),
            ("显示已签收但没收到", "{courier}单号{tracking}显示已签收，客户本人和家人都没有收到。"),
            ("快递一直派送不到", "物流显示派送中已经三天，快递员电话打不通。"),
        ],
        "demands": ["要求尽快送达", "要求补发", "要求退款"],
        "causes": ["中转站爆仓，包裹滞留", "快递员未经同意放在驿站代收，未通知客户", "收件地址楼号有误，快递员无法派送"],
        "plans": ["联系快递加急派送，同时补发一件，后到的包裹拒收退回", "联系驿站确认包裹位置，客户已取回，补偿5元红包",
                  "核对地址后重新派送，并向客户致歉"],
    },
    ("售后服务", "退换货"): {
        "reports": [
            ("退货申请一直没人审核", "客户{date}提交了{product}的退货申请，已经{days}天了，状态还是“待审核”。"),
            ("寄回的商品仓库说没收到", "客户退回的{product}物流显示{date}已签收，客服说仓库没收到，不给退款。"),
            ("换货寄回后迟迟不发新货", "客户换货的{product}已经寄回一周，新货还没发。"),
        ],
        "demands": ["要求尽快退款", "要求尽快发出换货商品"],
        "causes": ["售后审核人员休假，申请积压未分配", "退件已到仓库但漏扫码入库", "换货商品缺货，未及时告知客户"],
        "plans": ["当天完成审核并安排上门取件", "仓库补登退件，当天退款", "当天发出换货商品，并赠送20元优惠券"],
    },
    ("售后服务", "维修进度"): {
        "reports": [
            ("{product}送修一个月没有结果", "客户{date}寄回{product}维修，至今没有进度，电话也没人回。"),
            ("维修后问题依旧", "{product}维修寄回后还是同样的问题，客户要求换新。"),
            ("维修报价太高", "{product}在保修期内，售后却报价{amount}元维修费。"),
        ],
        "demands": ["要求给出维修进度", "要求直接换新", "要求免费维修"],
        "causes": ["维修配件缺货，等待厂家调货", "工程师只更换了主板，未检测出电源问题", "保修期按出厂日期计算有误，应按签收日期"],
        "plans": ["直接为客户换新机，不再等待配件", "重新检测维修，费用全免，修好后加急寄回", "按保修期内免费维修，退还已付的检测费"],
    },
    ("售后服务", "退款到账"): {
        "reports": [
            ("退款{days}天还没到账", "订单{order}退款{amount}元，系统显示已退款，客户银行卡一直没收到。"),
            ("退款金额不对", "客户退货退款应退{amount}元，实际只收到一部分，没有任何说明。"),
        ],
        "demands": ["要求尽快到账", "要求补足差额"],
        "causes": ["银行退款通道处理延迟，款项在途", "退款时扣除了赠品金额，但未提前告知客户"],
        "plans": ["财务部提供退款凭证和流水号，协助客户向银行查询", "补退差额，并向客户解释赠品扣款规则"],
    },
    ("售后服务", "安装服务"): {
        "products": ["空气净化器", "显示器", "无线路由器"],
        "reports": [
            ("预约安装师傅没有上门", "客户预约了{date}上午安装，在家等了一天，师傅没来也没打电话。"),
            ("安装师傅另外收费", "安装{product}时师傅收了{amount}元材料费，商品页写的是免费安装。"),
        ],
        "demands": ["要求尽快上门安装", "要求退还费用"],
        "causes": ["安装网点排单遗漏", "师傅收取的是远程费，收费标准未提前公示"],
        "plans": ["重新预约次日上午上门，补偿30元", "退还额外收取的费用，并对安装网点处罚"],
    },
    ("服务态度", "客服态度"): {
        "reports": [
            ("客服态度恶劣", "客户反映{date}在线咨询时，客服回复敷衍，还说“爱买不买”。"),
            ("电话客服中途挂断", "客户说话还没说完，客服就挂断了电话，再打进来换了一个人又要从头说。"),
            ("客服推诿不解决问题", "客户咨询了三次，每个客服说法都不一样，问题一直没解决。"),
        ],
        "demands": ["要求道歉", "要求处理当事客服", "要求给出明确答复"],
        "causes": ["调取聊天记录核实，客服用语不规范，存在不耐烦情绪", "通话录音显示因网络中断掉线，并非客服主动挂断",
                   "客服对售后政策掌握不准，答复口径不一致"],
        "plans": ["当事客服书面检讨、本月绩效扣分，由客服主管致电道歉", "向客户解释掉线原因并致歉，赠送20元券",
                  "统一售后答复口径并组织培训，主管回电给出明确答复"],
    },
    ("服务态度", "快递员态度"): {
        "reports": [
            ("快递员不送货上门", "{courier}快递员不送上楼，让客户自己下楼取，客户家里有老人不方便。"),
            ("快递员态度很差", "客户询问为什么包裹晚到，{courier}快递员出言不逊。"),
        ],
        "demands": ["要求快递公司道歉", "要求更换快递"],
        "causes": ["核实为快递员个人服务问题，已反馈快递网点", "该小区快递统一放驿站，但下单页未提示"],
        "plans": ["向快递网点投诉，网点致电道歉，后续订单备注送货上门", "客户后续订单指定顺丰发货，赠送10元券"],
    },
    ("服务态度", "安装师傅态度"): {
        "reports": [
            ("安装师傅态度恶劣", "安装师傅迟到两个小时，客户问了一句就很不耐烦。"),
            ("安装师傅把墙面弄脏", "师傅安装完没有清理，墙面和地板都是灰，客户不满意。"),
        ],
        "demands": ["要求道歉", "要求赔偿"],
        "causes": ["安装网点派单过多，师傅赶时间", "师傅未按服务规范铺设防尘布"],
        "plans": ["网点负责人上门道歉，赔偿清洁费50元", "对安装网点通报批评，客户补偿30元"],
    },
    ("服务态度", "回复不及时"): {
        "reports": [
            ("留言两天没人回复", "客户在店铺留言咨询{product}售后，两天没人回复。"),
            ("在线客服排队太久", "客户{date}晚上排队四十分钟才有客服接待。"),
        ],
        "demands": ["要求改进", "要求尽快答复原问题"],
        "causes": ["夜间留言未设置自动转交，次日早班漏看", "晚高峰排班人手不足"],
        "plans": ["设置留言自动分配，当天回复客户原问题并致歉", "调整晚班排班，向客户致歉并赠送10元券"],
    },
    ("价格与活动", "价格保护"): {
        "reports": [
            ("买完就降价，要求补差价", "客户{date}以{amount}元购买{product}，三天后降价100元，要求按价保规则补差。"),
            ("价保申请被拒", "客户在价保期内申请补差，系统显示“不符合条件”，没有说明原因。"),
        ],
        "demands": ["要求补差价", "要求说明拒绝原因"],
        "causes": ["价保系统未识别活动价，误判为不符合条件", "降价为限时秒杀，规则写明不参与价保但页面不够醒目"],
        "plans": ["人工补差价，原路退回差额", "按规则解释秒杀不参与价保，作为关怀补偿20元券"],
    },
    ("价格与活动", "优惠券使用"): {
        "reports": [
            ("优惠券无法使用", "客户领取的满300减30优惠券，下单{product}时提示“不可用”。"),
            ("下单后优惠券没退回", "客户取消了订单{order}，用掉的优惠券没有退回。"),
        ],
        "demands": ["要求补发优惠券", "要求按优惠价补差"],
        "causes": ["该商品不在优惠券适用范围，领券页未写清", "订单取消后优惠券退回任务失败"],
        "plans": ["补发同等面额优惠券并完善领券页说明", "系统补发优惠券，修复退券任务"],
    },
    ("价格与活动", "活动规则争议"): {
        "reports": [
            ("满减活动没有生效", "客户购物车满599元，结算时没有减100元。"),
            ("抽奖中奖后没有兑现", "客户{date}参加抽奖中了{product}，至今没有发货。"),
        ],
        "demands": ["要求按活动规则补差", "要求兑现奖品"],
        "causes": ["满减只针对自营商品，客户购物车含第三方商品", "奖品发放名单漏导入"],
        "plans": ["按活动规则补差价，修改活动页说明", "补发奖品并向客户致歉"],
    },
    ("价格与活动", "赠品未发"): {
        "reports": [
            ("赠品没有收到", "订单{order}页面写明赠送保护套，收到的包裹里没有。"),
            ("赠品与宣传不符", "宣传的赠品是原装耳机，收到的是杂牌耳机。"),
        ],
        "demands": ["要求补发赠品", "要求按宣传兑现"],
        "causes": ["赠品库存不足，系统未拦截", "赠品供应商临时更换，页面未更新"],
        "plans": ["补发赠品并赠送10元券", "补发原装赠品，页面同步更新"],
    },
    ("账户与支付", "重复扣款"): {
        "reports": [
            ("一笔订单扣了两次钱", "客户支付订单{order}时页面卡住，重新支付后银行卡被扣了两次{amount}元。"),
            ("取消订单后仍然扣款", "客户已取消订单{order}，第二天仍被扣款{amount}元。"),
        ],
        "demands": ["要求退回多扣的款项"],
        "causes": ["支付回调超时，系统未识别第一笔支付成功", "订单取消与自动扣款同时发生"],
        "plans": ["退回重复扣款，3个工作日内原路到账", "全额退款并补偿10元券"],
    },
    ("账户与支付", "发票问题"): {
        "reports": [
            ("发票抬头开错", "客户申请的是公司抬头，收到的发票开成了个人。"),
            ("申请发票半个月没收到", "客户{date}申请了订单{order}的电子发票，至今没有收到。"),
        ],
        "demands": ["要求重开发票", "要求尽快开具"],
        "causes": ["开票员录入时未核对抬头类型", "电子发票发送邮箱填写有误，退信未处理"],
        "plans": ["红冲原发票，当天重开并发送到客户邮箱", "核对邮箱后重新发送，并向客户致歉"],
    },
    ("账户与支付", "会员积分"): {
        "reports": [
            ("积分无故清零", "客户账户里的3000多积分突然清零，没有收到任何通知。"),
            ("购物没有积分", "客户订单{order}确认收货一周了，积分没有到账。"),
        ],
        "demands": ["要求恢复积分", "要求补发积分"],
        "causes": ["年度积分到期清零，提前通知短信未发送成功", "第三方店铺订单不参与积分，页面未说明"],
        "plans": ["恢复积分并延期三个月", "补发本单积分，完善积分规则说明"],
    },
    ("账户与支付", "账户安全"): {
        "reports": [
            ("账号被盗刷", "客户账户{date}夜里下了两笔订单，客户本人没有操作，要求立即冻结。"),
            ("收到陌生验证码", "客户连续收到登录验证码短信，担心账号被盗。"),
        ],
        "demands": ["要求冻结账户并退款", "要求确认账户安全"],
        "causes": ["客户密码在其他网站泄露被撞库登录", "他人输错手机号触发验证码，账户未被登录"],
        "plans": ["冻结账户、拦截订单并全额退款，协助客户修改密码并开启登录保护", "核实无异常登录，指导客户开启登录保护"],
    },
    ("产品咨询", "规格参数"): {
        "reports": [
            ("商品参数与宣传不符", "{product}商品页写的是{days}000mAh电池，实际只有宣传的一半左右。"),
        ],
        "demands": ["要求退货退款", "要求赔偿"],
        "causes": ["商品页参数录入错误", "宣传使用的是实验室数据，未标注测试条件"],
        "plans": ["修改商品页参数，支持客户无理由退货并补偿运费", "补偿30元优惠券，并在商品页标注测试条件"],
    },
    ("其他", ""): {
        "reports": [
            ("对处理结果不满意", "客户对上次工单的处理结果不满意，要求由领导出面解决。"),
            ("会员生日礼没有收到", "客户是VIP会员，生日当月没有收到生日礼包。"),
        ],
        "demands": ["要求给出说法"],
        "causes": ["上次处理仅给出优惠券，未解决客户实际问题", "生日礼包发放名单漏了部分会员"],
        "plans": ["由客服经理致电沟通，按客户诉求重新处理", "补发生日礼包并致歉"],
    },
}

# (reason it is not valid, the tactful reply), by root (None: any)
INVALID: list[tuple[str | None, str, str]] = [
    ("产品质量", "商品已超过7天无理由退货期限，且有明显使用痕迹，不属于质量问题",
     "非常理解您的心情。按照平台规则，签收超过7天的商品无法无理由退货；我们可以为您安排免费检测，如确有质量问题将按三包政策处理。"),
    ("产品质量", "检测为客户使用第三方充电器导致，产品本身无质量问题",
     "感谢您的耐心等待。检测结果显示产品本身正常，建议使用原装充电器；我们为您寄送一根原装数据线，希望您使用愉快。"),
    ("产品质量", "客户将正常功能（屏幕自动休眠）误认为故障",
     "您好，屏幕一段时间无操作会自动休眠以节省电量，可在设置中调整时长。已为您发送图文说明，有问题随时联系我们。"),
    ("物流配送", "物流记录显示客户本人签收，签收时未提出异议，外箱照片完好",
     "您好，经核实包裹由您本人签收且外包装完好。如商品本身有问题，我们可以为您走售后检测流程，请您放心。"),
    ("物流配送", "客户下单时选择的是预售商品，发货时间在预售期内",
     "您好，您购买的是预售商品，页面约定的发货时间尚未到，我们会在到货后第一时间发出，请您谅解。"),
    ("价格与活动", "降价发生在价保期（7天）之外",
     "非常理解您的心情。本次降价已超出7天价保期，无法补差；为感谢您的支持，送您一张10元无门槛优惠券。"),
    ("价格与活动", "活动页已写明优惠券不与满减同享",
     "您好，本次活动规则为优惠券与满减二选一，系统已自动为您选择更优惠的方式，给您带来的困扰敬请谅解。"),
    (None, "同一问题已在上一张工单处理完毕，回访时客户表示满意",
     "您好，您反映的问题已于此前处理完毕，如仍有新的情况，请告诉我们具体细节，我们会再次跟进。"),
    (None, "客户要求的赔偿金额远超商品价值，问题已按规定处理",
     "非常理解您的心情，您的问题我们已按公司售后规定处理，赔偿标准对所有客户一致，还请您谅解。"),
    ("服务态度", "调取录音核实，客服全程用语规范，并无不当言行",
     "感谢您的反馈，我们已认真核查通话录音，未发现不当用语。给您带来不愉快的体验，我们深表歉意，会继续提升服务。"),
]
PLAN_RETURN_REASONS = [
    "补偿方案没有写明费用由哪个部门承担，请补充",
    "客户是VIP会员，只给优惠券不够，建议直接换新",
    "方案没有写完成时限，请注明具体日期",
    "退款金额计算有误，请与财务部核对后重新提交",
    "请先联系客户确认能否接受上门取件的时间",
]
CARRIED_OUT_NOTES = [
    "已按方案处理，新品已由{courier}发出，单号{tracking}",
    "款项已原路退回，财务流水号已告知客户",
    "已完成上门处理，客户当场确认",
    "配件已补发，客户已签收",
    "已按方案执行，并已致电客户说明",
    "",
]
VISIT_OUTCOMES = {
    Satisfaction.VERY_SATISFIED: ["客户表示问题已彻底解决，对处理速度非常满意", "客户很满意，说以后还会在店里买"],
    Satisfaction.SATISFIED: ["客户确认问题已解决，对处理结果满意", "客户已收到换新商品，使用正常，感谢跟进",
                             "客户确认款项已到账，没有其他诉求"],
    Satisfaction.NEUTRAL: ["客户表示问题解决了，但处理时间太长", "客户接受方案，但对补偿金额感觉一般"],
    Satisfaction.DISSATISFIED: ["客户认为补偿太少，仍有不满", "客户表示换回的商品还有小问题，会再观察"],
    Satisfaction.VERY_DISSATISFIED: ["客户对处理结果很不满意，表示要向消费者协会投诉"],
}
REOPEN_REASONS = [
    "客户来电反映问题再次出现",
    "客户收到换货后发现同样的问题",
    "客户对处理结果不满意，要求重新处理",
    "客户补充提供了新的照片和视频",
    "款项仍未到账，客户再次来电",
]
PROGRESS_NOTES = {
    "tech": ["已收到寄回的样机，正在检测", "检测报告预计明天出，已通知客服部", "已联系厂家技术支持协助分析"],
    "warehouse": ["已调取出库监控核实打包过程", "已联系快递公司核实派送记录", "仓库已盘点该库位，确认存在错放"],
    "finance": ["已向银行提交查询，等待回执", "已核对该笔订单的支付流水", "差额已提交审批，预计今天下午退回"],
    "audit": ["已调取通话录音和聊天记录", "已约谈当事人，了解事情经过", "正在核实服务网点的派单记录"],
}
INFO_REQUESTS = [
    "请补充客户拍摄的照片或视频",
    "请提供客户的订单号和收货地址",
    "请向客户确认是否使用原装充电器",
    "请向客户要一下银行卡后四位，方便查询",
    "请确认客户方便上门的时间",
]
CS_NOTES = [
    "客户情绪比较激动，回复时注意安抚",
    "VIP客户，请优先处理",
    "客户要求只在工作日下午联系",
    "已电话告知客户处理进度，客户表示理解",
    "客户已多次来电催促",
    "已按部门要求补充了客户提供的照片",
]

# Short flow: (type, root, leaf, subject, content, answer)
SHORT_CASES: list[tuple[str, str, str, str, str, str]] = [
    (TicketType.CONSULTATION, "产品咨询", "规格参数", "{product}支持快充吗", "客户想确认{product}支持多少瓦快充，包装里有没有充电头。",
     "{product}最高支持33W快充，包装内附原装充电器和数据线。"),
    (TicketType.CONSULTATION, "产品咨询", "规格参数", "{product}有几种颜色", "客户想买{product}送人，问有哪些颜色可选。",
     "目前有曜石黑、雾霾蓝、月光白三种颜色，其中月光白库存较少，建议尽快下单。"),
    (TicketType.CONSULTATION, "产品咨询", "规格参数", "{product}的尺寸和重量", "客户担心{product}放不下，询问具体尺寸和重量。",
     "已发送商品规格参数和尺寸图，客户确认可以放下。"),
    (TicketType.CONSULTATION, "产品咨询", "规格参数", "{product}保修多久", "客户询问{product}的保修期限和保修范围。",
     "整机保修一年，主要部件保修两年，人为损坏不在保修范围内，凭订单号即可保修。"),
    (TicketType.CONSULTATION, "产品咨询", "使用方法", "{product}怎么连接蓝牙", "客户第一次使用{product}，不知道怎么配对。",
     "已发送图文教程：长按电源键5秒进入配对模式，在手机蓝牙列表中选择设备名称即可。"),
    (TicketType.CONSULTATION, "产品咨询", "使用方法", "{product}如何恢复出厂设置", "客户想把{product}转送家人，需要清除数据。",
     "设置—系统—重置—恢复出厂设置，操作前请先备份数据，已发送操作截图。"),
    (TicketType.CONSULTATION, "产品咨询", "使用方法", "空气净化器滤网多久换一次", "客户询问滤网更换周期和购买方式。",
     "正常使用建议6个月更换一次，机器会提醒；店铺有原装滤网出售，已发送链接。"),
    (TicketType.CONSULTATION, "产品咨询", "使用方法", "扫地机器人怎么设置禁区", "客户想让扫地机器人不进入宠物区域。",
     "在App地图页点击“禁区”，画出区域后保存即可，已发送操作视频。"),
    (TicketType.CONSULTATION, "产品咨询", "库存与到货", "{product}什么时候补货", "客户想买的{product}显示缺货，问什么时候有货。",
     "预计下周三补货，已为客户登记到货提醒，到货后短信通知。"),
    (TicketType.CONSULTATION, "产品咨询", "库存与到货", "下单后几天能到{city}", "客户想知道从仓库发到{city}需要几天。",
     "广州仓发货，{city}一般1到2天送达，偏远地区3天左右。"),
    (TicketType.CONSULTATION, "物流配送", "物流停滞", "帮忙查一下物流", "客户的订单{order}物流一天没更新，请帮忙查询。",
     "已查询，包裹今天上午到达{city}转运中心，预计明天送达。"),
    (TicketType.CONSULTATION, "物流配送", "延迟发货", "能不能指定顺丰发货", "客户着急使用，问能否改发顺丰。",
     "可以，已为订单备注顺丰发货，需补运费差价8元，客户同意。"),
    (TicketType.CONSULTATION, "售后服务", "退换货", "怎么申请七天无理由退货", "客户收到{product}后不想要了，问退货流程。",
     "在订单详情点“申请售后”，选择七天无理由退货，商品不影响二次销售即可，运费由客户承担。"),
    (TicketType.CONSULTATION, "售后服务", "退换货", "换货需要自己出运费吗", "客户的{product}有质量问题想换货，问运费谁出。",
     "质量问题换货往返运费由我们承担，可申请上门取件，无需垫付。"),
    (TicketType.CONSULTATION, "账户与支付", "发票问题", "怎么开增值税专用发票", "客户公司采购，需要开具专票。",
     "在订单页申请发票，选择“增值税专用发票”并填写公司开票信息，3个工作日内寄出。"),
    (TicketType.CONSULTATION, "账户与支付", "会员积分", "积分怎么兑换", "客户询问积分可以兑换什么。",
     "100积分可抵1元，下单时勾选“使用积分”即可，也可在积分商城兑换礼品。"),
    (TicketType.CONSULTATION, "价格与活动", "优惠券使用", "优惠券在哪里领", "客户看到宣传有满减券，找不到领取入口。",
     "首页“领券中心”可以领取，已发送领取链接。"),
    (TicketType.CONSULTATION, "价格与活动", "价格保护", "是否支持价格保护", "客户想现在买{product}，担心过几天降价。",
     "自签收起7天内降价可申请价保补差，秒杀和直播专享价除外。"),
    (TicketType.CONSULTATION, "价格与活动", "活动规则争议", "双十一活动什么时候开始", "客户询问今年大促的时间和力度。",
     "预售10月24日晚8点开始，付尾款后享受满300减50，已发送活动页链接。"),
    (TicketType.SUGGESTION, "服务态度", "回复不及时", "建议增加夜间人工客服", "客户经常晚上下单，希望晚上11点以后也有人工客服。",
     "感谢您的建议，已转交客服部评估夜间排班，采纳后会在店铺公告。"),
    (TicketType.SUGGESTION, "产品咨询", "规格参数", "希望商品页增加视频介绍", "客户认为图片看不清{product}的实际大小，建议加视频。",
     "感谢建议，已反馈给运营部，下月起主要商品会陆续增加实拍视频。"),
    (TicketType.SUGGESTION, "物流配送", "延迟发货", "建议支持京东物流", "客户所在地区顺丰不送上门，希望可以选京东物流。",
     "感谢建议，仓库正在对接京东物流，上线后会通知您。"),
    (TicketType.SUGGESTION, "其他", "", "包装太大太浪费", "客户买了一个充电宝，收到一个很大的纸箱，建议简化包装。",
     "感谢您的环保建议，已转交仓库优化小件商品包装。"),
    (TicketType.SUGGESTION, "账户与支付", "会员积分", "希望积分可以直接抵现", "客户希望积分在结算时直接抵扣，不用去积分商城。",
     "感谢建议，积分抵现功能已在测试，预计下个版本上线。"),
    (TicketType.FEEDBACK, "其他", "", "App订单页面闪退", "客户反映安卓App打开订单详情就闪退，手机型号已记录。",
     "已记录手机型号和App版本并提交技术部，修复版本将在本周发布。"),
    (TicketType.FEEDBACK, "产品质量", "功能异常", "{product}固件升级后耗电变快", "多位客户反映{product}升级新固件后续航明显下降。",
     "已汇总反馈给技术部，新固件已修复耗电问题，请在App中升级。"),
    (TicketType.FEEDBACK, "其他", "", "小程序无法上传图片", "客户在小程序申请售后时上传照片一直失败。",
     "已反馈技术部，问题已修复，请更新小程序后重试。"),
    (TicketType.FEEDBACK, "产品咨询", "使用方法", "说明书翻译有错误", "客户指出{product}说明书第5页的中文步骤与图示不一致。",
     "感谢指正，已转交产品部修订说明书，电子版已更新。"),
    (TicketType.AFTER_SALES, "售后服务", "退换货", "申请退货：{product}不想要了", "客户签收{product}两天，未拆封，申请七天无理由退货。",
     "已审核通过，快递将于明天上门取件，仓库签收后24小时内退款。"),
    (TicketType.AFTER_SALES, "售后服务", "退换货", "申请换货：{product}颜色选错了", "客户下单时选错了颜色，商品未拆封，申请换成白色。",
     "已同意换货，请将商品寄回，仓库收到后当天发出白色款。"),
    (TicketType.AFTER_SALES, "售后服务", "维修进度", "申请保修：{product}按键失灵", "{product}电源键按下没反应，在保修期内。",
     "已创建保修单，请寄回维修中心，预计5个工作日修好寄回。"),
    (TicketType.AFTER_SALES, "账户与支付", "发票问题", "申请补寄纸质发票", "客户报销需要纸质发票，订单{order}。",
     "已安排开具纸质发票，3个工作日内寄出。"),
    (TicketType.AFTER_SALES, "售后服务", "退款到账", "退货已寄回，查询退款进度", "客户退回的{product}已签收，问什么时候退款。",
     "仓库已签收并质检通过，退款已原路退回，1到3个工作日到账。"),
    (TicketType.DISPATCH, "售后服务", "安装服务", "预约上门安装空气净化器", "客户需要上门安装新风型空气净化器，地址在{city}。",
     "已派单给{city}服务网点，师傅将于明天下午2点到4点上门。"),
    (TicketType.DISPATCH, "售后服务", "安装服务", "显示器壁挂安装", "客户购买了显示器挂架，需要上门打孔安装。",
     "已派单，师傅后天上午上门，安装费按商品页标准收取。"),
    (TicketType.DISPATCH, "售后服务", "维修进度", "扫地机器人上门检测", "客户的扫地机器人无法回充，要求上门检测。",
     "已派单给服务网点，工程师将在48小时内联系客户预约上门时间。"),
]

# --- how often what happens ------------------------------------------------------------------

TYPE_WEIGHTS = {
    TicketType.CONSULTATION: 34, TicketType.COMPLAINT: 30, TicketType.AFTER_SALES: 15,
    TicketType.SUGGESTION: 7, TicketType.FEEDBACK: 8, TicketType.DISPATCH: 6,
}
CHANNEL_WEIGHTS = {
    TicketType.COMPLAINT: {Channel.PHONE: 35, Channel.WEB_CHAT: 20, Channel.WECHAT: 15, Channel.SHOP: 14,
                           Channel.EMAIL: 5, Channel.SMS: 3, Channel.COUNTER: 5, Channel.OTHER: 3},
    None: {Channel.WEB_CHAT: 32, Channel.SHOP: 24, Channel.PHONE: 20, Channel.WECHAT: 14, Channel.EMAIL: 4,
           Channel.SMS: 2, Channel.API: 3, Channel.COUNTER: 1},
}
PRIORITY_WEIGHTS = {
    TicketType.COMPLAINT: {Priority.LOW: 5, Priority.NORMAL: 55, Priority.HIGH: 28, Priority.URGENT: 12},
    None: {Priority.LOW: 20, Priority.NORMAL: 68, Priority.HIGH: 10, Priority.URGENT: 2},
}

MAIN = ["confirm", "valid", "cause", "plan", "approve", "carry_out", "visit", "close"]
OPEN_AT = {  # an open complaint waits in a state: the moves that brought it there
    "received": [], "confirmed": MAIN[:1], "routed": MAIN[:2], "investigated": MAIN[:3],
    "plan_proposed": MAIN[:4], "plan_approved": MAIN[:5], "carried_out": MAIN[:6], "return_visited": MAIN[:7],
}
# fate -> (weight, moves, is it still open at the end)
COMPLAINT_FATES: dict[str, tuple[int, list[str], bool]] = {
    "closed": (44, MAIN, False),
    "plan_sent_back": (7, [*MAIN[:4], "send_back", "plan", *MAIN[4:]], False),
    "invalid": (17, ["confirm", "invalid"], False),
    "reopened_closed": (4, [*MAIN, "reopen", *MAIN[1:]], False),
    "reopened_open": (2, [*MAIN, "reopen", *MAIN[1:]], True),  # cut short in Life: still open
    "invalid_reopened": (1, ["confirm", "invalid", "reopen", *MAIN[1:]], False),
    **{f"open_{state}": (weight, moves, True) for (state, moves), weight in zip(
        OPEN_AT.items(), [3, 2, 4, 3, 3, 2, 2, 2], strict=True)},
}
SHORT_FATES: dict[str, tuple[int, list[str], bool]] = {
    "closed": (84, ["answer", "close"], False),
    "open_answered": (6, ["answer"], True),
    "open_received": (5, [], True),
    "reopened_closed": (3, ["answer", "close", "reopen", "answer", "close"], False),
    "reopened_open": (2, ["answer", "close", "reopen"], True),
}
# One of each first, so that even a small demo shows every state, breach and reopening.
COVERAGE: list[tuple[str, str]] = [
    *((TicketType.COMPLAINT, fate) for fate in COMPLAINT_FATES),
    (TicketType.COMPLAINT, "open_routed"),  # one more, stuck for days: a breach
    (TicketType.CONSULTATION, "closed"), (TicketType.CONSULTATION, "open_received"),
    (TicketType.AFTER_SALES, "open_answered"), (TicketType.SUGGESTION, "closed"),
    (TicketType.FEEDBACK, "reopened_closed"), (TicketType.DISPATCH, "closed"),
    (TicketType.CONSULTATION, "reopened_open"),
]
# Tickets opened twice for the same matter (the customer called again) and merged into the first.
DUPLICATES_PER_TICKET = 1 / 80
STUCK = {len(COMPLAINT_FATES)}  # indexes in COVERAGE that wait for days
HOUR_WEIGHTS = [1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 2, 5, 8, 9, 8, 6, 7, 8, 8, 7, 6, 5, 6, 7, 6, 4, 2]
SATISFACTION_WEIGHTS = {Satisfaction.VERY_SATISFIED: 25, Satisfaction.SATISFIED: 48, Satisfaction.NEUTRAL: 17,
                        Satisfaction.DISSATISFIED: 8, Satisfaction.VERY_DISSATISFIED: 2}
# The sweep runs every minute in production; in the demo's past, three times a working day (once
# for a small demo: each sweep costs the same whatever the number of tickets).
SWEEP_TIMES = [dt.time(10, 30), dt.time(14, 30), dt.time(17, 30)]
SMALL_DEMO = 300


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# --- the catalog -----------------------------------------------------------------------------------


def build_catalog() -> dict[tuple[str, str], TicketCategory]:
    """Categories, routing rules and time limits; existing ones (a manager's) are kept as they are."""
    departments = {d.code: d for d in Department.objects.all()}
    categories: dict[tuple[str, str], TicketCategory] = {}
    for root_order, (root_name, root_department, leaves) in enumerate(CATEGORY_TREE, start=1):
        root, _created = TicketCategory.objects.get_or_create(
            parent=None, name=root_name, defaults={"sort_order": root_order * 10})
        categories[root_name, ""] = root
        routes = [(root, root_department)]
        for leaf_order, (leaf_name, leaf_department) in enumerate(leaves, start=1):
            leaf, _created = TicketCategory.objects.get_or_create(
                parent=root, name=leaf_name, defaults={"sort_order": leaf_order * 10})
            categories[root_name, leaf_name] = leaf
            if leaf_department:
                routes.append((leaf, leaf_department))
        for category, code in routes:
            if code in departments and not RoutingRule.objects.filter(category=category).exists():
                RoutingRule.objects.create(category=category, department=departments[code])
    for name, path, priority, first, stage, resolution in SLA_POLICIES:
        category = categories[path[0], path[1] if len(path) > 1 else ""] if path else None
        if not SlaPolicy.objects.filter(category=category, priority=priority, is_active=True).exists():
            SlaPolicy.objects.create(name=name, category=category, priority=priority, first_response_minutes=first,
                                     stage_minutes=stage, resolution_minutes=resolution)
    return categories


# --- the tickets -----------------------------------------------------------------------------------


@dataclass
class Life:
    """One ticket from creation to where it is now: what it says, who works it, and when each move happens."""

    type: str
    fate: str
    moves: list[str]
    category: TicketCategory
    case: dict
    words: dict[str, str]
    subject: str
    content: str
    answer: str
    priority: str
    channel: str
    customer_id: int | None
    complainant: str
    creator: User
    assignee: User | None
    department: Department | None
    staff: User | None
    schedule: list[tuple[dt.datetime, str]] = field(default_factory=list)
    pk: int = 0
    number: str = ""
    survivor: Life | None = None  # a duplicate: the ticket it is merged into
    version: int = 0


class _Builder:
    def __init__(self, *, count: int, seed: int, now: dt.datetime, categories: dict[tuple[str, str], TicketCategory]):
        self.count = count
        self.now = now
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.calendar = BusinessCalendar()
        self.categories = categories
        users = list(User.objects.filter(is_active=True).select_related("department").order_by("id"))
        self.agents = [u for u in users if u.role == Role.AGENT]
        self.supervisors = [u for u in users if u.role == Role.SUPERVISOR]
        self.approvers = self.supervisors + [u for u in users if u.role == Role.MANAGER]
        self.staff = {}
        for user in users:
            if user.role == Role.DEPARTMENT_STAFF and user.department_id:
                self.staff.setdefault(user.department_id, user)
        self.audit = Department.objects.filter(code="audit").first()
        customers = sorted(Customer.objects.filter(merged_into__isnull=True).values_list("created_at", "pk", "name", "level", "city"))
        self.customer_times = [c[0] for c in customers]
        self.customers = customers
        self.routes: dict[int, Department | None] = {}
        self.limits: dict[tuple[int, str], sla.Limits] = {}
        self.notes: list[tuple[int, dt.datetime]] = []

    # what the ticket says

    def _words(self, created: dt.datetime, city: str, products: list[str] | None) -> dict[str, str]:
        rng = self.rng
        courier = rng.choice(COURIERS)
        earlier = timezone.localtime(created) - dt.timedelta(days=rng.randint(2, 12))
        return {
            "product": rng.choice(products or PRODUCTS),
            "order": f"{earlier:%y%m%d}{rng.randint(10**9, 10**10 - 1)}",
            "courier": courier,
            "tracking": f"{COURIER_PREFIX[courier]}{rng.randint(10**11, 10**12 - 1)}",
            "days": str(rng.randint(3, 9)),
            "amount": f"{rng.choice([129, 199, 259, 299, 399, 499, 699, 899, 1299, 1999, 2599])}.00",
            "date": f"{earlier.month}月{earlier.day}日",
            "city": city or rng.choice(["南宁", "柳州", "桂林", "广州", "深圳", "佛山"]),
        }

    def _customer(self, created: dt.datetime) -> tuple | None:
        if not self.customers:
            return None
        known = bisect.bisect_left(self.customer_times, created)
        return self.customers[self.rng.randrange(known)] if known else self.rng.choice(self.customers)

    def _route(self, category: TicketCategory) -> Department | None:
        if category.pk not in self.routes:
            self.routes[category.pk] = loop.routing_department_for(category) or self.audit
        return self.routes[category.pk]

    def _limits(self, life: Life) -> sla.Limits:
        key = (life.category.pk, life.priority)
        if key not in self.limits:
            self.limits[key] = sla.limits_for(category=life.category, priority=life.priority)
        return self.limits[key]

    def _created_at(self, open_now: bool, stuck: bool) -> dt.datetime:
        rng = self.rng
        if stuck:
            days_ago = rng.uniform(8, 20)
        elif open_now:
            days_ago = rng.uniform(0, 1.5) if rng.random() < 0.75 else rng.uniform(1.5, 7)
        else:
            days_ago = HISTORY_DAYS * rng.random() ** 1.25  # a growing shop: more tickets lately
        day = (timezone.localtime(self.now) - dt.timedelta(days=days_ago)).date()
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        moment = dt.datetime.combine(day, dt.time(hour, rng.randint(0, 59), rng.randint(0, 59)),
                                     tzinfo=timezone.get_current_timezone())
        return min(moment, self.now - dt.timedelta(minutes=rng.randint(5, 90)))

    def life(self, type_: str, fate: str, *, stuck: bool = False) -> Life:
        rng = self.rng
        complaint = type_ == TicketType.COMPLAINT
        _weight, moves, open_now = (COMPLAINT_FATES if complaint else SHORT_FATES)[fate]
        created = self._created_at(open_now, stuck)
        customer = self._customer(created) if complaint or rng.random() < 0.9 else None
        if complaint:
            root, leaf = rng.choice(list(CASES))
            case = CASES[root, leaf]
            subject, content = rng.choice(case["reports"])
            answer = ""
        else:
            short = rng.choice([c for c in SHORT_CASES if c[0] == type_])
            _t, root, leaf, subject, content, answer = short
            case = CASES.get((root, leaf), CASES["其他", ""])
        category = self.categories[root, leaf]
        priority = _pick(rng, PRIORITY_WEIGHTS[TicketType.COMPLAINT if complaint else None])
        if customer and customer[3] == Level.VIP and priority in {Priority.LOW, Priority.NORMAL}:
            priority = Priority.HIGH
        agent = rng.choice(self.agents)
        creator = rng.choice(self.supervisors) if self.supervisors and rng.random() < 0.08 else agent
        unassigned = (fate == "open_received" and rng.random() < 0.6) or rng.random() < 0.03
        department = None
        if complaint or type_ in {TicketType.AFTER_SALES, TicketType.DISPATCH}:
            department = self._route(category)
        staff = self.staff.get(department.pk) if department else None
        if fate == "reopened_open":
            moves = moves[:moves.index("reopen") + rng.randint(1, 6 if complaint else 2)]
        if complaint and staff is None:  # nobody could carry it further: it waits at the department
            moves = moves[:moves.index("valid") + 1] if "valid" in moves else moves
        life = Life(
            type=type_, fate=fate, moves=list(moves), category=category, case=case,
            words={}, subject=subject, content=content, answer=answer,
            priority=priority,
            channel=_pick(rng, CHANNEL_WEIGHTS[TicketType.COMPLAINT if complaint else None]),
            customer_id=customer[1] if customer else None,
            complainant=(customer[2] if customer else self.fake.name()) if complaint else "",
            creator=creator, assignee=None if unassigned else agent,
            department=department,
            staff=staff,
        )
        self._schedule(life, created, stuck=stuck)
        created = life.schedule[0][0]
        if customer and customer[0] > created:  # the life was moved back before this customer came
            customer = self._customer(created)
            life.customer_id = customer[1] if customer else None
            if complaint:
                life.complainant = customer[2] if customer else self.fake.name()
        # The words last: dates and order numbers follow the ticket's time once its life is placed.
        life.words = self._words(created, customer[4] if customer else "",
                                 case.get("products") if complaint else None)
        life.subject, life.content, life.answer = (
            text.format_map(life.words) for text in (subject, content, answer))
        return life

    # when each move happens, in working time

    def _later(self, moment: dt.datetime, limit: dt.timedelta, *, late: float = 0.04, quick: bool = False) -> dt.datetime:
        rng = self.rng
        if quick:
            factor = rng.uniform(0.01, 0.25)
        elif rng.random() < late:
            factor = rng.uniform(1.05, 2.5)  # this one misses its time limit
        else:
            factor = rng.betavariate(1.6, 3.2)
        return self.calendar.add_working_time(moment, max(limit * factor, dt.timedelta(minutes=2)))

    def _schedule(self, life: Life, created: dt.datetime, *, stuck: bool) -> None:
        rng = self.rng
        limits = self._limits(life)
        schedule = [(created, "create")]
        moment, responded = created, False
        for move in life.moves:
            if move in {"confirm", "answer"} and not responded:
                moment = self._later(moment, limits.first_response, late=0.08)
                responded = True
            elif move in {"valid", "invalid", "approve", "send_back", "close"}:
                moment = self._later(moment, limits.stage, quick=rng.random() < 0.7)
            elif move == "reopen":
                moment = self.calendar.add_working_time(moment, dt.timedelta(minutes=rng.randint(300, 4000)))
            else:
                moment = self._later(moment, limits.stage)
            schedule.append((moment, move))
            if move == "valid" and life.staff is not None:
                notes = []
                if rng.random() < 0.35:
                    notes.append("note_info")
                if rng.random() < 0.5:
                    notes.append("note_progress")
                if rng.random() < 0.3:
                    notes.append("note_cs")
                for note in notes:
                    schedule.append((self._later(moment, limits.stage, quick=True), note))
                schedule.sort(key=lambda item: item[0])
                moment = schedule[-1][0]
        if life.type == TicketType.COMPLAINT and life.priority == Priority.URGENT and self.supervisors:
            watched = min(created + dt.timedelta(minutes=rng.randint(1, 20)), created + (self.now - created) / 2)
            schedule.append((watched, "watch"))
        schedule.sort(key=lambda item: item[0])
        # Whatever has not happened yet cannot be in the demo: move the whole life back by weeks
        # (the same weekday and hour), so that it ends before now.
        latest = self.now - dt.timedelta(minutes=1)
        end = schedule[-1][0]
        if end > latest:
            weeks = (end - latest) // dt.timedelta(days=7) + 1
            schedule = [(when - dt.timedelta(days=7 * weeks), move) for when, move in schedule]
        life.schedule = schedule

    # the demo's history, in the order it happened

    def duplicate(self, lives: list[Life]) -> Life | None:
        """The same customer about the same matter again, a little later, merged into the first ticket
        while that one is still open."""
        rng = self.rng
        for _attempt in range(20):
            first = rng.choice(lives)
            if first.customer_id is None or first.survivor is not None:
                continue
            created = first.schedule[0][0] + dt.timedelta(minutes=rng.randint(15, 240))
            merged = self.calendar.add_working_time(created, dt.timedelta(minutes=rng.randint(5, 90)))
            ends = [when for when, move in first.schedule if move in {"close", "invalid"}]
            if merged >= min([*ends[:1], self.now - dt.timedelta(minutes=1)]):
                continue
            words = first.words
            return Life(
                type=first.type, fate="merged", moves=["merge"], category=first.category, case=first.case, words=words,
                subject=first.subject, content=f"客户再次来电反映同一问题：{first.content}", answer="",
                priority=first.priority, channel=rng.choice([Channel.PHONE, Channel.WEB_CHAT, Channel.WECHAT]),
                customer_id=first.customer_id, complainant=first.complainant, creator=rng.choice(self.agents),
                assignee=None, department=first.department if first.type != TicketType.COMPLAINT else None,
                staff=None, schedule=[(created, "create"), (merged, "merge")], survivor=first,
            )
        return None

    def run(self) -> list[Life]:
        rng = self.rng
        lives: list[Life] = []
        duplicates = round(self.count * DUPLICATES_PER_TICKET) if self.count > len(COVERAGE) else 0
        for index in range(self.count - duplicates):
            if index < len(COVERAGE):
                type_, fate = COVERAGE[index]
                lives.append(self.life(type_, fate, stuck=index in STUCK))
            else:
                type_ = _pick(rng, TYPE_WEIGHTS)
                fates = COMPLAINT_FATES if type_ == TicketType.COMPLAINT else SHORT_FATES
                lives.append(self.life(type_, _pick(rng, {f: w for f, (w, _m, _o) in fates.items()})))
        for _index in range(duplicates):
            duplicate = self.duplicate(lives)
            if duplicate is not None:
                lives.append(duplicate)
        queue: list[tuple[dt.datetime, int, int, int]] = []
        for i, life in enumerate(lives):
            for k, (when, _move) in enumerate(life.schedule):
                queue.append((when, i, k, 0))
        first = min(when for when, *_rest in queue) if queue else self.now
        day = timezone.localtime(first).date()
        while day <= timezone.localtime(self.now).date():
            if self.calendar.is_working_day(day):
                for at in SWEEP_TIMES if self.count >= SMALL_DEMO else SWEEP_TIMES[-1:]:
                    moment = dt.datetime.combine(day, at, tzinfo=timezone.get_current_timezone())
                    if first < moment < self.now:
                        queue.append((moment, -1, 0, 1))
            day += dt.timedelta(days=1)
        heapq.heapify(queue)
        while queue:
            when, i, k, is_sweep = heapq.heappop(queue)
            if is_sweep:
                sla.sweep_sla(when)
            else:
                self._do(lives[i], lives[i].schedule[k][1], when)
        sla.sweep_sla(self.now)
        self._backdate(lives)
        return lives

    def _do(self, life: Life, move: str, when: dt.datetime) -> None:
        rng = self.rng
        agent = life.assignee or life.creator
        staff = life.staff
        common = {"ticket_id": life.pk, "expected_version": life.version, "now": when}
        words = life.words
        ticket = None
        if move == "create":
            ticket = create_ticket(
                actor=life.creator, type=life.type, subject=life.subject, content=life.content,
                customer_id=life.customer_id, channel=life.channel, category_id=life.category.pk,
                priority=life.priority,
                # a complaint gets its department when it is judged valid (routed)
                department_id=life.department.pk if life.department and life.type != TicketType.COMPLAINT else None,
                assignee_id=life.assignee.pk if life.assignee else None, complainant=life.complainant, now=when,
            )
        elif move == "watch":
            set_watching(actor=rng.choice(self.supervisors), ticket_id=life.pk,
                         user_id=rng.choice(self.supervisors).pk, watching=True)
        elif move.startswith("note_"):
            kind, author, body = {
                "note_info": (NoteKind.INFO_REQUEST, staff, rng.choice(INFO_REQUESTS)),
                "note_progress": (NoteKind.PROGRESS, staff,
                                  rng.choice(PROGRESS_NOTES.get(life.department.code if life.department else "", ["正在核实处理"]))),
                "note_cs": (NoteKind.INTERNAL, agent, rng.choice(CS_NOTES)),
            }[move]
            note = add_note(actor=author, ticket_id=life.pk, kind=kind, body=body)
            self.notes.append((note.pk, when))
        elif move == "confirm":
            demand = rng.choice(life.case["demands"])
            ticket = loop.confirm_restatement(
                actor=agent, **common,
                restatement=f"客户反映：{life.content.removeprefix('客户').rstrip('。')}。诉求：{demand}。已向客户复述，客户确认无误。")
        elif move == "invalid":
            root = life.category.parent.name if life.category.parent else life.category.name
            choices = [c for c in INVALID if c[0] == root] or [c for c in INVALID if c[0] is None]
            _root, reason, reply = rng.choice(choices)
            ticket = loop.judge_complaint_invalid(actor=agent, **common, reason=reason, reply=reply)
        elif move == "valid":
            ticket = loop.judge_complaint_valid(
                actor=agent, **common, department_id=life.department.pk if life.department else None)
        elif move == "cause":
            ticket = loop.record_cause(actor=staff, **common, cause=rng.choice(life.case["causes"]))
        elif move == "plan":
            ticket = loop.propose_resolution_plan(actor=staff, **common, plan=rng.choice(life.case["plans"]))
        elif move == "send_back":
            ticket = loop.return_resolution_plan(actor=rng.choice(self.approvers), **common,
                                                 reason=rng.choice(PLAN_RETURN_REASONS))
        elif move == "approve":
            ticket = loop.approve_resolution_plan(actor=rng.choice(self.approvers), **common)
        elif move == "carry_out":
            ticket = loop.carry_out_resolution_plan(actor=staff, **common,
                                                    note=rng.choice(CARRIED_OUT_NOTES).format_map(words))
        elif move == "visit":
            satisfaction = _pick(rng, SATISFACTION_WEIGHTS)
            ticket = loop.record_return_visit(actor=agent, **common, satisfaction=satisfaction,
                                              outcome=rng.choice(VISIT_OUTCOMES[satisfaction]))
        elif move == "answer":
            ticket = loop.answer_ticket(actor=agent, **common, answer=life.answer)
        elif move == "close":
            ticket = loop.close_ticket(actor=agent, **common)
        elif move == "reopen":
            ticket = loop.reopen_ticket(actor=agent, **common, reason=rng.choice(REOPEN_REASONS))
        elif move == "merge":
            ticket = loop.merge_into(actor=agent, **common, survivor=life.survivor.number)
        else:
            raise AssertionError(move)
        if ticket is not None:
            life.pk, life.version, life.number = ticket.pk, ticket.version, ticket.number

    def _backdate(self, lives: list[Life]) -> None:
        """What the services stamp with the clock (notes, last change) gets the demo's time instead."""
        notes = {pk: when for pk, when in self.notes}
        rows = list(TicketNote.objects.filter(pk__in=notes).only("id"))
        for note in rows:
            note.created_at = notes[note.pk]
        TicketNote.objects.bulk_update(rows, ["created_at"], batch_size=500)
        entries = list(TimelineEntry.objects.filter(kind__startswith="tickets.note_").only("id", "data"))
        for entry in entries:
            entry.occurred_at = notes.get(entry.data.get("note_id"), entry.occurred_at)
        TimelineEntry.objects.bulk_update(entries, ["occurred_at"], batch_size=500)
        last = {life.pk: max(when for when, move in life.schedule if move in {"create", *MAIN, *life.moves})
                for life in lives if life.pk}
        tickets = list(Ticket.objects.filter(pk__in=last).only("id"))
        for ticket in tickets:
            ticket.updated_at = last[ticket.pk]
        Ticket.objects.bulk_update(tickets, ["updated_at"], batch_size=500)


def build(*, password: str, count: int | None = None, seed: int = 2026, now: dt.datetime | None = None) -> None:
    """Idempotent: does nothing when there are tickets already. KEFU_DEMO_TICKETS sets how many
    (1,500 by default; 0 builds only the categories, routing rules and time limits)."""
    if Ticket.objects.exists():
        return
    count = count if count is not None else int(os.environ.get("KEFU_DEMO_TICKETS", str(DEFAULT_COUNT)))
    now = now or timezone.now()
    with transaction.atomic(), muted():
        categories = build_catalog()
        builder = _Builder(count=count, seed=seed, now=now, categories=categories)
        if count <= 0 or not builder.agents:
            return
        builder.run()
