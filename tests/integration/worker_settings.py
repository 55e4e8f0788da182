"""Settings of the Celery worker the fault tests start: production's base settings (real broker,
acks late, files on disk), except static files are read from the source tree (CI runs no
collectstatic, and the PDF templates' fonts are static files)."""
from flow.settings.base import *  # noqa: F403

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
