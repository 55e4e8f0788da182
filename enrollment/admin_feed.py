"""The РР import in the admin (core.admin_imports): upload → preview → confirm, with the same
service as `manage.py import_applications` / `import_rr_events`."""
from django.utils.translation import gettext_lazy

from core.admin_imports import FeedImportAdminMixin
from enrollment.services.feed import FEEDS, rr_import
from programs.admin.odin import may_import_odin


class RRImportAdminMixin(FeedImportAdminMixin):
    """Adds `<changelist>/rr-import/` and an «Импорт с «Работы России»» button to a ModelAdmin."""

    feed_import_slug = "rr-import"
    feed_import_title = gettext_lazy("Импорт с «Работы России»")
    feed_import_kinds = [("applications", gettext_lazy("Заявки")), ("events", gettext_lazy("События заявок"))]
    feed_import_help = gettext_lazy(
        "С заголовком, UTF-8, разделитель «,» или «;»; столбцы — в docs/imports.md. До 5 МБ; файлы больше "
        "импортируйте командами manage.py import_applications и import_rr_events.")
    feed_import_feeds = FEEDS
    feed_import_run = staticmethod(rr_import)
    # The same people as for Odin files: operator reviewers and ops.
    feed_import_allowed = staticmethod(may_import_odin)
