"""Demo SMS templates: the messages the seeds name (服务派工单短信, 回访, 节日问候, 短信关怀)."""

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
    # customer care 客户关怀 (kefu/visits/services/care.py reads them by these codes)
    ("care_holiday", "节日关怀", "SMS_000005", "{name}您好，{holiday}快乐！祝您阖家幸福。回T退订"),
    ("care_birthday", "生日关怀", "SMS_000006", "{name}您好，今天是您的生日，祝您生日快乐！"),
    (
        "care_after_purchase",
        "购后关怀",
        "SMS_000007",
        "{name}您好，感谢您的购买，使用中有问题请随时联系我们。",
    ),
    ("care_event", "活动关怀", "SMS_000008", "{name}您好，{date}{text}，欢迎参加。回T退订"),
    ("care_promotion", "促销关怀", "SMS_000009", "{name}您好，{text}（{date}）。回T退订"),
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
