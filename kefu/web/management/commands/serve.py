"""`kefu serve`: the whole system in one process tree.

Migrates, makes the demo sign-ins on first start (unless KEFU_DEMO=0 or --no-demo) and builds the
rest of the demo data in a background thread while serving, then runs the background worker and
scheduler (Huey, as threads) and the web and websocket server (uvicorn, ASGI) in this one process. One process matters in embedded mode: the in-process channel layer then
carries pushes from background tasks to browsers too, and SQLite has a single writing process.
Scaled out: `kefu serve --no-worker --web-processes 4` on web machines and `kefu worker` on worker
machines.
"""

import os
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from kefu.accounts.selectors import awaiting_two_factor
from kefu.demo import (
    build_history_in_background,
    build_sign_ins,
    demo_usernames,
    fit_demo_to_address,
    generate_password,
    note_interrupted_build,
    saved_demo_password,
)


class Command(BaseCommand):
    help = "Migrate, load demo data on first start, and run web, websockets, worker and scheduler."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("KEFU_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KEFU_PORT", "8000")))
        parser.add_argument(
            "--web-processes", type=int, default=int(os.environ.get("KEFU_WEB_PROCESSES", "1"))
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start the background worker"
        )
        parser.add_argument("--no-demo", action="store_true", help="never load demo data")
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args, host, port, web_processes, no_worker, no_demo, no_migrate, **options):
        from kefu.core.server_gc import bound_malloc_arenas

        bound_malloc_arenas()  # before the worker's and uvicorn's threads start allocating
        self._links_to_this_address(host, port)
        if web_processes > 1 and not settings.REDIS_URL:
            raise CommandError(
                "Several web processes need REDIS_URL (the in-process channel layer is per process)."
            )
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        password = self._demo_on_first_start(no_demo, host=host, port=port)

        consumer = None
        if not no_worker:
            from huey.contrib.djhuey import HUEY

            consumer = HUEY.create_consumer(**settings.HUEY["consumer"])
            consumer.start()  # scheduler and worker threads; uvicorn then owns the signals
        self._announce(host, port, password)
        import uvicorn
        from django.utils.module_loading import import_string

        from kefu.core.server_gc import request_for_server_processes

        server_options = import_string(settings.KEFU_WEBSOCKET_OPTIONS)

        request_for_server_processes()

        try:
            uvicorn.run(
                "kefu.asgi:application",
                host=host,
                port=port,
                workers=web_processes,
                proxy_headers=True,
                forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
                lifespan="off",
                log_level=os.environ.get("KEFU_LOG_LEVEL", "info").lower(),
                **server_options(),  # the websocket frame limit is the application's
            )
        finally:
            if consumer is not None:
                consumer.stop(graceful=True)

    @staticmethod
    def _links_to_this_address(host: str, port: int) -> None:
        """Links in e-mails and SMS (notifications, survey invitations) point at the address served,
        unless KEFU_BASE_URL names another (a proxy's public address)."""
        if os.environ.get("KEFU_BASE_URL"):
            return
        base = f"http://{_shown_host(host)}:{port}"
        os.environ["KEFU_BASE_URL"] = base  # the web processes uvicorn starts read it too
        settings.KEFU_BASE_URL = base

    def _demo_on_first_start(self, no_demo: bool, *, host: str, port: int) -> str | None:
        from kefu.accounts.models import User

        def fit_to_address() -> None:  # e.g. the demo chat widget works on pages of this address
            fit_demo_to_address(host=host, port=port)

        if no_demo or not settings.KEFU_LOAD_DEMO:
            return None
        if User.objects.exists():
            note_interrupted_build()
            password = saved_demo_password()
            if password is not None:
                fit_to_address()
            return password
        password = os.environ.get("KEFU_DEMO_PASSWORD") or generate_password()
        self.stdout.write("首次启动：正在创建演示账号… / First start: creating the demo sign-ins…")
        self.stdout.flush()
        build_sign_ins(password=password)
        threading.Thread(
            target=build_history_in_background,
            kwargs={"password": password, "then": fit_to_address},
            name="kefu-demo",
            daemon=True,
        ).start()
        self.stdout.write(
            "演示数据（客户、工单、通话、会话）在后台载入，页面顶部显示进度。"
            " / The demo history (customers, tickets, calls, chats) loads in the background;"
            " pages show its progress."
        )
        return password

    def _announce(self, host: str, port: int, password: str | None) -> None:
        shown_host = _shown_host(host)
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"kefu 客服已启动，请用浏览器打开 http://{shown_host}:{port}/"
                f" / kefu 客服 is starting at http://{shown_host}:{port}/"
            )
        )
        if password:
            self.stdout.write(f"演示账号 / Demo sign-ins: {', '.join(demo_usernames())}")
            self.stdout.write(f"统一密码 / Password for all of them: {password}")
            pending = awaiting_two_factor(demo_usernames())
            if pending:
                self.stdout.write(
                    f"{' 和 '.join(pending)} 首次登录时须设置双因素登录（手机身份验证器）。"
                    f" / {' and '.join(pending)} set up two-factor sign-in (an authenticator app)"
                    " at first sign-in."
                )
        self.stdout.write("按 Ctrl+C 停止 / Stop with Ctrl+C.")
        self.stdout.flush()


def _shown_host(host: str) -> str:
    """The address to open for a server bound to `host` (every interface: this machine's loopback)."""
    return "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104
