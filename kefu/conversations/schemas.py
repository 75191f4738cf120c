import datetime as dt

from ninja import Field, Schema


class MailAttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int = Field(description="Bytes")
    url: str = Field(
        description="Download (Content-Disposition: attachment), with the same authentication"
    )


class RefusedAttachmentOut(Schema):
    name: str
    reason: str = Field(description="Why the file was not kept (its type, its size)")


class MailOut(Schema):
    direction: str = Field(
        description="in: the customer's mail; out: an agent's reply sent by e-mail"
    )
    subject: str
    address: str = Field(description="The sender of a received mail, the recipient of a reply")
    sender_verified: bool = Field(
        description="False: a received mail whose sender is none of the conversation's customer's addresses (未验证的发件人)"
    )
    has_html: bool = Field(
        description="A received mail that had HTML only (the text is derived from it)"
    )
    send_state: str = Field(
        description="Replies: sending, sent or failed (may be resent); empty for received mail"
    )
    error: str = Field(description="Why the last attempt at sending failed")
    attachments: list[MailAttachmentOut]
    refused_attachments: list[RefusedAttachmentOut]


class MessageOut(Schema):
    id: int
    seq: int
    sender: str = Field(description="visitor, agent or system")
    author_id: int | None
    author_name: str
    body: str
    is_internal: bool = Field(
        description="An internal note: agents only, never sent to the customer"
    )
    created_at: dt.datetime


class ConversationOut(Schema):
    id: int
    state: str = Field(description="waiting, open or closed")
    state_label: str
    inbox_id: int
    inbox: str
    name: str = Field(description="The customer's name, the visitor's name or 访客 #id")
    customer_id: int | None
    assignee_id: int | None
    team_id: int | None
    last_seq: int
    created_at: dt.datetime
    last_activity_at: dt.datetime | None
    closed_at: dt.datetime | None
    close_reason: str
    rating: int | None = Field(
        description="The visitor's satisfaction, 1 (非常不满意) to 5 (非常满意); null before rating"
    )
    version: int = Field(
        description="Changes with every change of state or agent: send it back to take over, reassign or transfer"
    )


class ConversationPage(Schema):
    items: list[ConversationOut]
    next_cursor: int | None = Field(
        description="With q: pass it back as cursor for the next page (null: the last one). The "
        "lists without q are live queues and have none"
    )


class DetailMessageOut(MessageOut):
    email: MailOut | None = Field(
        None, description="E-mail conversations: the mail behind the message"
    )


class ConversationDetail(ConversationOut):
    messages: list[DetailMessageOut] = Field(
        description="Messages after `after` (internal notes included), oldest first"
    )


class MessageIn(Schema):
    key: str = Field(
        min_length=1,
        max_length=64,
        description="Idempotency key: the same key again returns the same message",
    )
    body: str = Field(min_length=1, max_length=5000)
    internal: bool = Field(False, description="An internal note (agents only)")


class TransferIn(Schema):
    agent_id: int | None = Field(None, ge=1, le=2**31 - 1)
    team_id: int | None = Field(None, ge=1, le=2**31 - 1)
    note: str = Field("", max_length=1000)
    version: int | None = Field(
        None,
        ge=0,
        le=2**31 - 1,
        description="The conversation's version you saw: a stale one answers 409 with the current state",
    )


class AssignIn(Schema):
    agent_id: int = Field(
        ge=1, le=2**31 - 1, description="Your own id takes the conversation over (紧急事件处理)"
    )
    version: int = Field(
        ge=0,
        le=2**31 - 1,
        description="The conversation's version you saw: if someone else took or moved it since, the answer is 409 with `current` (state, who holds it, version)",
    )
