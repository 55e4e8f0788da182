"""Bulk admin actions over personal data are audited and rate-limited (ADM-04).

`AuditedActionsMixin` goes first in the bases of a ModelAdmin whose rows are a citizen's data: every
action it offers (its own and Django's "delete selected") writes one audit event naming the action
and how many rows it touched, and a user who has already run PRIVACY_ADMIN_ACTIONS_PER_HOUR actions
in the last hour is refused with a message instead — a runaway script or a stolen session cannot
walk the whole table through the admin.
"""
from django.conf import settings
from django.contrib import messages
from django.utils import timezone
from django.utils.translation import gettext as _

from privacy.audit import ALERT_WINDOW, audit
from privacy.models import AuditEvent

ADMIN_ACTIONS_PER_HOUR = 30


class AuditedActionsMixin:
    def get_actions(self, request):
        actions = super().get_actions(request)
        return {name: (self._audited(func, name), name, description)
                for name, (func, name, description) in actions.items()}

    def _audited(self, func, name: str):
        opts = self.model._meta

        def run(modeladmin, request, queryset):
            limit = getattr(settings, "PRIVACY_ADMIN_ACTIONS_PER_HOUR", ADMIN_ACTIONS_PER_HOUR)
            recent = AuditEvent.objects.filter(actor_id=request.user.pk, details__has_key="admin_action",
                                               created_at__gte=timezone.now() - ALERT_WINDOW).count()
            if recent >= limit:
                modeladmin.message_user(request, _("Слишком много массовых действий за час (не больше %(limit)s). "
                                                   "Повторите позже или обратитесь к администратору безопасности.")
                                        % {"limit": limit}, messages.ERROR)
                return None
            audit(action=AuditEvent.Action.CHANGE, request=request, object_type=opts.label_lower,
                  details={"admin_action": name, "count": queryset.count()})
            return func(modeladmin, request, queryset)

        run.__name__ = name
        return run
