"""Pages of the accounts app. Each parses input, loads through a selector, calls one service."""

import base64
import io
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts import selectors, services
from kefu.accounts.audit import object_kind
from kefu.accounts.forms import (
    AuditFilterForm,
    DepartmentForm,
    PasswordChangeForm,
    PresenceForm,
    RoleForm,
    SetPasswordForm,
    SignInForm,
    SkillForm,
    TeamForm,
    TwoFactorForm,
    UserCreateForm,
    UserFilterForm,
)
from kefu.accounts.masking import PersonalKind
from kefu.accounts.models import AgentProfile, Department, Presence, Skill, Team
from kefu.accounts.roles import Perm
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.pagination import keyset_page
from kefu.core.redirects import safe_next


def sign_in(request):
    if request.user.is_authenticated:
        return redirect(safe_next(request, reverse("core:home")))
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.sign_in(request, **form.cleaned_data)
        except services.SignInRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            return redirect(safe_next(request, reverse("core:home")))
    return render(
        request,
        "accounts/sign_in.html",
        {"form": form, "next": safe_next(request, "")},
        status=401 if form.errors else 200,
    )


@require_POST
def sign_out(request):
    services.sign_out(request)
    messages.info(request, _("You have signed out."))
    return redirect("accounts:sign_in")


@login_required
def two_factor(request):
    user = request.user
    if not user.requires_two_factor or user.is_verified():
        return redirect(safe_next(request, reverse("core:home")))
    enrolled = services.has_confirmed_totp(user)
    form = TwoFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.verify_second_factor(request, code=form.cleaned_data["code"]):
            if services.NEW_RECOVERY_CODES in request.session:
                # Shown once, before the page that was asked for (kept as `next`).
                target, codes_url = safe_next(request, ""), reverse("accounts:recovery_codes")
                return redirect(
                    f"{codes_url}?{urlencode({'next': target})}" if target else codes_url
                )
            return redirect(safe_next(request, reverse("core:home")))
        form.add_error(
            "code", _("The code is not correct. Check the time on your phone and try again.")
        )
    context = {"form": form, "enrolled": enrolled, "next": safe_next(request, "")}
    if not enrolled:
        device = services.pending_totp_device(user)
        image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
        buffer = io.BytesIO()
        image.save(buffer)
        context["qr_svg_data"] = base64.b64encode(buffer.getvalue()).decode()
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "accounts/two_factor.html", context)


@login_required
def recovery_codes(request):
    """Recovery codes: new ones are shown once (after setting up two-factor, or when the user makes
    new ones, which ends the old ones); otherwise only how many are left."""
    user = request.user
    if not services.has_confirmed_totp(user):
        return redirect("accounts:two_factor")
    if request.method == "POST":
        request.session[services.NEW_RECOVERY_CODES] = services.create_recovery_codes(
            user=user, request=request
        )
        return redirect("accounts:recovery_codes")
    codes = request.session.pop(services.NEW_RECOVERY_CODES, None)
    return render(
        request,
        "accounts/recovery_codes.html",
        {
            "codes": codes,
            "left": services.recovery_codes_left(user),
            "next": safe_next(request, reverse("core:home")),
        },
    )


@login_required
@require_POST
def set_presence(request):
    form = PresenceForm(request.POST)
    if form.is_valid():
        profile = services.set_presence(user=request.user, presence=form.cleaned_data["presence"])
        if request.headers.get("HX-Request"):
            return render(
                request,
                "accounts/_presence.html",
                {"profile": profile, "presence_choices": Presence.choices},
            )
        messages.success(
            request,
            _("Your status is now “%(presence)s”.") % {"presence": profile.get_presence_display()},
        )
    return redirect(safe_next(request, reverse("core:home")))


# --- users ---------------------------------------------------------------------------------------


@require_perm(Perm.MANAGE_USERS)
def users(request):
    filters = UserFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    department = data.get("department")
    qs = selectors.search_users(
        q=data.get("q", ""),
        role=data.get("role", ""),
        department_id=department.pk if department else None,
    )
    page = keyset_page(qs, cursor=request.GET.get("cursor"))
    return render(request, "accounts/users.html", {"filters": filters, "page": page})


@require_perm(Perm.MANAGE_USERS)
def user_create(request):
    form = UserCreateForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.create_user(
                actor=request.user, request=request, check_password=False, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("User %(name)s created.") % {"name": user.username})
            return redirect("accounts:user", user_id=user.pk)
    return render(request, "accounts/user_create.html", {"form": form})


@login_required
def user_detail(request, user_id: int):
    user = selectors.access_user(actor=request.user, user_id=user_id, request=request)
    role_form = RoleForm(request.POST or None, initial={"role": user.role})
    if request.method == "POST" and role_form.is_valid():
        services.change_role(
            actor=request.user, user=user, role=role_form.cleaned_data["role"], request=request
        )
        messages.success(request, _("Role changed."))
        return redirect("accounts:user", user_id=user.pk)
    profile = AgentProfile.objects.filter(user=user).prefetch_related("skills", "teams").first()
    return render(
        request,
        "accounts/user_detail.html",
        {"subject": user, "role_form": role_form, "profile": profile},
    )


@login_required
def change_password(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.change_own_password(request, new_password=form.cleaned_data["new_password1"])
        messages.success(
            request,
            _("Your password has been changed. Other devices signed in with it are signed out."),
        )
        return redirect("core:home")
    return render(request, "accounts/password.html", {"form": form, "subject": None})


@require_perm(Perm.MANAGE_USERS)
def user_set_password(request, user_id: int):
    user = selectors.access_user(actor=request.user, user_id=user_id, request=request)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.set_password_for(
            actor=request.user,
            user=user,
            new_password=form.cleaned_data["new_password1"],
            request=request,
        )
        messages.success(
            request,
            _("The new password is set. Give it to %(name)s in person, not by chat.")
            % {"name": user},
        )
        return redirect("accounts:user", user_id=user.pk)
    return render(request, "accounts/password.html", {"form": form, "subject": user})


@login_required
@require_POST
def user_set_active(request, user_id: int):
    user = selectors.access_user(actor=request.user, user_id=user_id, request=request)
    active = request.POST.get("active") == "1"
    services.set_user_active(actor=request.user, user=user, active=active, request=request)
    messages.success(request, _("Account enabled.") if active else _("Account disabled."))
    return redirect("accounts:user", user_id=user.pk)


@require_perm(Perm.MANAGE_USERS)
@require_POST
def user_reset_two_factor(request, user_id: int):
    user = selectors.access_user(actor=request.user, user_id=user_id, request=request)
    services.reset_two_factor(actor=request.user, user=user, request=request)
    messages.success(
        request,
        _("Two-factor sign-in reset: %(name)s sets it up again at the next sign-in.")
        % {"name": user},
    )
    return redirect("accounts:user", user_id=user.pk)


REVEALABLE_USER_FIELDS = {"mobile": PersonalKind.MOBILE, "email": PersonalKind.EMAIL}


@login_required
@require_POST
def user_reveal(request, user_id: int, field: str):
    """htmx: swap a masked value for the full one, audited."""
    user = selectors.access_user(actor=request.user, user_id=user_id, request=request)
    kind = REVEALABLE_USER_FIELDS.get(field)
    if kind is None:
        return HttpResponse(status=404)
    value = services.reveal_personal_data(
        actor=request.user, obj=user, field=field, kind=kind, request=request
    )
    return HttpResponse(
        f'<span class="font-monospace" data-revealed="{escape(field)}">{escape(value)}</span>'
    )


# --- departments and teams ---------------------------------------------------------------------


@require_perm(Perm.MANAGE_USERS)
def departments(request):
    forms_by_kind = {
        "department": DepartmentForm(
            request.POST if request.POST.get("kind") == "department" else None, prefix="d"
        ),
        "team": TeamForm(request.POST if request.POST.get("kind") == "team" else None, prefix="t"),
        "skill": SkillForm(
            request.POST if request.POST.get("kind") == "skill" else None, prefix="s"
        ),
    }
    if request.method == "POST":
        form = forms_by_kind.get(request.POST.get("kind", ""))
        if form is not None and form.is_valid():
            saved = services.save_organisation_unit(actor=request.user, form=form, request=request)
            messages.success(request, _("Saved “%(name)s”.") % {"name": saved})
            return redirect("accounts:departments")
    return render(
        request,
        "accounts/departments.html",
        {
            "departments": selectors.departments_with_teams(),
            "skills": Skill.objects.all(),
            "forms": forms_by_kind,
        },
    )


ORGANISATION_FORMS = {"department": (Department, DepartmentForm), "team": (Team, TeamForm)}


@require_perm(Perm.MANAGE_USERS)
def organisation_edit(request, kind: str, unit_id: int):
    """Change a department or a team after it was created; audited like creating it."""
    if kind not in ORGANISATION_FORMS:
        raise Http404
    model, form_class = ORGANISATION_FORMS[kind]
    unit = get_object_or_404(model, pk=unit_id)
    form = form_class(request.POST or None, instance=unit)
    if request.method == "POST" and form.is_valid():
        saved = services.save_organisation_unit(actor=request.user, form=form, request=request)
        messages.success(request, _("Saved “%(name)s”.") % {"name": saved})
        return redirect("accounts:departments")
    return render(
        request, "accounts/organisation_edit.html", {"form": form, "unit": unit, "kind": kind}
    )


# --- audit log -----------------------------------------------------------------------------------


@require_perm(Perm.VIEW_AUDIT_LOG)
def audit_log(request):
    filters = AuditFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.search_audit_log(**{k: v for k, v in data.items() if v})
    page = keyset_page(qs.select_related("actor"), cursor=request.GET.get("cursor"))
    for entry in page.items:
        entry.object_kind = object_kind(entry.object_type)
    return render(request, "accounts/audit_log.html", {"filters": filters, "page": page})
