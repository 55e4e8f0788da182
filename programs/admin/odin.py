"""The Odin import in the admin (core.admin_imports): upload → preview → confirm, with the same
service as `manage.py import_odin` — same rules, same portal lock, same batches."""
from django.utils.translation import gettext_lazy

from core.admin_imports import FeedImportAdminMixin
from programs.services.odin import FEEDS, odin_import


def may_import_odin(user) -> bool:
    """Operator reviewers and ops (superusers) import Odin files."""
    return user.is_active and (user.is_superuser or user.access.is_operator)


class OdinImportAdminMixin(FeedImportAdminMixin):
    """Adds `<changelist>/odin-import/` and an «Импорт из Odin» button to a ModelAdmin."""

    feed_import_slug = "odin-import"
    feed_import_title = gettext_lazy("Импорт из Odin")
    feed_import_kinds = [("programs", gettext_lazy("Программы")), ("cohorts", gettext_lazy("Потоки")),
                         ("results", gettext_lazy("Результаты обучения"))]
    feed_import_help = gettext_lazy(
        "С заголовком, UTF-8, разделитель «,» или «;»; столбцы — в docs/imports.md. До 5 МБ; файлы больше "
        "импортируйте командой manage.py import_odin.")
    feed_import_feeds = FEEDS
    feed_import_run = staticmethod(odin_import)
    feed_import_allowed = staticmethod(may_import_odin)
