"""What orders tells privacy (see privacy/__init__.py), imported by OrdersConfig.ready(): the order
pages and files for the audit trail (an order lists many citizens: no single subject, except in the
citizen's own cabinet), and the legal hold that keeps a citizen who has an order (accounting and
education records: 402-FZ art. 29, five years after the order)."""
from datetime import timedelta

from django.utils import timezone

from enrollment.privacy import own_citizen
from orders.models import OrderAssignment
from privacy.audit import register_audited_view
from privacy.retention import register_legal_hold

ORDER_HOLD = timedelta(days=5 * 365 + 1)

for url_name, action in (("orders:order_detail", "read"), ("orders:order_file", "download"),
                         ("orders:order_pdf", "download"), ("orders:scan_file", "download"),
                         ("orders:portal_csv", "export")):
    register_audited_view(url_name, action, object_type="orders.order")
register_audited_view("orders:cabinet_order_file", "download", object_type="orders.order", subject=own_citizen)


def order_hold(subject_id: int) -> str | None:
    cutoff = timezone.now() - ORDER_HOLD
    if OrderAssignment.objects.filter(application__citizen_id=subject_id, assigned_at__gte=cutoff).exists():
        return "Приказы о зачислении или отчислении: хранятся 5 лет (402-ФЗ, ст. 29)"
    return None


register_legal_hold(order_hold)
