"""Settings of `make bench`: production's (flow.settings.base with DEBUG off, the cached template
loader, persistent connections, Argon2, the Redis cache and broker the bench points at) plus the
bench-only URLconf with the minimal page the applications list is compared with. The database, the
Redis DB and the media directory come from the environment the bench sets (bench/__main__.py)."""
from flow.settings.base import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
LOGGING["root"]["level"] = "WARNING"  # noqa: F405 — thousands of requests must not flood the output
LOGGING.setdefault("loggers", {})["weasyprint"] = {"level": "WARNING"}  # noqa: F405
# Production serves hashed names from collectstatic's manifest; the bench does not collect static
# files, and a URL lookup costs about the same either way.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
