"""Django settings for the bank CRM, read from environment variables with safe defaults."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dj_database_url
import plotly
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("BANKCRM_VAR_DIR", PROJECT_DIR / "var"))


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("DEBUG", False)
# Without a configured key only a development key is used, and never when DEBUG is off
# behind a public host: ALLOWED_HOSTS defaults to loopback.
SECRET_KEY = os.environ.get(
    "BANKCRM_SECRET_KEY", "insecure-development-key-set-BANKCRM_SECRET_KEY-in-production"
)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("BANKCRM_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    "ninja",
    "bankcrm.core",
    "bankcrm.access",
    "bankcrm.customers",
    "bankcrm.banking",
    "bankcrm.interactions",
    "bankcrm.insights",
    "bankcrm.sales",
    "bankcrm.ingest",
    "bankcrm.loyalty",
    "bankcrm.jobs",
    "bankcrm.api",
    "bankcrm.web",
    "bankcrm.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "bankcrm.access.sessions.SessionLimitsMiddleware",
    "bankcrm.access.two_factor.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "bankcrm.core.middleware.AuditContextMiddleware",
    "bankcrm.api.limits.ApiGuardMiddleware",
    "bankcrm.core.security.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "bankcrm.urls"
WSGI_APPLICATION = "bankcrm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "bankcrm.web.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("BANKCRM_DATABASE_URL", f"sqlite:///{VAR_DIR / 'bankcrm.sqlite3'}"),
        conn_max_age=int(os.environ.get("BANKCRM_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "access:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "access:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "bankcrm.core.validators.CharacterClassesValidator", "OPTIONS": {"classes": 3}},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Plotly's bundled JavaScript is served from the installed package: nothing loads from a CDN.
STATICFILES_DIRS = [("vendor/plotly", Path(plotly.__file__).parent / "package_data")]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Sessions end after 30 minutes without a request and 12 hours after log-in, whatever the
# activity (access.sessions.SessionLimitsMiddleware).
BANKCRM_SESSION_IDLE_SECONDS = int(os.environ.get("BANKCRM_SESSION_IDLE_SECONDS", str(30 * 60)))
BANKCRM_SESSION_MAX_SECONDS = int(os.environ.get("BANKCRM_SESSION_MAX_SECONDS", str(12 * 3600)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = BANKCRM_SESSION_MAX_SECONDS
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # pages carry the token (HTMX sends it from hx-headers)
# Log-in throttling: this many failures for one user name, or from one address, within the
# lock time locks further attempts until the lock time has passed since the last failure.
BANKCRM_LOGIN_MAX_FAILURES = int(os.environ.get("BANKCRM_LOGIN_MAX_FAILURES", "5"))
BANKCRM_LOGIN_MAX_FAILURES_PER_IP = int(os.environ.get("BANKCRM_LOGIN_MAX_FAILURES_PER_IP", "20"))
# Addresses or networks of the reverse proxies in front of the site ("10.0.0.1,10.1.0.0/16"):
# from them the client's address is read from X-Forwarded-For. Empty: REMOTE_ADDR is the client.
BANKCRM_TRUSTED_PROXIES = os.environ.get("BANKCRM_TRUSTED_PROXIES", "")
# Past the per-address count an address is slowed (2, 4, 8 … seconds between attempts, at most
# this), never locked: everyone behind one proxy would be locked with it.
BANKCRM_LOGIN_MAX_DELAY_SECONDS = int(os.environ.get("BANKCRM_LOGIN_MAX_DELAY_SECONDS", "60"))
# Roles that must give an authenticator code after the password (others may choose to).
BANKCRM_2FA_REQUIRED_ROLES = frozenset(
    r.strip()
    for r in os.environ.get("BANKCRM_2FA_REQUIRED_ROLES", "admin,compliance").split(",")
    if r.strip()
)
BANKCRM_LOGIN_LOCK_MINUTES = int(os.environ.get("BANKCRM_LOGIN_LOCK_MINUTES", "15"))
# `make demo` only: the log-in page names the demo's accounts (those of them that exist), the
# password `bankcrm demo` gave them and what each role should try first. Off everywhere else.
BANKCRM_DEMO_LOGINS = os.environ.get("BANKCRM_DEMO_LOGINS", "") == "1"
BANKCRM_DEMO_PASSWORD = os.environ.get("BANKCRM_DEMO_PASSWORD", "demo-pass-2026")
# No inline scripts anywhere: every script is a file served from the site itself. Inline style
# attributes stay allowed for Plotly's drawing.
BANKCRM_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Key of the audit trail's hash chain (HMAC-SHA256); derived from SECRET_KEY when unset. Keep
# it outside the database, and keep old keys: the chain is verified with the key it was made with.
BANKCRM_AUDIT_KEY = os.environ.get("BANKCRM_AUDIT_KEY", "")
# Resident ID numbers and mobiles are stored encrypted (AES-256-GCM) with keys from here:
# "id:base64key,…", the first encrypts, all decrypt (see core/crypto.py and docs/security.md
# for rotation). The keyed hash that finds them has its own key. Unset: derived from SECRET_KEY.
BANKCRM_PII_KEYS = os.environ.get("BANKCRM_PII_KEYS", "")
BANKCRM_PII_INDEX_KEY = os.environ.get("BANKCRM_PII_INDEX_KEY", "")
# Audit events are kept at least this many days (`bankcrm audit purge` archives and removes
# older ones only). The database itself refuses to remove anything younger than 183 days.
BANKCRM_AUDIT_RETENTION_DAYS = int(os.environ.get("BANKCRM_AUDIT_RETENTION_DAYS", "365"))
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if _env_bool("BANKCRM_TLS", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = _env_bool("BANKCRM_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("BANKCRM_LOG_LEVEL", "WARNING")},
    # At DEBUG these two would log template contexts (CSRF tokens, customer data) and SQL
    # parameters (identity numbers): never below INFO, whatever BANKCRM_LOG_LEVEL says.
    "loggers": {
        # Django's own console handler (DEBUG only) would print every record a second time,
        # beside the root handler's copy.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.template": {"level": "INFO"},
        "django.db.backends": {"level": "INFO"},
    },
}

# Per API token (or session user): at most this many requests per window, then 429.
BANKCRM_API_RATE_LIMIT = int(os.environ.get("BANKCRM_API_RATE_LIMIT", "600"))
BANKCRM_API_RATE_WINDOW = int(os.environ.get("BANKCRM_API_RATE_WINDOW", "60"))
# How long an Idempotency-Key's first response is kept and replayed (hours).
BANKCRM_IDEMPOTENCY_HOURS = int(os.environ.get("BANKCRM_IDEMPOTENCY_HOURS", "24"))
# Per user: at most this many customer searches by an identifier (a mobile, an ID number or
# part of one) per window, then the search is refused until the window ends.
BANKCRM_ID_SEARCH_LIMIT = int(os.environ.get("BANKCRM_ID_SEARCH_LIMIT", "30"))
BANKCRM_ID_SEARCH_WINDOW = int(os.environ.get("BANKCRM_ID_SEARCH_WINDOW", "600"))
# Rate-limit counters live in the cache: Redis when BANKCRM_CACHE_URL is set (shared by every
# worker process), else this process's memory.
if os.environ.get("BANKCRM_CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["BANKCRM_CACHE_URL"],
        }
    }

NINJA_PAGINATION_PER_PAGE = 50
BANKCRM_PAGE_SIZE = 25

# Scheduled jobs: a task run every day at a local time (HH:MM, TIME_ZONE) by Celery beat, or
# now by `bankcrm scheduler --once` (for cron). Later apps add their sweeps here.
BANKCRM_SCHEDULE = [
    # The analytics run after the nightly core-banking load.
    {
        "name": "analytics",
        "at": os.environ.get("BANKCRM_ANALYTICS_AT", "02:30"),
        "task": "bankcrm.insights.tasks.analytics_run_task",
    },
    # The audit chain checked every night: a broken chain fails the job (and is audited).
    {
        "name": "audit-verify",
        "at": os.environ.get("BANKCRM_AUDIT_VERIFY_AT", "03:30"),
        "task": "bankcrm.access.tasks.audit_verify_task",
    },
    # Audit events past the retention period archived to BANKCRM_AUDIT_ARCHIVE_DIR, then removed.
    {
        "name": "audit-retention",
        "at": os.environ.get("BANKCRM_AUDIT_RETENTION_AT", "04:00"),
        "task": "bankcrm.access.tasks.audit_retention_task",
    },
    # Finished job runs older than BANKCRM_JOB_RETENTION_DAYS removed (failures kept longer).
    {
        "name": "jobs-retention",
        "at": os.environ.get("BANKCRM_JOB_RETENTION_AT", "04:30"),
        "task": "bankcrm.jobs.tasks.jobs_retention_task",
    },
    # Loyalty: earning catch-up, expiry, AUM points and tiers, then every stored balance
    # checked against the sum of its entries (a difference fails the job).
    {
        "name": "loyalty-nightly",
        "at": os.environ.get("BANKCRM_LOYALTY_AT", "01:30"),
        "task": "bankcrm.loyalty.tasks.loyalty_nightly_task",
    },
    {
        "name": "loyalty-balance-check",
        "at": os.environ.get("BANKCRM_LOYALTY_CHECK_AT", "05:00"),
        "task": "bankcrm.loyalty.tasks.balance_check_task",
    },
]
# The sales app's task reminders, emailed to each assignee in the morning.
BANKCRM_SCHEDULE.append(
    {
        "name": "task-reminders",
        "at": os.environ.get("BANKCRM_TASK_REMINDERS_AT", "07:30"),
        "task": "bankcrm.sales.tasks.task_reminders_task",
    }
)
# Chance of winning an opportunity per stage, in percent (sales.rules.DEFAULT_PROBABILITIES).
BANKCRM_SALES_PROBABILITIES = json.loads(os.environ.get("BANKCRM_SALES_PROBABILITIES") or "{}")
# More scheduled jobs, as JSON: [{"name": …, "task": …, "at": "HH:MM" | "every": seconds}].
BANKCRM_SCHEDULE += json.loads(os.environ.get("BANKCRM_SCHEDULE_EXTRA") or "[]")
BANKCRM_JOB_RETENTION_DAYS = int(os.environ.get("BANKCRM_JOB_RETENTION_DAYS", "90"))
BANKCRM_AUDIT_ARCHIVE_DIR = Path(
    os.environ.get("BANKCRM_AUDIT_ARCHIVE_DIR", VAR_DIR / "audit-archive")
)

# --- Background jobs: Celery -----------------------------------------------------------------
# Without a broker (the embedded default) tasks run in the calling process (Celery's eager
# mode): the demo and a one-machine trial need no other service. With one, `bankcrm worker`
# and `bankcrm beat` run them.
BANKCRM_BROKER_URL = os.environ.get("BANKCRM_BROKER_URL", "")
CELERY_BROKER_URL = BANKCRM_BROKER_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not BANKCRM_BROKER_URL
# In eager mode a failed task is recorded on its job run (the Jobs page), not raised into the
# page that started it.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True  # outcomes live in the database (JobRun), not a result backend
CELERY_TASK_DEFAULT_QUEUE = "default"
# Heavy work has its own queues, so a long analytics run never delays an SLA escalation.
CELERY_TASK_ROUTES = {
    "bankcrm.ingest.tasks.*": {"queue": "imports"},
    "bankcrm.insights.tasks.*": {"queue": "analytics"},
    "bankcrm.*.tasks.send_*": {"queue": "sends"},
}
BANKCRM_QUEUES = ("imports", "analytics", "sends", "default")
# Redis hands an unacknowledged task to another worker after this many seconds: longer than
# the longest task (a 5,000,000-row import, a full analytics run).
BANKCRM_BROKER_VISIBILITY_TIMEOUT = int(
    os.environ.get("BANKCRM_BROKER_VISIBILITY_TIMEOUT", str(6 * 3600))
)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": BANKCRM_BROKER_VISIBILITY_TIMEOUT,
    # How often a worker looks for tasks whose worker died: often enough for the timeout.
    "unacked_restore_interval": min(10, max(1, BANKCRM_BROKER_VISIBILITY_TIMEOUT // 5)),
    "unacked_restore_throttle": 1 if BANKCRM_BROKER_VISIBILITY_TIMEOUT < 600 else 10,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = True  # `celery events` / Flower can watch the queues
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_BEAT_SCHEDULE_FILENAME = str(
    Path(os.environ.get("BANKCRM_BEAT_SCHEDULE_FILE", VAR_DIR / "celerybeat-schedule"))
)
# Transient failures (database or broker unreachable) retry with a growing delay, this often.
BANKCRM_JOB_MAX_RETRIES = int(os.environ.get("BANKCRM_JOB_MAX_RETRIES", "5"))

BANKCRM_IMPORT_DIR = Path(os.environ.get("BANKCRM_IMPORT_DIR", VAR_DIR / "imports"))
BANKCRM_IMPORT_MAX_UPLOAD = int(os.environ.get("BANKCRM_IMPORT_MAX_UPLOAD", str(2 << 30)))
# What one import may unpack and hold (ingest/reading.py): bytes out of gzip or a Parquet
# file's data, one CSV line, cells per row, a gzipped Parquet file unpacked to disk.
BANKCRM_IMPORT_MAX_UNPACKED_BYTES = int(
    os.environ.get("BANKCRM_IMPORT_MAX_UNPACKED_BYTES", str(8 << 30))
)
BANKCRM_IMPORT_MAX_LINE_CHARS = int(os.environ.get("BANKCRM_IMPORT_MAX_LINE_CHARS", str(1 << 20)))
BANKCRM_IMPORT_MAX_FIELDS = int(os.environ.get("BANKCRM_IMPORT_MAX_FIELDS", "500"))
BANKCRM_IMPORT_MAX_SPOOL_BYTES = int(os.environ.get("BANKCRM_IMPORT_MAX_SPOOL_BYTES", str(4 << 30)))
# Uploads larger than Django keeps in memory are written here, not to the system's /tmp.
BANKCRM_IMPORT_DIR.mkdir(parents=True, exist_ok=True)
FILE_UPLOAD_TEMP_DIR = str(BANKCRM_IMPORT_DIR)
