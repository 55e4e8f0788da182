"""Tests: fast hashing, e-mail in memory, eager Celery; PostgreSQL when DATABASE_URL is set."""
from flow.settings.base import *  # noqa: F403
from flow.settings.base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                    "django.contrib.auth.hashers.Argon2PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:///:memory:")}
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=None)} if env.str(
    "TEST_DATABASE_NAME", default=None) else {}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # as in production: a dropped connection is replaced (R1)

# A tiny aggregate for testing core's FSM helper and access door without domain apps.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]  # noqa: F405
# Off-hours admin alerts (LOG-08) would make tests depend on the hour they run at; the tests of
# that rule set the working hours themselves.
PRIVACY_WORKING_HOURS = (0, 24)
