"""Settings for the test suite: kefu's own, with a throwaway data folder per test process.

Database and Redis come from the environment exactly as in production (DATABASE_URL, REDIS_URL),
so the same suite runs in embedded and in scaled mode.
"""

import os
import tempfile

os.environ["KEFU_TESTING"] = "1"
os.environ.setdefault("KEFU_DATA_DIR", tempfile.mkdtemp(prefix="kefu-test-"))
# Parallel workers (and parallel CI runs) keep their Redis keys apart.
os.environ.setdefault("KEFU_INSTANCE", f"kefu-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}")

from kefu.settings import *  # noqa: F403

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
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(os.environ["KEFU_DATA_DIR"], "test.sqlite3")}  # noqa: F405
