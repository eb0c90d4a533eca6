"""Cognate settings, read from the environment (12-factor).

Every setting has an embedded default that needs no outside service: a SQLite file,
Celery tasks run in-process, e-mail printed to the console. Production points
``DATABASE_URL`` at PostgreSQL, ``CELERY_BROKER_URL`` and ``REDIS_URL`` at Redis.
A ``.env`` file beside ``manage.py`` is read when present (``make run`` writes one).
README.md documents each variable.
"""

from __future__ import annotations

import secrets
import sys
import warnings
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"), overwrite=False)

TESTING = "pytest" in sys.modules or env.bool("COGNATE_TESTING", default=False)
DEBUG = env.bool("DEBUG", default=False)

# A secret key is required outside development and tests; an ephemeral random one
# would silently invalidate sessions and, through the derived encryption key,
# make secrets at rest undecryptable after a restart.
SECRET_KEY = env.str("SECRET_KEY", default="")
# Commands that only inspect code and schema (no request served, nothing encrypted or
# signed) may run in a bare checkout with a throwaway key.
_INSPECTING = (
    len(sys.argv) > 1
    and sys.argv[0].endswith("manage.py")
    and sys.argv[1]
    in {
        "check",
        "makemigrations",
        "showmigrations",
        "sqlmigrate",
        "help",
        "operations_table",
        "spectacular",
    }
)
if not SECRET_KEY:
    if DEBUG or TESTING or _INSPECTING:
        SECRET_KEY = "dev-" + secrets.token_urlsafe(48)
    else:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY must be set (see README.md, Settings).")

_DOMAIN_SUFFIX = env.str("COGNATE_DOMAIN_SUFFIX", default="auth.localhost")
# Pools' prefix domains ({prefix}.{COGNATE_DOMAIN_SUFFIX}) serve the hosted pages; custom
# domains must be added to ALLOWED_HOSTS.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"]) + [
    f".{_DOMAIN_SUFFIX}"
]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "userpools.apps.CognateAdminConfig",  # django.contrib.admin, its site the console's (userpools/admin_login.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "social_django",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",  # the admin console's login throttle (userpools/admin_login.py)
    "userpools",
    "identity",
    "hostedui",
]

MIDDLEWARE = [
    # A repeated wire request (POST /) and a pool's JWKS are answered in front of this chain,
    # in the headers it added the first time (config/wire/front.py, config/wire/documents.py):
    # a middleware added here must keep documents.KEY naming every request input it reads.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "hostedui.middleware.PoolDomainMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Answers a locked-out admin login with 429 (userpools/admin_login.py); not on the wire paths.
    "axes.middleware.AxesMiddleware",
]

# The wire front (config/wire/front.py): repeated POST / answered by the wire view without
# Django's handler and middleware, in the headers they added the first time. Off: every
# request goes through the whole chain (and Django logs every 4xx on django.request).
COGNATE_WIRE_FRONT = env.bool("COGNATE_WIRE_FRONT", default=True)
# Identity providers' OIDC discovery and SAML MetadataURL are fetched by the server from URLs
# the caller chose: only https and public addresses, except these IP addresses or networks
# (e.g. "10.0.0.5,192.168.0.0/24"), which may also be reached over http
# (userpools.services.idp_fetch). Empty: none.
COGNATE_IDP_PRIVATE_ADDRESSES = env.list("COGNATE_IDP_PRIVATE_ADDRESSES", default=[])

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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Storage ------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    # A health check is a "SELECT 1" round trip before each request's first query; off by
    # default (persistent connections are re-opened on error anyway), on for flaky networks.
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", env.bool("DATABASE_CONN_HEALTH_CHECKS", default=False))
    # Prepared statements: with server-side parameter binding psycopg prepares a statement a
    # connection has run 5 times, and PostgreSQL stops parsing and planning it on every run
    # (for the sign-in path's short queries planning costs more than running them; measured:
    # benchmarks/README.md, Performance mechanisms). Off (Django's default: client-side
    # binding, nothing prepared) behind a transaction-pooling PgBouncer older than 1.21,
    # which cannot keep them.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        _db_options = DATABASES["default"].setdefault("OPTIONS", {})
        _db_options.setdefault("server_side_binding", True)
        _db_options.setdefault("prepare_threshold", 5)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Take SQLite's write lock when a transaction begins: with the default (deferred)
    # mode two concurrent read-then-write transactions deadlock and one fails with
    # "database is locked" instead of waiting its turn.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("transaction_mode", "IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# The cache is shared by every server process in every configuration (docs/architecture.md,
# decisions 12 and 15): Redis, else a table in the database (its migration creates it), never a
# process's own memory, where a change made through one process would stay unseen by the
# others. Security state does not rely on the cache anyway: counters and lockouts are rows
# (userpools.services.limits), access-key records are read from the database
# (identity.services.callers).
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "cognate_cache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# --- Users and passwords (docs/architecture.md, decisions 1 and 5) ------------------------
AUTH_USER_MODEL = "userpools.User"
# Operators (staff users in no pool) sign in to the admin console; pool users never do.
# The first only refuses a locked-out admin login (django-axes, see below).
AUTHENTICATION_BACKENDS = ["userpools.admin_login.OperatorLoginThrottle", "userpools.backends.OperatorBackend"]
# Usernames are unique per pool, not globally, so the default backend's check does
# not apply; OperatorBackend looks operators up by (pool=None, username).
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
# Operators also give a TOTP code to enter the console (django-otp's OTPAdminSite, see
# userpools.admin_login.CognateAdminSite); enrol first with ``manage.py operator_totp <username>``.
# Off by default so that ``make run`` stays one step.
COGNATE_ADMIN_REQUIRE_OTP = env.bool("COGNATE_ADMIN_REQUIRE_OTP", default=False)
# The console's login is throttled by django-axes (userpools/admin_login.py): after
# COGNATE_ADMIN_LOGIN_FAILURE_LIMIT wrong passwords for a username from one address, that
# pair is refused (HTTP 429), the right password included, for the cool-off (0: until an
# operator runs ``manage.py axes_reset_username <name>``). Counts live in the database, so
# every process sees them. Pool users never sign in this way and are not affected.
AXES_ENABLED = env.bool("COGNATE_ADMIN_LOGIN_THROTTLE", default=True)
AXES_ONLY_ADMIN_SITE = True
AXES_FAILURE_LIMIT = env.int("COGNATE_ADMIN_LOGIN_FAILURE_LIMIT", default=5)
_admin_cooloff_minutes = env.int("COGNATE_ADMIN_LOGIN_COOLOFF_MINUTES", default=15)
AXES_COOLOFF_TIME = _admin_cooloff_minutes / 60 if _admin_cooloff_minutes > 0 else None  # hours, as a float
# Alternatives separated by commas, each a "+"-joined combination of username, ip_address,
# user_agent: "username+ip_address" (default) locks a username at one address only, so a
# stranger cannot lock an operator out; "username" locks it everywhere.
AXES_LOCKOUT_PARAMETERS = [
    p.split("+") if "+" in p else p for p in env.list("COGNATE_ADMIN_LOGIN_LOCKOUT_BY", default=["username+ip_address"])
]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_CLIENT_IP_CALLABLE = "userpools.admin_login.client_ip"
# How many proxies append to X-Forwarded-For in front of Cognate (the client address a failed
# login counts against is that many entries from the right); 0 uses REMOTE_ADDR.
COGNATE_ADMIN_LOGIN_PROXY_COUNT = env.int(
    "COGNATE_ADMIN_LOGIN_PROXY_COUNT", default=1 if env.bool("BEHIND_TLS_PROXY", default=False) else 0
)
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token", "csrfmiddlewaretoken"]
OTP_TOTP_ISSUER = "Cognate"

# --- Identity pools -----------------------------------------------------------------------------
# STS endpoint for pools whose credentials broker is "sts" (AssumeRoleWithWebIdentity).
COGNATE_STS_ENDPOINT = env.str("COGNATE_STS_ENDPOINT", default="")
# PEM private keys (newest first) signing GetOpenIdToken tokens; unset: one derived from SECRET_KEY.
COGNATE_IDENTITY_SIGNING_KEYS = env.list("COGNATE_IDENTITY_SIGNING_KEYS", default=[])
# Mount the example API of identity/example/ at /example/ (on under tests).
COGNATE_EXAMPLE_API = env.bool(
    "COGNATE_EXAMPLE_API", default=TESTING
)  # the label authenticator apps show for operators' codes
PASSWORD_HASHERS = [
    "userpools.hashers.CognateArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# django-oauth-toolkit: app clients are its Application model (docs/architecture.md, decision 2).
OAUTH2_PROVIDER_APPLICATION_MODEL = "userpools.AppClient"


def _pkce_required(client_id: str, *args: object) -> bool:
    # The app client's rule (hostedui.services.oauth.pkce_required), imported when first asked:
    # settings load before the apps.
    from hostedui.services.oauth import pkce_required_for_client_id

    return pkce_required_for_client_id(client_id)


OAUTH2_PROVIDER = {"PKCE_REQUIRED": _pkce_required}

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "en"
# The hosted pages' languages (the lang parameter of /oauth2/authorize and /login, else the browser's).
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "var" / "static"))
# WhiteNoise serves static files in every process (the hosted pages need no web server in
# front); without collectstatic it finds them in the apps, as runserver does.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
WHITENOISE_AUTOREFRESH = DEBUG
# Until collectstatic has run, STATIC_ROOT does not exist; the finders serve the files meanwhile.
warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")

# --- Hosted pages (hostedui) --------------------------------------------------------
# How long a browser stays signed in to a pool's hosted pages (Cognito: one hour).
COGNATE_HOSTED_SESSION_SECONDS = env.int("COGNATE_HOSTED_SESSION_SECONDS", default=3600)

# --- Celery (docs/architecture.md, decision 9) ------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or None)
# With no broker, tasks run in-process so the embedded default needs no service.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# --- E-mail -------------------------------------------------------------------
# The default prints messages only while DEBUG is on (make run); otherwise it logs that one
# went, never its body, which carries codes and temporary passwords (userpools/mail.py).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="userpools.mail.ConsoleEmailBackend")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@cognate.local")

# --- SMS (userpools.sms) ------------------------------------------------------------
COGNATE_SMS_SENDER = env.str("COGNATE_SMS_SENDER", default="userpools.sms.ConsoleSender")
COGNATE_SMS_FILE = env.str("COGNATE_SMS_FILE", default=str(BASE_DIR / "var" / "sms.jsonl"))
COGNATE_SMS_WEBHOOK_URL = env.str("COGNATE_SMS_WEBHOOK_URL", default="")
COGNATE_SMS_WEBHOOK_SECRET = env.str("COGNATE_SMS_WEBHOOK_SECRET", default="")

# --- HTTP ---------------------------------------------------------------------
# Browser SDKs (amazon-cognito-identity-js, Amplify) call POST / in CORS mode.
_cors_origins = env.list("CORS_ALLOWED_ORIGINS", default=["*"])
CORS_ALLOW_ALL_ORIGINS = _cors_origins == ["*"]
CORS_ALLOWED_ORIGINS = [] if CORS_ALLOW_ALL_ORIGINS else _cors_origins
CORS_URLS_REGEX = r"^/(oauth2/.*|[\w-]+_[0-9a-zA-Z]+/(\.well-known|oauth2)/.*)?$"
CORS_ALLOW_METHODS = ["GET", "OPTIONS", "POST"]
CORS_ALLOW_HEADERS = [
    "authorization",
    "cache-control",
    "content-type",
    "x-amz-content-sha256",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-target",
    "x-amz-user-agent",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
]
CORS_EXPOSE_HEADERS = ["x-amzn-requestid", "x-amzn-errortype", "x-amzn-errormessage", "date"]
CORS_PREFLIGHT_MAX_AGE = 86400

BEHIND_TLS_PROXY = env.bool("BEHIND_TLS_PROXY", default=False)
if not DEBUG:
    SESSION_COOKIE_HTTPONLY = True
    CSRF_COOKIE_HTTPONLY = False
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
# Served over HTTPS (an https:// public URL, or a TLS-terminating proxy in front): cookies
# are Secure, so a browser never sends the console's session or the hosted pages' session
# over plain http to the same host, and HSTS keeps browsers on HTTPS. SecurityMiddleware
# adds the HSTS header to secure requests only (behind a proxy: with BEHIND_TLS_PROXY).
# Over plain http (make run, the tests) none of this applies.
SERVING_HTTPS = env.str("COGNATE_PUBLIC_URL", default="").lower().startswith("https://") or BEHIND_TLS_PROXY
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("COGNATE_SECURE_COOKIES", default=SERVING_HTTPS)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 86400 if SERVING_HTTPS else 0)
# Pools' prefix domains are subdomains of COGNATE_DOMAIN_SUFFIX, not of the public host: off unless asked.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Usually the proxy redirects http to https; SecurityMiddleware can do it instead.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
X_FRAME_OPTIONS = "DENY"
# One-time secrets (a new access key, a new client secret) reach the operator in a
# message; keep messages server-side rather than in a signed, readable cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- REST API -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["identity.drf.SigV4Authentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Every DRF view reads JSON as the wire API does (bounded, strict: userpools/jsonbody.py).
    "DEFAULT_PARSER_CLASSES": [
        "userpools.api.parsers.JSONBodyParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "userpools.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Cognate REST API",
    "DESCRIPTION": "User pools and app clients over REST; the same services as the Cognito wire API.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI's assets are served by Cognate itself (no CDN needed).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Cognate (read through userpools.conf.cognate_settings) -----------------------
COGNATE = {
    # Origins besides https://{relying party id} (and its subdomains) that passkeys may be
    # used from, e.g. android:apk-key-hash:... for an Android app.
    "WEBAUTHN_EXTRA_ORIGINS": env.list("COGNATE_WEBAUTHN_EXTRA_ORIGINS", default=[]),
    # Public base URL: token issuer is {PUBLIC_URL}/{UserPoolId}.
    "PUBLIC_URL": env.str("COGNATE_PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/"),
    # Region prefix of pool ids; SDKs derive their region from it.
    "REGION": env.str("COGNATE_REGION", default="us-east-1"),
    "ACCOUNT_ID": env.str("COGNATE_ACCOUNT_ID", default="000000000000"),
    # Fernet keys for secrets at rest, newest first; older ones still decrypt.
    "ENCRYPTION_KEYS": env.list("COGNATE_ENCRYPTION_KEYS", default=[]),
    "DOMAIN_SUFFIX": _DOMAIN_SUFFIX,
    "MAX_CLOCK_SKEW_SECONDS": env.int("COGNATE_MAX_CLOCK_SKEW_SECONDS", default=300),
    # Identity pools: endpoints that verify social logins (tests point them at local stand-ins).
    "GOOGLE_JWKS_URL": env.str("COGNATE_GOOGLE_JWKS_URL", default="https://www.googleapis.com/oauth2/v3/certs"),
    "APPLE_JWKS_URL": env.str("COGNATE_APPLE_JWKS_URL", default="https://appleid.apple.com/auth/keys"),
    "FACEBOOK_DEBUG_TOKEN_URL": env.str(
        "COGNATE_FACEBOOK_DEBUG_TOKEN_URL", default="https://graph.facebook.com/debug_token"
    ),
    "FACEBOOK_APP_ACCESS_TOKEN": env.str("COGNATE_FACEBOOK_APP_ACCESS_TOKEN", default=""),
    "AMAZON_TOKENINFO_URL": env.str("COGNATE_AMAZON_TOKENINFO_URL", default="https://api.amazon.com/auth/o2/tokeninfo"),
    "IDENTITY_PROVIDER_TIMEOUT_SECONDS": env.int("COGNATE_IDENTITY_PROVIDER_TIMEOUT_SECONDS", default=10),
    # DNS servers ("host" or "host:port") asked for custom domains' _cognate-challenge TXT
    # records (manage.py verify_domains); empty: the system's resolver.
    "DOMAIN_VERIFICATION_NAMESERVERS": env.list("COGNATE_DOMAIN_VERIFICATION_NAMESERVERS", default=[]),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.server": {"level": "INFO"},
        "django.request": {"level": "ERROR"},
        # oauthlib logs authorization codes and tokens at DEBUG: never, whatever LOG_LEVEL says.
        "oauthlib": {"level": "INFO"},
        "oauth2_provider": {"level": "INFO"},
    },
}
