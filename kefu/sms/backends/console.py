"""Development and tests: each message is a line in KEFU_DATA_DIR/sms.log; nothing leaves the machine."""

import datetime as dt
import json
import threading
import uuid

from django.conf import settings

from kefu.sms.backends.base import OutgoingSms, ProviderAnswer, SmsBackend

_lock = threading.Lock()


class ConsoleBackend(SmsBackend):
    name = "console"

    def send(self, sms: OutgoingSms) -> ProviderAnswer:
        message_id = f"console-{uuid.uuid4().hex[:16]}"
        line = json.dumps(
            {
                "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "id": message_id,
                "to": sms.to,
                "template": sms.template_id,
                "params": sms.params,
                "text": sms.text,
            },
            ensure_ascii=False,
        )
        with _lock, open(settings.DATA_DIR / "sms.log", "a", encoding="utf-8") as log:
            log.write(line + "\n")
        return ProviderAnswer(ok=True, provider_message_id=message_id)
