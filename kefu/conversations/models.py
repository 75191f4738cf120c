"""Chats 会话: inboxes (entry points), visitors, conversations and their messages.

The database is the store of every message; the channel layer only carries notifications. Reports
read their facts from here: first-response time (`first_response_at - created_at`), each response
time (`Message.response_seconds` on the agent's first reply after the customer wrote), handling time
(`closed_at - assigned_at`).
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kefu.core.crypto import decrypt_secret, encrypt_secret
from kefu.core.satisfaction import Satisfaction
from kefu.core.search.documents import SearchDocument
from kefu.core.sql_time import Elapsed


def new_public_key() -> str:
    return secrets.token_urlsafe(16)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_visitor_token_id() -> str:
    return secrets.token_hex(16)


class ChannelKind(models.TextChoices):
    WEB = "web", _("Web chat")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone")


class Inbox(models.Model):
    """A configured entry point (渠道): one web widget, e-mail box, SMS number or phone line."""

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(
        _("channel"), max_length=10, choices=ChannelKind.choices, default=ChannelKind.WEB
    )
    # Public: written into the widget's <script> tag on the customer's site.
    public_key = models.CharField(
        _("widget key"), max_length=40, unique=True, default=new_public_key
    )
    # Private: the site signs its user's id with it (HMAC-SHA256) to identify a known customer.
    secret = models.CharField(_("identity secret"), max_length=64, default=new_secret)
    allowed_origins = models.JSONField(
        _("allowed origins"),
        default=list,
        blank=True,
        help_text=_("Sites that may embed the chat widget, as scheme://host[:port]."),
    )
    greeting = models.CharField(
        _("greeting"),
        max_length=200,
        blank=True,
        help_text=_(
            "The first line visitors read in the chat widget; empty for the standard greeting."
        ),
    )
    auto_close_minutes = models.PositiveIntegerField(
        _("auto-close after idle minutes"),
        default=30,
        help_text=_("A conversation with no message for this long is closed; 0 keeps it open."),
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
        help_text=_("Conversations of this inbox go to this team's agents."),
    )
    needed_skill = models.ForeignKey(
        "accounts.Skill",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("skill needed"),
    )
    # 主旺旺号 不接待, 转给相应的旺旺号: the main account receives the inbox's chats but serves none.
    main_account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("routing-only main account"),
        help_text=_("This account only routes: conversations of this inbox are never given to it."),
    )
    # 售前: its chats show the pre-sales service flow 欢迎语→活动告知→宝贝介绍→订单确认→收藏店铺 as a checklist.
    is_presales = models.BooleanField(
        _("pre-sales inbox"),
        default=False,
        help_text=_("Chats of this inbox show the pre-sales service flow as a checklist."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inbox")
        verbose_name_plural = _("inboxes")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    def allows_origin(self, origin: str) -> bool:
        return bool(origin) and origin.rstrip("/").lower() in {
            o.rstrip("/").lower() for o in self.allowed_origins
        }


class Visitor(models.Model):
    """Somebody on the other side of an inbox: anonymous (known by a signed token) or verified."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="visitors")
    token_id = models.CharField(max_length=32, unique=True, default=new_visitor_token_id)
    # The site's own user id, set only from a claim signed with the inbox secret. Null, not "", when
    # unknown: the unique constraint must let any number of anonymous visitors through.
    external_id = models.CharField(_("verified user id"), max_length=120, null=True, blank=True)  # noqa: DJ001
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visitors",
        verbose_name=_("customer"),
    )
    name = models.CharField(_("name"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)

    class Meta:
        verbose_name = _("visitor")
        verbose_name_plural = _("visitors")
        constraints = [
            models.UniqueConstraint(
                fields=["inbox", "external_id"], name="visitor_unique_external_id"
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"


class ConversationState(models.TextChoices):
    WAITING = "waiting", _("Waiting")  # in the queue, nobody assigned
    OPEN = "open", pgettext_lazy("conversation state", "Open")  # an agent is serving it
    CLOSED = "closed", _("Closed")  # ended; a new message starts a new conversation


class CloseReason(models.TextChoices):
    AGENT = "agent", _("Closed by the agent")
    VISITOR = "visitor", _("Closed by the visitor")
    IDLE = "idle", _("Closed after idle time")


class Conversation(models.Model):
    """One exchange with a visitor over one inbox."""

    inbox = models.ForeignKey(Inbox, on_delete=models.PROTECT, related_name="conversations")
    visitor = models.ForeignKey(Visitor, on_delete=models.PROTECT, related_name="conversations")
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("customer"),
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=ConversationState.choices,
        default=ConversationState.WAITING,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    needed_skill = models.ForeignKey(
        "accounts.Skill",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("skill needed"),
    )
    # The sequence number of the newest message; raised under the row lock (post_message).
    last_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True, db_index=True)
    assigned_at = models.DateTimeField(_("first assigned at"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    # The oldest visitor message still without an agent's reply: the start of the next response time.
    awaiting_reply_since = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(_("last activity at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The first response time and the handling time, computed by the database from the instants
    # above whenever a row is written (stored generated columns, NULL until both are known): the
    # statistics (会话统计) sum them per agent and day without SQLite parsing two instants per chat
    # and figure (a quarter's 250,000 chats: bench/README.md, chat statistics over 92 days).
    first_response_time = models.GeneratedField(
        expression=Elapsed("first_response_at", "created_at"),
        output_field=models.DurationField(null=True),
        db_persist=True,
    )
    handling_time = models.GeneratedField(
        expression=Elapsed("closed_at", "assigned_at"),
        output_field=models.DurationField(null=True),
        db_persist=True,
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    close_reason = models.CharField(
        _("close reason"), max_length=10, choices=CloseReason.choices, blank=True
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, choices=Satisfaction.choices
    )
    # Raised by every change of state or agent (take-over, transfer, routing, close): a supervisor's
    # take-over names the version they saw, and loses with 409 when somebody was faster.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["state", "created_at"], name="conversation_queue"),
            # An agent's own chats by last activity (the workspace's "mine", newest first): the
            # index gives the list's order, so a busy agent's page reads 100 entries, not all of
            # their chats sorted (bench/README.md, pages). Its prefix counts them (list_counts).
            models.Index(
                fields=["assignee", "state", "-last_activity_at", "-id"],
                name="conversation_assignee_active",
            ),
            models.Index(fields=["visitor", "-id"], name="conversation_visitor_recent"),
            # The workspace's lists: open ones by last activity, ended ones by when they ended.
            models.Index(
                fields=["state", "-last_activity_at", "-id"], name="conversation_state_active"
            ),
            models.Index(fields=["state", "-closed_at", "-id"], name="conversation_state_closed"),
            # The statistics (会话统计) and the agents' KPIs read a period's chats by when they were
            # given to an agent: a range, not the whole table (11.5 s at 1,000,000 chats without it).
            models.Index(fields=["assigned_at"], name="conversation_assigned_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="conversation_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def is_closed(self) -> bool:
        return self.state == ConversationState.CLOSED


class PresalesStep(models.TextChoices):
    """The pre-sales service flow 售前服务流程 of seed 002, in its order."""

    WELCOME = "welcome", _("Welcome")  # 欢迎语
    PROMOTION = "promotion", _("Promotion")  # 活动告知
    PRODUCT = "product", _("Product introduction")  # 宝贝介绍
    ORDER = "order", _("Order confirmation")  # 订单确认
    FAVOURITE = "favourite", _("Favourite the shop")  # 收藏店铺


class PresalesTick(models.Model):
    """One step of the pre-sales flow done in a chat of a pre-sales inbox: who ticked it, when."""

    conversation = models.ForeignKey(
        "Conversation", on_delete=models.CASCADE, related_name="presales_ticks"
    )
    step = models.CharField(_("step"), max_length=12, choices=PresalesStep.choices)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    done_at = models.DateTimeField(_("done at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pre-sales step done")
        verbose_name_plural = _("pre-sales steps done")
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "step"], name="presales_tick_once_per_step"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.conversation_id} {self.step}"


class SenderKind(models.TextChoices):
    VISITOR = "visitor", _("Visitor")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("System")


class Message(models.Model):
    """One message of a conversation, numbered 1, 2, 3… without gaps in the conversation."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    seq = models.PositiveIntegerField()
    sender = models.CharField(_("sender"), max_length=10, choices=SenderKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The client's idempotency key: the same key again returns the stored message. Null when the
    # server made the message (system lines).
    client_key = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001  (NULLs are not unique)
    body = models.TextField(_("message"))
    is_internal = models.BooleanField(
        _("internal note"),
        default=False,
        help_text=_("Internal notes are seen by agents only."),
    )
    # On an agent's first reply after the visitor wrote: seconds since the visitor's oldest
    # unanswered message (每次响应时间).
    response_seconds = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    # Set on the messages of an e-mail conversation by selectors.conversation_messages (not columns).
    mail_record: "MailRecord | None"
    attachment_list: "list[MailAttachment]"

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["conversation", "seq"]
        indexes = [
            # A period's agent responses (每次响应时间) for the statistics and the KPIs: only the
            # answers that carry a response time, so the chat writer's other inserts skip it.
            models.Index(
                fields=["created_at"],
                condition=models.Q(response_seconds__isnull=False),
                name="message_responses_at",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_unique_seq"),
            models.UniqueConstraint(
                fields=["conversation", "client_key"], name="message_unique_client_key"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.conversation_id}.{self.seq}"


class ConversationSearchDocument(SearchDocument):
    """The conversation's words for search: its messages, its customer's and visitor's names
    (kefu.core.search; written by kefu/conversations/documents.py)."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )

    class Meta:
        verbose_name = _("conversation search document")
        verbose_name_plural = _("conversation search documents")


class ChatImage(models.Model):
    """An image a visitor sent through the widget. The message that carries it says
    `IMAGE_MARKER + url` (see kefu/conversations/services/widget.py); the file is served only by
    a view that checks who asks (the conversation's visitor by token, agents who may see it)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="images")
    public_id = models.CharField(max_length=32, unique=True, default=new_visitor_token_id)
    file = models.FileField(upload_to="chat-images/", max_length=200)
    name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("chat image")
        verbose_name_plural = _("chat images")

    def __str__(self) -> str:
        return self.name


class MailProblem(models.TextChoices):
    """Why fetching mail, or a connection test, failed; each label says what to check."""

    HOST_NOT_FOUND = "host_not_found", _("The server name cannot be found: check the host name.")
    REFUSED = "refused", _("The server refused the connection: check the port.")
    UNREACHABLE = "unreachable", _("The server cannot be reached from kefu's machine.")
    TIMEOUT = (
        "timeout",
        _("The server did not answer in time: check the host name, the port and the firewall."),
    )
    TLS = (
        "tls",
        _("The secure connection failed: check the SSL and STARTTLS settings and the port."),
    )
    LOGIN = (
        "login",
        _(
            "The server refused the user name or password (some providers need an authorisation code instead of the password)."
        ),
    )
    FOLDER = "folder", _("The mail folder cannot be opened: check its name.")
    PASSWORD_UNREADABLE = (
        "password_unreadable",
        _(
            "The stored password cannot be decrypted (the secret key changed): enter the password again."
        ),
    )
    SERVER = "server", _("The server answered with an error.")
    OTHER = "other", _("An unexpected error occurred.")


class MailSettings(models.Model):
    """The mailbox of an e-mail inbox: IMAP to fetch what customers write, SMTP to send the answers.
    The password is stored encrypted (kefu/core/crypto.py) and decrypted only to log in; it is never
    logged nor shown back (see __repr__). Managers edit these in kefu's settings
    (kefu/conversations/settings_views.py), never in the admin site."""

    inbox = models.OneToOneField(
        Inbox, on_delete=models.CASCADE, related_name="mail", verbose_name=_("inbox")
    )
    address = models.EmailField(
        _("e-mail address"), help_text=_("Replies are sent from this address.")
    )
    imap_host = models.CharField(_("IMAP server"), max_length=200)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_ssl = models.BooleanField(_("IMAP over SSL"), default=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=100, default="INBOX")
    smtp_host = models.CharField(_("SMTP server"), max_length=200)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=465)
    smtp_ssl = models.BooleanField(_("SMTP over SSL"), default=True)
    smtp_starttls = models.BooleanField(_("SMTP with STARTTLS"), default=False)
    username = models.CharField(_("user name"), max_length=200)
    # A Fernet token; set_password() and get_password() are the only ways in and out.
    password_encrypted = models.TextField(blank=True, editable=False)
    # The last poll that succeeded, and the last that failed (why, in MailProblem's terms, and the
    # server's own words, without the password).
    last_polled_at = models.DateTimeField(_("last fetched at"), null=True, blank=True)
    last_error = models.CharField(
        _("last error"), max_length=20, choices=MailProblem.choices, blank=True
    )
    last_error_detail = models.CharField(_("last error details"), max_length=300, blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)

    class Meta:
        verbose_name = _("mailbox settings")
        verbose_name_plural = _("mailbox settings")

    def __str__(self) -> str:
        return self.address

    def __repr__(self) -> str:
        return f"<MailSettings {self.address} imap={self.imap_host}:{self.imap_port} smtp={self.smtp_host}:{self.smtp_port}>"

    def set_password(self, raw_password: str) -> None:
        """Keep `raw_password` encrypted with the current key (call save() afterwards)."""
        self.password_encrypted = encrypt_secret(raw_password)

    def get_password(self) -> str:
        """The password in clear, to log in; raises SecretUnreadable when the key has changed."""
        return decrypt_secret(self.password_encrypted)

    @property
    def has_password(self) -> bool:
        return bool(self.password_encrypted)

    @property
    def is_failing(self) -> bool:
        """The last poll failed: no success since the last error."""
        return self.last_error_at is not None and (
            self.last_polled_at is None or self.last_error_at >= self.last_polled_at
        )


class MailDirection(models.TextChoices):
    IN = "in", pgettext_lazy("e-mail direction", "Received")
    OUT = "out", pgettext_lazy("e-mail direction", "Sent")


class MailSendState(models.TextChoices):
    """How far an agent's e-mail reply got (blank on received mails)."""

    SENDING = (
        "sending",
        _("Sending"),
    )  # queued, or waiting for its next attempt after a temporary failure
    SENT = "sent", pgettext_lazy("e-mail state", "Sent")  # the SMTP server accepted it
    FAILED = (
        "failed",
        _("Not sent"),
    )  # given up (last attempt, or a refusal that retrying cannot fix); may be resent


class MailRecord(models.Model):
    """The e-mail behind a message: its Message-ID and threading headers, so that answers find their
    conversation again, and the sanitised HTML when the mail had no plain text. An agent's reply has
    its record from the first attempt on, so every attempt sends the same mail (same Message-ID)."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="mails")
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="mails"
    )
    direction = models.CharField(max_length=3, choices=MailDirection.choices)
    mail_id = models.CharField(_("Message-ID"), max_length=255)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    address = models.CharField(_("e-mail address"), max_length=254, blank=True)
    ticket_number = models.CharField(max_length=24, blank=True, db_index=True)
    html = models.TextField(_("sanitised HTML"), blank=True)
    refused_attachments = models.JSONField(default=list, blank=True)
    # Received mail only: False when the sender is none of the conversation's customer's addresses
    # (anyone who knows a Message-ID can answer a thread): agents see 未验证的发件人, and such a
    # mail never reopens a conversation nor touches a ticket by itself.
    sender_verified = models.BooleanField(_("sender verified"), default=True)
    send_state = models.CharField(
        _("sending state"), max_length=8, choices=MailSendState.choices, blank=True
    )
    attempts = models.PositiveSmallIntegerField(
        default=0
    )  # SMTP attempts made (the current round after a resend)
    # When the latest attempt began (or the resend that starts a round): a reply still sending long after
    # it is one whose worker died, and the sweep tells the agent (email/services.py: give_up_stalled_replies).
    attempted_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("e-mail message")
        verbose_name_plural = _("e-mail messages")
        constraints = [
            models.UniqueConstraint(
                fields=["inbox", "direction", "mail_id"], name="mailrecord_unique_message_id"
            ),
        ]
        indexes = [models.Index(fields=["inbox", "mail_id"], name="mailrecord_inbox_mail_id")]

    def __str__(self) -> str:
        return self.mail_id


class MailAttachment(models.Model):
    """A file that came with a customer's e-mail, kept after kefu.core.uploads accepted it."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="mail_attachments"
    )
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mail_attachments")
    file = models.FileField(upload_to="mail/", max_length=200)
    name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("e-mail attachment")
        verbose_name_plural = _("e-mail attachments")

    def __str__(self) -> str:
        return self.name
