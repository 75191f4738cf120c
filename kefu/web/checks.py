"""Checks of the server's settings that `manage.py check`, `migrate` and `kefu serve` report."""

from django.conf import settings
from django.core import checks

# Besides the web threads, one `kefu serve` process reaches the database from the sockets' thread and
# the chat writer. Not counted: the worker's threads (KEFU_WORKERS) when `kefu serve` runs the worker
# in the same process instead of `kefu worker` on its own.
OTHER_CONNECTIONS = 2


@checks.register()
def web_threads_fit_the_pool(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Each web thread holds a pooled connection while it serves a request (PostgreSQL): with as many
    threads as the pool has connections, the sockets and the chat writer wait up to the pool's timeout
    for one, and requests fail with PoolTimeout under load."""
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    if not isinstance(pool, dict):
        return []
    size = pool.get("max_size", 0)
    if size >= settings.WEB_THREADS + OTHER_CONNECTIONS:
        return []
    return [
        checks.Warning(
            f"KEFU_WEB_THREADS ({settings.WEB_THREADS}) leaves too few of the database pool's "
            f"{size} connections (KEFU_DB_POOL_SIZE) for the sockets and the chat writer.",
            hint=(
                f"Set KEFU_DB_POOL_SIZE to at least {settings.WEB_THREADS + OTHER_CONNECTIONS}, "
                f"or KEFU_WEB_THREADS to at most {max(1, size - OTHER_CONNECTIONS)}."
            ),
            id="kefu.W001",
        )
    ]
