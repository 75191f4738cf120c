"""Live chat fault test: SIGKILL `kefu serve` in the middle of a load, restart it, prove nothing acknowledged is lost.

    .venv/bin/python bench/chat/fault.py                     # 50 chats, 100 msg/s, kill after 5 of 10 s
    .venv/bin/python bench/chat/fault.py --conversations 200 --rate 400
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/chat/fault.py

Same set-up as run.py (throwaway KEFU_DATA_DIR; scaled mode: scratch database, Redis). Visitors send
at the given rate; at --kill-at seconds the whole server process group gets SIGKILL. The server is
restarted on the same data folder; each visitor reconnects with its token and conversation and
resends, in order and with the same keys, every message it sent but never saw acknowledged (what
the widget does). Then, reading the database through `kefu shell`:
  - every key acknowledged (before the kill or after the restart) is stored exactly once, in the
    conversation and with the sequence number its ack named;
  - each conversation's sequence numbers are 1..last_seq with no gap or repeat, and each visitor's
    messages are stored in the order it sent them;
  - every resent message is stored once (a message committed just before the kill is answered from
    the store, not written twice).
Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import MAX_CHATS, Server, Stats, drive, make_env, open_chats, setup, shell

STORED = """
import json
from kefu.conversations.models import Message
keys = Message.objects.filter(conversation__inbox__public_key=INBOX_KEY).values_list("client_key", flat=True)
print("BENCH=" + json.dumps({"keys": [k for k in keys if k]}))
"""

CHECK = """
import json
from collections import defaultdict
from kefu.conversations.models import Conversation, Message
acks = json.load(open(ACKS_PATH))
rows = list(Message.objects.filter(conversation__inbox__public_key=INBOX_KEY).values_list(
    "conversation_id", "seq", "client_key").order_by("conversation_id", "seq"))
last_seq = dict(Conversation.objects.filter(inbox__public_key=INBOX_KEY).values_list("id", "last_seq"))
by_conv = defaultdict(list)
by_key = defaultdict(list)
for conv, seq, key in rows:
    by_conv[conv].append((seq, key))
    by_key[key].append((conv, seq))
problems = []
for conv, items in by_conv.items():
    seqs = [s for s, _ in items]
    if seqs != list(range(1, len(seqs) + 1)) or last_seq.get(conv) != len(seqs):
        problems.append(f"conversation {conv}: seqs not 1..n (n={len(seqs)}, last_seq={last_seq.get(conv)})")
    order = [(int(k.split("-")[0][1:]), int(k.split("-")[1])) for _, k in items if k]
    for visitor in {v for v, _ in order}:
        ks = [k for v, k in order if v == visitor]
        if ks != sorted(ks):
            problems.append(f"conversation {conv}: visitor {visitor}'s messages out of order")
for key, places in by_key.items():
    if len(places) != 1:
        problems.append(f"key {key} stored {len(places)} times")
missing = wrong = 0
for key, (conv, seq) in acks.items():
    places = by_key.get(key, [])
    if not places:
        missing += 1
    elif places[0] != (conv, seq):
        wrong += 1
print("BENCH=" + json.dumps({"stored": len(rows), "conversations": len(by_conv), "acked_checked": len(acks),
                             "acked_missing": missing, "acked_wrong_place": wrong, "problems": problems[:20],
                             "problem_count": len(problems), "stored_keys": sorted(by_key)}))
"""


async def phase1(args, server: Server, info: dict):
    st = Stats()
    stop = asyncio.Event()
    agents, visitors, _ = await open_chats(
        server.port, info["inbox_key"], info["cookies"], args.conversations, st, stop
    )
    await drive(visitors, args.rate, args.seconds, st, server, kill_at=args.kill_at)
    stop.set()
    await asyncio.sleep(0.5)
    for a in agents:
        a.cancel()
    for v in visitors:
        await v.close()
    return st, visitors


async def phase2(visitors, st: Stats) -> dict:
    """Reconnect every visitor and resend its unacknowledged messages in order, each until acked."""
    before = dict(st.acked)
    pending = {
        v.index: sorted(
            (k for k in st.sched if k.startswith(f"v{v.index}-") and k not in before),
            key=lambda k: int(k.split("-")[1]),
        )
        for v in visitors
    }
    sem = asyncio.Semaphore(50)

    async def resend(v):
        async with sem:
            v.ws = v.reader = None
            await v.connect()
        for key in pending[v.index]:
            fut = await v.send(key, time.perf_counter(), wait=True)
            frame = await asyncio.wait_for(fut, 30)
            if frame.get("event") != "ack":
                st.errors.append(f"resend {key}: {frame}")

    await asyncio.gather(*(resend(v) for v in visitors))
    for v in visitors:
        await v.close()
    return {"resent": sum(len(p) for p in pending.values()), "acked_before_kill": len(before)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--kill-at", type=float, default=5)
    parser.add_argument("--scaled", action="store_true")
    args = parser.parse_args()
    scaled = args.scaled or bool(os.environ.get("DATABASE_URL"))
    agents = max(2, -(-args.conversations // (MAX_CHATS - 10)))
    e = make_env(scaled=scaled, web_processes=None)
    server = Server(e)
    ok = False
    try:
        server.start(timeout=1200)
        info = setup(e, agents)
        st, visitors = asyncio.run(phase1(args, server, info))
        killed_with = {k for k in st.sched if k not in st.acked}
        restart = time.perf_counter()
        server = Server(e, port=server.port)
        server.start(timeout=1200)
        restart_s = time.perf_counter() - restart
        stored_at_restart = set(
            shell(e, STORED.replace("INBOX_KEY", repr(info["inbox_key"])))["keys"]
        )
        r2 = asyncio.run(phase2(visitors, st))
        acks_path = e.data_dir / "acks.json"
        acks_path.write_text(json.dumps({k: [c, s] for k, (_, c, s) in st.acked.items()}))
        check = shell(
            e,
            CHECK.replace("ACKS_PATH", repr(str(acks_path))).replace(
                "INBOX_KEY", repr(info["inbox_key"])
            ),
        )
        check.pop("stored_keys")
        unacked_left = [k for k in st.sched if k not in st.acked]
        committed_unacked = len(killed_with & stored_at_restart)
        mode = (
            "scaled (PostgreSQL + Redis, 2 web processes)"
            if scaled
            else "embedded (SQLite WAL, 1 web process)"
        )
        print(f"\n`{' '.join([Path(sys.executable).name, *sys.argv])}` — {mode}")
        print(
            f"{args.conversations} conversations, {args.rate:g} msg/s offered, SIGKILL at {args.kill_at:g} s; "
            f"restart took {restart_s:.1f} s (migrate check, collectstatic, uvicorn)\n"
        )
        print("| check | value |\n|---|---:|")
        for name, value in (
            ("messages sent (incl. first ones)", len(st.sched)),
            ("acknowledged before the kill", r2["acked_before_kill"]),
            ("sent, not acknowledged at the kill (resent after restart)", r2["resent"]),
            ("… of which were already committed (ack lost with the server)", committed_unacked),
            ("still unacknowledged after the resends", len(unacked_left)),
            ("messages stored", check["stored"]),
            ("acknowledged keys checked in the database", check["acked_checked"]),
            ("acknowledged but missing", check["acked_missing"]),
            ("acknowledged but stored at another conversation/seq", check["acked_wrong_place"]),
            (
                "keys stored more than once / seq gaps / out of order (problems)",
                check["problem_count"],
            ),
            ("error frames", len(st.errors)),
        ):
            print(f"| {name} | {value} |")
        if check["problems"] or st.errors:
            print("\n", *check["problems"][:10], *st.errors[:10], sep="\n  ")
        ok = (
            check["acked_missing"] == 0
            and check["acked_wrong_place"] == 0
            and check["problem_count"] == 0
            and not unacked_left
            and check["stored"] == len(st.sched)
        )
        print(
            f"\n**{'PASS' if ok else 'FAIL'}**: every acknowledged message stored exactly once and in order"
            if ok
            else "\n**FAIL**"
        )
    finally:
        server.stop()
        e.cleanup()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
