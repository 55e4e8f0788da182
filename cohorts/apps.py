from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CohortsConfig(AppConfig):
    name = "cohorts"
    verbose_name = _("Потоки и отчётность")

    def ready(self):
        from cohorts import privacy  # noqa: F401 - audited cohort files, the acts' legal hold
