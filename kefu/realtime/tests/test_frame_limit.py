"""`kefu serve` gives uvicorn the application's frame limit (the behaviour over a real socket is in
kefu/conversations/tests/test_sockets_live.py, on a server with the same options)."""

import pytest
import uvicorn
from django.core.management import call_command

from kefu.conversations.services.messages import MAX_BODY_CHARS
from kefu.realtime.frames import MAX_FRAME_BYTES

pytestmark = pytest.mark.django_db


def test_kefu_serve_limits_websocket_frames_to_the_largest_message_the_application_takes(
    monkeypatch,
):
    started = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(options))
    call_command("serve", "--no-worker", "--no-demo", "--no-migrate")
    assert started["ws_max_size"] == MAX_FRAME_BYTES
    # 64 KiB, not websockets' 16 MiB: every message of MAX_BODY_CHARS fits at 12 bytes a character.
    assert MAX_BODY_CHARS * 12 < MAX_FRAME_BYTES <= 64 * 1024
    assert started["ws_per_message_deflate"] is False
