"""Garbage collection and malloc tuned for the long-running web and websocket server.

With CPython's default (a young collection every 700 new objects) the short-lived objects of busy
sockets (futures, frames, pushes waiting in queues) live through two young collections and reach
the old generation; the full collections that follow stopped the event loop for 35–70 ms about
once a second with 1,000 chats open, which alone made the p99 of a message 80–130 ms instead of 25
(bench/README.md, chat). The server freezes what start-up made (never scanned again) and collects
young objects every 50,000, so most die before any collection sees them. Memory stays bounded:
what is garbage is still collected, only in larger, rarer steps.
"""

import ctypes
import gc
import os

ENV_FLAG = "KEFU_SERVER_GC"
THRESHOLDS = (50_000, 20, 100)
M_ARENA_MAX = -8  # glibc's malloc.h


def request_for_server_processes() -> None:
    """Called by `kefu serve` before uvicorn starts; its web processes inherit the flag."""
    os.environ[ENV_FLAG] = "1"


def tune_if_requested() -> None:
    """Called once the ASGI application is built (kefu/asgi.py), in each web process."""
    if os.environ.get(ENV_FLAG) == "1":
        gc.collect()
        gc.freeze()
        gc.set_threshold(*THRESHOLDS)


def bound_malloc_arenas() -> None:
    """At most KEFU_MALLOC_ARENA_MAX (default 2) glibc malloc arenas in the server process; 0 keeps glibc's
    default. glibc gives threads that allocate at once arenas of their own (up to eight per core), and
    memory freed in one arena serves only that arena: the server's threads (the event loop, the thread
    of sync views, the worker's threads) each kept their own high-water mark. Called by `kefu serve`
    before any thread starts; elsewhere (musl, macOS) there is nothing to bound."""
    arenas = int(os.environ.get("KEFU_MALLOC_ARENA_MAX", "2"))
    if arenas <= 0:
        return
    os.environ.setdefault("MALLOC_ARENA_MAX", str(arenas))  # web processes started by uvicorn
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(M_ARENA_MAX, arenas)
