"""Django settings for the fortycrm host project. Configuration comes from config.env."""

from __future__ import annotations

import dj_database_url
from django.utils.translation import gettext_lazy as _

from config.env import BASE_DIR, read_env

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

# --- database -------------------------------------------------------------------------
if ENV.database_url:
    _db = dj_database_url.parse(ENV.database_url, conn_max_age=60)
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
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and jobs -------------------------------------------------------------------
if ENV.redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": ENV.redis_url,
            "KEY_PREFIX": f"fortycrm:{ENV.site}",
        }
    }
    RQ_QUEUES = {"default": {"URL": ENV.redis_url, "DEFAULT_TIMEOUT": 3600}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # No Redis: jobs run synchronously in the web process (see fortycrm.jobs).
    RQ_QUEUES = {"default": {"HOST": "127.0.0.1", "PORT": 6379, "DB": 0, "ASYNC": False}}
FORTYCRM_JOBS_ASYNC = bool(ENV.redis_url)

# --- auth, i18n ---------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
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
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

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
    "ENUM_NAME_OVERRIDES": {
        "SalutationEnum": "fortycrm.models.base.Salutation",
        "CustomerKindEnum": "fortycrm.models.customers.CustomerKind",
    },
}

# --- fortycrm -----------------------------------------------------------------------------
FORTYCRM = {
    "SITE": ENV.site,
}

from fortycrm.desk_settings import UNFOLD  # noqa: E402,F401  (desk theme and navigation)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
