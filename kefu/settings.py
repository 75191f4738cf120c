"""Settings for kefu, read from the environment with safe defaults.

Embedded mode (the default): SQLite in WAL mode, an in-process channel layer and Huey on SQLite,
all under KEFU_DATA_DIR. Scaled mode: set DATABASE_URL (PostgreSQL) and REDIS_URL. Nothing else in
the code branches on the mode.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("KEFU_DATA_DIR", REPO_DIR / "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
TESTING = env_bool("KEFU_TESTING", False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
# Earlier values of SECRET_KEY, comma-separated, after a rotation: signatures made with them stay valid
# and secrets encrypted with a key derived from them stay readable (kefu/core/crypto.py).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", "")
# The key of secrets kefu must read back (e-mail inbox passwords); empty: derived from SECRET_KEY.
KEFU_SECRET_ENCRYPTION_KEY = os.environ.get("KEFU_SECRET_ENCRYPTION_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
CSRF_FAILURE_VIEW = "kefu.web.views.csrf_failure"
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)
if env_bool("SECURE_PROXY_SSL", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "huey.contrib.djhuey",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # recovery codes (kefu/accounts/services.py)
    "ninja",
    "kefu.core",
    "kefu.accounts",
    "kefu.exports",  # the one export service, used by the apps below
    "kefu.customers",
    "kefu.tickets",
    "kefu.notifications",
    "kefu.realtime",
    "kefu.replies",
    "kefu.conversations",  # after realtime: pushes about a change go out before routing reacts to it
    "kefu.telephony",
    "kefu.sms",
    "kefu.quality",
    "kefu.dispatch",
    "kefu.feedback",
    "kefu.orders",
    "kefu.aftersales",
    "kefu.visits",
    "kefu.knowledge",
    "kefu.automation",  # rules, webhooks, robots: subscribes to the apps above
    "kefu.privacy",
    "kefu.reports",
    "kefu.web",  # the application shell, above every other app
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "kefu.core.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kefu.core.middleware.CleanInputMiddleware",
    "kefu.core.middleware.RequestBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kefu.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "kefu.accounts.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "kefu.core.middleware.DomainErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kefu.urls"
ASGI_APPLICATION = "kefu.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "kefu.web.navigation.navigation",
                "kefu.notifications.context_processors.unread_notifications",
                "kefu.web.context_processors.demo_loading",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# SQLite: WAL, synchronous=NORMAL and IMMEDIATE transactions (ARCHITECTURE.md, measured facts).
# How long a writer waits for another's transaction (SQLite, and the in-process write slot before it).
SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_OPTIONS = {
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS};"
        "PRAGMA foreign_keys=ON;"
        # Each kept connection's page cache (SQLite's default is 2 MB): at 1,000,000 rows the pages'
        # indexes outgrow 2 MB and every page read them again through the OS (bench/README.md,
        # "Pages and API through long-lived worker threads": ticket list 26 → 19 ms of CPU).
        f"PRAGMA cache_size=-{int(os.environ.get('KEFU_SQLITE_CACHE_MB', '20')) * 1024};"
    ),
    "transaction_mode": "IMMEDIATE",
}
# Django's, with the process's writers taking turns at a lock instead of SQLite's busy polling.
SQLITE_ENGINE = "kefu.core.sqlite"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["ENGINE"] = SQLITE_ENGINE
        DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
    elif env_bool("KEFU_DB_POOL", True):
        # Under ASGI Django opens a connection per request unless a pool keeps them (bench/README.md,
        # tickets: 100 sessions for 100 requests); psycopg's pool, sized per process.
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": int(os.environ.get("KEFU_DB_POOL_SIZE", "10")),
            "timeout": 10,
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": SQLITE_ENGINE,
            "NAME": str(DATA_DIR / "kefu.sqlite3"),
            "OPTIONS": SQLITE_OPTIONS,
            # Keep connections: opening one per request or chat message cost 18% of the chat server's
            # time (bench/README.md, chat). A local file has nothing to time out.
            "CONN_MAX_AGE": None,
            "CONN_HEALTH_CHECKS": True,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Threads of a `kefu serve` process serving pages and the API, each keeping its database connection
# (kefu/core/asgi_handler.py): the requests served at once; at least 2 below KEFU_DB_POOL_SIZE
# (checked: kefu/web/checks.py).
WEB_THREADS = int(os.environ.get("KEFU_WEB_THREADS", "8"))

# --- Redis: channel layer, Huey -----------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# Keeps parallel test workers (and several deployments on one Redis) out of each other's keys.
KEFU_INSTANCE = os.environ.get("KEFU_INSTANCE", "kefu")

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # channels_redis' pub/sub layer, sending a batch of pushes at once (kefu/realtime/layers.py).
            "BACKEND": "kefu.realtime.layers.RedisPubSubLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{KEFU_INSTANCE}:asgi"},
        }
    }
else:
    # In process, O(recipients) per push (kefu/realtime/layers.py). Beyond `capacity` pushes waiting
    # for one socket the next is dropped (logged; at channels' default of 100 an agent's screen lost
    # most pushes, bench/README.md, chat); the database stays the record and clients catch up from
    # their last sequence number, but a busy agent should not need to.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "kefu.realtime.layers.LocalChannelLayer",
            "CONFIG": {"capacity": 2000},
        }
    }

# Django's cache: counters shared by every process in scaled mode (API rate limits, chats started
# per address); in embedded mode one process keeps them in memory.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": KEFU_INSTANCE,
        }
    }

# Outgoing webhooks and robots never reach loopback addresses (kefu/automation/outbound.py); only
# tests turn this on, to talk to a local HTTP server. Never set it in a deployment.
AUTOMATION_ALLOW_LOOPBACK = False

HUEY_IMMEDIATE = env_bool("KEFU_HUEY_IMMEDIATE", TESTING)
# A worker that could not reach its queue tries again after at most 2 s (Huey's default grows to
# 10 s), so work resumes seconds after Redis is back.
CONSUMER = {
    "workers": int(os.environ.get("KEFU_WORKERS", "2")),
    "worker_type": "thread",
    "max_delay": 2.0,
}
if REDIS_URL:
    HUEY = {
        # Keeps in the database what it cannot queue while Redis is down (kefu/core/queue.py).
        "huey_class": "kefu.core.queue.KeepingRedisHuey",
        "name": KEFU_INSTANCE,
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "utc": True,
        "consumer": CONSUMER,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": KEFU_INSTANCE,
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "utc": True,
        "consumer": CONSUMER,
    }

# --- Auth -------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["kefu.accounts.backends.RoleBackend"]
LOGIN_URL = "accounts:sign_in"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:sign_in"
PASSWORD_HASHERS = [
    # Argon2, at most KEFU_PASSWORD_HASHES_AT_ONCE hashes at a time per process (each holds 100 MiB).
    "kefu.accounts.passwords.BoundedArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
KEFU_PASSWORD_HASHES_AT_ONCE = int(os.environ.get("KEFU_PASSWORD_HASHES_AT_ONCE", "1"))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "kefu.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "kefu.accounts.passwords.LettersAndDigitsValidator"},
]
SESSION_COOKIE_AGE = int(os.environ.get("KEFU_SESSION_SECONDS", str(12 * 3600)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
OTP_TOTP_ISSUER = os.environ.get("KEFU_OTP_ISSUER", "kefu 客服")
# The admin site never shows a user's authenticator secret (django-otp's config and QR pages answer
# 403): whoever holds it can make that user's codes. A lost authenticator is reset, not copied.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Sign-in throttling: this many failures for one user name or one address within the window lock
# further attempts until the window has passed.
KEFU_SIGN_IN_MAX_FAILURES = int(os.environ.get("KEFU_SIGN_IN_MAX_FAILURES", "5"))
KEFU_SIGN_IN_MAX_FAILURES_PER_ADDRESS = int(
    os.environ.get("KEFU_SIGN_IN_MAX_FAILURES_PER_ADDRESS", "30")
)
KEFU_SIGN_IN_WINDOW_SECONDS = int(os.environ.get("KEFU_SIGN_IN_WINDOW_SECONDS", "900"))

# API rate limits (kefu/api/throttling.py): calls per API token (or signed-in user) and per network
# address, as "N/s", "N/min", "N/hour" or "N/day"; over either, 429 with Retry-After. Empty: no limit.
# API rate limits (kefu/api/throttling.py): bearer tokens are integrations (a shop system posting
# orders at 500/s, issue 15), browser calls are a person's; per address, everything together.
KEFU_API_RATE_PER_TOKEN = os.environ.get("KEFU_API_RATE_PER_TOKEN", "60000/min")
KEFU_API_RATE_PER_USER = os.environ.get("KEFU_API_RATE_PER_USER", "600/min")
KEFU_API_RATE_PER_ADDRESS = os.environ.get("KEFU_API_RATE_PER_ADDRESS", "120000/min")

# --- I18n and time ----------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True
FORMAT_MODULE_PATH = ["kefu.formats"]

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serving straight from the app folders means no collectstatic is needed before tests or a first
# start; `kefu serve` still collects into STATIC_ROOT for long-lived caching headers.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "one_line_refusals": {"()": "kefu.core.log_filters.OneLineRefusals"},
        "one_line_outages": {"()": "kefu.core.log_filters.OneLineOutages"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["one_line_refusals", "one_line_outages"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("KEFU_LOG_LEVEL", "INFO").upper()},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "huey": {"level": "WARNING", "handlers": ["console"], "propagate": False},
    },
}

# --- kefu -------------------------------------------------------------------------------------
KEFU_LOAD_DEMO = env_bool("KEFU_DEMO", True)
KEFU_SITE_NAME = _("kefu Customer Service")
# A worker whose last heartbeat is older than this is reported down by /healthz.
KEFU_WORKER_HEARTBEAT_MAX_AGE = int(os.environ.get("KEFU_WORKER_HEARTBEAT_MAX_AGE", "180"))
# Uploaded files (ticket attachments…), served only through views that check permissions. With several
# machines, put KEFU_DATA_DIR/media on shared storage.
MEDIA_ROOT = DATA_DIR / "media"
KEFU_ATTACHMENT_MAX_MB = int(os.environ.get("KEFU_ATTACHMENT_MAX_MB", "10"))

# How long a chat widget visitor's signed token stays valid (seconds; 180 days).
KEFU_VISITOR_TOKEN_MAX_AGE = int(os.environ.get("KEFU_VISITOR_TOKEN_MAX_AGE", str(180 * 24 * 3600)))
# New chats one network address may start per minute (0: no limit, e.g. for load tests).
KEFU_NEW_CHATS_PER_ADDRESS_PER_MINUTE = int(
    os.environ.get("KEFU_NEW_CHATS_PER_ADDRESS_PER_MINUTE", "10")
)
# Self-service answer look-ups (kefu/knowledge/widget_views.py) one network address may make per
# minute; over it, 429 with Retry-After (0: no limit).
KEFU_WIDGET_ANSWERS_PER_ADDRESS_PER_MINUTE = int(
    os.environ.get("KEFU_WIDGET_ANSWERS_PER_ADDRESS_PER_MINUTE", "30")
)

# The optional language model (kefu/knowledge/drafting.py): an OpenAI-compatible endpoint, e.g. a
# local model server at http://127.0.0.1:8080/v1. Empty (the default): no drafts or summaries and
# nothing is sent anywhere; the knowledge base and agent assist work without it.
KEFU_LLM_URL = os.environ.get("KEFU_LLM_URL", "")
KEFU_LLM_MODEL = os.environ.get("KEFU_LLM_MODEL", "default")
KEFU_LLM_API_KEY = os.environ.get("KEFU_LLM_API_KEY", "")
KEFU_LLM_TIMEOUT_SECONDS = float(os.environ.get("KEFU_LLM_TIMEOUT_SECONDS", "30"))

# The address people open kefu at, for links in e-mails (notifications).
KEFU_BASE_URL = os.environ.get("KEFU_BASE_URL", "http://127.0.0.1:8000")

# --- E-mail (notifications now; e-mail inboxes later) -----------------------------------------
# Without EMAIL_HOST, mail is written to the server's log instead of being sent.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "465" if env_bool("EMAIL_USE_SSL", False) else "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "kefu <noreply@localhost>")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)

# --- Phone and SMS ----------------------------------------------------------------------------
# The shared secret a telephony system signs its webhook calls with (HMAC-SHA256); empty: the
# webhook answers 503 and only calls entered by agents are recorded.
KEFU_TELEPHONY_SECRET = os.environ.get("KEFU_TELEPHONY_SECRET", "")
# How far a webhook's timestamp may be from our clock (seconds) before it is refused as a replay.
KEFU_TELEPHONY_TOLERANCE_SECONDS = int(os.environ.get("KEFU_TELEPHONY_TOLERANCE_SECONDS", "300"))
# The company name in the call script's greeting (您好，XX客服，工号…).
KEFU_COMPANY_NAME = os.environ.get("KEFU_COMPANY_NAME", "")
# console (default: written to KEFU_DATA_DIR/sms.log, nothing sent), aliyun or tencent.
KEFU_SMS_BACKEND = os.environ.get("KEFU_SMS_BACKEND", "console")
KEFU_SMS_TIMEOUT_SECONDS = int(os.environ.get("KEFU_SMS_TIMEOUT_SECONDS", "10"))
# The secret in the delivery-report URLs given to the providers (/sms/reports/aliyun/<token>/,
# /sms/reports/tencent/<token>/); they do not sign their reports. Empty: the URLs answer 404.
KEFU_SMS_CALLBACK_TOKEN = os.environ.get("KEFU_SMS_CALLBACK_TOKEN", "")
KEFU_SMS_ALIYUN = {
    "access_key_id": os.environ.get("KEFU_SMS_ALIYUN_ACCESS_KEY_ID", ""),
    "access_key_secret": os.environ.get("KEFU_SMS_ALIYUN_ACCESS_KEY_SECRET", ""),
    "sign_name": os.environ.get("KEFU_SMS_ALIYUN_SIGN_NAME", ""),
    "endpoint": os.environ.get("KEFU_SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
    "region": os.environ.get("KEFU_SMS_ALIYUN_REGION", "cn-hangzhou"),
}
KEFU_SMS_TENCENT = {
    "secret_id": os.environ.get("KEFU_SMS_TENCENT_SECRET_ID", ""),
    "secret_key": os.environ.get("KEFU_SMS_TENCENT_SECRET_KEY", ""),
    "sdk_app_id": os.environ.get("KEFU_SMS_TENCENT_SDK_APP_ID", ""),
    "sign_name": os.environ.get("KEFU_SMS_TENCENT_SIGN_NAME", ""),
    "endpoint": os.environ.get("KEFU_SMS_TENCENT_ENDPOINT", "https://sms.tencentcloudapi.com/"),
    "region": os.environ.get("KEFU_SMS_TENCENT_REGION", "ap-guangzhou"),
}

# uvicorn's websocket settings for kefu's sockets (the frame limit is the application's); named here so
# that `kefu serve` (kefu/web) needs no import of the real-time app.
KEFU_WEBSOCKET_OPTIONS = "kefu.realtime.frames.server_options"

# Orders (kefu/orders/services/promises.py): an order paid before this time (Beijing) on a working
# day, with stock, ships that day (seed 002 ⑨); otherwise on the next working day.
KEFU_SHIPPING_CUTOFF = os.environ.get("KEFU_SHIPPING_CUTOFF", "16:00")
# After-sales (kefu/aftersales/selectors.py: finance_sheet): refunds handed to finance before this
# time (Beijing) are on that day's refund sheet; later ones on the next day's.
KEFU_FINANCE_SHEET_CUTOFF = os.environ.get("KEFU_FINANCE_SHEET_CUTOFF", "17:00")
# The shared secret another system signs its feedback webhook calls with (HMAC-SHA256,
# kefu/feedback/webhook.py); empty: the webhook answers 503.
KEFU_FEEDBACK_WEBHOOK_SECRET = os.environ.get("KEFU_FEEDBACK_WEBHOOK_SECRET", "")
# How far a signed webhook's timestamp may be from our clock (seconds) before it is a replay.
KEFU_WEBHOOK_TOLERANCE_SECONDS = int(os.environ.get("KEFU_WEBHOOK_TOLERANCE_SECONDS", "300"))
# Invoices 发票 (kefu/aftersales/money.py): finance issues a requested invoice within this many working
# days.
KEFU_INVOICE_DAYS = int(os.environ.get("KEFU_INVOICE_DAYS", "7"))
