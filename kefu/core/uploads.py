"""Files people upload (ticket attachments, later chat images): what they are, not what they claim.

`inspect_upload` reads the first bytes and the name, and accepts only the kinds below, only when the
extension agrees with the content and the size is within the limit. SVG and HTML are never accepted
(they can carry scripts); downloads are served with the detected type and `nosniff`.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import File
from django.http import FileResponse
from django.utils.translation import gettext as _

from kefu.core.errors import DomainError


@dataclass(frozen=True)
class FileKind:
    code: str
    content_type: str
    extensions: tuple[str, ...]
    is_image: bool = False


KINDS = {
    k.code: k
    for k in (
        FileKind("png", "image/png", (".png",), is_image=True),
        FileKind("jpeg", "image/jpeg", (".jpg", ".jpeg"), is_image=True),
        FileKind("gif", "image/gif", (".gif",), is_image=True),
        FileKind("webp", "image/webp", (".webp",), is_image=True),
        FileKind("pdf", "application/pdf", (".pdf",)),
        FileKind(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
        ),
        FileKind(
            "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)
        ),
        FileKind("text", "text/plain; charset=utf-8", (".txt", ".csv", ".log")),
    )
}


@dataclass(frozen=True)
class InspectedUpload:
    kind: FileKind
    name: str  # the original name, cleaned for display and Content-Disposition
    size: int


def max_upload_bytes() -> int:
    return settings.KEFU_ATTACHMENT_MAX_MB * 1024 * 1024


def _sniff(head: bytes, upload: File[bytes]) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _office_kind(upload)
    if b"\x00" not in head and _is_text(head):
        return "text"
    return None


def _office_kind(upload: File[bytes]) -> str | None:
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(n.startswith("word/") for n in names):
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    return None


def _is_text(head: bytes) -> bool:
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as error:
            if (
                encoding == "utf-8" and error.start >= len(head) - 3
            ):  # a character cut by the 8 KB window
                return True
    return False


def clean_name(name: str) -> str:
    """The file's own name without folders, control or direction characters; at most 120 characters."""
    name = Path(str(name).replace("\\", "/")).name
    name = "".join(
        c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C"
    )
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 120 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:120]
    return name or "file"


def inspect_upload(upload: File[bytes]) -> InspectedUpload:
    """Refuse what is too large, empty, of a kind not accepted, or not what its name says."""
    size = upload.size or 0
    if size > max_upload_bytes():
        raise DomainError(
            _("The file is larger than %(max)d MB.") % {"max": settings.KEFU_ATTACHMENT_MAX_MB}
        )
    if size == 0:
        raise DomainError(_("The file is empty."))
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    name = clean_name(upload.name or "")
    code = _sniff(head, upload)
    upload.seek(0)
    if code is None:
        raise DomainError(
            _(
                "Only images (PNG, JPEG, GIF, WebP), PDF, Word (.docx), Excel (.xlsx) and text files can be attached."
            )
        )
    kind = KINDS[code]
    if Path(name).suffix.lower() not in kind.extensions:
        raise DomainError(
            _(
                "“%(name)s” is not what its name says: its content is %(kind)s. Rename it or save it again in the right format."
            )
            % {"name": name, "kind": kind.extensions[0].lstrip(".").upper()}
        )
    return InspectedUpload(kind=kind, name=name, size=size)


def storage_path(prefix: str, inspected: InspectedUpload) -> str:
    """Where the file is kept under MEDIA_ROOT: a random name, never the uploader's."""
    return f"{prefix}/{uuid.uuid4().hex}{inspected.kind.extensions[0]}"


def protected_download(stored: File[bytes], *, name: str, content_type: str) -> FileResponse:
    """An uploaded file as served to those who may see it: the type detected on upload, images
    shown inline and everything else downloaded, `nosniff`, and a policy that runs no script even
    if a browser were to render it (ticket attachments, knowledge articles' files)."""
    response = FileResponse(
        stored.open("rb"),
        content_type=content_type,
        as_attachment=not content_type.startswith("image/"),
        filename=name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    )
    return response
