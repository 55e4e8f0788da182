"""A tiny tenant-scoped aggregate used only by tests of core's building blocks
(the FSM service helper and the access door), so core is tested without domain apps."""
from django.db import models
from django_fsm import FSMField, transition
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from core.fsm import ProtectedStatusMixin
from core.models import EventBase


class WidgetQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(organization_id__in=user.access.partner_ids)


class Widget(ProtectedStatusMixin, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Черновик"
        SUBMITTED = "submitted", "Отправлен"
        APPROVED = "approved", "Одобрен"

    organization = models.ForeignKey("accounts.Organization", models.CASCADE)
    status = FSMField(max_length=20, choices=Status, default=Status.DRAFT, protected=True)

    objects = WidgetQuerySet.as_manager()

    class Meta:
        app_label = "testapp"
        permissions = [("approve_widget", "Can approve widget")]

    @transition(field=status, source=Status.DRAFT, target=Status.SUBMITTED, custom={"label": "Отправить"})
    def submit(self):
        pass
    submit.alters_data = True

    @transition(field=status, source=Status.SUBMITTED, target=Status.APPROVED,
                permission=lambda w, user: user.has_perm("testapp.approve_widget", w))
    def approve(self):
        pass
    approve.alters_data = True


class WidgetEvent(EventBase):
    subject = models.ForeignKey(Widget, models.CASCADE, related_name="events")

    class Meta(EventBase.Meta):
        app_label = "testapp"


class WidgetUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Widget, models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        app_label = "testapp"


class WidgetGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Widget, models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        app_label = "testapp"
