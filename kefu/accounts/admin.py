from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from kefu.accounts.audit import audit
from kefu.accounts.models import (
    AgentProfile,
    ApiToken,
    AuditAction,
    AuditEntry,
    Department,
    Skill,
    Team,
    User,
)

ACCESS_FIELDS = ("role", "is_active")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Administrators' fallback editor. Access changes made here are audited like the pages' own."""

    list_display = ["username", "display_name", "role", "department", "is_active"]
    list_filter = ["role", "department", "is_active"]
    # Rights come from the role alone: no superuser flag, groups or per-user permissions here.
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (
            "kefu",
            {"fields": ["role", "display_name", "mobile", "email", "department", "is_active"]},
        ),
        ("", {"fields": ["last_login", "date_joined"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = sorted(set(form.changed_data) & set(ACCESS_FIELDS))
        if not change:
            audit(
                AuditAction.USER_CREATED,
                actor=request.user,
                obj=obj,
                request=request,
                details={"via": "admin"},
            )
        elif changed:
            audit(
                AuditAction.PERMISSION_CHANGED,
                actor=request.user,
                obj=obj,
                request=request,
                details={
                    "via": "admin",
                    "fields": changed,
                    "role": obj.role,
                    "active": obj.is_active,
                },
            )

    def delete_model(self, request, obj):
        audit(
            AuditAction.DELETE,
            actor=request.user,
            obj=obj,
            request=request,
            details={"via": "admin"},
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            audit(
                AuditAction.DELETE,
                actor=request.user,
                obj=user,
                request=request,
                details={"via": "admin"},
            )
        super().delete_queryset(request, queryset)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor_username", "action", "object_repr", "ip_address"]
    list_filter = ["action"]
    search_fields = ["actor_username", "object_repr", "object_id"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


admin.site.register([Department, Skill, Team, AgentProfile])
admin.site.register(
    ApiToken, list_display=["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
)
