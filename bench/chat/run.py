"""Live chat benchmark: N visitors and M agents over real websockets against `kefu serve` on loopback.

    .venv/bin/python bench/chat/run.py                                  # 100 chats, 200 msg/s, 30 s
    .venv/bin/python bench/chat/run.py --conversations 1000 --rate 1000 --seconds 30   # the aim
    .venv/bin/python bench/chat/run.py --conversations 1000 --rate 600 --agent-replies 0.66   # agents answer too
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/11 \
        .venv/bin/python bench/chat/run.py                              # scaled: 2 web processes

Starts `python -m kefu.cli serve --no-demo` on a free loopback port with a throwaway KEFU_DATA_DIR
(scaled mode: a scratch PostgreSQL database created and dropped here, Redis db 11, its own
KEFU_INSTANCE, `--web-processes 2`). Through `kefu shell` it creates one web inbox and M agents
(online, max_chats 50, the most the model allows) and a signed-in session for each; the agents
connect to /ws/agent/ with the session cookie. Each of N visitors connects to /ws/visitor/<key>/
with an allowed Origin, says hello, and sends a first message that starts its conversation;
routing gives it to an agent, whose socket then follows it. Then every visitor sends at
rate/N messages a second (open loop, staggered) for --seconds. Measured from the message's
scheduled send time (so a late sender does not hide a slow server):
  - ack: until the visitor's socket gets {event: ack, key} (the message is committed by then);
  - agent: until the agent's socket gets the `conversations.message` push (body carries the key);
  - messages/s acknowledged inside the window, failures (error frames, missing acks or pushes,
    duplicate pushes, dropped sockets), and the server tree's peak RSS (VmHWM summed over the
    `kefu serve` process and its children).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import websockets

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
from bench.common import cpu_seconds  # noqa: E402

PYTHON = sys.executable
ORIGIN = "http://shop.bench.test:8080"
MAX_CHATS = 50  # AgentProfile's check constraint: 1 to 50
CONNECT_TIMEOUT = float(os.environ.get("BENCH_CONNECT_TIMEOUT", "20"))  # longer on a loaded machine
REPLY_SHARE = 0.0  # --agent-replies: the share of visitor messages an agent answers at once


# ---------------------------------------------------------------- server and setup


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Env:
    data_dir: Path
    env: dict
    scaled: bool
    scratch_db: str | None = None
    admin_url: str | None = None
    web_processes: int = 1

    def cleanup(self) -> None:
        if self.scratch_db:
            drop_database(self.admin_url, self.scratch_db)
        if self.scaled:
            with contextlib.suppress(Exception):
                import redis

                r = redis.Redis.from_url(self.env["REDIS_URL"])
                prefix = self.env["KEFU_INSTANCE"]
                for key in r.scan_iter(f"{prefix}*"):
                    r.delete(key)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def _pg(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


def drop_database(admin_url: str, name: str) -> None:
    with contextlib.suppress(Exception):
        _pg(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_env(*, scaled: bool, web_processes: int | None) -> Env:
    data_dir = Path(tempfile.mkdtemp(prefix="kefu-chatbench-"))
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "KEFU_INSTANCE"}
    }
    # One machine drives every visitor, so the per-address limit on new chats is off for the load.
    env.update(
        {
            "KEFU_DATA_DIR": str(data_dir),
            "KEFU_DEMO": "0",
            "KEFU_LOG_LEVEL": "warning",
            "KEFU_NEW_CHATS_PER_ADDRESS_PER_MINUTE": "0",
            "DJANGO_SETTINGS_MODULE": "kefu.settings",
            "PYTHONPATH": str(REPO),
        }
    )
    e = Env(
        data_dir=data_dir,
        env=env,
        scaled=scaled,
        web_processes=web_processes or (2 if scaled else 1),
    )
    if scaled:
        admin_url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
        name = f"kefu_chatbench_{os.getpid()}"
        base = admin_url.rsplit("/", 1)[0]
        drop_database(admin_url, name)
        _pg(admin_url, f'CREATE DATABASE "{name}"')
        e.scratch_db, e.admin_url = name, admin_url
        env["DATABASE_URL"] = f"{base}/{name}"
        env["REDIS_URL"] = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/11"
        env["KEFU_INSTANCE"] = f"chatbench{os.getpid()}"
    return e


class Server:
    def __init__(self, e: Env, port: int | None = None):
        self.e = e
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.peak_kb: dict[int, int] = {}

    def start(self, timeout: float = 300) -> None:
        log = open(self.e.data_dir / "serve.log", "ab")  # noqa: SIM115  closed with the process
        self.proc = subprocess.Popen(  # noqa: S603  our own interpreter and fixed arguments
            [
                PYTHON,
                "-m",
                "kefu.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-demo",
                "--web-processes",
                str(self.e.web_processes),
            ],
            env=self.e.env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kefu serve exited: see {self.e.data_dir / 'serve.log'}")
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/accounts/sign-in/", timeout=2
                ) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("kefu serve did not answer in time")
        if self.e.web_processes > 1:
            time.sleep(2)  # let every worker process come up

    def tree(self) -> list[int]:
        if self.proc is None:
            return []
        pids, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            with contextlib.suppress(OSError):
                for tid in os.listdir(f"/proc/{pid}/task"):
                    with contextlib.suppress(OSError):
                        todo += [
                            int(c)
                            for c in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()
                        ]
        return pids

    def sample_rss(self) -> None:
        for pid in self.tree():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak_kb[pid] = max(self.peak_kb.get(pid, 0), int(line.split()[1]))

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server's processes."""
        return sum(cpu_seconds(pid) for pid in self.tree())

    def peak_rss_mb(self) -> float:
        return sum(self.peak_kb.values()) / 1024

    def kill(self) -> None:
        """SIGKILL the whole tree at once (its own process group)."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def shell(e: Env, code: str, timeout: float = 300) -> dict:
    """Run `code` in `kefu shell`; it prints one JSON line starting with BENCH= as its answer."""
    out = subprocess.run(  # noqa: S603  code written here
        [PYTHON, "-m", "kefu.cli", "shell", "-c", code],
        env=e.env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    for line in out.stdout.splitlines():
        if line.startswith("BENCH="):
            return json.loads(line[6:])
    raise RuntimeError(f"shell failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")


SETUP = """
import json
from django.conf import settings
from django.test import Client
from kefu.accounts.models import AgentProfile, Presence, User
from kefu.accounts.roles import Role
from kefu.conversations.models import Inbox
inbox = Inbox.objects.create(name="bench", allowed_origins=[ORIGIN], auto_close_minutes=0)
cookies = []
for i in range(AGENTS):
    user = User.objects.create_user(username=f"bench-agent-{i}", password=None, role=Role.AGENT,  # force_login: no hash
                                    display_name=f"坐席{i}")
    profile, _ = AgentProfile.objects.get_or_create(user=user)
    profile.presence = Presence.ONLINE
    profile.max_concurrent_chats = MAX_CHATS
    profile.save()
    client = Client()
    client.force_login(user)
    cookies.append(f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}")
print("BENCH=" + json.dumps({"inbox_key": inbox.public_key, "cookies": cookies}))
"""


def setup(e: Env, agents: int) -> dict:
    code = (
        SETUP.replace("ORIGIN", repr(ORIGIN))
        .replace("AGENTS", str(agents))
        .replace("MAX_CHATS", str(MAX_CHATS))
    )
    return shell(e, code)


# ---------------------------------------------------------------- load


@dataclass
class Stats:
    sched: dict = field(default_factory=dict)  # key -> scheduled send time
    acked: dict = field(default_factory=dict)  # key -> (time, conversation_id, seq)
    pushed: dict = field(default_factory=dict)  # key -> time of first agent push
    duplicate_pushes: int = 0
    errors: list = field(default_factory=list)
    dropped: int = 0
    assigned: set = field(default_factory=set)
    conversations: dict = field(default_factory=dict)  # visitor index -> conversation id
    max_lag: float = 0.0
    reply_sent: dict = field(default_factory=dict)  # reply key -> time the agent sent it
    reply_acked: dict = field(default_factory=dict)  # reply key -> time its ack arrived


async def agent_loop(
    url: str, port: int, cookie: str, st: Stats, ready: asyncio.Event, stop: asyncio.Event
) -> None:
    headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"}
    try:
        async with websockets.connect(
            url,
            additional_headers=headers,
            open_timeout=CONNECT_TIMEOUT,
            max_queue=None,
            ping_interval=None,
        ) as ws:
            hello = json.loads(await asyncio.wait_for(ws.recv(), CONNECT_TIMEOUT))
            if hello.get("event") != "hello":
                st.errors.append(f"agent hello: {hello}")
            ready.set()
            async for raw in ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                event = frame.get("event")
                if event == "conversations.message":
                    body = frame["message"].get("body", "")
                    if body.startswith("bench "):
                        key = body.split()[1]
                        if key in st.pushed:
                            st.duplicate_pushes += 1
                        else:
                            st.pushed[key] = now
                            if (
                                REPLY_SHARE and random.random() < REPLY_SHARE
                            ):  # the agent answers this one
                                st.reply_sent[f"reply-{key}"] = time.perf_counter()
                                await ws.send(
                                    json.dumps(
                                        {
                                            "type": "send",
                                            "key": f"reply-{key}",
                                            "body": "好的，马上处理",
                                            "conversation_id": frame["conversation_id"],
                                        }
                                    )
                                )
                elif event == "ack" and str(frame.get("key", "")).startswith("reply-"):
                    st.reply_acked[frame["key"]] = now
                elif event == "conversations.assigned":
                    st.assigned.add(frame["conversation_id"])
                if stop.is_set():
                    break
    except (TimeoutError, OSError, websockets.ConnectionClosed) as error:
        if not stop.is_set():
            st.dropped += 1
            st.errors.append(f"agent socket: {error!r}")
            ready.set()


class Visitor:
    def __init__(self, index: int, url: str, st: Stats):
        self.index, self.url, self.st = index, url, st
        self.ws = None
        self.token = None
        self.conversation_id = None
        self.reader: asyncio.Task | None = None
        self.acks: dict[str, asyncio.Future] = {}

    async def connect(self) -> None:
        self.ws = await websockets.connect(
            self.url,
            additional_headers={"Origin": ORIGIN},
            open_timeout=CONNECT_TIMEOUT,
            max_queue=None,
            ping_interval=None,
        )
        hello = {"type": "hello", "token": self.token}
        if self.conversation_id is not None:
            hello["conversation_id"] = self.conversation_id
        await self.ws.send(json.dumps(hello))
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), CONNECT_TIMEOUT))
            if frame.get("event") == "welcome":
                break
        self.token = frame["token"]
        self.conversation_id = frame.get("conversation_id") or self.conversation_id
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        try:
            async for raw in self.ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                event = frame.get("event")
                if event == "ack":
                    key = frame["key"]
                    self.conversation_id = frame["conversation_id"]
                    if key not in self.st.acked:
                        self.st.acked[key] = (now, frame["conversation_id"], frame["seq"])
                    fut = self.acks.pop(key, None)
                    if fut is not None and not fut.done():
                        fut.set_result(frame)
                elif event == "error":
                    self.st.errors.append(
                        f"visitor {self.index}: {frame.get('code')} {frame.get('message')}"
                    )
                    fut = self.acks.pop(frame.get("key"), None)
                    if fut is not None and not fut.done():
                        fut.set_result(frame)
        except websockets.ConnectionClosed:
            pass

    async def send(self, key: str, when: float, wait: bool = False):
        self.st.sched[key] = when
        fut = asyncio.get_running_loop().create_future() if wait else None
        if fut is not None:
            self.acks[key] = fut
        await self.ws.send(
            json.dumps(
                {"type": "send", "key": key, "body": f"bench {key} 你好，请问这件衣服还有货吗？"}
            )
        )
        return fut

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, math.ceil(p / 100 * len(values)) - 1))]


async def open_chats(
    port: int, inbox_key: str, cookies: list[str], n: int, st: Stats, stop: asyncio.Event
):
    agent_url = f"ws://127.0.0.1:{port}/ws/agent/"
    agents = []
    for cookie in cookies:
        ready = asyncio.Event()
        agents.append(asyncio.create_task(agent_loop(agent_url, port, cookie, st, ready, stop)))
        await asyncio.wait_for(ready.wait(), CONNECT_TIMEOUT)
    url = f"ws://127.0.0.1:{port}/ws/visitor/{inbox_key}/"
    visitors = [Visitor(i, url, st) for i in range(n)]
    sem = asyncio.Semaphore(50)

    async def first(v: Visitor):
        async with sem:
            await v.connect()
            fut = await v.send(f"v{v.index}-0", time.perf_counter(), wait=True)
            await asyncio.wait_for(fut, 60)
            st.conversations[v.index] = v.conversation_id

    started = time.perf_counter()
    await asyncio.gather(*(first(v) for v in visitors))
    ids = set(st.conversations.values())
    deadline = time.perf_counter() + 60
    while not ids <= st.assigned and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    if not ids <= st.assigned:
        st.errors.append(f"{len(ids - st.assigned)} conversations never assigned")
    return agents, visitors, time.perf_counter() - started


async def drive(
    visitors: list[Visitor],
    rate: float,
    seconds: float,
    st: Stats,
    server: Server | None,
    kill_at: float | None = None,
) -> tuple[float, float]:
    """Open loop: visitor i sends every n/rate seconds, the first at i/rate. Returns (t0, t_end)."""
    n = len(visitors)
    interval = n / rate
    t0 = time.perf_counter() + 0.5
    end = t0 + seconds

    async def one(v: Visitor):
        k = 1
        when = t0 + v.index / rate
        while when < end:
            delay = when - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                st.max_lag = max(st.max_lag, -delay)
            try:
                await v.send(f"v{v.index}-{k}", when)
            except websockets.ConnectionClosed:
                st.sched.pop(f"v{v.index}-{k}", None)
                return
            k += 1
            when += interval

    async def sampler():
        while time.perf_counter() < end + 1:
            if server is not None:
                server.sample_rss()
            await asyncio.sleep(1)

    async def killer():
        await asyncio.sleep(max(0.0, t0 + kill_at - time.perf_counter()))
        server.kill()

    tasks = [asyncio.create_task(sampler())]
    if kill_at is not None:
        tasks.append(asyncio.create_task(killer()))
    await asyncio.gather(*(one(v) for v in visitors))
    for task in tasks:
        task.cancel()
    return t0, end


async def wait_outstanding(st: Stats, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if all(k in st.acked and k in st.pushed for k in st.sched if not k.endswith("-0")):
            return
        await asyncio.sleep(0.2)


def summarise(st: Stats, t0: float, end: float, keys=None) -> dict:
    keys = [k for k in (keys if keys is not None else st.sched) if not k.endswith("-0")]
    ack_ms = [(st.acked[k][0] - st.sched[k]) * 1000 for k in keys if k in st.acked]
    push_ms = [(st.pushed[k] - st.sched[k]) * 1000 for k in keys if k in st.pushed]
    in_window = sum(1 for k in keys if k in st.acked and st.acked[k][0] <= end)
    return {
        "sent": len(keys),
        "acked": len(ack_ms),
        "pushed": len(push_ms),
        "missing_acks": len(keys) - len(ack_ms),
        "missing_pushes": len(keys) - len(push_ms),
        "duplicate_pushes": st.duplicate_pushes,
        "error_frames": len(st.errors),
        "dropped": st.dropped,
        "acked_per_s": in_window / (end - t0),
        "ack_ms": ack_ms,
        "push_ms": push_ms,
        "max_lag_ms": st.max_lag * 1000,
        "reply_ms": [
            (st.reply_acked[k] - st.reply_sent[k]) * 1000
            for k in st.reply_sent
            if k in st.reply_acked
        ],
        "replies_sent": len(st.reply_sent),
    }


def table(res: dict) -> str:
    rows = [
        "| measure | samples | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    measures = [
        ("visitor send → ack (committed)", "ack_ms"),
        ("visitor send → agent socket push", "push_ms"),
    ]
    if res.get("replies_sent"):
        measures.append(
            (
                f"agent reply → ack (committed; {len(res['reply_ms'])} of {res['replies_sent']} acked)",
                "reply_ms",
            )
        )
    for name, key in measures:
        v = res.get(key, [])
        rows.append(
            f"| {name} | {len(v)} | {pct(v, 50):.1f} | {pct(v, 95):.1f} | {pct(v, 99):.1f} | "
            f"{(max(v) if v else float('nan')):.1f} |"
        )
    return "\n".join(rows)


async def load(args, port: int, setup_info: dict, server: Server) -> dict:
    st = Stats()
    stop = asyncio.Event()
    agents, visitors, open_s = await open_chats(
        port, setup_info["inbox_key"], setup_info["cookies"], args.conversations, st, stop
    )
    server.sample_rss()
    profiler = None
    if args.profile:  # py-spy on the server process for most of the window (collapsed stacks)
        spy = Path(PYTHON).with_name("py-spy")
        profiler = subprocess.Popen(  # noqa: S603  py-spy beside our interpreter
            [
                str(spy),
                "record",
                "-p",
                str(server.proc.pid),
                "-d",
                str(int(args.seconds) - 2),
                "-f",
                "raw",
                "-o",
                args.profile,
                "-r",
                "50",
                "--subprocesses",
                "--nonblocking",
                "--gil",  # only the thread holding the GIL: where the CPU goes
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
    t0, end = await drive(visitors, args.rate, args.seconds, st, server)
    if profiler is not None:
        profiler.wait(timeout=60)
    await wait_outstanding(st, args.drain)
    server.sample_rss()
    res = summarise(st, t0, end)
    # CPU per acknowledged message (window and drain): what a shared machine's latencies hide.
    res["server_cpu_s"] = server.cpu_seconds() - server_cpu
    res["client_cpu_s"] = time.process_time() - client_cpu
    res["wall_s"] = time.perf_counter() - t0
    res["open_s"] = open_s
    res["first_errors"] = st.errors[:5]
    stop.set()
    for v in visitors:
        await v.close()
    for a in agents:
        a.cancel()
    return res


def run_loop(main_coroutine):
    """asyncio.run, on uvloop when it is installed (it is a runtime dependency of the server): the
    load client drives thousands of frames a second from one process on the same two cores as the
    server, and the default loop costs it noticeably more CPU per frame."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main_coroutine)
    return uvloop.run(main_coroutine)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument(
        "--rate", type=float, default=200, help="messages per second, all visitors together"
    )
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument(
        "--agents",
        type=int,
        default=0,
        help=f"default: conversations / {MAX_CHATS - 10}, at least 2",
    )
    parser.add_argument("--web-processes", type=int, default=0, help="default 1 embedded, 2 scaled")
    parser.add_argument(
        "--drain", type=float, default=15, help="seconds to wait for late acks and pushes"
    )
    parser.add_argument(
        "--start-timeout",
        type=float,
        default=300,
        help="seconds the server may take to start (migrations on a loaded machine)",
    )
    parser.add_argument(
        "--scaled", action="store_true", help="PostgreSQL + Redis (also when DATABASE_URL is set)"
    )
    parser.add_argument(
        "--profile", default="", help="write py-spy collapsed stacks of the server here"
    )
    parser.add_argument(
        "--agent-replies",
        type=float,
        default=0.0,
        help="share (0-1) of visitor messages an agent answers at once, through its socket",
    )
    args = parser.parse_args()
    global REPLY_SHARE
    REPLY_SHARE = args.agent_replies
    scaled = args.scaled or bool(os.environ.get("DATABASE_URL"))
    agents = args.agents or max(2, math.ceil(args.conversations / (MAX_CHATS - 10)))
    e = make_env(scaled=scaled, web_processes=args.web_processes or None)
    server = Server(e)
    try:
        load1 = os.getloadavg()[0]
        server.start(timeout=args.start_timeout)
        info = setup(e, agents)
        res = run_loop(load(args, server.port, info, server))
        load2 = os.getloadavg()[0]
        mode = (
            f"scaled (PostgreSQL + Redis, {e.web_processes} web processes)"
            if scaled
            else "embedded (SQLite WAL, in-process channel layer, 1 web process)"
        )
        print(
            f"\n`{' '.join([Path(PYTHON).name, *sys.argv])}` — {mode}; {platform.node()}, {os.cpu_count()} cores, "
            f"load average {load1:.1f} before, {load2:.1f} after"
        )
        print(
            f"{args.conversations} conversations, {agents} agents, offered {args.rate:g} msg/s for {args.seconds:g} s "
            f"(opening the chats took {res['open_s']:.1f} s)\n"
        )
        print(table(res))
        print()
        print(
            "| messages sent | acked | acked/s in the window | agent pushes | missing acks | missing pushes | "
            "duplicate pushes | error frames | dropped sockets | sender lag max ms | server peak RSS |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        print(
            f"| {res['sent']} | {res['acked']} | {res['acked_per_s']:.0f} | {res['pushed']} | {res['missing_acks']} | "
            f"{res['missing_pushes']} | {res['duplicate_pushes']} | {res['error_frames']} | {res['dropped']} | "
            f"{res['max_lag_ms']:.0f} | {server.peak_rss_mb():.0f} MB ({len(server.peak_kb)} processes) |"
        )
        per = 1000 / max(1, res["acked"])
        print(
            f"\nCPU over the window and drain ({res['wall_s']:.1f} s): server {res['server_cpu_s']:.1f} s "
            f"({res['server_cpu_s'] * per:.3f} ms per acked message, "
            f"{100 * res['server_cpu_s'] / res['wall_s']:.0f}% of a core), load client "
            f"{res['client_cpu_s']:.1f} s ({res['client_cpu_s'] * per:.3f} ms per message, "
            f"{100 * res['client_cpu_s'] / res['wall_s']:.0f}% of a core)"
        )
        if res["first_errors"]:
            print("\nfirst errors:", *res["first_errors"], sep="\n  ")
        if os.environ.get("BENCH_KEEP_SERVER"):
            print(f"server pid {server.proc.pid} port {server.port}; press Enter")
            input()
    finally:
        server.stop()
        e.cleanup()


if __name__ == "__main__":
    main()
