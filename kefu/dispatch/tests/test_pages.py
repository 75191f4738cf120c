"""Work-order pages through Django's client: who gets 200, 403 or 404 on each page and action; the
order created from a ticket, a call and a chat; the technician's phone pages; hostile text."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from conftest import HOSTILE_STRINGS, sign_in
from kefu.dispatch import services
from kefu.dispatch.models import WorkOrder, WorkOrderPhoto, WorkOrderState
from kefu.dispatch.tests.conftest import coming_window
from kefu.dispatch.tests.test_services import PNG
from kefu.telephony.models import Call
from kefu.tickets.services.tickets import create_ticket
from kefu.tickets.states import TicketType

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def agent_serves_the_customer(cast, customer):
    customer.owner = cast.agent
    customer.save(update_fields=["owner"])


@pytest.fixture
def order(make_order):
    return make_order(window=coming_window())


def client_of(user) -> Client:
    return sign_in(Client(), user)


def _form(window, technician, **extra):
    start, end = window
    data = {
        "address": "南宁市民族大道1号",
        "area": "青秀区",
        "problem": "空调不制冷",
        "skills": "空调维修",
        "materials": "冷媒",
        "day": start.date().isoformat(),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
        "technician": technician.pk,
    }
    data.update(extra)
    return data


@pytest.mark.parametrize(
    ("who", "list_", "board", "mine"),
    [
        ("agent", 200, 403, 403),
        ("supervisor", 200, 200, 403),
        ("manager", 200, 200, 403),
        ("inspector", 403, 403, 403),
        ("technician", 403, 403, 200),
    ],
)
def test_who_opens_the_list_the_board_and_the_technicians_day(cast, order, who, list_, board, mine):
    client = client_of(getattr(cast, who))
    assert client.get("/dispatch/").status_code == list_
    assert client.get("/dispatch/board/").status_code == board
    assert client.get("/dispatch/mine/").status_code == mine


def test_the_order_page_is_404_for_another_technician_and_the_inspector(cast, order):
    url = f"/dispatch/{order.pk}/"
    assert client_of(cast.agent).get(url).status_code == 200
    assert client_of(cast.inspector).get(url).status_code == 404
    assert client_of(cast.other_technician).get(url).status_code == 404
    assert client_of(cast.other_technician).get(f"{url}m/").status_code == 404
    mine = client_of(cast.technician)
    assert mine.get(url).status_code == 302  # the technician is sent to the phone page
    page = mine.get(f"{url}m/")
    assert page.status_code == 200
    assert 'data-testid="step-accept"' in page.content.decode()


def test_created_from_a_ticket_with_its_customer_and_problem(cast, customer, templates):
    ticket = create_ticket(
        actor=cast.agent,
        type=TicketType.DISPATCH,
        subject="空调不制冷",
        content="客户家中空调外机异响",
        customer_id=customer.pk,
    )
    client = client_of(cast.agent)
    page = client.get(f"/dispatch/new/?ticket={ticket.pk}")
    assert page.status_code == 200
    assert "空调外机异响" in page.content.decode()
    response = client.post(
        "/dispatch/new/", _form(coming_window(), cast.technician, ticket=ticket.pk)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = WorkOrder.objects.get()
    assert created.ticket == ticket and created.source == "ticket"
    assert created.customer == customer and created.technician == cast.technician


def test_created_from_a_call_and_from_a_chat(cast, customer):
    call = Call.objects.create(
        customer=customer,
        agent=cast.agent,
        direction="in",
        number="13800138000",
        started_at=timezone.now(),
    )
    client = client_of(cast.agent)
    response = client.post("/dispatch/new/", _form(coming_window(), cast.technician, call=call.pk))
    assert response.status_code == 302
    assert WorkOrder.objects.get().call == call


def test_the_form_says_what_is_wrong_and_stores_nothing(cast, customer):
    client = client_of(cast.agent)
    start, end = coming_window()
    bad = _form((start, end), cast.technician, customer=customer.pk, start="19:00", end="21:00")
    response = client.post("/dispatch/new/", bad)
    assert response.status_code == 400
    assert "预约须在工作日的 08:00 至 20:00 之间" in response.content.decode()
    no_customer = client.post("/dispatch/new/", _form((start, end), cast.technician))
    assert no_customer.status_code == 400
    assert not WorkOrder.objects.exists()
    assert (
        client_of(cast.technician)
        .post("/dispatch/new/", _form((start, end), cast.technician, customer=customer.pk))
        .status_code
        == 403
    )
    assert client_of(cast.agent).get("/dispatch/new/?customer=999999").status_code == 404


@pytest.mark.parametrize("text", HOSTILE_STRINGS[:3])
def test_hostile_text_is_inert_on_every_page(cast, customer, text):
    client = client_of(cast.agent)
    response = client.post(
        "/dispatch/new/",
        _form(coming_window(), cast.technician, customer=customer.pk, problem=text, area=text),
    )
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    for url, user in [
        (f"/dispatch/{order.pk}/", cast.agent),
        ("/dispatch/", cast.agent),
        (f"/dispatch/board/?day={order.appointment_start.date()}", cast.supervisor),
        (f"/dispatch/{order.pk}/m/", cast.technician),
    ]:
        html = client_of(user).get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url


def test_nul_characters_are_refused_at_the_door(cast, customer):
    response = client_of(cast.agent).post(
        "/dispatch/new/",
        _form(coming_window(), cast.technician, customer=customer.pk, problem="空调\x00坏了"),
    )
    assert response.status_code in {302, 400}
    for order in WorkOrder.objects.all():
        assert "\x00" not in order.problem


def test_the_technician_walks_the_order_on_the_phone_page(cast, order, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_of(cast.technician)
    base = f"/dispatch/{order.pk}"
    assert client.post(f"{base}/progress/arrive/").status_code == 302  # refused: out of order
    order.refresh_from_db()
    assert order.state == WorkOrderState.ASSIGNED
    for step in ("accept", "set_off", "arrive"):
        assert client.post(f"{base}/progress/{step}/").status_code == 302
    fake = SimpleUploadedFile("x.jpg", b"GIF89 this is text", content_type="image/jpeg")
    client.post(f"{base}/photos/", {"photo": fake})
    assert not WorkOrderPhoto.objects.exists()
    client.post(f"{base}/photos/", {"photo": SimpleUploadedFile("p.png", PNG)})
    photo = WorkOrderPhoto.objects.get()
    assert client.get(f"{base}/photos/{photo.pk}/").status_code == 200
    assert client_of(cast.other_technician).get(f"{base}/photos/{photo.pk}/").status_code == 404
    client.post(
        f"{base}/progress/complete/",
        {"note": "更换电容", "confirmed_by": "黄伟", "materials_used": ""},
    )
    order.refresh_from_db()
    assert order.state == WorkOrderState.DONE and order.visit_due_at is not None
    # The desk records the return visit.
    agent = client_of(cast.agent)
    page = agent.get(f"{base}/").content.decode()
    assert 'data-testid="visit-form"' in page
    agent.post(
        f"{base}/visit/", {"outcome": "已修好", "satisfaction": "5", "version": order.version}
    )
    order.refresh_from_db()
    assert order.state == WorkOrderState.VISITED and order.satisfaction == 5


def test_a_visit_handed_to_return_visits_is_recorded_there_once(
    cast, order, django_capture_on_commit_callbacks
):
    """Issue 16.4: the finished order's return visit is a task in kefu/visits; the order's page
    links to it instead of offering a second record, and recording it there closes the order."""
    from kefu.visits.models import ReturnVisit, VisitState
    from kefu.visits.services import record_visit

    with django_capture_on_commit_callbacks(execute=True):
        for step in ("accept", "set_off", "arrive", "complete"):
            order = services.report_progress(
                actor=cast.technician,
                work_order_id=order.pk,
                step=step,
                note="更换电容",
                confirmed_by="黄伟",
            )
    visit = ReturnVisit.objects.get(work_order=order)
    assert visit.assignee == cast.agent and visit.state == VisitState.OPEN
    agent = client_of(cast.agent)
    page = agent.get(f"/dispatch/{order.pk}/").content.decode()
    assert 'data-testid="visit-form"' not in page
    assert f'href="/visits/{visit.pk}/" data-testid="handed-visit-link"' in page
    response = agent.post(
        f"/dispatch/{order.pk}/visit/",
        {"outcome": "已修好", "satisfaction": "5", "version": order.version},
        follow=True,
    )
    assert "请在那里记录（只记一次）" in response.content.decode()
    order.refresh_from_db()
    assert (order.state, order.visited_at) == (WorkOrderState.DONE, None)  # nothing changed
    record_visit(actor=cast.agent, visit_id=visit.pk, reached=True, satisfaction="satisfied")
    order.refresh_from_db()
    assert order.state == WorkOrderState.VISITED and order.satisfaction == 5
    page = agent.get(f"/dispatch/{order.pk}/").content.decode()
    assert 'data-testid="visit-outcome"' in page and 'data-testid="handed-visit"' not in page


def test_a_handed_visit_is_refused_by_the_service_and_recorded_once_through_the_visits_api(
    cast, order, django_capture_on_commit_callbacks
):
    """The rule is the service's (record_return_visit), not the page's: an API caller or a rule
    that records the order's visit while it is a task in Return visits is refused; the visits API
    records the task, which records the order's step once; a second record is refused."""
    from kefu.core.errors import Conflict
    from kefu.core.statemachine import TransitionRefused
    from kefu.visits.models import ReturnVisit

    with django_capture_on_commit_callbacks(execute=True):
        for step in ("accept", "set_off", "arrive", "complete"):
            order = services.report_progress(
                actor=cast.technician,
                work_order_id=order.pk,
                step=step,
                note="更换电容",
                confirmed_by="黄伟",
            )
    visit = ReturnVisit.objects.get(work_order=order)
    with pytest.raises(Conflict, match="Return visits"):
        services.record_return_visit(
            actor=cast.agent, work_order_id=order.pk, outcome="已修好", satisfaction=5
        )
    order.refresh_from_db()
    assert (order.state, order.visited_at) == (WorkOrderState.DONE, None)
    response = client_of(cast.agent).post(
        f"/api/v1/visits/tasks/{visit.pk}/record",
        {"reached": True, "satisfaction": "satisfied", "service_opinion": "师傅很准时"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content[:300]
    order.refresh_from_db()
    assert order.state == WorkOrderState.VISITED and order.satisfaction == 5
    assert "师傅很准时" in order.visit_outcome
    with pytest.raises((Conflict, TransitionRefused)):
        services.record_return_visit(
            actor=cast.agent, work_order_id=order.pk, outcome="再记一次", satisfaction=1
        )
    order.refresh_from_db()
    assert order.satisfaction == 5 and "再记一次" not in order.visit_outcome


def test_progress_by_someone_else_is_refused(cast, order):
    base = f"/dispatch/{order.pk}"
    assert client_of(cast.other_technician).post(f"{base}/progress/accept/").status_code == 404
    assert client_of(cast.supervisor).post(f"{base}/progress/accept/").status_code == 403
    assert client_of(cast.inspector).post(f"{base}/progress/accept/").status_code == 404
    assert client_of(cast.technician).post(f"{base}/progress/nonsense/").status_code == 404
    order.refresh_from_db()
    assert order.state == WorkOrderState.ASSIGNED and order.version == 1


@pytest.mark.parametrize(
    ("who", "status"),
    [("agent", 403), ("technician", 403), ("inspector", 403), ("supervisor", 302)],
)
def test_only_those_who_assign_work_reassign_reschedule_and_cancel(cast, order, who, status):
    client = client_of(getattr(cast, who))
    base = f"/dispatch/{order.pk}"
    start, _end = coming_window(days_ahead=2)
    assert (
        client.post(f"{base}/reassign/", {"technician": cast.other_technician.pk}).status_code
        == status
    )
    assert (
        client.post(
            f"{base}/reschedule/",
            {"day": start.date().isoformat(), "start": "10:00", "end": "12:00"},
        ).status_code
        == status
    )
    order.refresh_from_db()
    if status == 403:
        assert order.technician == cast.technician and order.version == 1
        assert client.post(f"{base}/cancel/", {"reason": "x"}).status_code == 403
    else:
        assert order.technician == cast.other_technician and order.reschedule_count == 1
        client.post(f"{base}/cancel/", {"reason": "客户取消"})
        order.refresh_from_db()
        assert order.state == WorkOrderState.CANCELLED


def test_the_board_reassigns_the_ticked_orders_and_keeps_its_filters(cast, order, make_order):
    done = make_order(window=(order.appointment_start, order.appointment_end))
    for step in ("accept", "set_off", "arrive"):
        services.report_progress(actor=cast.technician, work_order_id=done.pk, step=step)
    client = client_of(cast.supervisor)
    day = order.appointment_start.date().isoformat()
    page = client.get(f"/dispatch/board/?day={day}&area=青秀区").content.decode()
    assert f'data-testid="board-row-{order.pk}"' in page
    assert f'name="orders" value="{order.pk}"' in page
    assert f'name="orders" value="{done.pk}"' not in page  # arrived: no longer reassigned
    response = client.post(
        "/dispatch/board/reassign/",
        {
            "orders": [order.pk, done.pk],
            "technician": cast.other_technician.pk,
            "query": f"day={day}",
        },
    )
    assert response.status_code == 302 and response.url == f"/dispatch/board/?day={day}"
    order.refresh_from_db()
    done.refresh_from_db()
    assert order.technician == cast.other_technician
    assert done.technician == cast.technician  # refused by its state, said by its number
    empty = client.get(f"/dispatch/board/?day={day}&technician={cast.other_technician.pk}")
    assert f'data-testid="board-row-{order.pk}"' in empty.content.decode()
    assert (
        client_of(cast.agent)
        .post("/dispatch/board/reassign/", {"orders": [order.pk], "technician": cast.technician.pk})
        .status_code
        == 403
    )


def test_the_technicians_day_lists_only_their_orders(cast, make_order):
    mine = make_order()
    theirs = make_order(technician_id=cast.other_technician.pk)
    now = timezone.now()
    WorkOrder.objects.update(appointment_start=now, appointment_end=now + dt.timedelta(hours=1))
    html = client_of(cast.technician).get("/dispatch/mine/").content.decode()
    assert f'data-testid="my-order-{mine.pk}"' in html
    assert f'data-testid="my-order-{theirs.pk}"' not in html


def test_the_workbench_shows_the_dispatch_card_by_role(cast, order):
    for who, testid in [
        ("supervisor", 'data-testid="dispatch-late"'),
        ("agent", 'data-testid="dispatch-visits-due"'),
        ("technician", 'href="/dispatch/mine/"'),
    ]:
        html = client_of(getattr(cast, who)).get("/").content.decode()
        assert 'data-testid="card-dispatch"' in html and testid in html, who
    assert 'data-testid="card-dispatch"' not in client_of(cast.inspector).get("/").content.decode()


def test_created_from_a_chat(cast, customer):
    from kefu.conversations.models import Inbox, Visitor
    from kefu.conversations.services.lifecycle import start_conversation

    inbox = Inbox.objects.create(name="官网")
    chat = start_conversation(visitor=Visitor.objects.create(inbox=inbox, customer=customer))
    client = client_of(cast.supervisor)
    assert client.get(f"/dispatch/new/?conversation={chat.pk}").status_code == 200
    response = client.post(
        "/dispatch/new/", _form(coming_window(), cast.technician, conversation=chat.pk)
    )
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert order.conversation == chat and order.source == "chat" and order.customer == customer
