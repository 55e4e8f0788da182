from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = _("Заявки")

    def ready(self):
        # programs sits below enrollment, so the Odin results feed learns of applications here.
        from enrollment.services.results import results_lookup, results_record
        from programs.services.odin import odin_results_backend_register

        odin_results_backend_register(lookup=results_lookup, record=results_record)

        from accounts.dashboard import register_panel

        register_panel(template_name="enrollment/partials/dashboard_overdue.html", context_for=_overdue_panel)
        from enrollment import privacy  # noqa: F401 - registers audited pages, retention, subject data


def _overdue_panel(user) -> dict | None:
    """The staff desk's "late documents" panel: shown only when something is late."""
    from enrollment.selectors import overdue_for

    overdue = overdue_for(user)
    return {"overdue": overdue} if overdue["total"] else None
