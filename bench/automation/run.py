"""Automation benchmark: rule evaluation over a burst of events, and webhook delivery to a slow
receiver beside the request path.

    .venv/bin/python bench/automation/run.py                      # 10,000 events, 100 rules
    .venv/bin/python bench/automation/run.py --events 2000        # a quick run
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/automation/run.py

(a) Rules: --tickets tickets of --customers customers (levels, provinces, tags), 100 enabled rules
    on "ticket created" / "ticket changed" with conditions on type, priority, channel, customer
    level, province, tag, words and time of day; three of them act (set the priority, add a tag).
    Then --events events (tickets.created and tickets.transitioned, random tickets) go through
    `engine.handle_event`, the work the Huey task does for each: events/s, rules matched, log rows.
(b) Webhooks: a local HTTP server that answers after --slow seconds; a rule "ticket created → call
    the webhook"; --requests tickets created through the service (the request's work: the rule's
    evaluation and the call are queued, not run) with a Huey consumer of 2 threads running in this
    process: create_ticket p50/p95 with the slow webhook and without any rule, then the time until
    every delivery is done (deliveries/s).

Embedded mode (SQLite in a temporary KEFU_DATA_DIR) by default; with DATABASE_URL a scratch
database is created on that server and dropped at the end. Loopback only: the receiver is on
127.0.0.1 and this process turns on the test-only AUTOMATION_ALLOW_LOOPBACK.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.common import clean_up, percentile, scratch_postgres  # noqa: E402

PROVINCES = ["浙江", "江苏", "广东", "北京", "上海", "四川", "湖北", "山东"]
TAGS = ["老客户", "投诉过", "大客户", "学生", "企业"]


def setup_django(data_dir: Path) -> None:
    os.environ["KEFU_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kefu.settings"
    os.environ["KEFU_DEMO"] = "0"
    os.environ["KEFU_HUEY_IMMEDIATE"] = "0"
    os.environ["KEFU_INSTANCE"] = f"bench-automation-{os.getpid()}"
    os.environ.setdefault("KEFU_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    settings.AUTOMATION_ALLOW_LOOPBACK = True  # the local slow receiver; never in a deployment


def load(tickets: int, customers: int, rng: random.Random):
    from django.db import transaction
    from django.utils import timezone

    from kefu.accounts.models import User
    from kefu.accounts.roles import Role
    from kefu.customers.models import Customer, Level, Tag
    from kefu.tickets.models import Channel, Ticket
    from kefu.tickets.states import Priority, TicketType

    manager = User.objects.create_user(username="bench-manager", role=Role.MANAGER)
    tags = [Tag.objects.create(name=n) for n in TAGS]
    with transaction.atomic():
        made = Customer.objects.bulk_create(
            Customer(
                name=f"客户{i}",
                level=rng.choice(Level.values),
                region=rng.choice(PROVINCES),
            )
            for i in range(customers)
        )
        through = Customer.tags.through
        through.objects.bulk_create(
            through(customer_id=c.pk, tag_id=rng.choice(tags).pk)
            for c in made
            if rng.random() < 0.5
        )
        now = timezone.now()
        Ticket.objects.bulk_create(
            Ticket(
                number=f"B{i:08d}",
                type=rng.choice(TicketType.values),
                subject=rng.choice(["商品破损", "发票", "物流慢", "退款", "咨询会员"]),
                content="",
                channel=rng.choice(Channel.values),
                priority=rng.choice([Priority.LOW, Priority.NORMAL, Priority.HIGH]),
                customer_id=rng.choice(made).pk,
                created_by=manager,
                created_at=now,
            )
            for i in range(tickets)
        )
    return manager, list(Ticket.objects.values_list("pk", flat=True))


def make_rules(manager, rng: random.Random, *, acting: bool) -> None:
    from kefu.automation import services
    from kefu.customers.models import Level
    from kefu.tickets.models import Channel
    from kefu.tickets.states import TicketType

    for i in range(100):
        trigger = "ticket_created" if i % 2 == 0 else "ticket_changed"
        conditions = {
            "ticket_type": rng.choice(TicketType.values),
            "customer_level": rng.choice(Level.values),
            "channel": rng.choice(Channel.values),
        }
        if i % 3 != 0:
            conditions["region"] = rng.choice(PROVINCES)
        if i % 5 == 0:
            conditions["tag"] = rng.choice(TAGS)
        if i % 7 == 0:
            conditions["text"] = rng.choice(["破损", "发票"])
        if i % 11 == 0:
            conditions.update({"time_from": "00:00", "time_to": "23:59"})
        actions = {"set_priority": "urgent"}
        if acting and i < 3:  # three broad rules that act on many tickets
            conditions = {"ticket_type": "complaint"} if i == 0 else {"text": "破损"}
            actions = {"set_priority": "urgent"} if i != 2 else {"add_tag": "自动标记"}
        rule = services.save_rule(
            actor=manager,
            rule=None,
            name=f"规则{i}",
            trigger=trigger,
            conditions=conditions,
            actions=actions,
        )
        services.set_rule_enabled(actor=manager, rule_id=rule.pk, enabled=True)


def measure_rules(ticket_ids: list[int], events: int, rng: random.Random) -> list[str]:
    from kefu.automation import engine
    from kefu.automation.models import RuleLog

    engine.rules_cache.clear()
    payloads = []
    for _ in range(events):
        ticket_id = rng.choice(ticket_ids)
        if rng.random() < 0.5:
            payloads.append(("tickets.created", {"ticket_id": ticket_id}))
        else:
            payloads.append(("tickets.transitioned", {"ticket_id": ticket_id}))
    run = engine._run
    engine._run = lambda *args: None  # conditions only: what every event costs
    try:
        began = time.perf_counter()
        matched = sum(engine.handle_event(name, payload, ()) for name, payload in payloads)
        dry = time.perf_counter() - began
    finally:
        engine._run = run
    began = time.perf_counter()
    engine.rules_cache.clear()
    acted = sum(engine.handle_event(name, payload, ()) for name, payload in payloads)
    took = time.perf_counter() - began
    return [
        f"| events | {events:,} |",
        "| enabled rules | 100 (50 on each trigger) |",
        f"| conditions only: time, events/s | {dry:.2f} s, {events / dry:,.0f}/s |",
        f"| rules matched | {matched:,} |",
        f"| with the matching rules' actions: time, events/s | {took:.2f} s, {events / took:,.0f}/s |",
        f"| rules matched, log rows | {acted:,}, {RuleLog.objects.count():,} |",
    ]


class Slow(BaseHTTPRequestHandler):
    delay = 1.0
    count = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(self.delay)
        Slow.count += 1
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def measure_webhooks(manager, requests: int, slow: float) -> list[str]:
    from huey.contrib.djhuey import HUEY

    from kefu.automation import services
    from kefu.automation.models import Delivery, DeliveryState, Rule
    from kefu.tickets.services.tickets import create_ticket

    Rule.objects.update(is_enabled=False)
    services.rules_cache.clear()

    def create_many(n: int) -> list[float]:
        samples = []
        for i in range(n):
            began = time.perf_counter()
            create_ticket(actor=manager, type="consultation", subject=f"请求{i}")
            samples.append((time.perf_counter() - began) * 1000)
        return samples

    Slow.delay = slow
    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    consumer = HUEY.create_consumer(workers=2, worker_type="thread", periodic=False)
    consumer._set_signal_handlers = lambda: None  # a consumer in threads of this process
    consumer.start()
    try:
        create_many(3)  # warm up
        baseline = create_many(requests)
        webhook = services.save_webhook(
            actor=manager,
            webhook=None,
            name="慢接收方",
            url=f"http://127.0.0.1:{server.server_address[1]}/hook",
            is_active=True,
        )
        rule = services.save_rule(
            actor=manager,
            rule=None,
            name="转发到慢接收方",
            trigger="ticket_created",
            conditions={},
            actions={"webhook": webhook.pk},
        )
        services.set_rule_enabled(actor=manager, rule_id=rule.pk, enabled=True)
        began = time.perf_counter()
        with_hook = create_many(requests)
        created = time.perf_counter() - began
        deadline = time.monotonic() + requests * slow + 120
        while time.monotonic() < deadline:
            if Delivery.objects.filter(state=DeliveryState.DELIVERED).count() >= requests:
                break
            time.sleep(0.2)
        all_done = time.perf_counter() - began
        delivered = Delivery.objects.filter(state=DeliveryState.DELIVERED).count()
    finally:
        consumer.stop(graceful=True)
        server.shutdown()
    return [
        "| case | n | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|",
        f"| create_ticket, no rule | {requests} | {percentile(baseline, 50):.1f} | {percentile(baseline, 95):.1f} | {max(baseline):.1f} |",
        f"| create_ticket, rule → webhook answering in {slow:g} s | {requests} | {percentile(with_hook, 50):.1f} | {percentile(with_hook, 95):.1f} | {max(with_hook):.1f} |",
        "",
        f"{requests} tickets created in {created:.1f} s; {delivered} of {requests} deliveries done "
        f"{all_done:.1f} s after the first ({delivered / all_done:.2f} deliveries/s with 2 worker "
        f"threads and a receiver that takes {slow:g} s).",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--tickets", type=int, default=5_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--slow", type=float, default=1.0)
    parser.add_argument("--acting", action="store_true", help="three broad rules that act")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="kefu-bench-automation-"))
    drop = None
    if os.environ.get("DATABASE_URL"):
        url, drop = scratch_postgres(os.environ["DATABASE_URL"], "automation")
        os.environ["DATABASE_URL"] = url
    mode = "scaled (PostgreSQL)" if drop else "embedded (SQLite)"
    try:
        setup_django(data_dir)
        rng = random.Random(2026)
        manager, ticket_ids = load(args.tickets, args.customers, rng)
        make_rules(manager, rng, acting=args.acting)
        print(f"`{' '.join(sys.argv)}` — {mode}, {platform.node()}, {os.cpu_count()} cores\n")
        print("| rules | |\n|---|---|")
        for line in measure_rules(ticket_ids, args.events, rng):
            print(line)
        print()
        for line in measure_webhooks(manager, args.requests, args.slow):
            print(line)
    finally:
        clean_up(data_dir=data_dir, keep=args.keep, drop_database=drop)


if __name__ == "__main__":
    main()
