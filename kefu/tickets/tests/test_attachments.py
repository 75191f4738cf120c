"""Attachments: images and documents that are what they say, within the size limit; others refused
with a clear answer and nothing stored; served only to those who may see the ticket."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from conftest import sign_in
from kefu.tickets.models import TicketAttachment
from kefu.tickets.states import TicketState

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(client, ticket, name, content):
    return client.post(
        f"/tickets/{ticket.pk}/attachments/",
        {"file": SimpleUploadedFile(name, content)},
        follow=True,
    )


def test_an_image_and_a_document_are_attached_and_served(cast, complaint_in):
    ticket = complaint_in(TicketState.ROUTED)
    agent = sign_in(Client(), cast.agent)
    upload(agent, ticket, "屏幕照片.png", PNG)
    upload(agent, ticket, "../../购买凭证.docx", docx_bytes())
    files = list(TicketAttachment.objects.order_by("id"))
    assert [(f.name, f.content_type) for f in files] == [
        ("屏幕照片.png", "image/png"),
        (
            "购买凭证.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ]
    assert (
        ".." not in files[1].file.name and "购买凭证" not in files[1].file.name
    )  # stored under a random name
    image = agent.get(f"/tickets/{ticket.pk}/attachments/{files[0].pk}/")
    assert (
        image.status_code == 200
        and image["Content-Type"] == "image/png"
        and image["X-Content-Type-Options"] == "nosniff"
    )
    assert b"".join(image.streaming_content) == PNG
    document = agent.get(f"/tickets/{ticket.pk}/attachments/{files[1].pk}/")
    assert document["Content-Disposition"].startswith("attachment")
    # Department staff of the routed department may download; others get 404.
    assert (
        sign_in(Client(), cast.staff)
        .get(f"/tickets/{ticket.pk}/attachments/{files[0].pk}/")
        .status_code
        == 200
    )
    assert (
        sign_in(Client(), cast.other_staff)
        .get(f"/tickets/{ticket.pk}/attachments/{files[0].pk}/")
        .status_code
        == 404
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("照片.png", b"<html><script>alert(1)</script></html>", "不是它的名字所说的格式"),
        ("报告.pdf", PNG, "不是它的名字所说的格式"),
        (
            "图标.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "不是它的名字所说的格式",
        ),
        ("程序.exe", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, "只能上传"),
        ("假的.docx", b"PK\x03\x04 not really a zip", "只能上传"),
        ("空的.txt", b"", "文件是空的"),
    ],
)
def test_a_file_that_lies_about_its_type_is_refused_and_nothing_is_kept(
    cast, new_complaint, settings, name, content, message
):
    ticket = new_complaint()
    page = upload(sign_in(Client(), cast.agent), ticket, name, content).content.decode()
    assert message in page
    assert not TicketAttachment.objects.exists()
    assert not (settings.MEDIA_ROOT / "tickets").exists() or not any(
        (settings.MEDIA_ROOT / "tickets").iterdir()
    )


@override_settings(KEFU_ATTACHMENT_MAX_MB=1)
def test_an_enormous_file_is_refused(cast, new_complaint):
    ticket = new_complaint()
    page = upload(
        sign_in(Client(), cast.agent), ticket, "大图.png", PNG + b"\x00" * (1024 * 1024)
    ).content.decode()
    assert "文件超过 1 MB" in page and not TicketAttachment.objects.exists()


def test_attachments_through_the_api(cast, new_complaint):
    ticket = new_complaint()
    agent = sign_in(Client(), cast.agent)
    created = agent.post(
        f"/api/v1/tickets/{ticket.pk}/attachments", {"file": SimpleUploadedFile("a.png", PNG)}
    )
    assert created.status_code == 201 and created.json()["content_type"] == "image/png"
    refused = agent.post(
        f"/api/v1/tickets/{ticket.pk}/attachments", {"file": SimpleUploadedFile("a.pdf", PNG)}
    )
    assert refused.status_code == 400
    assert [a["name"] for a in agent.get(f"/api/v1/tickets/{ticket.pk}/attachments").json()] == [
        "a.png"
    ]
