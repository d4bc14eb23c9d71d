"""Django settings for the fortycrm host project. Configuration comes from config.env."""

from __future__ import annotations

from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_EVAL, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

from config.env import BASE_DIR, UPLOAD_DIR_MODE, UPLOAD_FILE_MODE, read_env

ENV = read_env()

SECRET_KEY = ENV.secret_key
DEBUG = ENV.debug
ALLOWED_HOSTS = ENV.allowed_hosts
CSRF_TRUSTED_ORIGINS = ENV.csrf_trusted_origins

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.simple_history",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # before the libraries: its catalogue words their messages the fortycrm way ("Sie")
    "fortycrm",
    "simple_history",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_rq",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "fortycrm.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "fortycrm.uploads.NoStoreMiddleware",
    "csp.middleware.CSPMiddleware",
    # last, as django-axes asks: turns a locked-out login into the lockout page
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# empty error lists without a template (issue 13; fortycrm/form_renderer.py)
FORM_RENDERER = "fortycrm.form_renderer.DeskFormRenderer"

# --- database -------------------------------------------------------------------------
if ENV.database_url:
    # Keep connections for a minute and check a kept one before a request uses it, so a
    # restarted MariaDB (or one that closed an idle connection) costs no failed request.
    _db = dj_database_url.parse(ENV.database_url, conn_max_age=60, conn_health_checks=True)
    if _db["ENGINE"] == "django.db.backends.mysql":
        _db.setdefault("OPTIONS", {}).update({"charset": "utf8mb4", "isolation_level": "read committed"})
        _db["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
else:
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ENV.site_dir / "db.sqlite3",
        # IMMEDIATE: a writing transaction takes the write lock at BEGIN, so number
        # allocation never fails with "database is locked" half-way (R-NUM-4).
        # synchronous=NORMAL: with WAL still safe against corruption; a power cut may lose the
        # last commits, but a commit no longer waits for an fsync (customer creation from the
        # API: ~2x throughput, benchmarks/api_benchmark.py).
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
        # keep the connection between requests (as for MariaDB): opening one costs more than
        # a small query (pragmas, registering Django's SQL functions)
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and jobs -------------------------------------------------------------------
if ENV.redis_url:
    from fortycrm.caching import redis_cache

    # Redis down: cache reads miss and writes are dropped instead of failing the request
    # (lists count without the cache, rate limits count in the database); see fortycrm.caching
    CACHES = {"default": redis_cache(ENV.redis_url, key_prefix=f"fortycrm:{ENV.site}")}
    RQ_QUEUES = {"default": {"URL": ENV.redis_url, "DEFAULT_TIMEOUT": 3600}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # No Redis: jobs run synchronously in the web process (see fortycrm.jobs).
    RQ_QUEUES = {"default": {"HOST": "127.0.0.1", "PORT": 6379, "DB": 0, "ASYNC": False}}
FORTYCRM_JOBS_ASYNC = bool(ENV.redis_url)
# webhooks (fortycrm.webhooks): private/loopback targets and plain http only in development and tests
WEBHOOK_ALLOW_PRIVATE_TARGETS = ENV.webhook_allow_private_targets

# --- auth, i18n ---------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # first: refuses a locked-out user name before a password is even checked
    "config.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login lockout (django-axes, failed attempts in the database, so all workers share them):
# after FORTYCRM_LOGIN_FAILURE_LIMIT wrong passwords for one user name, even the right one is
# refused for FORTYCRM_LOGIN_COOLOFF_MINUTES. Keyed by user name only: behind the TLS proxy
# every client has the proxy's address, so an address lock would lock out everybody.
AXES_ENABLED = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = ENV.login_failure_limit
AXES_COOLOFF_TIME = timedelta(minutes=ENV.login_cooloff_minutes)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"
AXES_VERBOSE = False
# no extra admin pages in the desk (locks are lifted with `manage.py axes_reset_username`),
# and no log of every successful sign-in (only the failed attempts are kept)
AXES_ENABLE_ADMIN = False
AXES_DISABLE_ACCESS_LOG = True
# axes.W006 asks for an address in the lockout key (against rotating User-Agents or cookies,
# which do not matter for a key of the user name alone; see above why no address).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
# fortycrm's catalogue first, before every app's: it words the libraries' texts (Django's admin
# and auth, unfold, simple-history, the API-key admin, the job dashboard) for office staff and
# fills in what they leave English (issue 12)
LOCALE_PATHS = [Path(find_spec("fortycrm").origin).resolve().parent / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

# --- files --------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/files/"
MEDIA_ROOT = ENV.site_dir / "files"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# uploads are not world-readable (issue 8, item 19)
FILE_UPLOAD_PERMISSIONS = UPLOAD_FILE_MODE
FILE_UPLOAD_DIRECTORY_PERMISSIONS = UPLOAD_DIR_MODE
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
# an invoice with its 500 lines (services.billing.MAX_INVOICE_LINES) posts about 6 fields a line
DATA_UPLOAD_MAX_NUMBER_FIELDS = 4000

LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

# --- REST ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # API v1 (fortycrm.api): API keys for programs, the session for the desk.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "fortycrm.api.authentication.ApiKeyAuthentication",
        "fortycrm.api.authentication.DeskSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["fortycrm.api.permissions.ScopeOrModelPermission"],
    "DEFAULT_PAGINATION_CLASS": "fortycrm.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # body size (413) and JSON nesting depth (400) limits, see fortycrm.api.parsers
    "DEFAULT_PARSER_CLASSES": [
        "fortycrm.api.parsers.LimitedJSONParser",
        "fortycrm.api.parsers.LimitedFormParser",
        "fortycrm.api.parsers.LimitedMultiPartParser",
    ],
    # client address for rate limits: REMOTE_ADDR, or behind the TLS proxy (FORTYCRM_HTTPS=1)
    # the address that proxy puts last into X-Forwarded-For
    "NUM_PROXIES": 1 if ENV.https else 0,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
    "EXCEPTION_HANDLER": "fortycrm.api.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "fortycrm API",
    "DESCRIPTION": "Customers, contacts, locations, meters and readings of fortycrm.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from drf-spectacular-sidecar (served locally, no CDN)
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # the enum hook first (it writes the enum descriptions), then ours translates every text
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "fortycrm.api.schema.translate_descriptions",
    ],
    "ENUM_NAME_OVERRIDES": {
        "SalutationEnum": "fortycrm.models.base.Salutation",
        "CustomerKindEnum": "fortycrm.models.customers.CustomerKind",
    },
}

# --- HTTPS and browser security ------------------------------------------------------------
# FORTYCRM_HTTPS=1: the site is served over HTTPS by a TLS proxy that sends
# X-Forwarded-Proto. `manage.py check --deploy` then reports nothing (tests/ops).
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if ENV.https:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # load balancers may ask over plain HTTP
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = ENV.hsts_seconds
    SECURE_HSTS_INCLUDE_SUBDOMAINS = ENV.hsts_include_subdomains
    SECURE_HSTS_PRELOAD = ENV.hsts_preload

# Content Security Policy (django-csp 4). Scripts only from this site or with the nonce of
# the page; the desk's Alpine.js (django-unfold) evaluates its attribute expressions and
# needs 'unsafe-eval'; unfold and the import preview use style attributes ('unsafe-inline'
# for styles only). No frames, no plugins, forms post only to this site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, UNSAFE_EVAL, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# --- fortycrm -----------------------------------------------------------------------------
FORTYCRM = {
    "SITE": ENV.site,
    # site folder: site_config.json, backups/ (fortycrm_backup / fortycrm_restore)
    "SITE_DIR": ENV.site_dir,
}

from fortycrm.desk_navigation import UNFOLD  # noqa: E402,F401  (desk theme and navigation)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
