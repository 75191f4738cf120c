"""The call script 标准语术 shown beside the call form (001: 接听客户来电，按标准语术进行解答，并按
《工作记录表》内容录入登记). The lines are what the agent says to the customer, so they are Chinese
whatever the interface language; the step titles are interface strings."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ScriptStep:
    key: str
    title: str
    lines: tuple[str, ...]
    hint: str = ""


INBOUND = (
    ScriptStep("greeting", _("Greeting"), (
        "您好，{company}客服，工号{job_no}，很高兴为您服务，请问有什么可以帮您？",
    ), _("Answer within three rings; smile, speak standard Mandarin.")),
    ScriptStep("verification", _("Verification"), (
        "请问您怎么称呼？",
        "为了更好地为您服务，请问您的手机号码（会员卡号）是多少？",
        "请问是{customer}先生／女士吗？",
    ), _("Check the caller against the customer card; never read personal data out.")),
    ScriptStep("restating", _("Listening and restating"), (
        "好的，您反映的是……，我这样理解对吗？",
        "请您稍等，我帮您查询一下。（查询超过30秒：）感谢您的耐心等待。",
    ), _("Let the customer finish; restate the request and have it confirmed.")),
    ScriptStep("answering", _("Answering"), (
        "关于您的问题，……（按知识库标准答复解答）",
        "非常抱歉给您带来不便，您反映的问题我已经详细记录，会转交相关部门处理，处理结果我们会及时回访告知您。",
    ), _("A complaint becomes a complaint ticket (客诉单); promise only what the time limits allow.")),
    ScriptStep("closing", _("Closing"), (
        "请问还有其他可以帮您的吗？",
        "感谢您的来电，祝您生活愉快，再见！",
    ), _("Let the customer hang up first, then fill in the work record.")),
)

OUTBOUND = (
    ScriptStep("greeting", _("Greeting"), (
        "您好，请问是{customer}先生／女士吗？我是{company}客服，工号{job_no}。",
        "请问您现在方便接听电话吗？大约占用您两分钟时间。",
    ), _("Avoid calling while customers rest (before 9:00, at noon, after 21:00).")),
    ScriptStep("verification", _("Verification"), (
        "为了确认是您本人，请问您的手机号码后四位是多少？",
    ), _("Check the person before talking about their case.")),
    ScriptStep("restating", _("Purpose of the call"), (
        "这次给您来电是想了解一下您对……的使用情况／处理结果是否满意。",
    ), _("Keep it short: one purpose per call.")),
    ScriptStep("answering", _("Listening and answering"), (
        "好的，您的意见我已经记录下来了，我们会尽快改进。",
    ), _("Record the answers in the notes as the customer said them.")),
    ScriptStep("closing", _("Closing"), (
        "感谢您的支持，祝您生活愉快，再见！",
    ), _("Let the customer hang up first.")),
)


def script_for(*, direction: str, agent=None, customer=None) -> list[dict]:
    """The steps with the agent's and customer's names put in."""
    from kefu.telephony.models import CallDirection, Extension

    extension = Extension.objects.filter(user=agent).values_list("number", flat=True).first() if agent else None
    values = {
        "company": settings.KEFU_COMPANY_NAME or "XX",
        "job_no": extension or (agent.username if agent else "XXX"),
        "customer": customer.name[:1] if customer and customer.name else "X",
    }
    steps = OUTBOUND if direction == CallDirection.OUTBOUND else INBOUND
    return [{"key": s.key, "title": s.title, "hint": s.hint, "lines": [line.format(**values) for line in s.lines]}
            for s in steps]
