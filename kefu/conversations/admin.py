"""The admin site shows e-mail inboxes' mailbox settings read-only and never their password:
managers edit them in kefu's settings (/settings/inboxes/), where changes are checked and audited."""

from django.contrib import admin

from kefu.conversations.models import MailSettings


@admin.register(MailSettings)
class MailSettingsAdmin(admin.ModelAdmin):
    list_display = ("address", "inbox", "imap_host", "smtp_host", "last_polled_at", "last_error")
    exclude = ("password_encrypted",)
    readonly_fields = tuple(
        f.name for f in MailSettings._meta.fields if f.name not in ("id", "password_encrypted")
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
