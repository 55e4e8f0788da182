from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Пользователи и организации")

    def ready(self):
        # The security log (LOG-02), the account checks (AUTH-07), reactions to User changes
        # (sessions ended at deactivation, notices of contact changes) and the session clock.
        from accounts import checks, receivers, security_log  # noqa: F401

        security_log.connect_axes()
