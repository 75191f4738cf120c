"""Pages of the knowledge base 知识库: the list (search first), an article, the form, the version
history with its diff, review moves, synonyms and dictionary, the questions nothing answered, and the
agent-assist panel of the chat workspace and the ticket page (htmx)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kefu.accounts.http import AuthenticatedRequest
from kefu.accounts.roles import Perm
from kefu.conversations.selectors import access_conversation
from kefu.core.bodies import accepts_upload
from kefu.core.decorators import require_perm
from kefu.core.errors import DomainError
from kefu.core.uploads import max_upload_bytes, protected_download
from kefu.knowledge import drafting, ranking, selectors, services, widget_views
from kefu.knowledge.forms import ArticleForm, WordsForm
from kefu.knowledge.models import (
    Article,
    ArticleKind,
    ArticleState,
    Category,
    DomainWord,
    PickSource,
    SynonymGroup,
    UnansweredQuestion,
    Visibility,
)
from kefu.knowledge.states import ARTICLE_FLOW
from kefu.tickets.selectors import access_ticket

READ = selectors.READ_PERMS


def _int(raw: object) -> int | None:
    return int(raw) if isinstance(raw, str) and raw.isdigit() and len(raw) < 12 else None


@require_perm(*READ)
def article_list(request: AuthenticatedRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:10_000].strip()
    category_id = _int(request.GET.get("category"))
    kind = request.GET.get("kind", "")
    kind = kind if kind in ArticleKind.values else ""
    state = request.GET.get("state", "")
    state = state if state in ArticleState.values else ""
    visibility = request.GET.get("visibility", "")
    visibility = visibility if visibility in Visibility.values else ""
    rows, words = selectors.articles(
        request.user,
        q=q,
        category_id=category_id,
        kind=kind,
        state=state,
        visibility=visibility,
        tag=request.GET.get("tag", ""),
    )
    if q and not rows:
        services.record_unanswered(question=q, source="search")
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    for article in page:
        article.snippet = ranking.highlight(article.body, words, length=120)
        article.title_marked = ranking.highlight(article.title, words)
    return render(
        request,
        "knowledge/list.html",
        {
            "page": page,
            "q": q[:200],
            "category": category_id,
            "kind": kind,
            "state": state,
            "visibility": visibility,
            "categories": Category.objects.all(),
            "kinds": ArticleKind.choices,
            "states": ArticleState.choices,
            "visibilities": Visibility.choices,
            "may_edit": selectors.may_edit(request.user),
        },
    )


@require_perm(*READ)
def article_detail(request: AuthenticatedRequest, article_id: int) -> HttpResponse:
    article = selectors.access_article(actor=request.user, article_id=article_id)
    words = ranking.question_words(request.GET.get("q", "")[:200]) if request.GET.get("q") else ()
    moves = ARTICLE_FLOW.allowed(article.state, actor=request.user, obj=article)
    return render(
        request,
        "knowledge/detail.html",
        {
            "article": article,
            "files": list(article.files.all()),
            "body": ranking.highlight(article.body, words),
            "moves": moves,
            "may_edit": selectors.may_edit(request.user) and article.state != ArticleState.ARCHIVED,
            "publish_refusal": ARTICLE_FLOW.refusal(
                article.state, "publish", actor=request.user, obj=article
            )
            if article.state == ArticleState.IN_REVIEW
            else None,
        },
    )


def _save(request: AuthenticatedRequest, form: ArticleForm, article_id: int | None) -> Article:
    data = form.cleaned_data
    return services.save_article(
        actor=request.user,
        article_id=article_id,
        expected_version=_int(request.POST.get("version", "")),
        title=data["title"],
        body=data["body"],
        category_id=data["category"].pk,
        kind=data["kind"],
        visibility=data["visibility"],
        tags=form.tag_names(),
        sku=data["sku"],
        specs=data["specs"],
        price=data["price"],
        care_notes=data["care_notes"],
        note=data["note"],
    )


@require_perm(Perm.EDIT_KNOWLEDGE)
def article_edit(request: AuthenticatedRequest, article_id: int | None = None) -> HttpResponse:
    article = (
        selectors.access_article(actor=request.user, article_id=article_id)
        if article_id is not None
        else None
    )
    status = 200
    if request.method == "POST":
        form = ArticleForm(request.POST)
        if form.is_valid():
            try:
                saved = _save(request, form, article_id)
            except DomainError as refusal:
                form.add_error(None, refusal.message)
                status = refusal.status_code
            else:
                messages.success(request, _("Saved as a draft; submit it for review to publish."))
                return redirect("knowledge:detail", article_id=saved.pk)
        else:
            status = 400
    elif article is not None:
        form = ArticleForm(
            initial={
                "title": article.title,
                "kind": article.kind,
                "category": article.category_id,
                "visibility": article.visibility,
                "tags": " ".join(t.name for t in article.tags.all()),
                "body": article.body,
                "sku": article.sku,
                "price": article.price,
                "specs": article.specs,
                "care_notes": article.care_notes,
            }
        )
    else:
        form = ArticleForm(
            initial={"category": Category.objects.values_list("pk", flat=True).first()}
        )
    return render(request, "knowledge/form.html", {"form": form, "article": article}, status=status)


@require_perm(*READ)
@require_POST
def article_move(request: AuthenticatedRequest, article_id: int, move: str) -> HttpResponseRedirect:
    selectors.access_article(actor=request.user, article_id=article_id)
    if move not in ARTICLE_FLOW.transitions:
        raise Http404
    try:
        services.move_article(
            actor=request.user,
            article_id=article_id,
            move=move,
            expected_version=_int(request.POST.get("version", "")),
        )
    except DomainError as refusal:
        if refusal.status_code == 403:
            raise PermissionDenied from refusal
        messages.error(request, refusal.message)
    else:
        messages.success(
            request, _("Done: %(move)s.") % {"move": ARTICLE_FLOW.transitions[move].label}
        )
    return redirect("knowledge:detail", article_id=article_id)


@require_perm(Perm.EDIT_KNOWLEDGE)
@require_POST
@accepts_upload(max_upload_bytes)
def file_upload(request: AuthenticatedRequest, article_id: int) -> HttpResponseRedirect:
    article = selectors.access_article(actor=request.user, article_id=article_id)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to attach."))
    else:
        try:
            services.add_article_file(actor=request.user, article_id=article.pk, upload=upload)
        except DomainError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, _("File attached."))
    return redirect("knowledge:detail", article_id=article.pk)


@login_required
def file_download(request: AuthenticatedRequest, article_id: int, file_id: int) -> FileResponse:
    """Only to those who may read the article; 404 for anyone else, as for the article."""
    article = selectors.access_article(actor=request.user, article_id=article_id)
    stored = article.files.filter(pk=file_id).first()
    if stored is None:
        raise Http404
    return protected_download(stored.file, name=stored.name, content_type=stored.content_type)


@require_perm(*READ)
def article_versions(request: AuthenticatedRequest, article_id: int) -> HttpResponse:
    article = selectors.access_article(actor=request.user, article_id=article_id)
    history = list(selectors.versions(article))
    number = _int(request.GET.get("v")) or (history[0].number if history else None)
    shown = diff = None
    if number is not None:
        shown = selectors.access_version(article=article, number=number)
        older = next((v for v in history if v.number < shown.number), None)
        diff = selectors.version_diff(older, shown)
    return render(
        request,
        "knowledge/versions.html",
        {"article": article, "history": history, "shown": shown, "diff": diff},
    )


@require_perm(Perm.EDIT_KNOWLEDGE)
def words(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "POST":
        form = WordsForm(request.POST)
        if form.is_valid():
            groups = services.set_synonyms(actor=request.user, text=form.cleaned_data["synonyms"])
            count = services.set_domain_words(
                actor=request.user, text=form.cleaned_data["dictionary"]
            )
            messages.success(
                request,
                _("Saved: %(groups)d synonym groups, %(words)d dictionary words.")
                % {"groups": groups, "words": count},
            )
            return redirect("knowledge:words")
    else:
        form = WordsForm(
            initial={
                "synonyms": "\n".join(g.words for g in SynonymGroup.objects.all()),
                "dictionary": "\n".join(DomainWord.objects.values_list("word", flat=True)),
            }
        )
    return render(request, "knowledge/words.html", {"form": form})


@require_perm(Perm.EDIT_KNOWLEDGE)
def unanswered(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(UnansweredQuestion.objects.filter(resolved_by=None), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "knowledge/unanswered.html", {"page": page})


@require_perm(Perm.EDIT_KNOWLEDGE)
@require_POST
def unanswered_done(request: AuthenticatedRequest, question_id: int) -> HttpResponseRedirect:
    services.resolve_unanswered(
        actor=request.user, question_id=question_id, article_id=_int(request.POST.get("article"))
    )
    messages.success(request, _("Marked as answered."))
    return redirect("knowledge:unanswered")


# --- agent assist ---------------------------------------------------------------------------------


def _assist_source(request: AuthenticatedRequest, source: str, source_id: int) -> str:
    """The customer's words to suggest for, after the access check (404 for what the user may not
    see)."""
    if source == PickSource.CONVERSATION:
        chat = access_conversation(actor=request.user, conversation_id=source_id)
        return selectors.last_customer_text(chat.pk)
    if source == PickSource.TICKET:
        ticket = access_ticket(actor=request.user, ticket_id=source_id, request=request)
        return f"{ticket.subject} {ticket.content}"
    raise Http404


@require_perm(Perm.SERVE_CUSTOMERS)
def assist(request: AuthenticatedRequest, source: str, source_id: int) -> HttpResponse:
    text = _assist_source(request, source, source_id)
    typed = request.GET.get("q", "")[:200].strip()
    found = selectors.suggestions(request.user, typed or text)
    for article in found.articles:
        article.snippet = ranking.highlight(article.body, found.words, length=90)
    for answer in found.answers:
        answer.snippet = ranking.highlight(answer.question, found.words, length=60)
    # The likely ticket categories, for a chat and for a ticket alike (issue 17.4), from the
    # customer's words (not the words typed into the panel's box).
    categories = []
    if text.strip():
        from kefu.tickets.models import TicketCategory

        names = dict(TicketCategory.objects.values_list("pk", "name"))
        categories = [
            (names[pk], round(p * 100))
            for pk, p in selectors.suggest_categories(text)
            if pk in names
        ]
    return render(
        request,
        "knowledge/_assist_results.html",
        {
            "found": found,
            "source": source,
            "source_id": source_id,
            "typed": typed,
            "target": "#reply-box" if source == PickSource.CONVERSATION else "#ticket-reply-box",
            "categories": categories,
            "language_model": drafting.enabled(),
        },
    )


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def assist_draft(
    request: AuthenticatedRequest, source: str, source_id: int, kind: str
) -> HttpResponse:
    """The optional language model's draft reply (a chat or a ticket) or summary (a chat), grounded
    in the articles the panel suggests; shown as a draft for the agent to check (issue 17.5). 404
    when no model is configured, like a page that is not there."""
    if not drafting.enabled() or kind not in {"reply", "summary"}:
        raise Http404
    if kind == "summary" and source != PickSource.CONVERSATION:
        raise Http404
    text = _assist_source(request, source, source_id)
    typed = request.POST.get("q", "")[:200].strip()
    found = selectors.suggestions(request.user, typed or text)
    draft, error = None, ""
    try:
        if kind == "reply":
            draft = drafting.draft_reply(customer_text=text, articles=found.articles)
        else:
            draft = drafting.summarise(
                lines=selectors.conversation_lines(source_id), articles=found.articles
            )
    except DomainError as refusal:
        error = refusal.message
    return render(
        request,
        "knowledge/_assist_draft.html",
        {
            "draft": draft,
            "error": error,
            "kind": kind,
            "target": "#reply-box" if source == PickSource.CONVERSATION else "#ticket-reply-box",
        },
    )


@require_perm(Perm.SERVE_CUSTOMERS)
@require_POST
def pick(request: AuthenticatedRequest, source: str, source_id: int) -> HttpResponse:
    _assist_source(request, source, source_id)
    try:
        services.record_pick(
            actor=request.user,
            source=source,
            source_id=source_id,
            article_id=_int(request.POST.get("article", "")),
            past_answer_id=_int(request.POST.get("answer", "")),
        )
    except DomainError as refusal:
        return HttpResponse(refusal.message, status=400)
    return HttpResponse(_("Quoted into the reply."))


app_name = "knowledge"
urlpatterns = [
    path("", article_list, name="list"),
    path("new/", article_edit, name="create"),
    path("<int:article_id>/", article_detail, name="detail"),
    path("<int:article_id>/edit/", article_edit, name="edit"),
    path("<int:article_id>/versions/", article_versions, name="versions"),
    path("<int:article_id>/files/", file_upload, name="file_upload"),
    path("<int:article_id>/files/<int:file_id>/", file_download, name="file"),
    path("<int:article_id>/<str:move>/", article_move, name="move"),
    path("words/", words, name="words"),
    path("unanswered/", unanswered, name="unanswered"),
    path("unanswered/<int:question_id>/done/", unanswered_done, name="unanswered_done"),
    path("assist/<str:source>/<int:source_id>/", assist, name="assist"),
    path("assist/<str:source>/<int:source_id>/pick/", pick, name="pick"),
    path("assist/<str:source>/<int:source_id>/draft/<str:kind>/", assist_draft, name="draft"),
    *widget_views.urlpatterns,
]
