"""Settings for every environment; differences between environments are environment values.

Defaults give a laptop set-up (SQLite, eager Celery, files on disk, e-mails in var/mail/);
production sets DATABASE_URL, REDIS_URL, the S3 variables and EMAIL_URL (see README).
"""
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=False)
# The development key is refused by flow.settings.prod, which requires SECRET_KEY from the environment.
SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-0dZr9kq3x7wQ2mYpL5vN8tB4cF6hJ1sA3eG7uK9oP2iR5")
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
# Links in e-mails are built from this, never from the request's Host header.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "import_export",
    "csp",
    "core",
    "accounts",
    "documents",
    "privacy",
    "programs",
    "enrollment",
    "orders",
    "cohorts",
    "analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RequestIDMiddleware",
    "core.middleware.RefuseTraceMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    # A form's submission key runs it once, however often it arrives (REL-06, static/js/flow.js).
    "core.middleware.DuplicateSubmissionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.NoStoreForAuthenticatedMiddleware",
    # After the view: one audit event per registered personal-data page or download (LOG-01, LOG-03).
    "privacy.middleware.AuditMiddleware",
    # Axes goes last so that it sees the outcome of the authentication views.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "flow.urls"
WSGI_APPLICATION = "flow.wsgi.application"

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
                "accounts.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'flow.sqlite3'}")}
# Persistent connections: a new connection per request costs ~3x on list pages (performance notes).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # A dead or unreachable server fails a request in seconds instead of hanging a worker (§4 R1);
    # keepalives notice a half-open connection that a restart or a network cut left behind.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
         "keepalives_count": 3})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("email", "first_name", "last_name", "patronymic")}},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "core.validators.PasswordCompositionValidator"},
    # Flow's own words (the service, campaigns, organisations' names): AUTH-02.
    {"NAME": "accounts.validators.FlowWordsValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Staff set-password and reset links live 72 hours; citizens' login links 24 hours.
PASSWORD_SET_LINK_TTL = timedelta(hours=72)
CITIZEN_LOGIN_LINK_TTL = timedelta(hours=24)

# django-guardian: no anonymous user row (our users log in by e-mail).
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# django-axes: lock a username from one IP after 5 failures, for a finite cool-off.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# Number of trusted reverse proxies in front of gunicorn; X-Forwarded-For from other hops is ignored.
AXES_IPWARE_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

OTP_TOTP_ISSUER = "Flow"
# Every staff account (partner staff, reviewers, admin users) must bind an authenticator app
# before any page (AUTH-06). On in production (flow.settings.prod); off by default so that the
# laptop demo and the unit tests log staff in by password alone (tests/security turn it on).
TWO_FACTOR_MANDATORY = env.bool("TWO_FACTOR_MANDATORY", default=False)

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "/media/"

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Uploads: scans are up to 30 MB; anything larger is refused before it reaches a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Every upload is scanned before it is stored when a scanner is set (clamd://host:3310); a scanner
# that does not answer refuses the upload (UPL-04). Per-citizen quota of stored versions (UPL-02).
UPLOAD_SCANNER = env.str("UPLOAD_SCANNER", default="")
UPLOAD_SCANNER_TIMEOUT = env.float("UPLOAD_SCANNER_TIMEOUT", default=30.0)
CITIZEN_UPLOAD_MAX_FILES = env.int("CITIZEN_UPLOAD_MAX_FILES", default=60)
CITIZEN_UPLOAD_MAX_BYTES = env.int("CITIZEN_UPLOAD_MAX_BYTES", default=600 * 1024 * 1024)
# django-import-export in the admin checks these model permissions (ADM-04); without them it checks none.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_UPLOAD_SIZE = 30 * 1024 * 1024

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Degrades to misses while Redis is away (core/cache.py); short timeouts keep that cheap.
    CACHES = {"default": {"BACKEND": "core.cache.DegradingRedisCache", "LOCATION": REDIS_URL,
                          "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Without a broker (laptop, unit tests) tasks run in the calling process.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# Reliability (REL-02): a task is acknowledged only once it has run, and a task whose worker died
# (SIGKILL, OOM) goes back to the queue instead of being lost; every task is idempotent for that.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Every task is bounded: the soft limit raises inside the task (it records a failure), the hard
# limit kills the child. A task may set a lower limit of its own, never none.
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TASK_TIME_LIMIT = 15 * 60
# Redis redelivers an unacknowledged message after the visibility timeout: it must exceed the
# longest task and the longest countdown (the outbox's back-off is at most an hour), or a running
# task would be delivered twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60, "socket_timeout": 5,
                                   "socket_connect_timeout": 5}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request publishing a task while Redis is down must not hang: the business row and its outbox
# row are committed already, and the relay (outbox_flush) enqueues them once Redis is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2,
                                    "interval_max": 0.5}
# JSON only: a pickled message from whoever can write to Redis would run code in the worker.
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # Every five minutes: retry e-mails whose SMTP attempt failed (the outbox never loses a message).
    "outbox-flush": {"task": "core.tasks.outbox_flush_task", "schedule": timedelta(minutes=5)},
    # Hourly: delete expired export files.
    "exports-expire": {"task": "core.tasks.export_expire_task", "schedule": timedelta(hours=1)},
    # Daily at 00:10 Moscow time: documents whose check day has passed become "Просрочен".
    "applications-overdue": {"task": "enrollment.tasks.documents_mark_overdue_task",
                             "schedule": crontab(hour=0, minute=10)},
    # Daily at 00:30 Moscow time (reference §4.2): the night's automatic orders.
    "orders-automatic": {"task": "orders.tasks.automatic_orders_task", "schedule": crontab(hour=0, minute=30)},
    # Daily at 09:00: remind partner staff of document checks due today or on the next working day.
    "applications-check-reminders": {"task": "enrollment.tasks.check_reminders_task",
                                     "schedule": crontab(hour=9, minute=0)},
    # Daily at 10:00: remind citizens that tomorrow is the last day to upload the enrolment documents.
    "applications-upload-reminders": {"task": "enrollment.tasks.upload_reminders_task",
                                      "schedule": crontab(hour=10, minute=0)},
    # Hourly: forget form submission keys older than a day (REL-06).
    "form-submissions-purge": {"task": "core.tasks.form_submissions_purge_task", "schedule": timedelta(hours=1)},
    # Every ten minutes: queue again generated documents whose render task the broker lost (REL-03).
    "documents-requeue": {"task": "documents.tasks.documents_requeue_task", "schedule": timedelta(minutes=10)},
    # Daily at 09:15 Moscow time: escalate data subjects' requests past their legal due day (PDN-06).
    "privacy-requests-escalate": {"task": "privacy.tasks.subject_requests_escalate_task",
                                  "schedule": crontab(hour=9, minute=15)},
    # Daily at 03:30 Moscow time: delete stored files that no row points to (UPL-08).
    "storage-reconcile": {"task": "enrollment.tasks.storage_reconcile_task", "schedule": crontab(hour=3, minute=30)},
    # Daily at 02:30 Moscow time: destroy expired and withdrawn personal data, with destruction acts (PDN-03).
    "privacy-destroy-expired": {"task": "privacy.tasks.destroy_expired_personal_data_task",
                                "schedule": crontab(hour=2, minute=30)},
    # Every five minutes: rebuild the analytics page's summaries (seconds at 1,000,000 applications).
    "analytics-summaries": {"task": "analytics.tasks.summaries_refresh_task", "schedule": timedelta(minutes=5)},
}

EMAIL_URL = env.str("EMAIL_URL", default="filemail://var/mail")
vars().update(env.email_url_config(EMAIL_URL))
if EMAIL_URL.startswith("filemail://"):
    # django-environ drops the leading "/" of filemail:///abs/path; a relative path is the project's.
    _mail_path = EMAIL_URL.removeprefix("filemail://")
    EMAIL_FILE_PATH = _mail_path if _mail_path.startswith("/") else str(BASE_DIR / _mail_path)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Flow <noreply@flow.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Shown in the footer and on error pages: where users write about problems.
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="support@flow.local")

# Orders and qualification documents are re-keyed on Работа России within this many working days
# of reaching Flow; older open items are highlighted on the dashboard (reference §4.5).
PORTAL_REKEY_WORKING_DAYS = env.int("PORTAL_REKEY_WORKING_DAYS", default=3)

# A partner's mass notification reaches at most this many citizens (a larger list: narrow the filter).
CITIZEN_MESSAGE_MAX_RECIPIENTS = env.int("CITIZEN_MESSAGE_MAX_RECIPIENTS", default=5000)

EXPORT_TTL = timedelta(days=env.int("EXPORT_TTL_DAYS", default=7))

# Security headers (CFG-06). The production module adds HTTPS-only settings.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "core.views.csrf_failure"  # the generic 403 page with the request ID (CFG-02)
# Sessions (SESS-03, SESS-05): stored server-side in the database behind the cache, so a Redis
# restart logs nobody out; they hold only ids and timestamps, never personal data.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = 60 * 60 * 12  # the cookie never outlives the longest absolute lifetime below
# Staff see many citizens' data: 30 minutes idle, 12 hours at most (FSTEC УПД.10).
STAFF_SESSION_IDLE_SECONDS = 30 * 60
STAFF_SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60
# Citizens see only their own file and upload scans that take time to prepare: 60 minutes idle,
# 12 hours at most (a fresh e-mailed link logs them in again).
CITIZEN_SESSION_IDLE_SECONDS = 60 * 60
CITIZEN_SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
    },
}

# Error reports (ADMINS mail, the 500 page in DEBUG) never carry passport or SNILS values (PDN-11).
DEFAULT_EXCEPTION_REPORTER = "privacy.reporting.PersonalDataExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "privacy.reporting.PersonalDataReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # One record, one line: CR/LF and control characters from user data are escaped (LOG-05).
    "formatters": {"plain": {"()": "accounts.security_log.SingleLineFormatter",
                             "format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Passport and SNILS numbers are masked in every record (PDN-10, LOG-06).
    "filters": {"mask_pd": {"()": "privacy.reporting.MaskPersonalDataFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask_pd"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # flow.security: authentication events (LOG-02), see accounts/security_log.py.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"},
                "fontTools": {"level": "WARNING"}, "flow.security": {"level": "INFO"}},
}
