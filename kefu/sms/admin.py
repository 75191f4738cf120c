from django.contrib import admin

from kefu.sms.models import SmsMessage, SmsTemplate


@admin.register(SmsTemplate)
class SmsTemplateAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "provider_template_id")
    search_fields = ("code", "name")


@admin.register(SmsMessage)
class SmsMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "template_code", "provider", "status", "created_at")
    list_filter = ("status", "provider")
    readonly_fields = [f.name for f in SmsMessage._meta.fields]
