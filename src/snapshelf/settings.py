"""Django settings, all from environment variables (see snapshelf.env) with safe defaults.

Embedded default: SQLite and the Huey queue in the data directory. Set
DATABASE_URL for PostgreSQL.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import dj_database_url

from snapshelf import config, env

DATA_DIR = config.data_dir()
SECRET_KEY = config.secret_key(DATA_DIR)
DEBUG = env.get("SNAPSHELF_DEBUG")
#: Host names requests may carry (Django refuses others with 400), so no page is built
#: from a Host header an attacker chose. Loopback names are always allowed: the image's
#: health check and an operator's own `curl 127.0.0.1` use them. `snapshelf serve` on any
#: other address refuses to start without SNAPSHELF_ALLOWED_HOSTS.
LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
ALLOWED_HOSTS = [*env.get("SNAPSHELF_ALLOWED_HOSTS"), *LOOPBACK_HOSTS]
#: The public address of the web UI (no trailing slash); when set, absolute URLs the web
#: hands out to be used elsewhere (the bookmarklet, private feeds) are built from it
#: rather than from the request.
SNAPSHELF_BASE_URL = env.get("SNAPSHELF_BASE_URL")
CSRF_TRUSTED_ORIGINS = env.get("SNAPSHELF_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # No "huey.contrib.djhuey": as an app it would load Huey (and Redis' and psycopg's
    # clients) in every process; the modules that queue or run tasks import it.
    "snapshelf.accounts",
    "snapshelf.library",
    "snapshelf.reading",
    "snapshelf.web",
    "snapshelf.jobs",
    "snapshelf.search",
    "snapshelf.related",
    "snapshelf.io",
]

#: django-ninja's templates and static files (the API docs' pages, scripts and styles come
#: from them, not a CDN), found without importing it: as an installed app, ninja (and
#: pydantic, ~0.1 s) loaded in every process, for a page only /api/v1/docs shows.
NINJA_DIR = Path(find_spec("ninja").origin).parent

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
    "snapshelf.api.middleware.json_errors",
]

ROOT_URLCONF = "snapshelf.urls"
WSGI_APPLICATION = "snapshelf.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [NINJA_DIR / "templates"],
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
_database_url = env.get("DATABASE_URL")
DATABASES = {
    "default": dj_database_url.parse(
        _database_url or f"sqlite:///{_sqlite_path}",
        conn_max_age=0 if not _database_url else 60,
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
TIME_ZONE = env.get("SNAPSHELF_TIME_ZONE")
USE_I18N = True
USE_TZ = True

LOCALE_PATHS = [Path(__file__).parent / "locale"]

STATIC_URL = "static/"
# Static files come straight from the apps (no collectstatic step), served by WhiteNoise;
# STATIC_ROOT is only for operators who run collectstatic for a reverse proxy.
STATIC_ROOT = env.get("SNAPSHELF_STATIC_ROOT")
STATICFILES_DIRS = [NINJA_DIR / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

#: Anyone may create an account on the sign-up page only when the operator says so ("1");
#: by default only the CLI and the admin add users, since a server reachable from the
#: internet would otherwise hand captures and storage to strangers.
SNAPSHELF_OPEN_SIGNUP = env.get("SNAPSHELF_OPEN_SIGNUP")
#: Accounts one client address may create per hour on the sign-up page (0: no limit).
SNAPSHELF_SIGNUPS_PER_HOUR = env.get("SNAPSHELF_SIGNUPS_PER_HOUR")
#: Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR networks), so
#: the per-address limits count clients, not the proxy (snapshelf.accounts.ratelimit).
SNAPSHELF_TRUSTED_PROXIES = env.get("SNAPSHELF_TRUSTED_PROXIES")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
#: Single sign-on with an OpenID Connect provider (snapshelf.accounts.oidc): on when an
#: issuer and a client id are set. The backend does nothing while it is off.
SNAPSHELF_OIDC = {
    "issuer": env.get("SNAPSHELF_OIDC_ISSUER"),
    "client_id": env.get("SNAPSHELF_OIDC_CLIENT_ID"),
    "client_secret": env.get("SNAPSHELF_OIDC_CLIENT_SECRET"),
    "name": env.get("SNAPSHELF_OIDC_NAME"),
    "create_users": env.get("SNAPSHELF_OIDC_CREATE_USERS"),
}
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "snapshelf.accounts.oidc.Backend",
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
#: Behind HTTPS (directly or via a proxy that sets X-Forwarded-Proto): cookies only over
#: TLS, HSTS, and plain-HTTP requests redirected.
if env.get("SNAPSHELF_HTTPS"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = env.get("SNAPSHELF_HSTS_SECONDS")

#: Worker threads inside `serve` (0: none, when separate `snapshelf worker`s run) and
#: worker processes of `snapshelf worker`. One more than the cores: a capture spends part
#: of its time waiting on the network and the disk, and the extra worker fills that.
SNAPSHELF_WORKERS = env.get("SNAPSHELF_WORKERS")
#: The queue: SQLite in the data directory by default; Redis to share it between
#: machines (any number of `snapshelf worker` processes anywhere).
SNAPSHELF_REDIS_URL = env.get("SNAPSHELF_REDIS_URL")
HUEY = {
    "name": "snapshelf",
    "immediate": False,
    "results": False,
    "consumer": {"workers": max(SNAPSHELF_WORKERS, 1), "worker_type": "thread"},
}
if SNAPSHELF_REDIS_URL:
    HUEY.update(huey_class="huey.PriorityRedisHuey", url=SNAPSHELF_REDIS_URL)
    # Rate limits (log-in, captures per user) then hold across web processes.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": SNAPSHELF_REDIS_URL,
            "KEY_PREFIX": "snapshelf",
        }
    }
else:
    # Huey's SQLite queue, whose idle workers a new task wakes at once (jobs/queue.py)
    HUEY.update(
        huey_class="snapshelf.jobs.queue.WakingSqliteHuey", filename=str(DATA_DIR / "queue.sqlite3")
    )
    # Per process. Django's default keeps 300 entries: a reader coming back to a link
    # after a few hundred others paid for its related articles again. Entries are
    # small (ids, scores, terms), and every key carries the library's version.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }

# Blob storage and capture limits.
SNAPSHELF_BLOB_DIR = DATA_DIR / "blobs"
#: With a bucket set, blobs live in an S3-compatible store instead (credentials from the
#: usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables; the "s3" extra installs boto3).
SNAPSHELF_S3 = {
    "bucket": env.get("SNAPSHELF_S3_BUCKET"),
    "prefix": env.get("SNAPSHELF_S3_PREFIX"),
    "endpoint_url": env.get("SNAPSHELF_S3_ENDPOINT_URL"),
    "region_name": env.get("SNAPSHELF_S3_REGION"),
}
SNAPSHELF_CAPTURE = {
    "deadline": env.get("SNAPSHELF_CAPTURE_DEADLINE"),
    "connect_timeout": 10.0,
    "max_document_bytes": 20 * 2**20,
    "max_resource_bytes": 15 * 2**20,
    "max_snapshot_bytes": 150 * 2**20,
    "max_resources": 400,
    "concurrency": 8,
    "per_host": 6,
    # parsing and extraction run in a helper process with these limits (capture/isolate.py)
    "parse_cpu_seconds": env.get("SNAPSHELF_PARSE_CPU_SECONDS"),
    "parse_memory_bytes": env.get("SNAPSHELF_PARSE_MEMORY_MB") * 2**20,
}
#: A page sent from the user's browser (the "save this page as I see it" bookmarklet) may
#: be as large as a fetched document.
DATA_UPLOAD_MAX_MEMORY_SIZE = SNAPSHELF_CAPTURE["max_document_bytes"] + 2**20
#: Transient capture failures are retried with exponential backoff and jitter; a capture
#: still `running` after `lease` seconds (its worker died) is queued again.
SNAPSHELF_RETRY = {
    "attempts": env.get("SNAPSHELF_CAPTURE_ATTEMPTS"),
    "base_delay": env.get("SNAPSHELF_RETRY_BASE_DELAY"),
    "max_delay": 600.0,
    "lease": env.get("SNAPSHELF_CAPTURE_LEASE") or SNAPSHELF_CAPTURE["deadline"] * 2 + 60,
}
#: The daily orphan sweep removes blobs referenced by nothing only once they are this old
#: (seconds), so a capture or upload still writing its blobs is never swept.
SNAPSHELF_GC_GRACE = env.get("SNAPSHELF_GC_GRACE")
#: Captures of one destination host running at once, over all workers (0: no limit).
SNAPSHELF_HOST_CAPTURES = env.get("SNAPSHELF_HOST_CAPTURES")
#: Captures one user may queue per hour from the web UI (add, save page, re-snapshot;
#: 0: no limit). The CLI is the operator's and is not limited.
SNAPSHELF_USER_CAPTURES_PER_HOUR = env.get("SNAPSHELF_USER_CAPTURES_PER_HOUR")
#: Captured bytes one user may keep (superusers: no limit; 0: no limit). Unset, it follows
#: who may have an account: 2 GB each when anyone may sign up (strangers must not be able
#: to fill the disk), no limit when the operator made every account (the embedded
#: single-user default), since there the disk is the operator's own to fill.
_storage_mb = env.get("SNAPSHELF_USER_STORAGE_MB")
if _storage_mb is None:
    _storage_mb = 2048 if SNAPSHELF_OPEN_SIGNUP else 0
SNAPSHELF_USER_STORAGE_BYTES = _storage_mb * 2**20
#: REST API requests one token may make per minute (0: no limit); over it, 429.
SNAPSHELF_API_REQUESTS_PER_MINUTE = env.get("SNAPSHELF_API_REQUESTS_PER_MINUTE")
#: Archived-content URLs carry a signed capability valid this long (seconds).
SNAPSHELF_ARCHIVE_TOKEN_AGE = 6 * 3600
SNAPSHELF_ARCHIVE_ORIGIN = env.get("SNAPSHELF_ARCHIVE_ORIGIN")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.get("SNAPSHELF_LOG_LEVEL")},
    # trafilatura warns "discarding data" for every page without a main text: that is
    # an outcome our extraction handles (it falls back), not a problem to log.
    "loggers": {"huey": {"level": "WARNING"}, "trafilatura": {"level": "ERROR"}},
}
