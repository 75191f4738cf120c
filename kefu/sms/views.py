"""SMS pages: the list of sent messages with their delivery status (短信记录), and the templates
supervisors and managers keep. The providers' report endpoints live in webhooks.py."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.roles import Perm
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.pagination import keyset_page
from kefu.sms import selectors, services
from kefu.sms.forms import SmsFilterForm, SmsTemplateForm
from kefu.sms.models import SmsTemplate
from kefu.sms.webhooks import delivery_report, sms_reply


@require_perm(Perm.ASSIGN_WORK)
def sms_list(request):
    form = SmsFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.search_sms(
        actor=request.user,
        status=filters.get("status", ""),
        q=filters.get("q", ""),
        customer_id=filters.get("customer"),
    )
    page = keyset_page(qs, cursor=request.GET.get("cursor"))
    selectors.with_template_names(page.items)
    return render(
        request,
        "sms/list.html",
        {
            "form": form,
            "page": page,
            "may_manage_templates": selectors.may_manage_templates(request.user),
        },
    )


@require_perm(Perm.ASSIGN_WORK, Perm.MANAGE_SETTINGS)
def template_list(request):
    return render(request, "sms/templates.html", {"templates": SmsTemplate.objects.all()})


@require_perm(Perm.ASSIGN_WORK, Perm.MANAGE_SETTINGS)
def template_edit(request, template_id: int | None = None):
    template = (
        selectors.access_template(actor=request.user, template_id=template_id)
        if template_id
        else None
    )
    initial = (
        {
            "code": template.code,
            "name": template.name,
            "provider_template_id": template.provider_template_id,
            "body": template.body,
            "optional_variables": ", ".join(template.optional_variables),
        }
        if template
        else {}
    )
    form = SmsTemplateForm(request.POST or None, editing=template, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            "name": data["name"],
            "provider_template_id": data["provider_template_id"],
            "body": data["body"],
            "optional_variables": form.optional_names(),
        }
        try:
            if template is None:
                saved = services.create_sms_template(
                    actor=request.user, code=data["code"], **fields
                )
            else:
                saved = services.update_sms_template(
                    actor=request.user, template=template, **fields
                )
        except DomainError as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("SMS template “%(name)s” saved.") % {"name": saved.name})
            return redirect("sms:templates")
    return render(request, "sms/template_form.html", {"form": form, "template": template})


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def send_to_customer(request, customer_id: int):
    """The customer page's "send SMS" form: one template, its variables."""
    from kefu.customers.selectors import access_customer

    customer = access_customer(actor=request.user, customer_id=customer_id, request=request)
    code = request.POST.get("template", "")
    template = SmsTemplate.objects.filter(code=code).first()
    params = {
        name: request.POST.get(f"var_{name}", "")[:200]
        for name in (template.variables if template else [])
    }
    try:
        result = services.send_customer_sms(
            actor=request.user, customer=customer, template_code=code, params=params
        )
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        if result.ok:
            messages.success(request, _("SMS sent to %(name)s.") % {"name": customer.name})
        else:
            messages.error(
                request,
                _("The SMS provider refused the message: %(error)s") % {"error": result.error},
            )
    return redirect("customers:detail", customer_id=customer.pk)


@require_perm(Perm.ASSIGN_WORK, Perm.MANAGE_SETTINGS)
@require_POST
def template_delete(request, template_id: int):
    template = selectors.access_template(actor=request.user, template_id=template_id)
    try:
        services.delete_sms_template(actor=request.user, template=template)
    except DomainError as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("SMS template “%(name)s” deleted.") % {"name": template.name})
    return redirect("sms:templates")


app_name = "sms"
urlpatterns = [
    path("", sms_list, name="list"),
    path("templates/", template_list, name="templates"),
    path("templates/new/", template_edit, name="template_create"),
    path("templates/<int:template_id>/", template_edit, name="template_edit"),
    path("templates/<int:template_id>/delete/", template_delete, name="template_delete"),
    path("customer/<int:customer_id>/send/", send_to_customer, name="send_to_customer"),
    path("reports/<slug:provider>/<str:token>/", delivery_report, name="delivery_report"),
    path("replies/<slug:provider>/<str:token>/", sms_reply, name="sms_reply"),
]
