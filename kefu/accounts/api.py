"""Accounts API: who am I, users (masked), reveal (audited), presence, departments, audit log."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Router, Schema

from kefu.accounts import selectors, services
from kefu.accounts.masking import PersonalKind, mask
from kefu.accounts.models import AuditEntry, Department, User
from kefu.accounts.roles import Perm
from kefu.accounts.schemas import AuditEntryOut, DepartmentOut, PresenceIn, RevealOut, UserOut
from kefu.core.pagination import keyset_page

router = Router(tags=["accounts"])


def user_out(user: User) -> dict:
    profile = getattr(user, "agent_profile", None)
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "role_label": user.get_role_display(),
        "department": user.department,
        "mobile": mask(user.mobile, PersonalKind.MOBILE),
        "email": mask(user.email, PersonalKind.EMAIL),
        "is_active": user.is_active,
        "presence": profile.presence if profile else None,
    }


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


@router.get("/me", response=UserOut, summary="The signed-in user")
def me(request):
    user = User.objects.select_related("department", "agent_profile").get(pk=request.user.pk)
    return user_out(user)


@router.put("/me/presence", response=UserOut, summary="Set my presence")
def set_my_presence(request, body: PresenceIn):
    services.set_presence(user=request.user, presence=body.presence)
    return me(request)


class UserPage(Schema):
    items: list[UserOut]
    next_cursor: int | None


@router.get("/users", response=UserPage, summary="Users (masked personal data)")
def list_users(
    request,
    q: str = "",
    role: str = "",
    department_id: int | None = None,
    cursor: int | None = None,
    limit: int = 50,
):
    _require(request, Perm.MANAGE_USERS)
    page = keyset_page(
        selectors.search_users(q=q, role=role, department_id=department_id),
        cursor=cursor,
        size=limit,
    )
    return {"items": [user_out(u) for u in page.items], "next_cursor": page.next_cursor}


@router.get("/users/{user_id}", response=UserOut, summary="One user (masked personal data)")
def get_user(request, user_id: int):
    return user_out(selectors.access_user(actor=request.user, user_id=user_id, request=request))


@router.post(
    "/users/{user_id}/reveal/{field}",
    response=RevealOut,
    summary="Reveal one value in full (audited)",
)
def reveal_user_field(request, user_id: int, field: str):
    kinds = {"mobile": PersonalKind.MOBILE, "email": PersonalKind.EMAIL}
    if field not in kinds:
        raise Http404
    user = selectors.access_user(actor=request.user, user_id=user_id, request=request)
    value = services.reveal_personal_data(
        actor=request.user, obj=user, field=field, kind=kinds[field], request=request
    )
    return {"field": field, "value": value}


@router.get("/departments", response=list[DepartmentOut], summary="Departments")
def list_departments(request):
    return list(Department.objects.all())


class AuditPage(Schema):
    items: list[AuditEntryOut]
    next_cursor: int | None


@router.get("/audit", response=AuditPage, summary="Audit log (managers)")
def list_audit(
    request,
    q: str = "",
    action: str = "",
    actor: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    cursor: int | None = None,
    limit: int = 50,
):
    _require(request, Perm.VIEW_AUDIT_LOG)
    qs = selectors.search_audit_log(
        q=q, action=action, actor=actor, date_from=date_from, date_to=date_to
    )
    page = keyset_page(qs, cursor=cursor, size=limit)
    return {"items": [_audit_out(e) for e in page.items], "next_cursor": page.next_cursor}


def _audit_out(entry: AuditEntry) -> dict:
    return {
        "id": entry.pk,
        "created_at": entry.created_at,
        "actor_username": entry.actor_username,
        "action": entry.action,
        "action_label": entry.get_action_display(),
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "ip_address": entry.ip_address,
        "details": entry.details,
    }
