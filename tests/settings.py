"""Settings for the test suite: kefu's own, with a throwaway data folder per test process.

Database and Redis come from the environment exactly as in production (DATABASE_URL, REDIS_URL),
so the same suite runs in embedded and in scaled mode.
"""

import os
import tempfile

os.environ["KEFU_TESTING"] = "1"
# Each test process has its own database (pytest-django names it per xdist worker), so it needs its
# own data folder and its own Redis keys (channel layer prefix, Huey queue); parallel CI runs too.
# The xdist controller imports these settings before it starts its workers, which inherit its
# environment: a value inherited from another process is replaced, not kept (with setdefault every
# worker of a run shared the controller's KEFU_INSTANCE, and a push to `conversation.1.visitor` in
# one worker reached the visitor of the other worker's conversation 1: issue 10.8,
# tests/test_parallel_isolation.py). Processes a test starts inherit their worker's values.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
if os.environ.get("KEFU_TEST_WORKER") != _worker:
    _run = os.environ.setdefault("KEFU_TEST_RUN", str(os.getpid()))  # the controller's: one per run
    os.environ["KEFU_TEST_WORKER"] = _worker
    os.environ["KEFU_DATA_DIR"] = tempfile.mkdtemp(prefix=f"kefu-test-{_worker}-")
    os.environ["KEFU_INSTANCE"] = f"kefu-test-{_run}-{_worker}"

from kefu.settings import *  # noqa: E402, F403

# Argon2 stays the production hasher (tested in kefu/accounts/tests/test_sign_in.py); the suite
# creates hundreds of users and a fast hasher keeps it quick.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Connections held open across requests outlive the test database's teardown (async tests,
# live-server threads); close each one after use.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# The browser journeys of the chat widget run kefu's ASGI application in a thread of the test
# process (websockets need it; Django's live server speaks WSGI only). An in-memory SQLite database
# cannot be shared by that server's threads, so SQLite tests use a file in the throwaway data folder
# (Channels' documentation asks the same of its live-server tests).
if DATABASES["default"]["ENGINE"] == SQLITE_ENGINE:  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(os.environ["KEFU_DATA_DIR"], "test.sqlite3")
    }

# API rate limits count across tests (the cache outlives each test) and every test client calls from
# 127.0.0.1: off for the suite; kefu/api/tests/test_rate_limits.py sets its own.
KEFU_API_RATE_PER_TOKEN = ""
KEFU_API_RATE_PER_USER = ""
KEFU_API_RATE_PER_ADDRESS = ""
