"""`kefu serve`: the whole system in one process tree.

Migrates, loads the demo data on first start (unless KEFU_DEMO=0 or --no-demo), then runs the
background worker and scheduler (Huey, as threads) and the web and websocket server (uvicorn, ASGI)
in this one process. One process matters in embedded mode: the in-process channel layer then
carries pushes from background tasks to browsers too, and SQLite has a single writing process.
Scaled out: `kefu serve --no-worker --web-processes 4` on web machines and `kefu worker` on worker
machines.
"""

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from kefu.demo import build_demo, demo_usernames, generate_password, saved_demo_password


class Command(BaseCommand):
    help = "Migrate, load demo data on first start, and run web, websockets, worker and scheduler."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("KEFU_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KEFU_PORT", "8000")))
        parser.add_argument("--web-processes", type=int, default=int(os.environ.get("KEFU_WEB_PROCESSES", "1")))
        parser.add_argument("--no-worker", action="store_true", help="do not start the background worker")
        parser.add_argument("--no-demo", action="store_true", help="never load demo data")
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args, host, port, web_processes, no_worker, no_demo, no_migrate, **options):
        if web_processes > 1 and not settings.REDIS_URL:
            raise CommandError("Several web processes need REDIS_URL (the in-process channel layer is per process).")
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        password = self._demo_on_first_start(no_demo)

        consumer = None
        if not no_worker:
            from huey.contrib.djhuey import HUEY

            consumer = HUEY.create_consumer(**settings.HUEY["consumer"])
            consumer.start()  # scheduler and worker threads; uvicorn then owns the signals
        self._announce(host, port, password)
        import uvicorn

        from kefu.core.server_gc import request_for_server_processes

        request_for_server_processes()

        try:
            uvicorn.run(
                "kefu.asgi:application", host=host, port=port, workers=web_processes,
                proxy_headers=True, forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
                lifespan="off", log_level=os.environ.get("KEFU_LOG_LEVEL", "info").lower(),
                # Chat frames are a few hundred bytes: compressing each cost 7% of a busy chat
                # server's time for next to nothing saved (bench/README.md, chat).
                ws_per_message_deflate=False,
            )
        finally:
            if consumer is not None:
                consumer.stop(graceful=True)

    def _demo_on_first_start(self, no_demo: bool) -> str | None:
        from kefu.accounts.models import User

        if no_demo or not settings.KEFU_LOAD_DEMO:
            return None
        if User.objects.exists():
            return saved_demo_password()
        password = os.environ.get("KEFU_DEMO_PASSWORD") or generate_password()
        self.stdout.write("Loading demo data (first start)…")
        build_demo(password=password)
        return password

    def _announce(self, host: str, port: int, password: str | None) -> None:
        shown_host = "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"kefu 客服 is starting at http://{shown_host}:{port}/"))
        if password:
            self.stdout.write(f"Demo sign-ins: {', '.join(demo_usernames())}")
            self.stdout.write(f"Password for all of them: {password}")
            self.stdout.write("admin and manager set up two-factor sign-in (an authenticator app) at first sign-in.")
        self.stdout.write("Stop with Ctrl+C.")
        self.stdout.flush()
