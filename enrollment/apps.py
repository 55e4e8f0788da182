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
