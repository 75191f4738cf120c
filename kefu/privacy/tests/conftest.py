"""A customer with data in several apps: a ticket (searchable by the mobile), a chat with a
message and an image, a call with a recording and a text message."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from kefu.accounts.roles import Role
from kefu.conversations.models import ChatImage, Conversation, Inbox, Message, Visitor
from kefu.customers.services.consent import record_consent
from kefu.customers.services.profiles import ContactPoints, create_customer
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
            subject="发票开错了",
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
