"""Call records API: record a call, list and read calls. The same services as the pages."""

from django.core.exceptions import PermissionDenied
from ninja import Query, Router, Status

from kefu.accounts.roles import Perm
from kefu.core.errors import DomainError
from kefu.core.pagination import keyset_page
from kefu.telephony import selectors, services
from kefu.telephony.models import Call, CallSource
from kefu.telephony.schemas import CallIn, CallOut, CallPage

router = Router(tags=["calls"])


def call_out(call: Call) -> dict:
    return {
        "id": call.pk,
        "direction": call.direction,
        "number": selectors.masked_number(call.number),
        "customer_id": call.customer_id,
        "agent_id": call.agent_id,
        "started_at": call.started_at,
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "duration_seconds": call.duration_seconds,
        "outcome": call.outcome,
        "outcome_label": call.get_outcome_display(),
        "recording_url": call.recording_url,
        "subject": call.subject,
        "notes": call.notes,
        "source": call.source,
        "created_at": call.created_at,
    }


def _may_list(user) -> None:
    if not (user.has_perm(Perm.SERVE_CUSTOMERS) or user.has_perm(Perm.INSPECT_QUALITY)):
        raise PermissionDenied


@router.post("/calls", response={201: CallOut}, summary="Record a call (the agent's work record)")
def create_call(request, body: CallIn):
    data = body.dict()
    url = data.pop("recording_url").strip()
    if url and not url.startswith(("https://", "http://")):
        raise DomainError("recording_url must start with https:// or http://")
    call = services.record_call(
        actor=request.user, source=CallSource.API, recording_url=url, **data
    )
    return Status(201, call_out(call))


@router.get("/calls", response=CallPage, summary="List calls, newest first")
def list_calls(
    request,
    q: str = "",
    direction: str = "",
    outcome: str = "",
    customer: int | None = Query(None, ge=1, le=2**63 - 1),
    agent: int | None = Query(None, ge=1, le=2**63 - 1),
    cursor: int | None = None,
    limit: int = Query(50, ge=1, le=200),
):
    _may_list(request.user)
    qs = selectors.search_calls(
        actor=request.user,
        q=q[:40],
        direction=direction,
        outcome=outcome,
        customer_id=customer,
        agent_id=agent,
    )
    # The API pages by record number (an integer cursor, as documented); the page orders by call time.
    page = keyset_page(qs.order_by("-id"), cursor=cursor, size=limit)
    return {"items": [call_out(c) for c in page.items], "next_cursor": page.next_cursor}


@router.get("/calls/{call_id}", response=CallOut, summary="One call")
def get_call(request, call_id: int):
    _may_list(request.user)
    return call_out(selectors.access_call(actor=request.user, call_id=call_id))
