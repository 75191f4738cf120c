import datetime as dt

from ninja import Schema


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    is_customer_service: bool


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    department: DepartmentOut | None
    mobile: str  # masked (138****1234): use the reveal endpoint to see it in full
    email: str  # masked
    is_active: bool
    presence: str | None


class RevealOut(Schema):
    field: str
    value: str


class AuditEntryOut(Schema):
    id: int
    created_at: dt.datetime
    actor_username: str
    action: str
    action_label: str
    object_type: str
    object_id: str
    object_repr: str
    ip_address: str | None
    details: dict


class PresenceIn(Schema):
    presence: str


class PageOut(Schema):
    next_cursor: int | None
