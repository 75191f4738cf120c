"""Customer archive benchmark: import rows/s from .xlsx, and search p50/p95 over a million customers.

    .venv/bin/python bench/customers/run.py                      # 100,000-row import, 1,000,000 customers
    .venv/bin/python bench/customers/run.py --rows 20000 --customers 200000   # a few minutes
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/customers/run.py

(a) Import: writes a .xlsx of realistic Chinese customers (Faker zh_CN names, real Guangxi and
    Guangdong places; about 1% bad mobiles and 0.5% repeated mobiles, as real files have; shared
    strings and a <dimension> as Excel writes them) in a child process, then imports it through the
    real services (start_import runs the dry run, confirm_import writes the rows) against a fresh
    database. Prints rows/s for each step and each step's peak RSS.
(b) Search: bulk-loads customers with plain INSERTs (COPY on PostgreSQL; not through the services),
    then times 1,000 searches each for a mobile's last four digits, a name prefix and a tag through
    selectors.search_customers + keyset_page (first page of 50, tags prefetched as the list page
    does), as a supervisor (who sees every customer): first as loaded (no planner statistics), then
    after ANALYZE (PostgreSQL's autovacuum runs it soon after a load; SQLite never does by itself).
    A kind of search stops sampling after --case-seconds and says how many samples it took.

Embedded mode (SQLite in a temporary KEFU_DATA_DIR) by default. With DATABASE_URL set to a
PostgreSQL server, a scratch database is created on it and dropped at the end. Nothing leaves the
machine; the temporary folder is removed at the end.
"""

# ruff: noqa: S608  the SQL below names tables and columns from the models, never from input
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.common import choose_database, clean_up, percentile  # noqa: E402

TAGS = [
    "老客户",
    "批发客户",
    "投诉过",
    "价格敏感",
    "节日问候",
    "生日客户",
    "企业客户",
    "VIP关怀",
    "新客户",
    "回访优先",
    "电商客户",
    "门店客户",
    "会员日",
    "沉睡客户",
    "高价值",
    "退款过",
    "大客户",
    "活动报名",
    "推荐人",
    "待回访",
]
LEVELS = ["普通"] * 7 + ["会员"] * 2 + ["VIP"]
BULK_MOBILE_PREFIXES = ["198", "199", "166", "191"]  # not used by the import file, so no collisions


def reset_peak_rss() -> None:
    """Linux lets a process reset its peak RSS (VmHWM), so each step's peak is its own."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- (a) the file ---------------------------------------------------------------------------------


def name_pools(seed: int):
    from faker.providers.person.zh_CN import Provider

    surnames = list(Provider.last_names.keys())
    weights = list(Provider.last_names.values())
    given = list(Provider.first_names)
    rng = random.Random(seed)

    def name() -> str:
        first = rng.choices(surnames, weights)[0]
        return first + "".join(rng.choice(given) for _ in range(rng.choice((1, 2, 2))))

    return rng, name


def places():
    from kefu.customers.demo import PLACES, ROADS

    flat = [
        (province, city, district, street)
        for province, cities in PLACES.items()
        for city, districts in cities.items()
        for district, streets in districts.items()
        for street in streets
    ]
    return flat, ROADS


def generate_xlsx(path: Path, rows: int, seed: int = 2026) -> None:
    """Runs in a child process, so its memory does not count in the import's peak."""
    import django

    django.setup()
    import openpyxl

    rng, name = name_pools(seed)
    flat, roads = places()
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("客户")
    sheet.append(
        [
            "姓名",
            "性别",
            "手机号码",
            "座机",
            "邮箱",
            "微信",
            "省份",
            "城市",
            "区县",
            "街道",
            "详细地址",
            "会员等级",
            "会员卡号",
            "标签",
            "备注",
        ]
    )
    prefixes = ["138", "139", "137", "135", "150", "151", "158", "186", "187", "189"]
    mobiles: list[str] = []
    for i in range(rows):
        mobile = f"{prefixes[i % len(prefixes)]}{(i * 7919 + 12345) % 10**8:08d}"
        roll = rng.random()
        if roll < 0.01:
            mobile = mobile[:5]  # a mobile cut short: reported as invalid
        elif roll < 0.015 and mobiles:
            mobile = rng.choice(mobiles)  # the same customer twice: reported as a duplicate
        mobiles.append(mobile)
        province, city, district, street = rng.choice(flat)
        level = rng.choice(LEVELS)
        sheet.append(
            [
                name(),
                rng.choice(["男", "女", ""]),
                int(mobile) if rng.random() < 0.5 else mobile,
                f"0771-{5000000 + i}" if rng.random() < 0.1 else "",
                f"user{i}@example.cn" if rng.random() < 0.3 else "",
                f"wxid_{i:07d}" if rng.random() < 0.3 else "",
                province,
                city,
                district,
                street,
                f"{rng.choice(roads)}{rng.randint(1, 300)}号",
                level,
                f"M{i:08d}" if level != "普通" else "",
                "，".join(rng.sample(TAGS, rng.choice((0, 1, 1, 2)))),
                "",
            ]
        )
    workbook.save(path)
    to_shared_strings(path)


INLINE_CELL = re.compile(
    rb'<c r="([A-Z]+[0-9]+)" t="inlineStr"><is><t(?: xml:space="preserve")?>(.*?)</t></is></c>',
    re.S,
)


def to_shared_strings(path: Path) -> None:
    """openpyxl's write-only mode writes inline strings; Excel and WPS write a shared-string table.
    Rewrite the file the way Excel would, so the import reads what users actually upload."""
    strings: dict[bytes, int] = {}

    def shared(match: re.Match) -> bytes:
        index = strings.setdefault(match.group(2), len(strings))
        return b'<c r="%s" t="s"><v>%d</v></c>' % (match.group(1), index)

    source = path.with_suffix(".inline.xlsx")
    path.rename(source)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = INLINE_CELL.sub(shared, data)
                last = re.findall(rb'<row r="([0-9]+)"', data[-4096:])[
                    -1
                ]  # Excel writes the used range first
                data = data.replace(
                    b"<sheetViews>", b'<dimension ref="A1:O%s"/><sheetViews>' % last, 1
                )
            elif item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.'
                    b'org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                    b"</Relationships>",
                )
            new.writestr(item, data)
        table = b"".join(b"<si><t>%s</t></si>" % text for text in strings)
        new.writestr(
            "xl/sharedStrings.xml",
            b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.'
            b'openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">%s</sst>'
            % (len(strings), len(strings), table),
        )
    source.unlink()


# --- setup ----------------------------------------------------------------------------------------


def setup_django(data_dir: Path) -> None:
    os.environ["KEFU_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kefu.settings"
    os.environ["KEFU_DEMO"] = "0"
    os.environ["KEFU_HUEY_IMMEDIATE"] = (
        "1"  # the dry run and the import run inline, in this process
    )
    os.environ["KEFU_INSTANCE"] = f"bench-customers-{os.getpid()}"
    os.environ.setdefault("KEFU_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_supervisor():
    from kefu.accounts import services
    from kefu.accounts.roles import Role

    return services.create_user(
        actor=None,
        username="bench-supervisor",
        password="Bench2026pass",  # noqa: S106
        role=Role.SUPERVISOR,
        check_password=False,
    )


# --- (a) import -----------------------------------------------------------------------------------


def _import_flow():
    """The import's services (the package since the transfer module was split; the module before,
    so this script also measures the code as it was)."""
    try:
        from kefu.customers.services.transfer import imports
    except ImportError:
        from kefu.customers.services import transfer as imports
    return imports


def server_cpu_seconds() -> float:
    """CPU time of this connection's PostgreSQL backend so far (user + system, from /proc: the
    server runs on this machine); 0 on SQLite, where all the work is in this process."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def other_writer(stop, supervisor, latencies: list[float], failures: list[str], cpu: list) -> None:
    """While the import writes: an agent saving a customer every 0.1 s (through the service), as a
    web request would; how long each save takes is how long it waited for the import."""
    from django.db import connection

    from kefu.customers.services import profiles

    n = 0
    try:
        while not stop.is_set():
            n += 1
            started = time.perf_counter()
            try:
                profiles.create_customer(
                    actor=supervisor,
                    name=f"来电客户{n}",
                    contacts=profiles.ContactPoints({"mobile": [f"166{n:08d}"]}),
                )
            except Exception as error:  # "database is locked" after the busy timeout
                failures.append(f"{error!r} after {time.perf_counter() - started:.1f} s")
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            stop.wait(0.1)
    finally:
        cpu.append(time.thread_time())
        connection.close()


def bench_import(path: Path, supervisor) -> dict:
    import threading

    from django.core.files import File
    from django.utils import translation

    from kefu.customers.models import Customer, ImportStatus

    imports = _import_flow()
    translation.activate("zh-hans")
    before = rss_mb()
    reset_peak_rss()
    with path.open("rb") as handle:
        cpu0, server0 = time.process_time(), server_cpu_seconds()
        started = time.perf_counter()
        job = imports.start_import(actor=supervisor, upload=File(handle, name="客户名单.xlsx"))
        checked = time.perf_counter()
        cpu1, server1 = time.process_time(), server_cpu_seconds()
    job.refresh_from_db()
    if job.status != ImportStatus.CHECKED:
        raise SystemExit(f"check ended {job.status}: {job.message}")
    check_rss = peak_rss_mb()
    reset_peak_rss()
    stop, latencies, failures, writer_cpu = threading.Event(), [], [], []
    writer = threading.Thread(
        target=other_writer, args=(stop, supervisor, latencies, failures, writer_cpu)
    )
    writer.start()
    confirming = time.perf_counter()
    job = imports.confirm_import(actor=supervisor, job=job, valid_rows=job.valid_rows)
    imported = time.perf_counter()
    stop.set()
    writer.join(timeout=60)
    cpu2, server2 = time.process_time(), server_cpu_seconds()
    if job.status != ImportStatus.DONE:
        raise SystemExit(f"import ended {job.status}: {job.message}")
    assert Customer.objects.count() == job.imported_rows + len(latencies)
    return {
        "rows": job.total_rows,
        "valid": job.valid_rows,
        "errors": job.error_rows,
        "check_s": checked - started,
        "import_s": imported - confirming,
        "rss_before": before,
        "rss_check": check_rss,
        "rss_import": peak_rss_mb(),
        "writer_ms": latencies,
        # CPU seconds per step (this process, the other writer's thread taken out; + the server's
        # backend on PostgreSQL): on a machine shared with other work, the figure that compares.
        "check_cpu": (cpu1 - cpu0) + (server1 - server0),
        "import_cpu": (cpu2 - cpu1) - sum(writer_cpu) + (server2 - server1),
        "writer_failures": failures,
    }


# --- (b) search -----------------------------------------------------------------------------------


YEAR_SECONDS = 365 * 86400


def created_at(now: dt.datetime, pk: int) -> dt.datetime:
    """When bulk-loaded customer `pk` joined: spread evenly over the year before `now`."""
    return now - dt.timedelta(seconds=(pk * 7919) % YEAR_SECONDS)


def bulk_load(count: int, seed: int = 7) -> float:
    """Customers, their mobiles and tags with plain multi-row INSERTs; returns seconds taken."""
    from django.db import connection, transaction
    from django.db.models import Max
    from django.utils import timezone

    from kefu.customers.models import ContactIdentity, Customer, Tag

    rng, name = name_pools(seed)
    flat, roads = places()
    tag_ids = [Tag.objects.get_or_create(name=t)[0].pk for t in TAGS]
    now = timezone.now()
    start_id = (Customer.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    quote = connection.ops.quote_name

    fields = [f for f in Customer._meta.concrete_fields]
    template = []
    for f in fields:
        if f.null:
            value = None
        elif f.has_default():
            value = f.get_db_prep_save(f.get_default(), connection)
        elif f.get_internal_type() == "DateTimeField":
            value = f.get_db_prep_save(now, connection)
        else:
            value = ""
        template.append(value)
    position = {f.attname: i for i, f in enumerate(fields)}
    customer_sql = (
        f"INSERT INTO {quote(Customer._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    f_created = Customer._meta.get_field("created_at")
    created = ContactIdentity._meta.get_field("created_at").get_db_prep_save(now, connection)
    identity_sql = (
        f"INSERT INTO {quote(ContactIdentity._meta.db_table)} (customer_id, kind, value, created_at) "
        "VALUES (%s, %s, %s, %s)"
    )
    through = Customer.tags.through._meta.db_table
    tag_sql = f"INSERT INTO {quote(through)} (customer_id, tag_id) VALUES (%s, %s)"
    genders = ["male", "female", "unknown"]
    levels = ["regular"] * 7 + ["member"] * 2 + ["vip"]
    started = time.perf_counter()
    batch = 20_000
    for offset in range(0, count, batch):
        customers, mobiles, links = [], [], []
        for i in range(offset, min(offset + batch, count)):
            pk = start_id + i
            mobile = f"+86{BULK_MOBILE_PREFIXES[i % 4]}{(i * 7919 + 4242) % 10**8:08d}"
            province, city, district, street = rng.choice(flat)
            row = list(template)
            row[position["id"]] = pk
            row[position["name"]] = name()
            row[position["gender"]] = rng.choice(genders)
            row[position["mobile"]] = mobile
            row[position["mobile_last4"]] = mobile[-4:]
            row[position["region"]] = province
            row[position["city"]] = city
            row[position["district"]] = district
            row[position["street"]] = street
            row[position["address"]] = f"{rng.choice(roads)}{rng.randint(1, 300)}号"
            row[position["level"]] = rng.choice(levels)
            row[position["source"]] = "other"
            row[position["completeness"]] = 75
            # Created over the year before the load, as an archive grows (not all in its last
            # minute: the reports' "customers" figure and the region view read today's live).
            joined = f_created.get_db_prep_save(created_at(now, pk), connection)
            row[position["created_at"]] = row[position["updated_at"]] = joined
            customers.append(row)
            mobiles.append((pk, "mobile", mobile, created))
            for tag_id in rng.sample(tag_ids, rng.choice((0, 1, 1, 2, 3))):
                links.append((pk, tag_id))
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":  # COPY: the fast way into PostgreSQL
                for sql, rows in (
                    (customer_sql, customers),
                    (identity_sql, mobiles),
                    (tag_sql, links),
                ):
                    head = sql.split(" VALUES ")[0].replace("INSERT INTO", "COPY", 1)
                    with cursor.cursor.copy(f"{head} FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            else:
                cursor.executemany(customer_sql, customers)
                cursor.executemany(identity_sql, mobiles)
                cursor.executemany(tag_sql, links)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{Customer._meta.db_table}', 'id'), "
                f"(SELECT MAX(id) FROM {quote(Customer._meta.db_table)}))"
            )
    return time.perf_counter() - started


def bench_search(
    supervisor, queries: int, case_seconds: float, seed: int = 11
) -> dict[str, list[float]]:
    from django.db import connection

    from kefu.core.pagination import keyset_page
    from kefu.customers import selectors
    from kefu.customers.models import Customer

    rng = random.Random(seed)
    max_id = Customer.objects.order_by("-id").values_list("id", flat=True).first()
    sample_ids = [rng.randint(1, max_id) for _ in range(queries)]
    names = list(Customer.objects.filter(id__in=sample_ids).values_list("name", flat=True))
    while len(names) < queries:
        names += names
    cases = {
        "mobile last 4 digits": [{"q": f"{rng.randint(0, 9999):04d}"} for _ in range(queries)],
        "name prefix (2 chars)": [{"q": n[:2]} for n in names[:queries]],
        "tag": [{"tag": rng.choice(TAGS)} for _ in range(queries)],
    }
    results: dict[str, list[float]] = {}
    for label, params in cases.items():
        samples = []
        for filters in params[:5]:  # warm the caches the way a running server has them
            keyset_page(
                selectors.search_customers(actor=supervisor, **filters).prefetch_related("tags")
            )
        deadline = time.perf_counter() + case_seconds
        for filters in params:
            started = time.perf_counter()
            page = keyset_page(
                selectors.search_customers(actor=supervisor, **filters).prefetch_related("tags")
            )
            len(page.items)
            samples.append((time.perf_counter() - started) * 1000)
            if time.perf_counter() > deadline:
                break
        results[label] = samples
        connection.close()
    return results


def explain(supervisor) -> list[str]:
    """The query plan of one search of each kind, to say why a figure is what it is."""
    from kefu.customers import selectors

    plans = []
    for filters in ({"q": "1234"}, {"q": "张伟"}, {"tag": TAGS[0]}):
        qs = selectors.search_customers(actor=supervisor, **filters).order_by("-id")[:51]
        plans.append(
            f"{filters}: " + " | ".join(line.strip() for line in qs.explain().splitlines())
        )
    return plans


# --- main -----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=100_000, help="rows in the imported .xlsx (default 100,000)"
    )
    parser.add_argument(
        "--customers",
        type=int,
        default=1_000_000,
        help="customers bulk-loaded for search (default 1,000,000)",
    )
    parser.add_argument(
        "--queries", type=int, default=1_000, help="searches of each kind (default 1,000)"
    )
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument(
        "--case-seconds",
        type=int,
        default=120,
        help="stop sampling one kind of search after this long",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the data folder (and scratch database) to look at plans",
    )
    parser.add_argument(
        "--xlsx",
        type=Path,
        help="import this .xlsx (written before by --write-xlsx) instead of generating one; kept",
    )
    parser.add_argument(
        "--write-xlsx", type=Path, help="only write the --rows .xlsx to this path, then stop"
    )
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)  # the child process's job
    args = parser.parse_args()
    started = time.perf_counter()

    data_dir = Path(tempfile.mkdtemp(prefix="kefu-bench-customers-"))
    if args.generate or args.write_xlsx:
        os.environ.setdefault("KEFU_DATA_DIR", str(data_dir))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
        generate_xlsx(args.generate or args.write_xlsx, args.rows)
        shutil.rmtree(data_dir, ignore_errors=True)
        return

    mode, drop_database = choose_database("customers")
    try:
        print(
            f"# bench/customers — {time.strftime('%Y-%m-%d %H:%M')}, {mode}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}"
        )
        print(f"# command: {' '.join([Path(sys.executable).name, *sys.argv])}")
        print(f"# load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        setup_django(data_dir)
        supervisor = make_supervisor()
        if not args.skip_import:
            if args.xlsx:
                path = args.xlsx
                size = path.stat().st_size / 1024 / 1024
                print(f"importing {path} ({size:.1f} MB .xlsx, written before)")
            else:
                path = Path(tempfile.gettempdir()) / f"kefu-bench-customers-{os.getpid()}.xlsx"
                t0 = time.perf_counter()
                subprocess.run(  # noqa: S603
                    [sys.executable, __file__, "--generate", str(path), "--rows", str(args.rows)],
                    check=True,
                    timeout=1800,
                    env={**os.environ},
                )
                size = path.stat().st_size / 1024 / 1024
                print(
                    f"generated {args.rows:,} rows ({size:.1f} MB .xlsx) in {time.perf_counter() - t0:.1f} s"
                )
            try:
                r = bench_import(path, supervisor)
            finally:
                if not args.xlsx:
                    path.unlink(missing_ok=True)
            print()
            print(
                "| import step | rows | seconds | rows/s | CPU s (client + server) | rows per CPU s | peak RSS |"
            )
            print("|---|---:|---:|---:|---:|---:|---:|")
            both_s, both_cpu = r["check_s"] + r["import_s"], r["check_cpu"] + r["import_cpu"]
            print(
                f"| dry run (read .xlsx, check every row) | {r['rows']:,} | {r['check_s']:.1f} | "
                f"{r['rows'] / r['check_s']:,.0f} | {r['check_cpu']:.1f} | "
                f"{r['rows'] / r['check_cpu']:,.0f} | {r['rss_check']:.0f} MB |"
            )
            print(
                f"| confirm (write valid rows) | {r['valid']:,} | {r['import_s']:.1f} | "
                f"{r['valid'] / r['import_s']:,.0f} | {r['import_cpu']:.1f} | "
                f"{r['valid'] / r['import_cpu']:,.0f} | {r['rss_import']:.0f} MB |"
            )
            print(
                f"| both steps | {r['rows']:,} | {both_s:.1f} | {r['rows'] / both_s:,.0f} | "
                f"{both_cpu:.1f} | {r['rows'] / both_cpu:,.0f} | |"
            )
            print(
                f"\n{r['errors']:,} rows reported with errors; RSS before the import {r['rss_before']:.0f} MB "
                "(Django set up and migrated); peak RSS per step, reset before each"
            )
            waits = r["writer_ms"]
            if waits:
                print(
                    f"another writer during the confirm step (a customer saved every 0.1 s): "
                    f"{len(waits)} saves, p50 {statistics.median(waits):.0f} ms, "
                    f"p95 {percentile(waits, 95):.0f} ms, max {max(waits):.0f} ms"
                )
            for failure in r["writer_failures"]:
                print(f"  a save failed: {failure}")
            print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if not args.skip_search:
            from django.db import connection

            from kefu.customers.models import Customer

            seconds = bulk_load(args.customers)
            print(
                f"\nbulk-loaded {args.customers:,} customers (+ mobiles, tags) in {seconds:.1f} s; "
                f"archive now {Customer.objects.count():,} customers"
            )
            print()
            print(
                "| search (first page of 50, as a supervisor) | planner statistics | samples | p50 ms | p95 ms | p99 ms | max ms |"
            )
            print("|---|---|---:|---:|---:|---:|---:|")
            plans = {}
            for stats in ("none", "ANALYZE"):
                if (
                    stats == "ANALYZE"
                ):  # PostgreSQL's autovacuum does this soon after a load; SQLite never does by itself
                    with connection.cursor() as cursor:
                        cursor.execute("ANALYZE")
                results = bench_search(supervisor, args.queries, args.case_seconds)
                for label, samples in results.items():
                    print(
                        f"| {label} | {stats} | {len(samples)} | {statistics.median(samples):.1f} | "
                        f"{percentile(samples, 95):.1f} | {percentile(samples, 99):.1f} | {max(samples):.1f} |"
                    )
                plans[stats] = explain(supervisor)
            for stats, lines in plans.items():
                print(f"\nplans, statistics {stats}:")
                for line in lines:
                    print(f"  {line}")
        print(f"\ntotal {time.perf_counter() - started:.0f} s")
    finally:
        clean_up(data_dir=data_dir, keep=args.keep, drop_database=drop_database)


if __name__ == "__main__":
    main()
