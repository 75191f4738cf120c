"""Sending one delivery (a webhook call or a robot message), its retries with backoff, and
resending. The request that caused it only stores the row and queues the task (tasks.deliver)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit

from django.utils import timezone

from kefu.automation import outbound, signing
from kefu.automation.models import Delivery, DeliveryState, RobotKind

logger = logging.getLogger(__name__)
BACKOFF_SECONDS = (10, 60, 300, 1800)  # after the 1st, 2nd, 3rd and 4th failed try
MAX_TRIES = len(BACKOFF_SECONDS) + 1


def body_for_webhook(event: str, data: dict[str, Any]) -> str:
    return json.dumps({"event": event, "data": data}, ensure_ascii=False, sort_keys=True)


_INERT = str.maketrans(
    {"[": "［", "]": "］", "<": "＜", ">": "＞", "\n": " ", "\r": " ", "`": "｀"}
)


def inert(text: str) -> str:
    """Text anyone may have typed (a ticket's subject), made plain for a robot's markdown: no link,
    no tag (WeCom renders <font>), no line of its own."""
    return text.translate(_INERT)


def body_for_robot(kind: str, title: str, text: str) -> str:
    """The robot's published markdown message (WeCom: markdown.content; DingTalk: title + text)."""
    if kind == RobotKind.WECOM:
        message = {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{text}"}}
    else:
        message = {
            "msgtype": "markdown",
            "markdown": {"title": title, "text": f"### {title}\n{text}"},
        }
    return json.dumps(message, ensure_ascii=False)


def _request(delivery: Delivery) -> tuple[str, dict[str, str]]:
    body = delivery.body.encode()
    if delivery.webhook_id:
        webhook = delivery.webhook
        assert webhook is not None
        stamp = str(int(time.time()))
        return webhook.url, {
            signing.TIMESTAMP_HEADER: stamp,
            signing.SIGNATURE_HEADER: signing.webhook_signature(webhook.secret, stamp, body),
            signing.EVENT_HEADER: delivery.event,
            signing.DELIVERY_HEADER: str(delivery.pk),
        }
    robot = delivery.robot
    assert robot is not None
    url = robot.url
    if robot.kind == RobotKind.DINGTALK and robot.secret:
        stamp = str(int(time.time() * 1000))
        glue = "&" if urlsplit(url).query else "?"
        url = f"{url}{glue}timestamp={stamp}&sign={signing.dingtalk_sign(robot.secret, stamp)}"
    return url, {}


def _robot_refused(text: str) -> str:
    """WeCom and DingTalk answer 200 with errcode ≠ 0 when they refuse a message."""
    try:
        answer = json.loads(text)
    except ValueError:
        return ""
    if isinstance(answer, dict) and answer.get("errcode", 0) != 0:
        return f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}"[:300]
    return ""


def attempt(delivery_id: int) -> int | None:
    """One try. Returns the seconds to wait before the next try, or None when it is finished."""
    delivery = Delivery.objects.select_related("webhook", "robot").filter(pk=delivery_id).first()
    if delivery is None or delivery.state != DeliveryState.PENDING:
        return None
    target = delivery.webhook or delivery.robot
    if target is None or not target.is_active:
        delivery.state, delivery.error = DeliveryState.FAILED, "inactive"
        delivery.finished_at = timezone.now()
        delivery.save(update_fields=["state", "error", "finished_at"])
        return None
    delivery.attempts += 1
    error = ""
    retry = True
    try:
        url, headers = _request(delivery)
        answer = outbound.post(url, delivery.body.encode(), headers)
        delivery.status_code = answer.status
        if 300 <= answer.status < 400:
            error = f"redirect to {answer.location[:200]} not followed"
            retry = False
        elif not 200 <= answer.status < 300:
            error = f"HTTP {answer.status}"
        elif delivery.robot_id:
            error = _robot_refused(answer.body)
    except outbound.TargetRefused as refused:
        error, retry = str(refused), False
    except (OSError, ValueError) as failure:
        error = f"{type(failure).__name__}: {failure}"[:300]
    delivery.error = error[:300]
    wait = None
    if not error:
        delivery.state = DeliveryState.DELIVERED
    elif retry and delivery.attempts < MAX_TRIES:
        wait = BACKOFF_SECONDS[delivery.attempts - 1]
    else:
        delivery.state = DeliveryState.FAILED
    if delivery.state != DeliveryState.PENDING:
        delivery.finished_at = timezone.now()
    delivery.save(update_fields=["attempts", "status_code", "error", "state", "finished_at"])
    return wait
