"""Demo SMS templates: the messages the seeds name (服务派工单短信, 回访, 节日问候)."""

from kefu.sms.models import SmsTemplate

TEMPLATES = [
    (
        "dispatch",
        "派工通知",
        "SMS_000001",
        "您好，{name}，您的服务单{number}已派工，师傅将于{time}上门，请保持电话畅通。",
    ),
    (
        "return_visit",
        "回访提醒",
        "SMS_000002",
        "{name}您好，我们将于{time}就您的{number}进行回访，如不方便请回复改约。",
    ),
    ("holiday", "节日问候", "SMS_000003", "{name}您好，{holiday}快乐！感谢您一直以来的支持。"),
    (
        "ticket_done",
        "处理结果",
        "SMS_000004",
        "{name}您好，您反映的问题（{number}）已处理完毕：{result}。",
    ),
]


def build(*, password: str) -> None:
    for code, name, provider_id, body in TEMPLATES:
        SmsTemplate.objects.get_or_create(
            code=code, defaults={"name": name, "provider_template_id": provider_id, "body": body}
        )
