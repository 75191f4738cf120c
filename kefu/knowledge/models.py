"""The knowledge base 知识库 (seed 002: 有问必答, 同样的错误不允许重复): articles with categories, tags,
versions and review before publishing; what search understands (synonyms, the domain dictionary);
what agents picked from the suggestions; past agents' answers; the widget's self-service questions;
flagged angry or urgent messages; the locally trained category model."""

from django.conf import settings
from django.db import models
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from kefu.core.search.documents import SearchDocument


class ArticleKind(models.TextChoices):
    FAQ = "faq", _("FAQ")
    POLICY = "policy", _("Policy or rule")  # shipping cut-off, return conditions, warranty
    PRODUCT = "product", _("Product sheet")  # with sku, specs, price and care notes
    SCRIPT = "script", _("Script")  # what to say, word for word
    GUIDE = "guide", _("How-to")


class Visibility(models.TextChoices):
    INTERNAL = "internal", _("Internal (agents only)")
    PUBLIC = "public", _("Public (customers may see it)")


class ArticleState(models.TextChoices):
    DRAFT = "draft", _("Draft")  # being written; agents do not see it
    IN_REVIEW = "in_review", _("In review")  # waiting for a second person to publish it
    PUBLISHED = "published", _("Published")  # agents (and, when public, customers) see it
    ARCHIVED = "archived", _("Archived")  # withdrawn; kept with its history


class Category(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("knowledge category")
        verbose_name_plural = _("knowledge categories")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    """One article. Its text is plain text (shown escaped, line breaks kept), never HTML."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=20_000)
    kind = models.CharField(
        _("type"), max_length=10, choices=ArticleKind.choices, default=ArticleKind.FAQ
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="articles", verbose_name=_("category")
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles", verbose_name=_("tags"))
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    state = models.CharField(
        _("state"), max_length=10, choices=ArticleState.choices, default=ArticleState.DRAFT
    )
    # Product sheet (kind = product): structured fields.
    sku = models.CharField(_("SKU"), max_length=40, blank=True)
    specs = models.TextField(_("specifications"), max_length=4000, blank=True)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, null=True, blank=True)
    care_notes = models.TextField(_("care notes"), max_length=4000, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Who made the last change (the content a reviewer publishes): never its publisher.
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)  # the number of the latest ArticleVersion
    picks = models.PositiveIntegerField(default=0)  # quoted into a reply or marked helpful

    # Set by the list and agent-assist pages on the rows they show: escaped, the words marked.
    snippet: SafeString
    title_marked: SafeString

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-id"]
        indexes = [  # the list without a query, newest change first: read in order, never sorted whole
            models.Index(fields=["-updated_at", "-id"], name="article_newest_change"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC


class ArticleFile(models.Model):
    """An image or document on an article, checked on upload (kefu.core.uploads) and served like a
    ticket's attachment, only to those who may read the article (kefu/knowledge/views.py)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("file"), upload_to="knowledge/", max_length=200)
    name = models.CharField(_("name"), max_length=120)
    content_type = models.CharField(_("type"), max_length=120)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ArticleVersion(models.Model):
    """What an article said after each change, who changed it and when (the diff is computed from
    two versions)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    fields = models.JSONField(default=dict)  # kind, category, tags, visibility, product fields
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="knowledge_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleSearchDocument(SearchDocument):
    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )


class PastAnswer(models.Model):
    """An agent's reply to a customer's question in a closed chat, personal data masked: suggested
    to other agents when a customer asks something like it."""

    conversation_id = models.PositiveBigIntegerField(db_index=True)
    question = models.TextField(max_length=2000)
    answer = models.TextField(max_length=2000)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    picks = models.PositiveIntegerField(default=0)

    snippet: SafeString  # set by the agent-assist page: the question escaped, the words marked

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.conversation_id}: {self.question[:30]}"


class PastAnswerSearchDocument(SearchDocument):
    answer = models.OneToOneField(
        PastAnswer, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )


class SynonymGroup(models.Model):
    """Words meaning the same to a customer (退款 退钱 返款): a query with one finds the others.
    The first word is the one articles use."""

    words = models.CharField(_("words"), max_length=300)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("synonyms")
        verbose_name_plural = _("synonyms")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.words

    def word_list(self) -> list[str]:
        return [w for w in self.words.split() if w]


class DomainWord(models.Model):
    """A word of the shop (a product name, a shop term) that jieba must keep whole."""

    word = models.CharField(_("word"), max_length=30, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dictionary word")
        verbose_name_plural = _("dictionary words")
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word


class PickSource(models.TextChoices):
    CONVERSATION = "conversation", _("Chat")
    TICKET = "ticket", _("Ticket")


class AssistPick(models.Model):
    """An agent quoted a suggestion into a reply: what helped (it ranks higher afterwards)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, null=True, related_name="+")
    past_answer = models.ForeignKey(
        PastAnswer, on_delete=models.CASCADE, null=True, related_name="+"
    )
    source = models.CharField(max_length=12, choices=PickSource.choices)
    source_id = models.PositiveBigIntegerField()
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.source} {self.source_id}"


class Outcome(models.TextChoices):
    SHOWN = "shown", _("Answers shown")  # the visitor has not said yet
    SOLVED = "solved", _("Solved by self-service")  # deflected: no person needed
    PERSON = "person", _("Asked for a person")
    UNANSWERED = "unanswered", _("No answer found")


class SelfServiceQuery(models.Model):
    """A question a visitor typed in the widget before reaching a person, and what came of it."""

    inbox_id = models.PositiveBigIntegerField(db_index=True)
    question = models.CharField(max_length=500)
    article_ids = models.JSONField(default=list)  # the answers shown, best first
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.SHOWN)
    solved_article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.question[:40]


class UnansweredQuestion(models.Model):
    """学习闭环: a question that found no good answer (widget, agent search, assist), counted, for a
    manager to write an article about."""

    question = models.CharField(_("question"), max_length=200, unique=True)
    source = models.CharField(max_length=20)
    times = models.PositiveIntegerField(default=1)
    first_asked_at = models.DateTimeField(auto_now_add=True)
    last_asked_at = models.DateTimeField(auto_now=True)
    resolved_by = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-times", "-last_asked_at"]

    def __str__(self) -> str:
        return self.question


class MessageFlag(models.Model):
    """A customer's message flagged as angry or urgent (anger words, 12315, 差评 threats, repeated
    complaints); the supervisors were told."""

    conversation_id = models.PositiveBigIntegerField(db_index=True)
    message_id = models.PositiveBigIntegerField(unique=True)
    reasons = models.JSONField(default=list)
    excerpt = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.conversation_id}: {','.join(self.reasons)}"


class CategoryModel(models.Model):
    """The naive-Bayes category model trained from closed tickets (one row, replaced on retrain)."""

    trained_at = models.DateTimeField(auto_now=True)
    samples = models.PositiveIntegerField(default=0)
    data = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"category model ({self.samples})"
