"""Consent to care and marketing messages: given or withdrawn (退订), one row per change, audited."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.accounts.roles import Perm
from kefu.core import timeline
from kefu.core.errors import DomainError, PermissionRefused
from kefu.customers.models import Consent, ConsentPurpose, ConsentSource, Customer


@transaction.atomic
def record_consent(
    *,
    actor: User | None,
    customer_id: int,
    purpose: str,
    given: bool,
    source: str = ConsentSource.CUSTOMER_PAGE,
    now: dt.datetime | None = None,
    request=None,
) -> Consent:
    """Record a consent given or withdrawn. An agent records it from the customer's page (which has
    checked they may see the customer); a customer's 退订 by SMS reply comes with no actor."""
    if actor is not None and not actor.has_perm(Perm.SERVE_CUSTOMERS):
        raise PermissionRefused(_("You do not have permission to do this."))
    if purpose not in ConsentPurpose.values:
        raise DomainError(_("Unknown consent purpose."), field="purpose")
    if source not in ConsentSource.values:
        raise DomainError(_("Unknown consent source."))
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise DomainError(_("This customer does not exist (any more)."))
    now = now or timezone.now()
    consent = Consent.objects.create(
        customer=customer,
        purpose=purpose,
        given=given,
        source=source,
        recorded_at=now,
        recorded_by=actor,
    )
    label = ConsentPurpose(purpose).label
    summary = (
        _("Consent to %(purpose)s given") if given else _("Consent to %(purpose)s withdrawn")
    ) % {"purpose": label}
    timeline.record(
        subject=consent,
        customer_id=customer.pk,
        kind="customers.consent",
        actor=actor,
        occurred_at=now,
        summary=summary,
        data={"purpose": purpose, "given": given, "source": source},
    )
    audit(
        AuditAction.CONSENT_CHANGED,
        actor=actor,
        obj=customer,
        request=request,
        details={"purpose": purpose, "given": given, "source": source},
    )
    return consent
