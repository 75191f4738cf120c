"""Customer archive API: list and search, get, create, update. Personal data masked."""

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from kefu.accounts.masking import PersonalKind, mask
from kefu.accounts.roles import Perm
from kefu.core.errors import DomainError, PermissionRefused
from kefu.core.pagination import keyset_page
from kefu.customers import identities, selectors
from kefu.customers.models import (
    MASKED_KINDS,
    ConsentSource,
    Customer,
    Gender,
    IdentityKind,
    Level,
    Source,
)
from kefu.customers.schemas import (
    ConsentIn,
    ConsentOut,
    CustomerIn,
    CustomerOut,
    CustomerPage,
    CustomerPatch,
)
from kefu.customers.services import assignment, profiles
from kefu.customers.services import consent as consent_services

router = Router(tags=["customers"])

CHOICES = {"gender": Gender.values, "level": Level.values, "source": Source.values}


def customer_out(customer: Customer) -> dict:
    return {
        **{
            f: getattr(customer, f)
            for f in (
                "id",
                "name",
                "gender",
                "region",
                "city",
                "district",
                "street",
                "address",
                "level",
                "member_no",
                "card_no",
                "source",
                "custom",
                "notes",
                "owner_id",
                "contact_due_at",
                "completeness",
                "created_at",
            )
        },
        "mobile": mask(customer.mobile, PersonalKind.MOBILE),
        "email": mask(customer.email, PersonalKind.EMAIL),
        "tags": [t.name for t in customer.tags.all()],
        "identities": [
            {
                "id": i.pk,
                "kind": i.kind,
                "value": mask(i.value, MASKED_KINDS[i.kind]) if i.kind in MASKED_KINDS else i.value,
            }
            for i in customer.identities.all()
        ],
    }


def _require_serve(request) -> None:
    if not request.user.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionRefused(_("You do not have permission to do this."))


def _split(data: dict) -> tuple[dict, profiles.ContactPoints, list[str] | None, dict | None]:
    for field, allowed in CHOICES.items():
        if field in data and data[field] not in allowed:
            raise DomainError(
                _("“%(value)s” is not a valid %(field)s.") % {"value": data[field], "field": field}
            )
    contacts: dict[str, list[str]] = {
        IdentityKind.MOBILE: data.pop("mobiles", None) or [],
        IdentityKind.WECHAT: [data.pop("wechat", None) or ""],
        IdentityKind.QQ: [data.pop("qq", None) or ""],
        IdentityKind.WANGWANG: [data.pop("wangwang", None) or ""],
    }
    tags = data.pop("tags", None)
    custom = data.pop("custom", None)
    return data, profiles.ContactPoints(contacts), tags, custom


def _run(service, **kwargs):
    try:
        return service(**kwargs)
    except identities.InvalidIdentity as error:
        raise DomainError(str(error)) from error


@router.get("/customers", response=CustomerPage, summary="Search the customer archive")
def list_customers(
    request,
    q: str = "",
    tag: str = "",
    level: str = "",
    region: str = "",
    city: str = "",
    district: str = "",
    owner_id: int | None = Query(None, ge=1, le=2**63 - 1),
    unassigned: bool = False,
    cursor: int | None = None,
    limit: int = 50,
):
    _require_serve(request)
    qs = selectors.search_customers(
        actor=request.user,
        q=q,
        tag=tag,
        level=level,
        region=region,
        city=city,
        district=district,
        owner_id=owner_id,
        unassigned=unassigned,
    )
    page = keyset_page(qs.prefetch_related("tags", "identities"), cursor=cursor, size=limit)
    return {"items": [customer_out(c) for c in page.items], "next_cursor": page.next_cursor}


class AssignmentRequestIn(Schema):
    kind: str = Field(max_length=20)  # mobile, phone, email, wechat, qq, wangwang
    value: str = Field(max_length=200)  # the contact point the duplicate check refused


class AssignmentRequestOut(Schema):
    detail: str


# Before /customers/{customer_id}: a path registered first answers first.
@router.post(
    "/customers/assignment-requests",
    response={202: AssignmentRequestOut},
    summary="Ask a supervisor to assign you the customer a contact point belongs to",
    description="When creating a customer is refused with 409 because a contact point belongs to "
    "a customer you may not open, this tells the supervisors (who may assign it to you). The "
    "answer never names the customer.",
)
def request_assignment(request, body: AssignmentRequestIn):
    _require_serve(request)
    assignment.request_assignment(actor=request.user, kind=body.kind, value=body.value)
    return Status(
        202,
        {
            "detail": _(
                "A supervisor has been asked to assign that customer to you; you will be notified."
            )
        },
    )


@router.get("/customers/{customer_id}", response=CustomerOut, summary="One customer")
def get_customer(request, customer_id: int):
    _require_serve(request)
    return customer_out(
        selectors.access_customer(actor=request.user, customer_id=customer_id, request=request)
    )


@router.post(
    "/customers",
    response={201: CustomerOut},
    summary="Create a customer (duplicates refused with 409)",
)
def create_customer(request, body: CustomerIn):
    _require_serve(request)
    profile, contacts, tags, custom = _split(body.dict())
    customer = _run(
        profiles.create_customer,
        actor=request.user,
        contacts=contacts,
        tags=tags,
        custom=custom,
        **profile,
    )
    return Status(201, customer_out(customer))


@router.patch("/customers/{customer_id}", response=CustomerOut, summary="Change a customer")
def update_customer(request, customer_id: int, body: CustomerPatch):
    _require_serve(request)
    customer = selectors.access_customer(
        actor=request.user, customer_id=customer_id, request=request
    )
    profile, contacts, tags, custom = _split(body.dict(exclude_unset=True))
    profile = {k: ("" if v is None else v) for k, v in profile.items()}
    customer = _run(
        profiles.update_customer,
        actor=request.user,
        customer=customer,
        contacts=contacts,
        tags=tags,
        custom=custom,
        **profile,
    )
    return customer_out(customer)


def _consents(customer: Customer) -> list[dict]:
    return [
        {
            "purpose": row["purpose"],
            "label": str(row["label"]),
            "given": row["given"],
            "source": row["latest"].source if row["latest"] else None,
            "recorded_at": row["latest"].recorded_at if row["latest"] else None,
            "recorded_by_id": row["latest"].recorded_by_id if row["latest"] else None,
        }
        for row in selectors.consent_state(customer)
    ]


@router.get(
    "/customers/{customer_id}/consents",
    response=list[ConsentOut],
    summary="The customer's consent to care and marketing messages, per purpose",
)
def list_consents(request, customer_id: int):
    _require_serve(request)
    return _consents(
        selectors.access_customer(actor=request.user, customer_id=customer_id, request=request)
    )


@router.post(
    "/customers/{customer_id}/consents",
    response={201: list[ConsentOut]},
    summary="Record a consent given or withdrawn (a new record, audited); the consents after it",
)
def record_consent(request, customer_id: int, body: ConsentIn):
    _require_serve(request)
    customer = selectors.access_customer(
        actor=request.user, customer_id=customer_id, request=request
    )
    consent_services.record_consent(
        actor=request.user,
        customer_id=customer.pk,
        purpose=body.purpose,
        given=body.given,
        source=ConsentSource.API,
        request=request,
    )
    return Status(201, _consents(customer))
