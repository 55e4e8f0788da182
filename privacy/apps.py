from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Персональные данные")

    def ready(self):
        # The audit trail's own retention (LOG-07) and the consent records' (PDN-01).
        from privacy import retention  # noqa: F401
        from privacy.audit import register_audited_view

        # core sits below privacy: its export download (lists of citizens) is registered here.
        register_audited_view("core:export_download", "export", object_type="core.exportjob")
