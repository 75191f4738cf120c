"""Files from customers' e-mails, as the workspace and the API hand them out."""

from django.http import FileResponse, Http404

from kefu.conversations.models import MailAttachment


def attachment_response(attachment: MailAttachment) -> FileResponse:
    """Always a download, never shown in a page: the type the upload check found, nosniff, and a
    policy that runs nothing should a browser render it anyway. Call after the access check."""
    try:
        handle = attachment.file.open("rb")
    except OSError:  # the file is gone from storage: as missing as a wrong id
        raise Http404 from None
    response = FileResponse(
        handle, content_type=attachment.content_type, as_attachment=True, filename=attachment.name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
