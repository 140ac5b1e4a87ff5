"""Settings, every value read from the environment with a safe local default.

``DJANGO_ENV=production`` switches on the production checks: the process refuses to start
without a real ``SECRET_KEY`` or with ``DEBUG`` on, and the security settings needed by
``manage.py check --deploy`` are enforced.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"  # noqa: S105 - local default only


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean from the environment ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    """Read a comma-separated list from the environment."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DJANGO_ENV = os.environ.get("DJANGO_ENV", "development").strip().lower()
PRODUCTION = DJANGO_ENV == "production"

SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

if PRODUCTION:
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production needs SECRET_KEY: at least 50 characters, 5 distinct ones."
        )
    if DEBUG:
        raise ImproperlyConfigured("DJANGO_ENV=production refuses to start with DEBUG on.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ENV=production needs ALLOWED_HOSTS.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the documentation page's scripts, served locally
    "django_filters",
    "django_htmx",
    "template_partials",
    "agencies",
    "signals_app",
    "reports",
    "agencies.apps.LoginAttemptsConfig",  # django-axes, named for the admin
]

# "intake": this process serves only the intakes (config.middleware.ServeOnlyMiddleware).
SERVE_ONLY = os.environ.get("SERVE_ONLY", "")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.ServeOnlyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.RussianByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
    # Last, as its documentation asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "signals_app.context_processors.notifications",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cur")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60"))
    )
}
# A PostgreSQL that is away or frozen: connecting gives up after DB_CONNECT_TIMEOUT seconds,
# a statement after DB_STATEMENT_TIMEOUT (0: none, for commands and workers that run long
# reports; the web servers of `make run` and production set it), and the request is a 503.
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"]["connect_timeout"] = int(os.environ.get("DB_CONNECT_TIMEOUT", "3"))
if statement_timeout := os.environ.get("DB_STATEMENT_TIMEOUT", ""):
    DATABASES["default"]["OPTIONS"]["options"] = f"-c statement_timeout={int(statement_timeout)}s"
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("Only PostgreSQL is supported (DATABASE_URL=postgres://...).")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "agencies.User"
# Failed logins are throttled per username and address (django-axes); the backend goes first.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "agencies.backends.StaffBackend"]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The client address: REMOTE_ADDR, unless the site runs behind that many trusted proxies
# (then X-Forwarded-For, which a client could forge when no proxy overwrites it).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if TRUSTED_PROXY_COUNT else ["REMOTE_ADDR"]
)
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT or None

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "signals_app:signal_list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# 152-FZ: who processes the citizens' personal data and where its policy is. Empty: «the
# regional control centre of <region>» and the policy page the product serves (/widget/privacy/).
PERSONAL_DATA_OPERATOR = os.environ.get("PERSONAL_DATA_OPERATOR", "")
PERSONAL_DATA_POLICY_URL = os.environ.get("PERSONAL_DATA_POLICY_URL", "")
# A citizen's request for their data (admin): at most this many of their signals are shown,
# exported or removed at once (a second request takes the rest).
SUBJECT_MAX_SIGNALS = 5000
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Yekaterinburg")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Serve static files from the app directories without collectstatic in development.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media")))

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "cur"),
        # A Redis that is down or frozen costs a request at most these seconds: the rate
        # limits and the wake-ups that read it let the request through (logged).
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

# Celery: the app, its broker and its queues live in config/celery.py (read from the
# environment there: a CELERY_* setting here would shadow what the tests change on the app).

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "cur@localhost")

SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Ingestion: a trained text classifier is trusted from this confidence up (a new version takes
# its threshold from here; the admin can move it per version).
CLASSIFIER_THRESHOLD = float(os.environ.get("CLASSIFIER_THRESHOLD", "0.6"))

# The queue's SLA badge turns amber once this share of the deadline's working time is used
# (the default ladder warns the agency's coordinator at 80 %).
SLA_WARNING_SHARE = float(os.environ.get("SLA_WARNING_SHARE", "0.8"))

# Where the site is reached from outside: links in e-mails are built on it.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# How often the queue's counters and new rows refresh themselves, in seconds.
QUEUE_POLL_SECONDS = int(os.environ.get("QUEUE_POLL_SECONDS", "30"))

# The batch intake takes up to 5 MB; anything larger is refused with 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The token first: its challenge makes an anonymous call a 401, not a 403.
        "signals_app.api.auth.PersonalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON under the input rules (signals_app/untrusted.py), forms for the browser's uploads.
    "DEFAULT_PARSER_CLASSES": [
        "signals_app.untrusted.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "signals_app.api.errors.api_exception_handler",
    # Per personal token (per user for browser sessions); see signals_app/api/auth.py.
    "DEFAULT_THROTTLE_RATES": {"api": os.environ.get("API_RATE", "600/min")},
}

# --- the way back out: answers to the citizen's channel, webhooks ----------------------------
VK_API_URL = os.environ.get("VK_API_URL", "https://api.vk.com/method/")
VK_API_VERSION = os.environ.get("VK_API_VERSION", "5.199")
TELEGRAM_API_URL = os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org")
MAX_API_URL = os.environ.get("MAX_API_URL", "https://platform-api2.max.ru")
OK_API_URL = os.environ.get("OK_API_URL", "https://api.ok.ru")
# OK's webhooks come from its published networks; set them to refuse anyone else.
OK_WEBHOOK_NETWORKS = [
    item.strip() for item in os.environ.get("OK_WEBHOOK_NETWORKS", "").split(",") if item.strip()
]
# Comments under an OK group's posts: the group is read every so many seconds, and a post whose
# comment count did not change is read again after so many (for the edits).
OK_COMMENTS_EVERY = int(os.environ.get("OK_COMMENTS_EVERY", "300"))
OK_COMMENTS_REREAD = int(os.environ.get("OK_COMMENTS_REREAD", "1800"))
# «Высказать мнение»: the key of the voters' identity hashes (keep it secret and never change it
# during a campaign: empty, one is derived from SECRET_KEY), and the identity provider
# (OpenID Connect: Gosuslugi's gateway in production) with the claims it gives.
VOTE_IDENTITY_KEY = os.environ.get("VOTE_IDENTITY_KEY", "")
VOTE_OIDC_DISCOVERY_URL = os.environ.get("VOTE_OIDC_DISCOVERY_URL", "")
VOTE_OIDC_CLIENT_ID = os.environ.get("VOTE_OIDC_CLIENT_ID", "")
VOTE_OIDC_CLIENT_SECRET = os.environ.get("VOTE_OIDC_CLIENT_SECRET", "")
VOTE_OIDC_SCOPES = os.environ.get("VOTE_OIDC_SCOPES", "openid")
VOTE_OIDC_BIRTHDATE_CLAIM = os.environ.get("VOTE_OIDC_BIRTHDATE_CLAIM", "birthdate")
VOTE_OIDC_OKTMO_CLAIM = os.environ.get("VOTE_OIDC_OKTMO_CLAIM", "oktmo")
# The fallback: a one-time code by SMS (through SMS_BACKEND) instead of Gosuslugi.
VOTE_PHONE_CODES = env_bool("VOTE_PHONE_CODES", True)
# SMS to callers who left only a phone: a gateway class (dotted path); empty: a call back instead.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "")
# Days an outside body has to answer a forwarded signal (59-FZ forwarding: 7).
FORWARD_DAYS = int(os.environ.get("FORWARD_DAYS", "7"))
SMS_GATEWAY_URL = os.environ.get("SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = os.environ.get("SMS_GATEWAY_TOKEN", "")
POS_API_URL = os.environ.get("POS_API_URL", "")  # the platform's answer endpoint; empty: off
POS_API_TOKEN = os.environ.get("POS_API_TOKEN", "")
EMAIL_MESSAGE_DOMAIN = os.environ.get("EMAIL_MESSAGE_DOMAIN", "cur.local")
OUTBOUND_TIMEOUT = float(os.environ.get("OUTBOUND_TIMEOUT", "10"))
OUTBOUND_MAX_ATTEMPTS = int(os.environ.get("OUTBOUND_MAX_ATTEMPTS", "8"))
OUTBOUND_BACKOFF_BASE = float(os.environ.get("OUTBOUND_BACKOFF_BASE", "30"))
OUTBOUND_BACKOFF_MAX = float(os.environ.get("OUTBOUND_BACKOFF_MAX", "3600"))
OUTBOUND_LEASE_SECONDS = int(os.environ.get("OUTBOUND_LEASE_SECONDS", "120"))
WEBHOOK_DISABLE_AFTER = int(os.environ.get("WEBHOOK_DISABLE_AFTER", "10"))

SPECTACULAR_SETTINGS = {
    "TITLE": "ЦУР: API",
    "DESCRIPTION": (
        "Signals, reference data and reports of the regional control centre. Authenticate "
        "with the browser session or `Authorization: Bearer <personal token>`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "sourceToken": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Token <secret>` of one intake source (the ingest endpoint only).",
            }
        }
    },
    "ENUM_NAME_OVERRIDES": {
        "ReportStateEnum": "reports.models.Report.State",
        "ReplyStateEnum": "signals_app.models.Reply.State",
        "ReplyKindEnum": "signals_app.models.Reply.Kind",
        "StatusEnum": "signals_app.choices.Status",
        "ChannelEnum": "signals_app.choices.Channel",
        "PriorityEnum": "signals_app.choices.Priority",
    },
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"kv": {"format": "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "kv"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # axes logs every successful login at INFO; lockouts come at WARNING.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# Demo users exist only for local evaluation; production refuses to create or log them in.
DEMO_USERS_ALLOWED = not PRODUCTION
