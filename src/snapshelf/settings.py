"""Django settings, all from environment variables with safe defaults.

Embedded default: SQLite and the Huey queue in the data directory. Set
DATABASE_URL for PostgreSQL.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from snapshelf import config

DATA_DIR = config.data_dir()
SECRET_KEY = config.secret_key(DATA_DIR)
DEBUG = os.environ.get("SNAPSHELF_DEBUG", "") == "1"
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("SNAPSHELF_ALLOWED_HOSTS", "*").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("SNAPSHELF_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "huey.contrib.djhuey",
    "snapshelf.accounts",
    "snapshelf.library",
    "snapshelf.web",
    "snapshelf.jobs",
    "snapshelf.search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "snapshelf.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "snapshelf.urls"
WSGI_APPLICATION = "snapshelf.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "snapshelf.web.context.snapshelf",
            ],
        },
    },
]

_sqlite_path = DATA_DIR / "snapshelf.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{_sqlite_path}",
        conn_max_age=0 if not os.environ.get("DATABASE_URL") else 60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions + a busy timeout: the web process and the
    # worker write concurrently without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
TIME_ZONE = os.environ.get("SNAPSHELF_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

LOCALE_PATHS = [Path(__file__).parent / "locale"]

STATIC_URL = "static/"
# Static files come straight from the apps (no collectstatic step), served by WhiteNoise;
# STATIC_ROOT is only for operators who run collectstatic for a reverse proxy.
STATIC_ROOT = os.environ.get("SNAPSHELF_STATIC_ROOT") or None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

#: Anyone may create an account on the sign-up page; "0" leaves only the CLI and the admin.
SNAPSHELF_OPEN_SIGNUP = os.environ.get("SNAPSHELF_OPEN_SIGNUP", "1") != "0"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
#: Behind HTTPS (directly or via a proxy that sets X-Forwarded-Proto): cookies only over
#: TLS, HSTS, and plain-HTTP requests redirected.
if os.environ.get("SNAPSHELF_HTTPS", "") == "1":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SNAPSHELF_HSTS_SECONDS", "31536000"))

#: Worker threads inside `serve` (0: none, when separate `snapshelf worker`s run) and
#: worker processes of `snapshelf worker`. One more than the cores: a capture spends part
#: of its time waiting on the network and the disk, and the extra worker fills that.
SNAPSHELF_WORKERS = int(os.environ.get("SNAPSHELF_WORKERS", str(min(os.cpu_count() or 2, 4) + 1)))
#: The queue: SQLite in the data directory by default; Redis to share it between
#: machines (any number of `snapshelf worker` processes anywhere).
SNAPSHELF_REDIS_URL = os.environ.get("SNAPSHELF_REDIS_URL", "").strip()
HUEY = {
    "name": "snapshelf",
    "immediate": False,
    "results": False,
    "consumer": {"workers": max(SNAPSHELF_WORKERS, 1), "worker_type": "thread"},
}
if SNAPSHELF_REDIS_URL:
    HUEY.update(huey_class="huey.RedisHuey", url=SNAPSHELF_REDIS_URL)
    # Rate limits (log-in, captures per user) then hold across web processes.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": SNAPSHELF_REDIS_URL,
            "KEY_PREFIX": "snapshelf",
        }
    }
else:
    HUEY.update(huey_class="huey.SqliteHuey", filename=str(DATA_DIR / "queue.sqlite3"))

# Blob storage and capture limits (DESIGN.md §7).
SNAPSHELF_BLOB_DIR = DATA_DIR / "blobs"
#: With a bucket set, blobs live in an S3-compatible store instead (credentials from the
#: usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables; the "s3" extra installs boto3).
SNAPSHELF_S3 = {
    "bucket": os.environ.get("SNAPSHELF_S3_BUCKET", "").strip(),
    "prefix": os.environ.get("SNAPSHELF_S3_PREFIX", "blobs/"),
    "endpoint_url": os.environ.get("SNAPSHELF_S3_ENDPOINT_URL", "").strip(),
    "region_name": os.environ.get("SNAPSHELF_S3_REGION", "").strip(),
}
SNAPSHELF_CAPTURE = {
    "deadline": float(os.environ.get("SNAPSHELF_CAPTURE_DEADLINE", "60")),
    "connect_timeout": 10.0,
    "max_document_bytes": 20 * 2**20,
    "max_resource_bytes": 15 * 2**20,
    "max_snapshot_bytes": 150 * 2**20,
    "max_resources": 400,
    "concurrency": 8,
    "per_host": 6,
}
#: A page sent from the user's browser (the "save this page as I see it" bookmarklet) may
#: be as large as a fetched document.
DATA_UPLOAD_MAX_MEMORY_SIZE = SNAPSHELF_CAPTURE["max_document_bytes"] + 2**20
#: Transient capture failures are retried with exponential backoff and jitter; a capture
#: still `running` after `lease` seconds (its worker died) is queued again.
SNAPSHELF_RETRY = {
    "attempts": int(os.environ.get("SNAPSHELF_CAPTURE_ATTEMPTS", "4")),
    "base_delay": float(os.environ.get("SNAPSHELF_RETRY_BASE_DELAY", "10")),
    "max_delay": 600.0,
    "lease": float(os.environ.get("SNAPSHELF_CAPTURE_LEASE", "0"))
    or SNAPSHELF_CAPTURE["deadline"] * 2 + 60,
}
#: The daily orphan sweep removes blobs referenced by nothing only once they are this old
#: (seconds), so a capture or upload still writing its blobs is never swept.
SNAPSHELF_GC_GRACE = float(os.environ.get("SNAPSHELF_GC_GRACE", str(24 * 3600)))
#: Captures of one destination host running at once, over all workers (0: no limit).
SNAPSHELF_HOST_CAPTURES = int(os.environ.get("SNAPSHELF_HOST_CAPTURES", "4"))
#: Captures one user may queue per hour from the web UI (add, save page, re-snapshot;
#: 0: no limit). The CLI is the operator's and is not limited.
SNAPSHELF_USER_CAPTURES_PER_HOUR = int(os.environ.get("SNAPSHELF_USER_CAPTURES_PER_HOUR", "1000"))
#: Archived-content URLs carry a signed capability valid this long (seconds).
SNAPSHELF_ARCHIVE_TOKEN_AGE = 6 * 3600
SNAPSHELF_ARCHIVE_ORIGIN = os.environ.get("SNAPSHELF_ARCHIVE_ORIGIN", "").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SNAPSHELF_LOG_LEVEL", "WARNING")},
    # trafilatura warns "discarding data" for every page without a main text: that is
    # an outcome our extraction handles (it falls back), not a problem to log.
    "loggers": {"huey": {"level": "WARNING"}, "trafilatura": {"level": "ERROR"}},
}
