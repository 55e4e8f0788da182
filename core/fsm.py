"""Running state-machine transitions: the one way any service changes a `status`."""
from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm


class InvalidTransition(ValidationError):
    """The object is not in a state that allows this step (someone else may have moved it)."""


@transaction.atomic
def run_transition(obj, name: str, *, actor, comment: str = "", **kwargs):
    """Lock `obj`, check that transition `name` may run now and that `actor` may run it,
    run it, save, and write a history row through `obj.events`. Returns the fresh object.

    The row lock makes concurrent requests serialise: the second one sees the new status
    and is refused, so two reviewers can never both win.
    """
    locked = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    method = getattr(locked, name)
    if not can_proceed(method):
        raise InvalidTransition(
            _("Действие «%(action)s» недоступно в статусе «%(status)s».")
            % {"action": _transition_label(method, name), "status": locked.get_status_display()},
            code="invalid_transition",
        )
    if actor is not None and not has_transition_perm(method, actor):
        raise PermissionDenied
    source = locked.status
    method(**kwargs)
    locked.save()
    if hasattr(locked, "events"):
        locked.events.create(actor=actor, transition=name, source=source, target=locked.status,
                             comment=comment)
    return locked


class TransitionBatch:
    """`run_transition` for many objects of `model` that the caller has locked and read under the
    lock (a night's orders): each goes through the same checks (the FSM's source and conditions,
    the actor's permission) and its transition method, and gets its history row; `save` writes the
    rows with one UPDATE per set of changed values and one INSERT of the history rows, instead of a
    lock, a save and an insert per object. A refused object goes through `run_transition`, which
    raises its usual error."""

    def __init__(self, model, actor):
        self.model, self.actor, self.now = model, actor, timezone.now()
        self.event_model = model.events.rel.related_model
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.changes, self.events = defaultdict(list), []

    def run(self, objects, name: str, *, comment: str, **kwargs) -> None:
        for obj in objects:
            method = getattr(obj, name)
            if not can_proceed(method) or (self.actor is not None and not has_transition_perm(method, self.actor)):
                run_transition(obj, name, actor=self.actor, comment=comment, **kwargs)  # raises
                continue
            source = obj.status
            before = [getattr(obj, f.attname) for f in self.fields]
            method(**kwargs)
            obj.updated_at = self.now  # what save() would set (auto_now)
            after = [getattr(obj, f.attname) for f in self.fields]
            changed = tuple((f.attname, new) for f, old, new in zip(self.fields, before, after, strict=True)
                            if new != old)
            self.changes[changed].append(obj.pk)
            self.events.append(self.event_model(subject=obj, actor=self.actor, transition=name, source=source,
                                                target=obj.status, comment=comment))

    def save(self, events=()) -> None:
        """Write the transitions run so far, and any other history rows of the batch with them."""
        for changed, pks in self.changes.items():
            self.model.objects.filter(pk__in=pks).update(**dict(changed))
        if self.events or events:
            self.event_model.objects.bulk_create([*self.events, *events])


def available_transitions(obj, user) -> list[str]:
    """Names of the transitions `user` may run on `obj` now (for buttons; never re-state rules)."""
    return [t.name for t in obj.get_available_user_status_transitions(user)]


def _transition_label(method, name: str) -> str:
    meta = getattr(method, "_django_fsm", None)
    if meta is not None:
        for t in meta.transitions.values():
            label = (t.custom or {}).get("label")
            if label:
                return str(label)
    return name


class ProtectedStatusMixin:
    """For models whose FSM field is `protected=True`: lets `refresh_from_db()` reload the
    status (django-fsm refuses any direct assignment, including Django's own reload)."""

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        for field in self._meta.concrete_fields:
            if getattr(field, "protected", False) and (fields is None or field.attname in fields):
                self.__dict__.pop(field.attname, None)
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
