"""Roles as permission sets: the one table that says who may do what.

The seeds name the rights (001: 审批权, 人事调配权, 考核权, 紧急事件处理权); each is a permission
here, and each role carries the set its people hold. Code checks permissions, never role names:
`user.has_perm(Perm.APPROVE)`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")  # users, channels, settings
    MANAGER = "manager", _("CS manager")  # 客服经理: processes, SLAs, reports, approval
    SUPERVISOR = "supervisor", _("CS supervisor")  # 客服主管: assigns work, approves plans
    AGENT = "agent", _("Agent")  # 坐席专员: serves customers
    INSPECTOR = "inspector", _("Quality inspector")  # 质检员: reviews and scores
    DEPARTMENT_STAFF = "department_staff", _("Department staff")  # 部门人员: routed work


class Perm:
    """Permission names as `user.has_perm` takes them. One constant per right."""

    SERVE_CUSTOMERS = "accounts.serve_customers"  # answer chats, calls, tickets; do return visits
    APPROVE = "accounts.approve"  # 审批: approve or return resolution plans and sheets
    ASSIGN_WORK = "accounts.assign_work"  # 调配: assign customers and work, take over, reassign
    EVALUATE = "accounts.evaluate"  # 考核: draft the agents' reward/penalty and performance sheets
    APPROVE_SHEETS = "accounts.approve_sheets"  # approve or return the drafted sheets (a superior)
    HANDLE_EMERGENCY = "accounts.handle_emergency"  # 紧急事件处理: override queues and limits
    INSPECT_QUALITY = "accounts.inspect_quality"  # 质检: review and score conversations
    WORK_ROUTED_TASKS = "accounts.work_routed_tasks"  # department staff: work routed to them
    REVEAL_PERSONAL_DATA = "accounts.reveal_personal_data"  # see a masked value in full (audited)
    EXPORT_DATA = "accounts.export_data"  # download lists and reports as files, masked (audited)
    # A full-value export: personal data unmasked in the file, with a reason and a confirmation
    # (audited with the number of values revealed). Its own right, apart from EXPORT_DATA.
    EXPORT_PERSONAL_DATA = "accounts.export_personal_data"
    VIEW_REPORTS = "accounts.view_reports"
    VIEW_AUDIT_LOG = "accounts.view_audit_log"
    MANAGE_USERS = "accounts.manage_users"  # users, roles, departments, teams
    MANAGE_SETTINGS = "accounts.manage_settings"  # calendar, categories, time limits, channels
    USE_ADMIN_SITE = "accounts.use_admin_site"  # Django admin
    # 知识库: write and change articles, synonyms and the domain dictionary; publish an article
    # another person wrote or changed (review before publishing: never one's own last change).
    EDIT_KNOWLEDGE = "accounts.edit_knowledge"
    PUBLISH_KNOWLEDGE = "accounts.publish_knowledge"
    # PIPL 个人信息保护 (kefu/privacy): a copy of everything held about one customer, in full
    # (audited, downloaded by the one who asked); and erasure requests and retention rules.
    EXPORT_CUSTOMER_DATA = "accounts.export_customer_data"
    ERASE_CUSTOMER_DATA = "accounts.erase_customer_data"

    LABELS = {
        SERVE_CUSTOMERS: _("Serve customers"),
        APPROVE: _("Approval"),
        ASSIGN_WORK: _("Assignment"),
        EVALUATE: _("Evaluation"),
        APPROVE_SHEETS: _("Approve evaluation sheets"),
        HANDLE_EMERGENCY: _("Emergency handling"),
        INSPECT_QUALITY: _("Quality inspection"),
        WORK_ROUTED_TASKS: _("Work routed to the department"),
        REVEAL_PERSONAL_DATA: _("Reveal personal data"),
        EXPORT_DATA: _("Export data"),
        EXPORT_PERSONAL_DATA: _("Export personal data in full"),
        VIEW_REPORTS: _("View reports"),
        VIEW_AUDIT_LOG: _("View the audit log"),
        MANAGE_USERS: _("Manage users and departments"),
        MANAGE_SETTINGS: _("Manage settings"),
        USE_ADMIN_SITE: _("Use the admin site"),
        EDIT_KNOWLEDGE: _("Edit the knowledge base"),
        PUBLISH_KNOWLEDGE: _("Publish knowledge articles"),
        EXPORT_CUSTOMER_DATA: _("Export a customer's personal data"),
        ERASE_CUSTOMER_DATA: _("Erase personal data and set retention"),
    }
    ALL = frozenset(LABELS)


ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMINISTRATOR: Perm.ALL,
    Role.MANAGER: frozenset(
        {
            Perm.SERVE_CUSTOMERS,
            Perm.APPROVE,
            Perm.ASSIGN_WORK,
            Perm.EVALUATE,
            Perm.APPROVE_SHEETS,
            Perm.HANDLE_EMERGENCY,
            Perm.INSPECT_QUALITY,
            Perm.REVEAL_PERSONAL_DATA,
            Perm.EXPORT_DATA,
            Perm.EXPORT_PERSONAL_DATA,
            Perm.VIEW_REPORTS,
            Perm.VIEW_AUDIT_LOG,
            Perm.MANAGE_USERS,
            Perm.MANAGE_SETTINGS,
            Perm.EDIT_KNOWLEDGE,
            Perm.PUBLISH_KNOWLEDGE,
            Perm.EXPORT_CUSTOMER_DATA,
            Perm.ERASE_CUSTOMER_DATA,
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            Perm.SERVE_CUSTOMERS,
            Perm.APPROVE,
            Perm.ASSIGN_WORK,
            Perm.EVALUATE,  # seed 002: 部门主管 drafts the 奖罚评分表 for a superior's approval
            Perm.HANDLE_EMERGENCY,
            Perm.INSPECT_QUALITY,
            Perm.REVEAL_PERSONAL_DATA,
            Perm.EXPORT_DATA,
            Perm.VIEW_REPORTS,
            Perm.EDIT_KNOWLEDGE,
            Perm.PUBLISH_KNOWLEDGE,
        }
    ),
    Role.AGENT: frozenset({Perm.SERVE_CUSTOMERS, Perm.REVEAL_PERSONAL_DATA}),
    Role.INSPECTOR: frozenset({Perm.INSPECT_QUALITY, Perm.VIEW_REPORTS}),
    Role.DEPARTMENT_STAFF: frozenset({Perm.WORK_ROUTED_TASKS}),
}

# Roles whose sign-in needs a second factor (TOTP): they can change who may do what.
TWO_FACTOR_ROLES = frozenset({Role.ADMINISTRATOR, Role.MANAGER})


def permissions_of(role: str) -> frozenset[str]:
    return ROLE_PERMISSIONS.get(role, frozenset())
