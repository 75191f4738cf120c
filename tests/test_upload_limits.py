"""Huge bodies are refused before they are read, against a real `kefu serve` over HTTP (issue 10.4).

Under ASGI Django reads a whole body before any view runs: a 1 GB body to the widget's upload took
18.9 s to be refused. These tests send a 200 MB body from a raw socket and count how much of it the
server let through before it answered: a server that reads to the end takes all 200 MB; one that
stops at the limit answers after the limit and the loopback's buffers (a few MB).
"""

import json
import os
import select
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.xdist_group("browser")  # a server process of its own, like test_serve

BODY = 200 * 1024 * 1024
# The endpoint's limit (10 MB) plus the socket buffers of both ends on loopback: far below 200 MB.
MOST_LET_THROUGH = 40 * 1024 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`kefu serve` (embedded mode, no demo, no worker) with an administrator's API token."""
    data = tmp_path_factory.mktemp("serve-data")
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "DJANGO_SETTINGS_MODULE",
            "KEFU_TESTING",
            "KEFU_INSTANCE",
        }
    }
    env.update(KEFU_DATA_DIR=str(data), KEFU_LOG_LEVEL="warning", KEFU_DEMO="0")
    kefu = [sys.executable, "-m", "kefu.cli"]
    subprocess.run([*kefu, "migrate", "-v", "0"], env=env, check=True)
    subprocess.run(
        [*kefu, "createadmin", "boss", "--password", "Upload2026limit"], env=env, check=True
    )
    token = subprocess.run(
        [*kefu, "apitoken", "boss"], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    port = _free_port()
    process = subprocess.Popen(
        [*kefu, "serve", "--port", str(port), "--no-worker", "--no-migrate", "--no-demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            break
        except urllib.error.HTTPError:
            break  # answering (503: no worker) is enough
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if process.poll() is not None:
                pytest.fail("kefu serve exited early:\n" + process.stdout.read())
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("kefu serve did not answer within 60 s")
    yield port, token
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def send_huge_body(
    port: int, path: str, headers: dict, *, chunked: bool, method: str = "POST"
) -> tuple[int, bytes]:
    """Sends (POST by default) a 200 MB body as fast as the server takes it, until the server answers. Returns how
    many body bytes the server let through (sent into the socket) and the answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {BODY}")
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    piece = b"x" * 65536
    frame = b"%x\r\n" % len(piece) + piece + b"\r\n" if chunked else piece
    sent = 0
    sock.setblocking(False)
    deadline = time.monotonic() + 60
    while sent < BODY and time.monotonic() < deadline:
        readable, writable, _ = select.select([sock], [sock], [], 5)
        if readable:
            break  # the server answered (or closed) before the body was through
        if writable:
            try:
                sent += sock.send(frame)
            except (BlockingIOError, InterruptedError):
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
    if sent >= BODY and chunked:
        sock.setblocking(True)
        sock.sendall(b"0\r\n\r\n")
    sock.setblocking(True)
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    sock.close()
    return sent, answer


def _status_and_json(answer: bytes) -> tuple[int, dict]:
    head, _sep, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body.startswith(b"{") else {}


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_huge_upload_to_the_api_is_refused_at_the_limit(served, chunked):
    port, token = served
    sent, answer = send_huge_body(
        port,
        "/api/v1/tickets/1/attachments",
        {
            "Authorization": f"Bearer {token}",
            "Content-Type": "multipart/form-data; boundary=kefu",
        },
        chunked=chunked,
    )
    assert sent < MOST_LET_THROUGH, f"{sent / 1e6:.0f} MB of 200 MB went in before the answer"
    status, body = _status_and_json(answer)
    assert status == 413
    assert body == {"detail": "请求内容太大：最多 10 MB。"}


def test_a_huge_anonymous_upload_to_the_widget_is_not_read(served):
    port, _token = served
    sent, answer = send_huge_body(
        port,
        "/widget/no-such-inbox/upload/",
        {"Content-Type": "multipart/form-data; boundary=kefu", "Origin": "https://shop.example"},
        chunked=False,
    )
    assert sent < MOST_LET_THROUGH, f"{sent / 1e6:.0f} MB of 200 MB went in before the answer"
    assert answer.startswith(b"HTTP/1.1 4")


def test_a_large_body_to_any_other_endpoint_is_refused_at_django_s_form_limit(served):
    port, token = served
    sent, answer = send_huge_body(
        port,
        "/api/v1/customers",
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        chunked=True,
    )
    assert sent < MOST_LET_THROUGH
    status, body = _status_and_json(answer)
    assert (status, body) == (413, {"detail": "请求内容太大：最多 2.5 MB。"})


def test_a_huge_body_sent_with_a_get_is_not_read_either(served):
    port, _token = served
    sent, answer = send_huge_body(
        port, "/accounts/sign-in/", {"Content-Type": "text/plain"}, chunked=False, method="GET"
    )
    assert sent < MOST_LET_THROUGH
    assert answer.startswith(b"HTTP/1.1 413")
    assert "请求内容太大" in answer.decode("utf-8", "replace")
