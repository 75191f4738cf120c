"""SMS backends, chosen by KEFU_SMS_BACKEND: `console` (default), `aliyun`, `tencent`, or the dotted
path of a class implementing `SmsBackend`."""

from django.conf import settings
from django.utils.module_loading import import_string

from kefu.sms.backends.base import OutgoingSms, ProviderAnswer, SmsBackend

BACKENDS = {
    "console": "kefu.sms.backends.console.ConsoleBackend",
    "aliyun": "kefu.sms.backends.aliyun.AliyunBackend",
    "tencent": "kefu.sms.backends.tencent.TencentBackend",
}


def get_backend(name: str | None = None) -> SmsBackend:
    name = name or settings.KEFU_SMS_BACKEND
    return import_string(BACKENDS.get(name, name))()


__all__ = ["BACKENDS", "OutgoingSms", "ProviderAnswer", "SmsBackend", "get_backend"]
