"""Reads of exports: a user's own exports only. Anyone else's answers like a missing one (404)."""

from django.db.models import QuerySet
from django.http import Http404

from kefu.accounts.audit import audit
from kefu.accounts.models import AuditAction, User
from kefu.exports.models import ExportJob


def my_export_jobs(user: User) -> QuerySet[ExportJob]:
    return ExportJob.objects.filter(created_by=user).order_by("-id")


def access_export_job(*, actor: User, job_id: int, request=None) -> ExportJob:
    """The export if `actor` made it; 404 (audited when it exists) otherwise, for every role: an
    export holds what its owner was allowed to see, with the masking chosen for them."""
    job = ExportJob.objects.filter(pk=job_id).first() if 0 < job_id < 2**63 else None
    if job is None:
        raise Http404
    if job.created_by_id != actor.pk:
        audit(AuditAction.ACCESS_DENIED, actor=actor, obj=job, request=request)
        raise Http404
    return job
