"""Work queues: what needs a person now, shown as counts on their home page, each linking to the
list of its items sorted by due date with overdue items first.

An app plugs its queues in from its own `queues.py` (found automatically):

    register_queue(
        "enrollment.primary_check",
        title=_("Проверить первичные документы"),
        group=_("Документы граждан"),
        applies_to=lambda user: user.access.is_partner_staff,
        items=lambda user: selectors.primary_check_queue(user),   # scoped to the user
        order_by=("cohort__start_date", "submitted_at", "pk"),    # SQL order that follows the due date
        due_dates=lambda rows: {row.pk: deadline(row) for row in rows},   # working-day due dates
        columns=[(_("Заявка"), "rr_number"), (_("Гражданин"), "citizen.full_name")],
        url=lambda row: row.get_absolute_url(),
    )

The home page's count and the list are the same queryset, so a count always equals the rows its
link shows. Due dates are computed for the page's rows only (`due_dates` gets the page, so it can
read the working-day calendar once); `order_by` must sort them earliest due first, which puts
the overdue ones on top.
"""
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from core.exports import Accessor, resolve_accessor


class UnknownQueue(LookupError):
    """No queue is registered under this key."""


@dataclass(frozen=True)
class QueueSpec:
    key: str
    title: str
    group: str
    applies_to: Callable[[Any], bool]
    items: Callable[[Any], QuerySet]
    order_by: tuple[str, ...]
    columns: tuple[tuple[str, Accessor], ...]
    url: Callable[[Any], str] | None = None
    due_dates: Callable[[list], dict] | None = None
    position: int = 100

    def rows(self, user) -> QuerySet:
        return self.items(user).order_by(*self.order_by)


_registry: dict[str, QueueSpec] = {}
_discovered = False


def register_queue(key: str, *, title: str, group: str, applies_to: Callable, items: Callable,
                   order_by: Iterable[str], columns: Iterable[tuple[str, Accessor]], url: Callable | None = None,
                   due_dates: Callable | None = None, position: int = 100) -> QueueSpec:
    """Register a queue under `key` (convention "<app>.<queue>"); `position` orders the home page."""
    if key in _registry:
        raise ImproperlyConfigured(f"Queue {key!r} is registered twice.")
    spec = QueueSpec(key=key, title=title, group=group, applies_to=applies_to, items=items,
                     order_by=tuple(order_by), columns=tuple(columns), url=url, due_dates=due_dates,
                     position=position)
    _registry[key] = spec
    return spec


def _discover() -> None:
    global _discovered
    if not _discovered:
        autodiscover_modules("queues")
        _discovered = True


def get_queue(key: str) -> QueueSpec:
    _discover()
    try:
        return _registry[key]
    except KeyError:
        raise UnknownQueue(key) from None


def queues_for(user) -> list[QueueSpec]:
    """The queues that apply to `user`, in home-page order."""
    _discover()
    if not user.is_authenticated:
        return []
    return sorted((spec for spec in _registry.values() if spec.applies_to(user)), key=lambda s: (s.position, s.key))


@dataclass(frozen=True)
class QueueCount:
    spec: QueueSpec
    count: int


def queue_counts(user) -> list[QueueCount]:
    """One COUNT per queue that applies to `user` (queues with nothing to do are included: zero
    is news too — the template decides what to show)."""
    return [QueueCount(spec, spec.items(user).count()) for spec in queues_for(user)]


@dataclass
class QueueRow:
    item: Any
    cells: list
    url: str
    due: dt.date | None
    is_overdue: bool


def queue_rows(spec: QueueSpec, items: list, *, today: dt.date | None = None) -> list[QueueRow]:
    """The page's rows: cells, link, due date and whether it is overdue."""
    today = today or timezone.localdate()
    due = spec.due_dates(items) if spec.due_dates and items else {}
    rows = []
    for item in items:
        day = due.get(item.pk)
        rows.append(QueueRow(item=item, cells=[resolve_accessor(item, accessor) for _label, accessor in spec.columns],
                             url=spec.url(item) if spec.url else "", due=day,
                             is_overdue=day is not None and day < today))
    return rows

