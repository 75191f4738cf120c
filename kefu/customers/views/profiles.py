"""Customer pages: search and list, the profile with its timeline, capture and editing."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kefu.accounts import services as account_services
from kefu.accounts.masking import PersonalKind, mask
from kefu.accounts.roles import Perm
from kefu.core import timeline
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.pagination import keyset_page
from kefu.core.redirects import safe_next
from kefu.customers import identities, selectors
from kefu.customers.forms import ContactForm, CustomerForm, FlagForm, SearchForm
from kefu.customers.models import (
    MASKED_KINDS,
    ConsentPurpose,
    ConsentSource,
    ContactIdentity,
    Customer,
    CustomField,
    IdentityKind,
    Level,
)
from kefu.customers.panels import panels_for
from kefu.customers.services import assignment, profiles
from kefu.customers.services import consent as consent_services

TIMELINE_KINDS = [
    ("customers.", gettext_lazy("Record")),
    ("customers.contacted", gettext_lazy("Contacts")),
    ("conversations.", gettext_lazy("Conversations")),
    ("tickets.", gettext_lazy("Tickets")),
    ("followups.", gettext_lazy("Return visits")),
]


LEVEL_BADGES: dict[str, str] = {Level.VIP: "bg-orange-lt", Level.MEMBER: "bg-blue-lt"}


def customer_rows_html(customers: list[Customer], *, selectable: bool) -> SafeString:
    """The list's rows (a page of 50) as one escaped fragment, built in one pass rather than 50
    iterations of the template language (a URL, an include, filters per row: most of the page's
    CPU at 1,000,000 customers, bench/README.md, pages). Same cells as customers/_level.html and
    the mobile masked as the `masked` filter does; every value escaped by format_html."""
    levels = dict(Level.choices)
    prefix = reverse("customers:list")
    select = _("Select")
    parts = []
    for c in customers:
        place = c.city + "".join(f" · {p}" for p in (c.district, c.street) if p)
        parts.append(
            format_html(
                '<tr>{tick}<td><a href="{prefix}{pk}/">{name}</a></td>'
                '<td class="font-monospace">{mobile}</td>'
                '<td><span class="badge {badge}">{level}</span></td>'
                "<td>{place}</td><td>{owner}</td><td>{tags}</td><td>{completeness}%</td></tr>\n",
                tick=format_html(
                    '<td><input class="form-check-input" type="checkbox" name="customer" '
                    'value="{}" aria-label="{} {}"></td>',
                    c.pk,
                    select,
                    c.name,
                )
                if selectable
                else "",
                prefix=prefix,
                pk=c.pk,
                name=c.name,
                mobile=mask(c.mobile, PersonalKind.MOBILE) or "—",
                badge=LEVEL_BADGES.get(c.level, "bg-secondary-lt"),
                level=levels.get(c.level, c.level),
                place=place,
                owner=str(c.owner) if c.owner_id else "—",
                tags=format_html_join(
                    "",
                    '<span class="badge bg-azure-lt me-1">{}</span>',
                    ((t,) for t in c.tags.all()),
                ),
                completeness=c.completeness,
            )
        )
    return mark_safe("".join(parts))  # noqa: S308  (each part is format_html's, escaped)


@require_perm(Perm.SERVE_CUSTOMERS)
def customer_list(request):
    form = SearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.search_customers(actor=request.user, **{k: v for k, v in data.items() if v})
    page = keyset_page(qs.prefetch_related("tags"), cursor=request.GET.get("cursor"))
    rows = customer_rows_html(page.items, selectable=request.user.has_perm(Perm.ASSIGN_WORK))
    return render(request, "customers/list.html", {"form": form, "page": page, "rows": rows})


@require_perm(Perm.SERVE_CUSTOMERS, Perm.WORK_ROUTED_TASKS)
def customer_detail(request, customer_id: int):
    customer = selectors.access_customer(
        actor=request.user, customer_id=customer_id, request=request
    )
    if customer.pk != customer_id:
        return redirect("customers:detail", customer_id=customer.pk)
    kind = request.GET.get("kind", "")
    entries = timeline.entries_for_customer(customer.pk)
    if kind:
        entries = entries.filter(kind__startswith=kind)
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "identities": customer.identities.order_by("kind", "id"),
            "custom_values": [
                (f.label, customer.custom.get(f.code, "")) for f in CustomField.objects.all()
            ],
            "missing": profiles.missing_fields(customer),
            "entries": entries[:100],
            "timeline_kinds": TIMELINE_KINDS,
            "kind": kind,
            "overdue": selectors.is_contact_overdue(customer),
            "contact_form": ContactForm(),
            "flag_form": FlagForm(),
            "panels": panels_for(request, customer),
            "consents": selectors.consent_state(customer),
        },
    )


def _save(request, form, customer=None):
    """Run the create or update service; put its refusal on the form. Returns the customer or None."""
    try:
        contacts = profiles.ContactPoints(form.contact_values())
        if customer is None:
            return profiles.create_customer(
                actor=request.user,
                contacts=contacts,
                tags=form.tag_names(),
                custom=form.custom_values(),
                **form.profile(),
            )
        return profiles.update_customer(
            actor=request.user,
            customer=customer,
            contacts=contacts,
            tags=form.tag_names(),
            custom=form.custom_values(),
            **form.profile(),
        )
    except profiles.IdentityTaken as taken:
        form.add_error(None, taken.message)
        form.existing = taken.other if taken.named else None  # named only to who may open it
        form.taken = None if taken.named else taken  # the others may ask for it
    except (DomainError, identities.InvalidIdentity) as error:
        form.add_error(None, str(error))
    return None


@require_perm(Perm.SERVE_CUSTOMERS)
def customer_create(request):
    form = CustomerForm(request.POST or None, initial={"mobiles": request.GET.get("mobile", "")})
    if request.method == "POST" and form.is_valid():
        customer = _save(request, form)
        if customer is not None:
            messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
            return redirect("customers:detail", customer_id=customer.pk)
    return render(request, "customers/form.html", {"form": form, "creating": True})


@require_perm(Perm.SERVE_CUSTOMERS)
def customer_edit(request, customer_id: int):
    customer = selectors.access_customer(
        actor=request.user, customer_id=customer_id, request=request
    )
    initial = {
        **{f: getattr(customer, f) for f in profiles.PROFILE_FIELDS},
        "tags": ", ".join(t.name for t in customer.tags.all()),
        **{f"custom_{code}": value for code, value in customer.custom.items()},
    }
    form = CustomerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and _save(request, form, customer) is not None:
        messages.success(request, _("Saved."))
        return redirect("customers:detail", customer_id=customer.pk)
    return render(
        request, "customers/form.html", {"form": form, "customer": customer, "creating": False}
    )


@require_perm(Perm.SERVE_CUSTOMERS)
def check_identity(request):
    """htmx, while capturing: does this mobile or e-mail already belong to a customer?"""
    kind, value = request.GET.get("kind", ""), request.GET.get("value", "")
    try:
        existing = (
            selectors.find_by_identity(kind, identities.normalise(kind, value))
            if value.strip()
            else None
        )
    except identities.InvalidIdentity as error:
        return HttpResponse(f'<div class="text-danger small">{escape(str(error))}</div>')
    if existing is None:
        return HttpResponse("")
    if not selectors.may_open_customer(request.user, existing):
        return render(
            request,
            "customers/_taken_hint.html",
            {"kind": kind, "value": identities.normalise(kind, value)},
        )
    link = f' <a href="/customers/{existing.pk}/">{escape(_("Open it"))}</a>'
    return HttpResponse(
        f'<div class="text-warning small" data-testid="duplicate-hint">{escape(_("Already in the archive:"))} {escape(existing.name)}{link}</div>'
    )


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def request_assignment(request):
    """htmx from the capture form: ask the supervisors for the customer a contact point belongs to,
    when the duplicate check would not name it. Answers with the line that replaces the button."""
    try:
        assignment.request_assignment(
            actor=request.user,
            kind=request.POST.get("kind", ""),
            value=request.POST.get("value", ""),
        )
    except DomainError as refused:
        text, css = refused.message, "text-danger"
    else:
        text, css = (
            _("A supervisor has been asked to assign that customer to you; you will be notified."),
            "text-success",
        )
    return HttpResponse(
        f'<span class="{css} small" data-testid="assignment-requested">{escape(text)}</span>'
    )


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def reveal_identity(request, customer_id: int, identity_id: int):
    customer = selectors.access_customer(
        actor=request.user, customer_id=customer_id, request=request
    )
    identity = ContactIdentity.objects.filter(pk=identity_id, customer=customer).first()
    if identity is None or identity.kind not in MASKED_KINDS:
        return HttpResponse(status=404)
    value = account_services.reveal_personal_data(
        actor=request.user,
        obj=identity,
        field="value",
        kind=MASKED_KINDS[identity.kind],
        subject=customer,
        request=request,
    )
    shown = identities.display_phone(value) if identity.kind != IdentityKind.EMAIL else value
    return HttpResponse(
        f'<span class="font-monospace" data-revealed="{identity.pk}">{escape(shown)}</span>'
    )


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def record_contact(request, customer_id: int):
    customer = selectors.access_customer(
        actor=request.user, customer_id=customer_id, request=request
    )
    form = ContactForm(request.POST)
    if form.is_valid():
        profiles.record_contact(actor=request.user, customer=customer, **form.cleaned_data)
        messages.success(request, _("Contact recorded."))
    else:
        messages.error(request, _("Choose how you contacted the customer."))
    return redirect("customers:detail", customer_id=customer.pk)


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def mark_reviewed(request, customer_id: int):
    customer = selectors.access_customer(
        actor=request.user, customer_id=customer_id, request=request
    )
    profiles.mark_reviewed(actor=request.user, customer=customer)
    messages.success(request, _("Marked as reviewed."))
    return redirect(safe_next(request, reverse("customers:detail", args=[customer.pk])))


@require_perm(Perm.ASSIGN_WORK)
@require_POST
def flag_accuracy(request, customer_id: int):
    customer = selectors.access_customer(
        actor=request.user, customer_id=customer_id, request=request
    )
    form = FlagForm(request.POST)
    if form.is_valid():
        profiles.flag_accuracy(
            actor=request.user, customer=customer, doubt=form.cleaned_data["doubt"]
        )
        messages.success(
            request, _("The doubt is recorded; the record is back in the review queue.")
        )
    return redirect("customers:detail", customer_id=customer.pk)


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def customer_consent(request, customer_id: int):
    """Record a consent to care or marketing messages given or withdrawn (told by the customer)."""
    customer = selectors.access_customer(
        actor=request.user, customer_id=customer_id, request=request
    )
    purpose = request.POST.get("purpose", "")
    given = request.POST.get("given") == "1"
    try:
        consent_services.record_consent(
            actor=request.user,
            customer_id=customer.pk,
            purpose=purpose,
            given=given,
            source=ConsentSource.CUSTOMER_PAGE,
            request=request,
        )
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("Consent to %(purpose)s recorded as given.")
            % {"purpose": ConsentPurpose(purpose).label}
            if given
            else _("Consent to %(purpose)s recorded as withdrawn.")
            % {"purpose": ConsentPurpose(purpose).label},
        )
    return redirect("customers:detail", customer_id=customer.pk)


urlpatterns = [
    path("", customer_list, name="list"),
    path("<int:customer_id>/consent/", customer_consent, name="consent"),
    path("new/", customer_create, name="create"),
    path("check/", check_identity, name="check_identity"),
    path("request-assignment/", request_assignment, name="request_assignment"),
    path("<int:customer_id>/", customer_detail, name="detail"),
    path("<int:customer_id>/edit/", customer_edit, name="edit"),
    path("<int:customer_id>/reveal/<int:identity_id>/", reveal_identity, name="reveal"),
    path("<int:customer_id>/contact/", record_contact, name="contact"),
    path("<int:customer_id>/reviewed/", mark_reviewed, name="mark_reviewed"),
    path("<int:customer_id>/flag/", flag_accuracy, name="flag"),
]
