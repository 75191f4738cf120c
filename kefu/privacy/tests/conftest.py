"""A customer with data in several apps: a ticket (searchable by the mobile), a chat with a
message and an image, a call with a recording and a text message."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from conftest import sign_in
from kefu.accounts.roles import Role
from kefu.conversations.models import ChatImage, Conversation, Inbox, Message, Visitor
from kefu.customers.services.consent import record_consent
from kefu.customers.services.profiles import ContactPoints, create_customer
from kefu.sms.backends.base import OutgoingSms, ProviderAnswer, SmsBackend
from kefu.sms.models import SmsMessage
from kefu.telephony.models import Call
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketType

MOBILE = "13912345678"


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def cast(make_user):
    class Cast:
        agent = make_user(Role.AGENT)
        supervisor = make_user(Role.SUPERVISOR)
        manager = make_user(Role.MANAGER)
        manager2 = make_user(Role.MANAGER)
        admin = make_user(Role.ADMINISTRATOR)

    return Cast


@pytest.fixture
def held(cast, django_capture_on_commit_callbacks):
    """张伟 and what is held about them."""
    with django_capture_on_commit_callbacks(execute=True):
        customer = create_customer(
            actor=cast.agent,
            name="张伟",
            contacts=ContactPoints({"mobile": [MOBILE], "email": ["zhang.wei@example.com"]}),
            address="南宁市青秀区民族大道100号",
        )
        ticket = create_ticket(
            actor=cast.agent,
            type=TicketType.CONSULTATION,
            subject="张伟的发票开错了",
            content="请把抬头改成张伟个人",
            customer_id=customer.pk,
        )
    record_consent(actor=cast.agent, customer_id=customer.pk, purpose="care", given=True)
    inbox = Inbox.objects.create(name="官网在线客服")
    visitor = Visitor.objects.create(inbox=inbox, customer=customer, name="张伟")
    conversation = Conversation.objects.create(
        inbox=inbox, visitor=visitor, customer=customer, state="closed", closed_at=timezone.now()
    )
    message = Message.objects.create(
        conversation=conversation, seq=1, sender="visitor", body="我的手机是13912345678"
    )
    image = ChatImage(conversation=conversation, name="发票.png", content_type="image/png", size=9)
    image.file.save("invoice.png", ContentFile(b"\x89PNG fake"), save=True)
    call = Call.objects.create(
        direction="in",
        number="+86" + MOBILE,
        customer=customer,
        started_at=timezone.now() - dt.timedelta(days=400),
        duration_seconds=95,
        outcome="answered",
        recording_url="https://rec.example/1.mp3",
        notes="客户说地址是民族大道100号",
    )
    sms = SmsMessage.objects.create(
        to="+86" + MOBILE, template_code="notice", body="张伟您好", provider="console",
        customer=customer,
    )  # fmt: skip

    class Held:
        pass

    Held.customer, Held.ticket, Held.conversation, Held.message = (
        customer,
        ticket,
        conversation,
        message,
    )
    Held.image, Held.call, Held.sms = image, call, sms
    return Held


NAME, EMAIL = "张伟", "zhang.wei@example.com"
ADDRESS = "南宁市青秀区民族大道100号"
BUYER_ID = "zhangwei_88"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15"
    b"\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def png(name: str = "photo.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PNG, content_type="image/png")


class RefusingSms(SmsBackend):
    """A provider that refuses every message, echoing the number in its error (as Aliyun's
    isv.MOBILE_NUMBER_ILLEGAL does)."""

    name = "refusing"

    def send(self, sms: OutgoingSms) -> ProviderAnswer:
        return ProviderAnswer(ok=False, error=f"isv.MOBILE_NUMBER_ILLEGAL: {sms.to} 为空号")


@pytest.fixture
def held_everywhere(cast, held, make_user, settings, django_capture_on_commit_callbacks):
    """`held`, and 张伟 in every other app that declares personal data (kefu/*/personal_data.py),
    each made through the app's own services: an order (receiver, mobile, address, an address
    change, a bank transfer), an after-sales case with a photo, a money line, a courier claim, an
    invoice and a review; a work order done and visited (with the SMS it sends); a feedback report
    with a screenshot grouped into a problem; a return visit recorded, a survey answered and a care
    message; a chat served and closed (checked by quality, its pairs kept as past answers, the
    complaint flagged) and a call checked by its notes. A rule on new tickets calls a webhook, posts
    to a robot and texts the customer for a new ticket of theirs (the provider refuses the text,
    echoing the number; the webhook and robot point at this machine, which the send refuses: nothing
    leaves it); the held ticket carries staff's notes; an order file with an order of theirs waits to
    be imported; a customer file is checked whose row gives
    their mobile to someone else."""
    from kefu.aftersales import money, reviews
    from kefu.aftersales import services as aftersales
    from kefu.conversations.models import Visitor
    from kefu.conversations.services.lifecycle import (
        assign_conversation,
        close_conversation,
        start_conversation,
    )
    from kefu.conversations.services.messages import post_message
    from kefu.conversations.tests.conftest import make_inbox
    from kefu.dispatch import services as dispatch
    from kefu.dispatch.tests.conftest import coming_window
    from kefu.feedback import services as feedback
    from kefu.orders.services.changes import request_change
    from kefu.orders.services.orders import clean_order, record_bank_transfer, record_order
    from kefu.orders.tests.conftest import order_body
    from kefu.quality.services.checks import check_call
    from kefu.quality.tests.conftest import old_agent
    from kefu.sms.models import SmsTemplate
    from kefu.visits import services as visits
    from kefu.visits.models import VisitRules
    from kefu.visits.services import care, surveys
    from tests.factories import DepartmentFactory

    customer = held.customer
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)  # the console SMS backend's log
    agent = old_agent()
    technician = make_user(
        Role.DEPARTMENT_STAFF, department=DepartmentFactory(code="tech"), mobile="13900000001"
    )
    VisitRules.objects.update_or_create(pk=1, defaults={"quiet_hours": []})
    for code, body in [
        ("dispatch", "您好，{name}，您的服务单{number}已派工，师傅将于{time}上门。"),
        ("dispatch_technician", "新派工单{number}：{time}，{address}，客户{customer}。"),
        ("survey", "{name}您好，请评价：{link}"),
        ("care_birthday", "{name}，生日快乐！"),
    ]:
        SmsTemplate.objects.create(code=code, name=code, body=body)

    with django_capture_on_commit_callbacks(execute=True):
        # orders: the receiver's details, an address change asked for, a bank transfer.
        order, _created = record_order(
            actor=cast.supervisor,
            data=clean_order(
                order_body(
                    number="2026120700001",
                    buyer_id=BUYER_ID,
                    receiver_name=NAME,
                    receiver_mobile=MOBILE,
                    address=ADDRESS,
                    payment_method="bank_transfer",
                    state="paid",
                )
            ),
        )
        change = request_change(
            actor=cast.agent,
            order=order,
            kind="address",
            new_address=ADDRESS + "3栋",
            reason=f"{NAME}搬到3栋",
        )
        transfer = record_bank_transfer(
            actor=cast.agent,
            order=order,
            payer=NAME,
            bank="工商银行",
            amount_fen=25600,
            transferred_on=timezone.localdate(),
        )
    with django_capture_on_commit_callbacks(execute=True):
        order, _created = record_order(
            actor=cast.supervisor,
            data=clean_order(
                order_body(
                    number="2026120700001",
                    buyer_id=BUYER_ID,
                    receiver_name=NAME,
                    receiver_mobile=MOBILE,
                    address=ADDRESS,
                    payment_method="bank_transfer",
                    state="received",
                    logistics_company="顺丰",
                    tracking_number="SF1234567890",
                )
            ),
        )
    with django_capture_on_commit_callbacks(execute=True):
        # after-sales: a case with a photo and a money line, a courier claim, an invoice, a review.
        case = aftersales.open_case(
            actor=cast.agent,
            order=order,
            kind="quality",
            reason=f"{NAME}说灯罩开裂，手机{MOBILE}",
            refund_fen=12800,
        )
        aftersales.add_photo(actor=cast.agent, case=case, upload=png("crack.png"))
        money_line = money.add_money_line(
            actor=cast.agent, case=case, kind="postage", amount_fen=1000, reason=f"{NAME}垫付运费"
        )
        claim = money.file_claim(
            actor=cast.agent,
            order=order,
            kind="damaged",
            claimed_fen=5000,
            description=f"送到{ADDRESS}时已破损",
            courier="顺丰",
            tracking_number="SF1234567890",
        )
        invoice = money.request_invoice(
            actor=cast.agent, order=order, kind="ordinary", title=NAME, email=EMAIL
        )
        review = reviews.record_review(
            actor=cast.agent,
            order=order,
            rating="negative",
            text=f"{NAME}：灯不亮",
            reviewed_on=timezone.localdate(),
        )
        review = reviews.contact_reviewer(
            actor=cast.agent,
            review=review,
            note=f"已电话联系{NAME} {MOBILE}",
            no_money_offered=True,
        )

        # dispatch: a work order to the customer's address, done, with a photo, then visited.
        start, end = coming_window()
        work_order = dispatch.create_work_order(
            actor=cast.agent,
            customer=customer,
            address=ADDRESS,
            problem=f"{NAME}家吊灯不亮",
            appointment_start=start,
            appointment_end=end,
            technician_id=technician.pk,
        )
    for step, extra in [
        ("accept", {}),
        ("set_off", {}),
        ("arrive", {}),
        ("complete", {"note": f"已为{NAME}更换灯泡", "confirmed_by": NAME}),
    ]:
        if step == "complete":
            dispatch.add_photo(
                actor=technician, work_order_id=work_order.pk, upload=png("done.png")
            )
        dispatch.report_progress(actor=technician, work_order_id=work_order.pk, step=step, **extra)
    work_order = dispatch.record_return_visit(
        actor=cast.agent, work_order_id=work_order.pk, outcome=f"{NAME}很满意", satisfaction=5
    )

    # feedback: a report with a screenshot, made a problem of its own title.
    report = feedback.submit_report(
        actor=cast.agent,
        customer=customer,
        channel="phone",
        category="bug",
        severity="normal",
        title=f"手机{MOBILE}收不到验证码",
        steps=f"{NAME}在登录页输入{MOBILE}",
        device="iPhone 15",
        screenshots=[png("screen.png")],
    )
    problem = feedback.group_report(actor=cast.agent, report_id=report.pk)

    # visits: a return visit recorded, a survey answered with words, a care message.
    with django_capture_on_commit_callbacks(execute=True):
        visit, _created = visits.create_visit(
            actor=cast.supervisor, customer_id=customer.pk, assignee_id=agent.pk
        )
        visit_record = visits.record_visit(
            actor=agent,
            visit_id=visit.pk,
            reached=True,
            satisfaction="average",
            product_opinion=f"{NAME}说灯偏暗",
            service_opinion="师傅准时",
            suggestions=f"寄说明书到{ADDRESS}",
        )
        survey = surveys.create_survey(
            actor=cast.supervisor,
            title="服务满意度",
            questions="score: 您对本次服务满意吗？\ntext: 您的建议",
        )
        invitation = surveys.invite(
            survey_id=survey.pk, customer_id=customer.pk, source="manual", agent_id=agent.pk
        )
    assert invitation is not None
    questions = list(survey.questions.all())
    answer = surveys.answer_survey(
        token=surveys.token_for(invitation),
        answers={str(questions[0].pk): "4", str(questions[1].pk): f"请回电{MOBILE}"},
    )
    care.schedule_care(
        actor=cast.supervisor,
        kind="birthday",
        occasion=timezone.localdate(),
        customers=[customer.pk],
        params={"gift": "台灯"},
    )

    # a chat served and closed: quality checks it, knowledge keeps its pairs and flags the complaint.
    with django_capture_on_commit_callbacks(execute=True):
        visitor = Visitor.objects.create(inbox=make_inbox(), customer=customer, name=NAME)
        chat = start_conversation(visitor=visitor)
        assign_conversation(actor=cast.supervisor, conversation=chat, agent=agent)
        post_message(
            conversation=chat,
            sender="visitor",
            body=f"你们发货太慢了，我要投诉！我叫{NAME}，地址{ADDRESS}，邮箱{EMAIL}",
        )
        post_message(
            conversation=chat, sender="agent", body=f"好的{NAME}，已为您加急", author=agent
        )
    with django_capture_on_commit_callbacks(execute=True):
        close_conversation(conversation=chat, actor=agent)
    # a call of the customer's with the agent's notes, checked by quality.
    call = Call.objects.create(
        direction="in",
        number="+86" + MOBILE,
        customer=customer,
        agent=agent,
        started_at=timezone.now() - dt.timedelta(hours=1),
        ended_at=timezone.now(),
        duration_seconds=60,
        outcome="answered",
        notes=f"{NAME}来电问安装，你自己看说明书",
    )
    call_check = check_call(call.pk)
    assert call_check is not None

    # automation: a rule on new tickets; a new ticket of the customer's sets it off.
    from kefu.automation import services as automation
    from kefu.automation.models import Robot, Webhook
    from kefu.tickets.models import Ticket

    webhook = Webhook.objects.create(name="ERP", url="http://127.0.0.1:9/hook", secret="s" * 32)
    robot = Robot.objects.create(name="客服群", kind="wecom", url="http://127.0.0.1:9/robot")
    SmsTemplate.objects.create(code="received", name="received", body="您的工单已受理。")
    rule = automation.save_rule(
        actor=cast.manager,
        rule=None,
        name="新工单通知",
        trigger="ticket_created",
        conditions={},
        actions={"webhook": webhook.pk, "robot": robot.pk, "sms_template": "received"},
    )
    automation.set_rule_enabled(actor=cast.manager, rule_id=rule.pk, enabled=True)
    backend, settings.KEFU_SMS_BACKEND = settings.KEFU_SMS_BACKEND, f"{__name__}.RefusingSms"
    with django_capture_on_commit_callbacks(execute=True):
        notified = create_ticket(
            actor=cast.agent,
            type=TicketType.CONSULTATION,
            subject=f"{NAME}的台灯不亮",
            customer_id=customer.pk,
        )
    settings.KEFU_SMS_BACKEND = backend
    automation.set_rule_enabled(actor=cast.manager, rule_id=rule.pk, enabled=False)

    # tickets: what staff wrote of the case, as the complaint loop stores it (return_plan, close).
    Ticket.objects.filter(pk=held.ticket.pk).update(
        plan_return_reason=f"{NAME}不接受只退一半，方案退回",
        summary_evaluation=f"已电话告知{NAME}（{MOBILE}），客户满意",
    )

    # customers: a file checked for import whose row gives 张伟's mobile to someone else.
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kefu.customers.services.transfer.imports import start_import
    from kefu.customers.tests.test_transfer import csv_bytes

    import_job = start_import(
        actor=cast.supervisor,
        upload=SimpleUploadedFile(
            "客户.csv",
            csv_bytes([["姓名", "手机"], ["李四", MOBILE], ["王五", "13700000000"]]),
        ),
    )
    # orders: a shop's file checked and waiting to be imported, with an order of 张伟's and
    # another buyer's (an .xlsx, the customer file being a .csv).
    from kefu.orders.services.importing import check_order_file
    from kefu.orders.tests.test_import import ROWS, xlsx_upload

    order_import = check_order_file(
        actor=cast.supervisor,
        upload=xlsx_upload(
            [
                [
                    "淘宝",
                    "T3003",
                    BUYER_ID,
                    NAME,
                    MOBILE,
                    ADDRESS,
                    "LD-7",
                    "吸顶灯",
                    "",
                    "1",
                    "99.00",
                    "99.00",
                    "99.00",
                    "支付宝",
                    "已付款",
                    "",
                    "",
                ],
                ROWS[2],
            ]
        ),
    )

    # The technician may not see the ticket and tried: the audit log names it by its subject.
    assert sign_in(Client(), technician).get(f"/tickets/{held.ticket.pk}/").status_code == 404

    for name, value in {
        "order": order,
        "change": change,
        "transfer": transfer,
        "case": case,
        "money_line": money_line,
        "claim": claim,
        "invoice": invoice,
        "review": review,
        "work_order": work_order,
        "report": report,
        "problem": problem,
        "visit": visit,
        "visit_record": visit_record,
        "survey": survey,
        "answer": answer,
        "chat": chat,
        "checked_call": call,
        "agent": agent,
        "technician": technician,
        "notified": notified,
        "webhook": webhook,
        "robot": robot,
        "rule": rule,
        "import_job": import_job,
        "order_import": order_import,
    }.items():
        setattr(held, name, value)
    return held
