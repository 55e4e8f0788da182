"""Reactions to changes of a User row made anywhere (the admin included), not only through
accounts.services:
- deactivating a user ends all his sessions at once (SESS-04; the next request would refuse him
  anyway, since Django's backend rejects inactive users, but this also clears the session store);
- a staff member's e-mail or phone changed: the owner is told at the old address (AUTH-05).
  Citizens' contacts come from the Работа России feed and are not credentials: no notice.
"""
from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from accounts.sessions import sessions_end

User = get_user_model()
WATCHED = ("is_active", "email", "phone")


@receiver(pre_save, sender=User, dispatch_uid="flow.accounts.user_before")
def _remember_before(sender, instance, update_fields=None, **kwargs):
    instance._flow_before = None
    if instance.pk is None or (update_fields is not None and not set(WATCHED) & set(update_fields)):
        return
    instance._flow_before = sender.objects.filter(pk=instance.pk).values(*WATCHED).first()


@receiver(post_save, sender=User, dispatch_uid="flow.accounts.user_after")
def _react_to_changes(sender, instance, created, **kwargs):
    before = getattr(instance, "_flow_before", None)
    if created or not before:
        return
    if before["is_active"] and not instance.is_active:
        sessions_end(user=instance, reason="deactivated")
    if instance.is_citizen or not instance.is_active:
        return
    from accounts.services import security_notice_send

    if before["email"].lower() != instance.email.lower():
        # To the old address: whoever changed it may hold the new one.
        security_notice_send(user=instance, change="email_change", to=before["email"])
    if before["phone"] != instance.phone:
        security_notice_send(user=instance, change="phone_change")
