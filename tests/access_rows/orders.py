"""Access-matrix rows of the orders pages (orders/urls.py).

Objects: order_a — partner A's enrolment order for a cohort starting in a month, with a current scan
(order_scan_a) and one application still to enter on РР; qualification_a — partner A's qualification
document still to enter on РР; citizen_order — an order of the citizen persona's own application,
with its scan. The pages are for partner staff, the operator and auditors: citizens and the
employment reviewer get 403 before any lookup; partner B's staff get 404 on partner A's order, its
files and CSV; the operator sees everything and changes nothing (403). The citizen downloads the
own order from the cabinet (another citizen's: 404, tests/orders/test_order_pages.py); staff 403.

The re-keying marks name their objects in the POST body, not the URL: `objects()` writes the ids of
order_a and qualification_a into those two rows' data, so that partner B's staff are refused on
partner A's objects (404 for the order, 403 for the document) and partner A's staff succeed (302).
"""
import datetime as dt

from django.core.files.base import ContentFile
from django.utils import timezone

from documents.models import GeneratedDocument
from enrollment.models import Application, Citizen, QualificationDocument
from orders.models import OrderAssignment, OrderScan
from tests.access_rows import FORM, row
from tests.enrollment.factories import ApplicationFactory, CitizenFactory
from tests.orders.factories import OrderFactory, applications_in, cohort_of

ORDER = ("order_a",)
# anonymous, citizen, staff_a, staff_b, employment_reviewer, operator_reviewer
LIST = (302, 403, 200, 200, 403, 200)
SEE_ORDER = (302, 403, 200, 404, 403, 200)
CHANGE_ORDER = (302, 403, 200, 404, 403, 403)

ROWS = {
    "orders:order_list": row(*LIST),
    "orders:order_create": row(302, 403, 200, 200, 403, 403, methods=FORM),
    "orders:order_detail": row(*SEE_ORDER, args=ORDER),
    "orders:order_edit": row(*CHANGE_ORDER, args=ORDER, methods=FORM),
    "orders:order_scan": row(*CHANGE_ORDER, args=ORDER, methods=FORM),
    # No application ticked: partner A's staff are sent back with the service's refusal.
    "orders:order_assign": row(302, 403, 302, 404, 403, 403, args=ORDER, method="post", data={"confirmed": "1"}),
    "orders:order_file": row(*SEE_ORDER, args=ORDER),
    "orders:order_pdf": row(*SEE_ORDER, args=ORDER),
    "orders:scan_file": row(*SEE_ORDER, args=("order_scan_a",)),
    "orders:portal_csv": row(*SEE_ORDER, args=ORDER),
    "orders:portal_dashboard": row(*LIST),
    "orders:portal_mark": row(302, 403, 302, 404, 403, 403, method="post", data={}),
    "orders:portal_mark_qualifications": row(302, 403, 302, 403, 403, 403, method="post", data={}),
    "orders:cabinet_order_file": row(302, 200, 403, 403, 403, 403, args=("citizen_order",)),
}


def objects(world) -> dict:
    today = timezone.localdate()
    cohort = cohort_of(world["partner_a"], world["campaign"], start=today + dt.timedelta(days=30),
                       end=today + dt.timedelta(days=90))
    order_a = OrderFactory(cohort=cohort)
    scan_a = _scan(order_a)
    order_a.document = GeneratedDocument.objects.create(kind="order", title="Приказ", number=order_a.number)
    order_a.document.file.save("order.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    order_a.document.mark_ready(sha256="0" * 64)
    order_a.document.save()
    order_a.save(update_fields=["document"])
    application = applications_in(cohort, Application.Status.STUDYING)[0]
    OrderAssignment.objects.create(order=order_a, application=application, partner=order_a.partner,
                                   order_type=order_a.type)
    graduate = applications_in(cohort, Application.Status.AWAITING_EMPLOYMENT)[0]
    qualification_a = QualificationDocument.objects.create(application=graduate, number="000321",
                                                           registration_number="15", issued_on=today)

    user = world["citizen"]
    citizen = Citizen.objects.filter(user=user).first() or CitizenFactory(user=user, email=user.email)
    own = ApplicationFactory(citizen=citizen, is_active=not citizen.applications.filter(is_active=True).exists())
    citizen_order = OrderFactory(cohort=own.cohort)
    _scan(citizen_order)
    OrderAssignment.objects.create(order=citizen_order, application=own, partner=citizen_order.partner,
                                   order_type=citizen_order.type)

    ROWS["orders:portal_mark"].data["order"] = order_a.pk
    ROWS["orders:portal_mark_qualifications"].data["document"] = qualification_a.pk
    return {"order_a": order_a, "order_scan_a": scan_a, "qualification_a": qualification_a,
            "citizen_order": citizen_order}


def _scan(order) -> OrderScan:
    scan = OrderScan(order=order, content_type="application/pdf", size=15, sha256="0" * 64)
    scan.file.save(f"order-{order.pk}-v1.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    scan.save()
    return scan
