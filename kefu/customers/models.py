"""The customer archive 客户档案: customers, their contact identities, tags, custom fields."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.accounts.masking import PersonalKind
from kefu.core.search.documents import SearchDocument


class Gender(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Level(models.TextChoices):
    REGULAR = "regular", _("Regular")  # 普通
    MEMBER = "member", _("Member")  # 会员
    VIP = "vip", _("VIP")  # VIP: own skill group, visited first


class Source(models.TextChoices):
    PHONE = "phone", _("Phone")
    WEB_CHAT = "web_chat", _("Web chat")
    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat")
    SHOP = "shop", _("Online shop")
    COUNTER = "counter", _("Service counter")
    IMPORT = "import", _("Import")
    OTHER = "other", _("Other")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """A person or company served. Contact points live in ContactIdentity; `mobile` mirrors the
    primary mobile number (E.164) for display, and `mobile_last4` makes "last four digits" search an
    index lookup."""

    name = models.CharField(_("name"), max_length=60, db_index=True)
    gender = models.CharField(
        _("gender"), max_length=10, choices=Gender.choices, default=Gender.UNKNOWN
    )
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    mobile_last4 = models.CharField(max_length=4, blank=True)  # indexed in Meta (exact match only)
    phone = models.CharField(_("landline"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    region = models.CharField(_("province"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    district = models.CharField(_("district"), max_length=30, blank=True)
    street = models.CharField(_("street"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    level = models.CharField(
        _("membership level"), max_length=10, choices=Level.choices, default=Level.REGULAR
    )
    member_no = models.CharField(_("membership card no."), max_length=40, blank=True)
    card_no = models.CharField(_("stored-value card no."), max_length=40, blank=True)
    source = models.CharField(
        _("source channel"), max_length=20, choices=Source.choices, default=Source.OTHER
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers", verbose_name=_("tags"))
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    needed_skill = models.ForeignKey(
        "accounts.Skill",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("skill needed"),
        help_text=_("Assignment prefers agents with this skill."),
    )

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_customers",
        verbose_name=_("owner agent"),
        db_index=False,  # customer_owner_recent (owner, -id) serves every look-up by owner
    )
    # The seven-day rule (应在一周内与客户进行沟通): set at assignment, cleared by the first contact.
    owner_assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    contact_due_at = models.DateTimeField(_("contact due by"), null=True, blank=True, db_index=True)
    # When the owner was told the contact is overdue (once per assignment; see remind_overdue_contacts).
    contact_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_contacted_at = models.DateTimeField(_("last contacted at"), null=True, blank=True)

    # Review 资料整理: a supervisor confirms new records; completeness is kept up to date by services.
    completeness = models.PositiveSmallIntegerField(_("completeness %"), default=0, db_index=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True, db_index=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    accuracy_flag = models.CharField(
        _("accuracy doubt"),
        max_length=200,
        blank=True,
        help_text=_("What looks wrong in this record; cleared when it is corrected."),
    )

    # Indexed only where set (customer_merged): most customers are live, and an index over all of
    # them makes "merged_into IS NULL" look selective to SQLite's planner (bench/README.md).
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("merged into"),
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # customer_capture (created_by, created_at) serves it
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]
        indexes = [
            # Each index is upkeep on every write (an import writes thousands a second), so none
            # repeats another's leading columns, and none has PostgreSQL's LIKE twin
            # (varchar_pattern_ops) unless searched by prefix (name is; mobile_last4 is not).
            models.Index(fields=["mobile_last4"], name="customer_mobile_last4"),
            models.Index(fields=["owner", "-id"], name="customer_owner_recent"),
            models.Index(fields=["level", "-id"], name="customer_level_recent"),
            # The live records of a level, counted over this index only: the members (会员 and VIP)
            # of the visits' coverage figure on the supervisors' workbench (visits.selectors.
            # member_coverage), 285,000 of 1,000,000 customers; over customer_level_recent each
            # one's row was read for merged_into (280 ms).
            models.Index(
                fields=["level"],
                name="customer_live_level",
                condition=models.Q(merged_into__isnull=True),
            ),
            models.Index(fields=["region", "city", "district"], name="customer_region"),
            # The customers of one street: a report filtered by street and broken down by another
            # dimension (category, agent) starts from them (kefu/reports, issue 13), not from a
            # year of tickets each joined to its customer.
            models.Index(fields=["street"], name="customer_street"),
            models.Index(fields=["created_by", "created_at"], name="customer_capture"),
            models.Index(
                fields=["merged_into"],
                name="customer_merged",
                condition=models.Q(merged_into__isnull=False),
            ),
            # Customers waiting for their first contact (the seven-day rule), a few among millions: the
            # workbench's figures and the due list walk these only (selectors.contact_due).
            models.Index(
                fields=["contact_due_at"],
                name="customer_contact_due",
                condition=models.Q(contact_due_at__isnull=False, merged_into__isnull=True),
            ),
            models.Index(
                fields=["owner", "contact_due_at"],
                name="customer_owner_contact_due",
                condition=models.Q(contact_due_at__isnull=False, merged_into__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None


class IdentityKind(models.TextChoices):
    MOBILE = "mobile", _("Mobile")
    PHONE = "phone", _("Landline")
    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat")
    QQ = "qq", _("QQ")
    WANGWANG = "wangwang", _("Wangwang")
    VISITOR = "visitor", _("Web visitor")


# The contact kinds shown masked, and how (accounts.masking): pages and the API mask alike.
MASKED_KINDS: dict[str, PersonalKind] = {
    IdentityKind.MOBILE: PersonalKind.MOBILE,
    IdentityKind.PHONE: PersonalKind.PHONE,
    IdentityKind.EMAIL: PersonalKind.EMAIL,
}


class ContactIdentity(models.Model):
    """One way to reach or recognise a customer; a (kind, normalised value) belongs to one customer."""

    # identity_customer_kind (customer, kind) serves look-ups by customer: no index of its own.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="identities", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=10, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contact identity")
        verbose_name_plural = _("contact identities")
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_kind_value")
        ]
        indexes = [models.Index(fields=["customer", "kind"], name="identity_customer_kind")]

    def __str__(self) -> str:
        # No value here: the string of an object ends up in logs and audit rows.
        return f"{self.get_kind_display()} #{self.pk}"


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")


class CustomField(models.Model):
    """A manager-defined field; values live in Customer.custom under `code`."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("label"), max_length=40)
    field_type = models.CharField(
        _("type"), max_length=10, choices=FieldType.choices, default=FieldType.TEXT
    )
    choices = models.JSONField(
        _("choices"), default=list, blank=True, help_text=_("For choice fields: the options.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("To decide")
    MERGED = "merged", _("Merged")
    DISMISSED = "dismissed", _("Not the same customer")


class DuplicateCandidate(models.Model):
    """Two customers that look like one: proposed for a merge when a contact point collides."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "other"], name="duplicate_pair_once")
        ]

    def __str__(self) -> str:
        return f"{self.customer} ~ {self.other}"


class ImportStatus(models.TextChoices):
    CHECKING = "checking", _("Checking the file")  # dry run under way
    CHECKED = "checked", _("Checked, waiting for confirmation")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed, nothing imported")
    CANCELLED = "cancelled", _("Cancelled")


class ImportJob(models.Model):
    """An uploaded file: checked row by row first (dry run), imported whole only when confirmed."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=200)
    stored_path = models.CharField(max_length=300)
    mapping = models.JSONField(default=dict, blank=True)  # column index (str) -> field name
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.CHECKING
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    valid_rows = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    imported_rows = models.PositiveIntegerField(default=0)
    report = models.JSONField(
        default=list, blank=True
    )  # [{"row": n, "errors": [...]}, …], first 1,000
    message = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.file_name


class ConsentPurpose(models.TextChoices):
    CARE = "care", _("Care messages")  # 关怀短信: birthday, holiday, after a purchase
    MARKETING = "marketing", _("Marketing messages")  # promotions


class ConsentSource(models.TextChoices):
    CUSTOMER_PAGE = "page", _("Told an agent (customer page)")
    SMS_REPLY = "sms_reply", _("SMS reply (退订)")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    OTHER = "other", _("Other")


class Consent(models.Model):
    """A customer's consent to a kind of message, given or withdrawn: one row per change, never
    edited. The newest row per customer and purpose is what holds (selectors.has_consent); no row:
    no consent. Kept for the privacy export as it is."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="consents", verbose_name=_("customer")
    )
    purpose = models.CharField(_("purpose"), max_length=10, choices=ConsentPurpose.choices)
    given = models.BooleanField(_("given"))  # False: withdrawn (退订)
    source = models.CharField(_("source"), max_length=10, choices=ConsentSource.choices)
    recorded_at = models.DateTimeField(_("when"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["customer", "purpose", "-id"], name="consent_latest")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.purpose} {self.given}"


class CustomerSearchDocument(SearchDocument):
    """The customer's words for search (kefu.core.search; written by kefu/customers/documents.py)."""

    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )

    class Meta:
        verbose_name = _("customer search document")
        verbose_name_plural = _("customer search documents")


class LevelCount(models.Model):
    """How many live customers (not merged into another) have each level, kept by the database:
    triggers on the customers' table add and take away on every insert, change of level or merge,
    and delete, however the write is made (an import's bulk insert, a QuerySet.update, an erasure).
    The workbench's 三个必保 card reads its members here instead of counting 285,000 index entries
    at every load (19 ms at 1,000,000 customers; issue 11.2: maintained figures, not counts).
    Written only by the triggers and by `level_counts.install`, which recounts after every migrate."""

    level = models.CharField(_("level"), max_length=20, primary_key=True)
    live = models.BigIntegerField(_("live customers"), default=0)

    class Meta:
        verbose_name = _("customers of a level")
        verbose_name_plural = _("customers of each level")

    def __str__(self) -> str:
        return f"{self.level}: {self.live}"
