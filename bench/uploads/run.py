"""How much of a huge upload kefu reads before refusing it, and how long the client waits.

    .venv/bin/python bench/uploads/run.py [--mb 1024] [--runs 3]

Starts `kefu serve` (embedded mode, no demo, no worker) on a free loopback port, then POSTs a body of
`--mb` megabytes as fast as the server takes it to the widget's anonymous image upload (issue 10.4:
1 GB took 18.9 s before the 10 MB refusal), once declared by Content-Length and once chunked, and
prints for each how many bytes went into the socket before the answer and the seconds until it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.common import percentile


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post_huge(port: int, total: int, *, chunked: bool) -> tuple[int, float, bytes]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    head = [
        "POST /widget/no-such-inbox/upload/ HTTP/1.1",
        "Host: 127.0.0.1",
        "Origin: https://shop.example",
        "Content-Type: multipart/form-data; boundary=kefu",
        "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}",
    ]
    started = time.perf_counter()
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    piece = b"x" * 65536
    frame = b"%x\r\n" % len(piece) + piece + b"\r\n" if chunked else piece
    sent = 0
    sock.setblocking(False)
    while sent < total:
        readable, writable, _ = select.select([sock], [sock], [], 30)
        if readable:
            break
        if writable:
            try:
                sent += sock.send(frame)
            except (BlockingIOError, InterruptedError):
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
    sock.setblocking(True)
    if sent >= total and chunked:
        sock.sendall(b"0\r\n\r\n")
    answer = b""
    with contextlib.suppress(ConnectionResetError, TimeoutError):
        answer = sock.recv(200)
    elapsed = time.perf_counter() - started
    sock.close()
    return sent, elapsed, answer.split(b"\r\n", 1)[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="kefu-bench-uploads-")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "KEFU_TESTING"}
    }
    env.update(KEFU_DATA_DIR=data, KEFU_DEMO="0", KEFU_LOG_LEVEL="error")
    port = free_port()
    kefu = [sys.executable, "-m", "kefu.cli"]
    server = subprocess.Popen(  # noqa: S603  our own interpreter and arguments
        [*kefu, "serve", "--port", str(port), "--no-worker", "--no-demo"], env=env
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except urllib.error.HTTPError:
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        total = args.mb * 1024 * 1024
        print(f"load average: {os.getloadavg()}; body {args.mb} MB; {args.runs} runs each")
        print(f"{'body':<16} {'MB let in (max)':>16} {'s to answer p50':>16} {'max':>8}  answer")
        for chunked in (False, True):
            runs = [post_huge(port, total, chunked=chunked) for _ in range(args.runs)]
            label = "chunked" if chunked else "content-length"
            print(
                f"{label:<16} {max(r[0] for r in runs) / 1048576:>16.1f}"
                f" {percentile([r[1] for r in runs], 50):>16.3f}"
                f" {max(r[1] for r in runs):>8.3f}  {runs[-1][2].decode()}"
            )
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        import shutil

        shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
