"""The providers' delivery-report endpoints (回执接收地址):

    POST /sms/reports/aliyun/<KEFU_SMS_CALLBACK_TOKEN>/    Aliyun SMS, SmsReport, HTTP batch push
    POST /sms/reports/tencent/<KEFU_SMS_CALLBACK_TOKEN>/   Tencent Cloud SMS, 短信下发状态回调
    POST /sms/replies/<provider>/<KEFU_SMS_CALLBACK_TOKEN>/  the customers' replies (上行短信, 退订)

Neither provider signs these pushes, so the secret token in the path is what proves the caller
knows the URL configured in its console: compared in constant time, and a wrong token (or none
configured) answers 404 as if the URL did not exist. The body formats are in reports.py.

Answers: 200 with the provider's acknowledgement once the push is stored (also when some ids are
unknown: pushing them again would not help; they are counted in the X-Kefu-Sms-Reports header and
the log); 400 with the reason, storing nothing, when the body is not what the provider documents;
413 over MAX_BODY; 405 for anything but POST.
"""

import hmac
import logging

from django.conf import settings
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from kefu.sms.replies import PARSERS as REPLY_PARSERS
from kefu.sms.reports import PARSERS, MalformedReport
from kefu.sms.services import record_delivery_reports, record_replies

logger = logging.getLogger(__name__)

MAX_BODY = (
    1024 * 1024
)  # some thousands of reports; the providers merge a few hundred at most into one push

ACKNOWLEDGEMENTS = {
    "aliyun": lambda ok, text: {"code": 0 if ok else 1, "msg": text},
    "tencent": lambda ok, text: {"result": 0 if ok else 1, "errmsg": text},
}
OK_TEXT = {"aliyun": "成功", "tencent": "OK"}


def token_matches(given: str) -> bool:
    expected = settings.KEFU_SMS_CALLBACK_TOKEN
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@csrf_exempt  # called by the provider, authenticated by the token in the path
def delivery_report(request, provider: str, token: str):
    if provider not in PARSERS or not token_matches(token):
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    answer = ACKNOWLEDGEMENTS[provider]
    if _content_length(request) > MAX_BODY:
        return JsonResponse(answer(False, f"body larger than {MAX_BODY} bytes"), status=413)
    body = request.body
    if len(body) > MAX_BODY:
        return JsonResponse(answer(False, f"body larger than {MAX_BODY} bytes"), status=413)
    try:
        reports = PARSERS[provider](body)
    except MalformedReport as problem:
        logger.warning("SMS delivery report from %s refused: %s", provider, problem)
        return JsonResponse(answer(False, str(problem)), status=400)
    summary = record_delivery_reports(provider=provider, reports=reports)
    response = JsonResponse(
        answer(True, OK_TEXT[provider]), json_dumps_params={"ensure_ascii": False}
    )
    response["X-Kefu-Sms-Reports"] = str(summary)
    return response


@csrf_exempt  # called by the provider, authenticated by the token in the path
def sms_reply(request, provider: str, token: str):
    """A push of customers' SMS replies (上行短信): a 退订 (TD, T, 退订) withdraws the consent
    to care messages of the customers with that mobile (services.record_replies)."""
    if provider not in REPLY_PARSERS or not token_matches(token):
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    answer = ACKNOWLEDGEMENTS[provider]
    if _content_length(request) > MAX_BODY or len(request.body) > MAX_BODY:
        return JsonResponse(answer(False, f"body larger than {MAX_BODY} bytes"), status=413)
    try:
        replies = REPLY_PARSERS[provider](request.body)
    except MalformedReport as problem:
        logger.warning("SMS replies from %s refused: %s", provider, problem)
        return JsonResponse(answer(False, str(problem)), status=400)
    withdrawn = record_replies(replies)
    response = JsonResponse(
        answer(True, OK_TEXT[provider]), json_dumps_params={"ensure_ascii": False}
    )
    response["X-Kefu-Sms-Withdrawn"] = str(withdrawn)
    return response
