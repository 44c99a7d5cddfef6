"""Settings, read from the environment in this one place.

``DATABASE_URL`` picks the database (default: an SQLite file under ``REGISTRY_HOME``);
``REGISTRY_SECRET_KEY`` the signing key (default: one generated once into ``REGISTRY_HOME``).
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from registry.home import registry_home, sqlite_database

REGISTRY_HOME = registry_home()
REGISTRY_HOME.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if key := os.environ.get("REGISTRY_SECRET_KEY"):
        return key
    key_file = REGISTRY_HOME / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("REGISTRY_DEBUG") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("REGISTRY_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h]

INSTALLED_APPS = [
    "registry.web.admin_site.RegistryAdminConfig",  # django.contrib.admin, on our own site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_countries",  # country names in every language, for the country of use
    "registry.parties",
    "registry.accounts",
    "registry.units",
    "registry.transactions",
    "registry.journal",
    "registry.article6",
    "registry.access",
    "registry.notifications",
    "registry.disclosure",
    "registry.applications",
    "registry.peers",
    "registry.api",
    "ninja",
    "registry.web",
    "registry.cli",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "registry.access.audit.RecordOrigin",
    "registry.web.middleware.RecordRefusals",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "registry.web.middleware.SecondFactorRequired",
    "registry.web.middleware.TemporaryPasswordMustChange",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "registry.api.middleware.ProblemDetails",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "registry.urls"
WSGI_APPLICATION = "registry.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Before the apps' own: our copies of the admin templates whose words Django leaves in English.
        "DIRS": [Path(__file__).resolve().parent / "web" / "templates" / "admin_overrides"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "registry.web.context_processors.announcements",
                "registry.web.menu.menu",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    url = os.environ.get("DATABASE_URL")
    if url:
        config: dict[str, object] = dict(dj_database_url.parse(url))
    else:
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(sqlite_database())}
    # A server's threads keep their connection between requests (a new PostgreSQL connection is a
    # new server process), checked before each request reuses it.
    config["CONN_MAX_AGE"] = int(os.environ.get("REGISTRY_DB_CONNECTION_SECONDS", "300"))
    config["CONN_HEALTH_CHECKS"] = True
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Writers serialise on BEGIN IMMEDIATE instead of failing at their first write; WAL lets
        # readers go on meanwhile; FULL sync because an acknowledged transfer must survive a crash.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
        }
        # Tests use a file too, so that concurrent connections behave as in production.
        config["TEST"] = {"NAME": str(REGISTRY_HOME / "test-registry.sqlite3")}
    return config


DATABASES = {"default": _database()}
if os.environ.get("REGISTRY_REPLICA_URL"):
    # A PostgreSQL streaming standby of the same database: the public pages, the credit search,
    # exports and the AEF read from it (registry.replica); everything else uses the primary.
    DATABASES["replica"] = {
        **dj_database_url.parse(os.environ["REGISTRY_REPLICA_URL"]),
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},  # the test suite's replica is its database
    }
DATABASE_ROUTERS = ["registry.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "registry.access.backends.LoginIdBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "app-home"

# Failed sign-ins lock a (login ID, address) pair, or an address after many more, never a login ID
# from everywhere; each lock lasts longer than the last (see registry.access.signin). Counted in
# the database, so every server process sees the same counts.
REGISTRY_LOCKOUT_FAILURES = int(os.environ.get("REGISTRY_LOCKOUT_FAILURES", "5"))
REGISTRY_LOCKOUT_ADDRESS_FAILURES = int(os.environ.get("REGISTRY_LOCKOUT_ADDRESS_FAILURES", "50"))
REGISTRY_LOCKOUT_MINUTES = float(os.environ.get("REGISTRY_LOCKOUT_MINUTES", "15"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = "registry.access.signin.failure_limit"
AXES_COOLOFF_TIME = "registry.access.signin.cool_off"
AXES_USE_ATTEMPT_EXPIRATION = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a lock ends when it said it would
AXES_USERNAME_CALLABLE = "registry.access.signin.login_id_tried"
AXES_CLIENT_IP_CALLABLE = "registry.access.signin.client_address"
# A sign-in does not wipe the counts: someone with an account of their own could otherwise reset
# their address's count between guesses at another's password.
AXES_RESET_ON_SUCCESS = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "registry.web.views.auth.locked_out"

# Sessions end after 30 minutes without activity, and with the browser.
SESSION_COOKIE_AGE = int(os.environ.get("REGISTRY_SESSION_SECONDS", "1800"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

OTP_TOTP_ISSUER = "Carbon Registry"

EMAIL_BACKEND = os.environ.get("REGISTRY_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("REGISTRY_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("REGISTRY_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("REGISTRY_EMAIL_FROM", "registry@localhost")

# A strict Content-Security-Policy: nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Transfers to accounts not on the sender's trusted list wait this long after approval; new trusted
# accounts count only after their own delay (the EU registry's rules, configurable).
REGISTRY_UNTRUSTED_DELAY_HOURS = float(os.environ.get("REGISTRY_UNTRUSTED_DELAY_HOURS", "26"))
REGISTRY_TRUSTED_ADDITION_DELAY_HOURS = float(os.environ.get("REGISTRY_TRUSTED_ADDITION_DELAY_HOURS", "96"))
# The peer protocol (docs/interoperability.md §3): a proposal is resent unchanged for this long,
# then its state is asked; failed attempts wait 5 s, 10 s, 20 s ... at most 10 minutes.
REGISTRY_PEER_RESEND_SECONDS = float(os.environ.get("REGISTRY_PEER_RESEND_SECONDS", "240"))
REGISTRY_PEER_FIRST_RETRY_SECONDS = float(os.environ.get("REGISTRY_PEER_FIRST_RETRY_SECONDS", "5"))
REGISTRY_PEER_TIMEOUT_SECONDS = float(os.environ.get("REGISTRY_PEER_TIMEOUT_SECONDS", "10"))
# A first-transfer notice without an answer after this many attempts is given up and the
# administrators are told (500 at the default back-off: about three and a half days).
REGISTRY_PEER_NOTICE_ATTEMPTS = int(os.environ.get("REGISTRY_PEER_NOTICE_ATTEMPTS", "500"))
# Messages each peer may send (requests/seconds), counted like the API's rates.
REGISTRY_PEER_RATE = os.environ.get("REGISTRY_PEER_RATE", "600/60")

# run-due reconciles each registry with each peer registry once this many hours (docs/interoperability.md section 6).
REGISTRY_RECONCILE_HOURS = float(os.environ.get("REGISTRY_RECONCILE_HOURS", "24"))

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ja", "日本語")]
LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = REGISTRY_HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# The CSRF secret lives in the session, so a token taken from another session (even an anonymous
# one) is refused; login() rotates it.
CSRF_USE_SESSIONS = True

# REGISTRY_SECURE=1 (the default unless REGISTRY_DEBUG=1): cookies only over HTTPS, HSTS for a
# year, and plain HTTP redirected to HTTPS. Behind REGISTRY_TRUSTED_PROXIES reverse proxies, the
# request counts as HTTPS when the proxy says so in X-Forwarded-Proto (it must set that header).
REGISTRY_SECURE = os.environ.get("REGISTRY_SECURE", "0" if DEBUG else "1") == "1"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = REGISTRY_SECURE
SECURE_SSL_REDIRECT = REGISTRY_SECURE
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if REGISTRY_SECURE else 0
SECURE_REDIRECT_EXEMPT = [r"^health$"]  # the load balancer's probe speaks plain HTTP on the inside
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Blocks are shown to people in this format (see registry.core.identifiers).
REGISTRY_BLOCK_IDENTIFIER_FORMAT = os.environ.get(
    "REGISTRY_BLOCK_IDENTIFIER_FORMAT",
    "{approach}-{originating_registry}-{first_transferring_party}-{first}-{last}-{vintage}",
)

# Uploaded application documents: PDF only, at most this size, kept outside the web root and
# passed to a virus scanner (a dotted path to callable(bytes, name) that raises to refuse).
REGISTRY_UPLOADS = Path(os.environ.get("REGISTRY_UPLOADS", REGISTRY_HOME / "uploads"))
# Documents kept for an applicant who did not submit again are removed by run-due after this long.
REGISTRY_HELD_DOCUMENT_HOURS = float(os.environ.get("REGISTRY_HELD_DOCUMENT_HOURS", "24"))
REGISTRY_UPLOAD_MAX_BYTES = int(os.environ.get("REGISTRY_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
REGISTRY_VIRUS_SCANNER = os.environ.get("REGISTRY_VIRUS_SCANNER", "")
# Applications (with their documents) one client address may send, "applications/seconds".
REGISTRY_APPLICATION_RATE = os.environ.get("REGISTRY_APPLICATION_RATE", "10/3600")
# The largest request body besides uploaded files (an API request, a form): beyond it the API
# answers 413 and the web 400. Uploaded files have their own limit above.
REGISTRY_MAX_BODY_BYTES = int(os.environ.get("REGISTRY_MAX_BODY_BYTES", str(1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = REGISTRY_MAX_BODY_BYTES

# API rate limits, "requests/seconds": per token, and per client address for public operations.
REGISTRY_API_RATE = os.environ.get("REGISTRY_API_RATE", "300/60")
REGISTRY_API_ANONYMOUS_RATE = os.environ.get("REGISTRY_API_ANONYMOUS_RATE", "120/60")
# Rate limits and sign-in notices are counted in a cache every server process shares: Django's
# database cache in the registry's own database (atomic increments, see registry.api.shared_cache),
# or Redis when REGISTRY_CACHE_URL names one (redis://host:6379/0; needs the redis package).
CACHES: dict[str, dict[str, object]]
if _cache_url := os.environ.get("REGISTRY_CACHE_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}}
else:
    CACHES = {
        "default": {
            "BACKEND": "registry.api.shared_cache.DatabaseCache",
            "LOCATION": "registry_cache",
            "OPTIONS": {"MAX_ENTRIES": 100_000, "CULL_FREQUENCY": 4},
        }
    }
# Public figures are cached per journal head (never stale), in each process's memory.
CACHES["figures"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "figures"}
# How many reverse proxies stand before the server: the client address is taken that far back in
# X-Forwarded-For. With none (the default) the header is ignored, so a client cannot choose its address.
NINJA_NUM_PROXIES = int(os.environ.get("REGISTRY_TRUSTED_PROXIES", "0"))
if NINJA_NUM_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
for _name in ("REGISTRY_API_RATE", "REGISTRY_API_ANONYMOUS_RATE", "REGISTRY_APPLICATION_RATE"):
    if not re.fullmatch(r"[1-9][0-9]*/[1-9][0-9]*", globals()[_name]):
        raise ImproperlyConfigured(f"{_name} must be requests/seconds, e.g. 300/60")

# A form refused for its CSRF token is on record like every refusal.
CSRF_FAILURE_VIEW = "registry.web.views.errors.csrf_failure"

# Logs: everything to standard error, and files under REGISTRY_LOG_DIR (default
# REGISTRY_HOME/log): security.log (refusals, CSRF failures, suspicious requests, refused uploads,
# lockouts) and errors.log (server errors with their tracebacks, database outages in one line each).
# WatchedFileHandler reopens a file that logrotate moved away.
REGISTRY_LOG_DIR = Path(os.environ.get("REGISTRY_LOG_DIR", REGISTRY_HOME / "log"))
REGISTRY_LOG_DIR.mkdir(mode=0o750, parents=True, exist_ok=True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"without_outage_tracebacks": {"()": "registry.outages.WithoutOutageTracebacks"}},
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "line", "level": "WARNING"},
        "security": {
            "class": "logging.handlers.WatchedFileHandler",
            "filename": str(REGISTRY_LOG_DIR / "security.log"),
            "formatter": "line",
            "level": "INFO",
        },
        "errors": {
            "class": "logging.handlers.WatchedFileHandler",
            "filename": str(REGISTRY_LOG_DIR / "errors.log"),
            "formatter": "line",
            "level": "WARNING",
            "filters": ["without_outage_tracebacks"],
        },
    },
    "loggers": {
        "django.security": {"handlers": ["security", "console"], "level": "INFO", "propagate": False},
        "registry.security": {"handlers": ["security", "console"], "level": "INFO", "propagate": False},
        "axes": {"handlers": ["security"], "level": "WARNING", "propagate": False},
        "django.request": {
            "handlers": ["errors", "console"],
            "level": "ERROR",
            "propagate": False,
            "filters": ["without_outage_tracebacks"],
        },
        "registry.api": {"handlers": ["errors", "console"], "level": "WARNING", "propagate": False},
        "registry.outage": {"handlers": ["errors", "console"], "level": "WARNING", "propagate": False},
    },
}
