"""A first start builds the demo history in the background (kefu/demo.py): every page says how far it
got, and says so plainly when it stopped short."""

import json
import threading

import pytest
from django.conf import settings

from kefu import demo
from kefu.accounts.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def progress_file():
    path = settings.DATA_DIR / demo.PROGRESS_FILE
    yield path
    path.unlink(missing_ok=True)


def test_pages_show_the_progress_while_the_history_loads(client_for, progress_file):
    client, _agent = client_for(Role.AGENT)
    progress_file.write_text(
        json.dumps({"state": "loading", "done": 1, "total": 6, "app": "tickets", "error": ""})
    )
    html = client.get("/").content.decode()
    assert 'data-testid="demo-loading"' in html
    assert "演示数据正在后台载入（已完成 1/6，正在载入：工单）" in html


def test_nothing_is_shown_once_it_is_done_or_when_no_demo_was_built(client_for, progress_file):
    client, _agent = client_for(Role.AGENT)
    assert 'data-testid="demo-loading"' not in client.get("/").content.decode()
    progress_file.write_text(json.dumps({"state": "done", "done": 6, "total": 6, "app": ""}))
    assert 'data-testid="demo-loading"' not in client.get("/").content.decode()


def test_signed_out_visitors_see_no_progress(client, progress_file):
    progress_file.write_text(json.dumps({"state": "loading", "done": 0, "total": 6, "app": ""}))
    assert 'data-testid="demo-loading"' not in client.get("/accounts/sign-in/").content.decode()


def test_a_failing_builder_is_recorded_and_shown(client_for, progress_file, monkeypatch):
    monkeypatch.setattr(
        demo, "DEMO_BUILDERS", ["kefu.accounts.demo.build", "kefu.no_such_app.demo.build"]
    )
    builder = threading.Thread(  # as kefu serve runs it: its own thread and connection
        target=demo.build_history_in_background, kwargs={"password": "unused-Demo2026"}
    )
    builder.start()
    builder.join(timeout=30)
    recorded = json.loads(progress_file.read_text())
    assert recorded["state"] == "failed" and "no_such_app" in recorded["error"]
    client, _agent = client_for(Role.AGENT)
    assert "演示数据未能全部载入" in client.get("/").content.decode()


def test_a_build_still_running_when_the_server_stopped_is_marked_interrupted(progress_file):
    progress_file.write_text(json.dumps({"state": "loading", "done": 2, "total": 6, "app": "sms"}))
    demo.note_interrupted_build()
    assert json.loads(progress_file.read_text())["state"] == "failed"


def test_the_history_builders_report_each_step(monkeypatch):
    monkeypatch.setattr(demo, "DEMO_BUILDERS", ["a.demo.build", "b.demo.build", "c.demo.build"])
    built, steps = [], []
    monkeypatch.setattr(demo, "import_string", lambda path: lambda **kw: built.append(path))
    demo.build_history(password="x", on_step=lambda done, total, path: steps.append((done, total)))
    assert built == ["b.demo.build", "c.demo.build"]
    assert steps == [(0, 2), (1, 2), (2, 2)]
