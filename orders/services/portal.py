"""The РР re-keying dashboard's writes (reference §4.5; seed 002): staff copy each order's number
and date, and each qualification document's series and number, into Работа России by hand, then
tick them entered here — per application or for a whole order at once. A ticked item leaves the
dashboard; the first tick of an order freezes its number and dates (only the scan may change).
"""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.services import qualifications
from orders.models import Order, OrderAssignment, OrderEvent


@transaction.atomic
def portal_mark_entered(*, actor, assignment_ids=None, order: Order | None = None) -> int:
    """Tick these open assignments (or all of `order`'s) entered on РР; returns how many. Staff may
    tick only their own partner's; extension orders are never on РР."""
    partner_ids = None if actor.is_superuser else actor.access.partner_ids
    if order is not None:
        if partner_ids is not None and order.partner_id not in partner_ids:
            raise PermissionDenied
        lines = OrderAssignment.objects.filter(order=order)
    else:
        ids = {int(pk) for pk in assignment_ids or ()}
        if not ids:
            raise ValidationError(_("Отметьте хотя бы одну заявку."), code="empty")
        lines = OrderAssignment.objects.filter(pk__in=ids)
        if partner_ids is not None and lines.exclude(partner_id__in=partner_ids).exists():
            raise PermissionDenied
    lines = list(lines.open_on_portal().select_for_update().order_by("pk"))
    if not lines:
        return 0
    now = timezone.now()
    OrderAssignment.objects.filter(pk__in=[line.pk for line in lines]).update(rr_entered_at=now, rr_entered_by=actor)
    per_order = {}
    for line in lines:
        per_order[line.order_id] = per_order.get(line.order_id, 0) + 1
    Order.objects.filter(pk__in=per_order, rr_entered_at__isnull=True).update(rr_entered_at=now)
    OrderEvent.objects.bulk_create([
        OrderEvent(subject_id=order_id, actor=actor, transition="portal_entered", created_at=now,
                   comment=_("Внесён на РР для заявок: %(count)d") % {"count": count})
        for order_id, count in per_order.items()])
    return len(lines)


def portal_mark_qualifications_entered(*, actor, document_ids) -> int:
    """Tick these qualification documents entered on РР (enrollment owns them); returns how many."""
    return qualifications.qualification_mark_entered(actor=actor, document_ids=document_ids)
