"""Manual orders (reference §4.1–§4.2, §4.4; §2.1.1 rows 10, 16, 17): partner staff create an order
for a cohort and assign it to applications in the status it needs, all or none; the first assignment
fixes the order mode; after the first РР tick only the scan may be replaced, with history."""
import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from pypdf import PdfReader

from accounts.models import CampaignParticipation
from accounts.services import participation_set_order_mode
from core.fsm import InvalidTransition
from core.models import OutgoingEmail
from documents.models import GeneratedDocument
from enrollment.models import Application, ApplicationEvent, WithdrawalRequest
from enrollment.services.withdrawals import withdrawal_decide
from orders.models import Order, OrderAssignment, OrderEvent, OrderScan
from orders.selectors import portal_dashboard
from orders.services.automatic import automatic_orders_run
from orders.services.orders import Requisites, order_assign, order_create, order_scan_replace, order_update
from orders.services.portal import portal_mark_entered
from tests.enrollment.test_application_support import pdf_upload
from tests.factories import MembershipFactory, UserFactory
from tests.orders.factories import OrderFactory, applications_in, cohort_of, set_mode

pytestmark = pytest.mark.django_db
Status = Application.Status
Type, Basis = Order.Type, Order.Basis
Mode = CampaignParticipation.OrderMode
Result = Application.Result
MSK = ZoneInfo("Europe/Moscow")
START, END = dt.date(2026, 3, 2), dt.date(2026, 4, 30)
# Staff work on the cohort's start day: the last day an enrolment order may be added.
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=MSK)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def cohort(partner_a, campaign):
    return cohort_of(partner_a, campaign, start=START, end=END)


def _requisites(order_type=Type.ENROLMENT, number="15-З", order_date=dt.date(2026, 2, 27), basis="",
                expelled_on=None) -> Requisites:
    return Requisites(type=order_type, number=number, order_date=order_date, basis=basis, expelled_on=expelled_on)


def _expulsion(basis, number="20-О") -> Requisites:
    return _requisites(Type.EXPULSION, number, dt.date(2026, 3, 20), basis, dt.date(2026, 3, 19))


def _create(actor, cohort, requisites=None, **kwargs) -> Order:
    return order_create(actor=actor, cohort=cohort, requisites=requisites or _requisites(), **kwargs)


def _assign(actor, order, applications, **kwargs) -> int:
    return order_assign(actor=actor, order=order, application_ids=[a.pk for a in applications], **kwargs)


def _statuses(applications) -> list[str]:
    return list(Application.objects.filter(pk__in=[a.pk for a in applications]).order_by("pk")
                .values_list("status", flat=True))


def _participation(partner, campaign) -> CampaignParticipation:
    return CampaignParticipation.objects.get(partner=partner, campaign=campaign)


def _fake_pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("prikaz.pdf", "Это не PDF, а просто текст.".encode(), content_type="application/pdf")


def _pdf_text(document: GeneratedDocument) -> str:
    return " ".join(page.extract_text() for page in PdfReader(document.file.open()).pages)


# Acceptance 1: an enrolment order for a whole cohort ----------------------------------------

def test_an_enrolment_order_moves_thirty_applications_to_training(cohort, staff_a, partner_a,
                                                                  django_capture_on_commit_callbacks):
    applications = applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED, 30)
    order = _create(staff_a, cohort)
    with django_capture_on_commit_callbacks() as callbacks:
        assert _assign(staff_a, order, applications) == 30

    assert _statuses(applications) == [Status.STUDYING] * 30
    for application in applications:
        event = ApplicationEvent.objects.get(subject=application, transition="enrol")
        assert (event.actor, event.source, event.target) == (staff_a, Status.ENROLMENT_ORDER_REQUIRED,
                                                             Status.STUDYING)
        assert "№ 15-З от 27.02.2026" in event.comment
    assignments = OrderAssignment.objects.filter(order=order)
    assert assignments.count() == 30
    assert set(assignments.values_list("partner", "order_type", "assigned_by", "rr_entered_at")) == {
        (partner_a.pk, Type.ENROLMENT, staff_a.pk, None)}
    assert set(assignments.values_list("application", flat=True)) == {a.pk for a in applications}
    event = OrderEvent.objects.get(subject=order, transition="assign")
    assert (event.actor, event.comment) == (staff_a, "Назначен заявкам: 30")
    emails = OutgoingEmail.objects.all()
    assert sorted(emails.values_list("to", flat=True)) == sorted(a.citizen.email for a in applications)
    assert all("зачислены" in subject for subject in emails.values_list("subject", flat=True))
    # The 30 e-mails are queued together on commit, sent by tasks of up to core.mail.SEND_BATCH rows.
    assert len(callbacks) == 1


def test_a_batch_with_one_application_in_another_status_is_refused_whole(cohort, staff_a, partner_a, campaign):
    good = applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED, 3)
    bad = applications_in(cohort, Status.AWAITING_AGREEMENT)[0]
    order = _create(staff_a, cohort)
    with pytest.raises(ValidationError) as error:
        _assign(staff_a, order, [*good, bad])

    message = " ".join(error.value.messages)
    assert f"Заявка {bad.rr_number} ({bad.citizen.full_name})" in message
    assert "в статусе «Ожидаем подписания договора о намерениях»" in message
    assert "назначается в статусе «Требуется выпустить приказ на зачисление»" in message
    assert not any(a.rr_number in message for a in good)
    assert _statuses([*good, bad]) == [Status.ENROLMENT_ORDER_REQUIRED] * 3 + [Status.AWAITING_AGREEMENT]
    assert not OrderAssignment.objects.exists()
    assert not ApplicationEvent.objects.filter(transition="enrol").exists()
    assert not OrderEvent.objects.filter(transition="assign").exists()
    assert not OutgoingEmail.objects.exists()
    assert _participation(partner_a, campaign).order_mode_fixed_at is None


def test_an_application_of_another_cohort_is_refused(cohort, staff_a, partner_a, campaign):
    other = applications_in(cohort_of(partner_a, campaign, start=START, end=END),
                            Status.ENROLMENT_ORDER_REQUIRED)[0]
    order = _create(staff_a, cohort)
    with pytest.raises(ValidationError, match=f"Заявка {other.rr_number} .* из другого потока"):
        _assign(staff_a, order, [other])
    assert _statuses([other]) == [Status.ENROLMENT_ORDER_REQUIRED]
    assert not OrderAssignment.objects.exists()


def test_an_enrolment_order_is_assigned_no_later_than_the_start_day(cohort, staff_a):
    applications = applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED, 2)
    order = _create(staff_a, cohort)
    message = re.escape("Приказ о зачислении добавляется не позднее дня начала обучения (02.03.2026).")
    with time_machine.travel(dt.datetime(2026, 3, 3, 0, 5, tzinfo=MSK), tick=False), \
            pytest.raises(ValidationError, match=message):
        _assign(staff_a, order, applications)
    with pytest.raises(ValidationError, match=message):
        _assign(staff_a, order, applications, today=dt.date(2026, 3, 3))
    assert _statuses(applications) == [Status.ENROLMENT_ORDER_REQUIRED] * 2
    assert not OrderAssignment.objects.exists()
    # 23:50 Moscow time on the start day is still the start day (20:50 UTC).
    with time_machine.travel(dt.datetime(2026, 3, 2, 23, 50, tzinfo=MSK), tick=False):
        assert _assign(staff_a, order, applications) == 2


def test_an_enrolment_order_dated_after_the_start_is_refused_at_creation(cohort, staff_a):
    with pytest.raises(ValidationError) as error:
        _create(staff_a, cohort, _requisites(order_date=dt.date(2026, 3, 3)))
    assert error.value.message_dict["order_date"] == [
        "Дата приказа о зачислении не может быть позже начала обучения (02.03.2026)."]
    assert not Order.objects.exists()
    assert _create(staff_a, cohort, _requisites(order_date=START)).order_date == START


# Expulsion orders --------------------------------------------------------------------------

def _approved_request(cohort, staff) -> tuple[WithdrawalRequest, Application]:
    application = applications_in(cohort, Status.WITHDRAWAL_REVIEW)[0]
    request = WithdrawalRequest.objects.create(application=application, filed_by=application.citizen.user,
                                               file=SimpleUploadedFile("zayavlenie.pdf", b"%PDF-1.4\n%%EOF\n"))
    withdrawal_decide(request=request, actor=staff, approve=True)
    application.refresh_from_db()
    assert application.status == Status.OWN_REQUEST_ORDER_REQUIRED
    return request, application


def test_an_own_request_order_expels_and_fixes_the_withdrawal_decision(cohort, staff_a):
    request, application = _approved_request(cohort, staff_a)
    order = _create(staff_a, cohort, _expulsion(Basis.OWN_REQUEST))
    assert _assign(staff_a, order, [application]) == 1

    application.refresh_from_db()
    request.refresh_from_db()
    assert application.status == Status.EXPELLED
    assert application.expulsion_reason == Application.ExpulsionReason.OWN_REQUEST
    assert application.expelled_on == dt.date(2026, 3, 19)
    assert application.is_active is False
    assert request.has_expulsion_order is True
    event = application.events.get(transition="expel")
    assert "«Об отчислении (Заявление слушателя)» № 20-О от 20.03.2026" in event.comment
    assert OutgoingEmail.objects.filter(to=application.citizen.email, subject__icontains="отчисл").exists()
    with pytest.raises(InvalidTransition, match="Приказ об отчислении уже добавлен"):
        withdrawal_decide(request=request, actor=staff_a, approve=False, comment="Ошибочно одобрено")
    request.refresh_from_db()
    assert request.status == WithdrawalRequest.Status.APPROVED


def test_a_failure_order_expels_for_failure(cohort, staff_a):
    application = applications_in(cohort, Status.FAILURE_ORDER_REQUIRED, result=Result.UNSUCCESSFUL)[0]
    order = _create(staff_a, cohort, _expulsion(Basis.FAILURE))
    _assign(staff_a, order, [application])
    application.refresh_from_db()
    assert (application.status, application.expulsion_reason, application.expelled_on) == (
        Status.EXPELLED, Application.ExpulsionReason.FAILURE, dt.date(2026, 3, 19))


def test_a_completion_order_leads_to_the_qualification_document(cohort, staff_a):
    application = applications_in(cohort, Status.COMPLETION_ORDER_REQUIRED, result=Result.SUCCESSFUL)[0]
    order = _create(staff_a, cohort, _expulsion(Basis.QUALIFICATION))
    _assign(staff_a, order, [application])
    application.refresh_from_db()
    assert application.status == Status.QUALIFICATION_DOC_REQUIRED
    assert (application.expulsion_reason, application.expelled_on, application.is_active) == (
        "", dt.date(2026, 3, 19), True)
    assert application.events.get(transition="complete").actor == staff_a


@pytest.mark.parametrize(("status", "basis"), [(Status.OWN_REQUEST_ORDER_REQUIRED, Basis.OWN_REQUEST),
                                               (Status.COMPLETION_ORDER_REQUIRED, Basis.QUALIFICATION)])
def test_correcting_the_expulsion_date_corrects_the_applications(cohort, staff_a, status, basis):
    application = applications_in(cohort, status)[0]
    order = _create(staff_a, cohort, _expulsion(basis))
    _assign(staff_a, order, [application])
    corrected = _requisites(Type.EXPULSION, "20-О", dt.date(2026, 3, 20), basis, dt.date(2026, 3, 18))
    order_update(actor=staff_a, order=order, requisites=corrected)
    order.refresh_from_db()
    application.refresh_from_db()
    assert order.expelled_on == dt.date(2026, 3, 18)
    assert application.expelled_on == order.expelled_on


@pytest.mark.parametrize(("status", "result", "basis", "odin"), [
    (Status.FAILURE_ORDER_REQUIRED, Result.SUCCESSFUL, Basis.FAILURE, "Успешно"),
    (Status.COMPLETION_ORDER_REQUIRED, Result.UNSUCCESSFUL, Basis.QUALIFICATION, "Неуспешно"),
])
def test_a_basis_contradicting_the_learning_platform_is_refused(cohort, staff_a, status, result, basis, odin):
    # The result changed in Odin after the application had moved on: it is kept, the status not.
    application = applications_in(cohort, status, result=result)[0]
    order = _create(staff_a, cohort, _expulsion(basis))
    with pytest.raises(ValidationError) as error:
        _assign(staff_a, order, [application])
    assert error.value.messages == [
        f"Заявка {application.rr_number} ({application.citizen.full_name}) — по данным Odin результат обучения "
        f"«{odin}», основание «{order.get_basis_display()}» недопустимо."]
    assert _statuses([application]) == [status]
    assert not OrderAssignment.objects.exists()


def test_an_expulsion_order_needs_a_basis_and_an_expulsion_date(cohort, staff_a):
    with pytest.raises(ValidationError) as error:
        _create(staff_a, cohort, _requisites(Type.EXPULSION, order_date=dt.date(2026, 3, 20)))
    assert error.value.message_dict == {"basis": ["Укажите основание отчисления."],
                                        "expelled_on": ["Укажите дату отчисления."]}
    assert not Order.objects.exists()


@pytest.mark.parametrize("order_type", [Type.ENROLMENT, Type.EXTENSION])
def test_a_basis_is_dropped_for_enrolment_and_extension(cohort, staff_a, order_type):
    order = _create(staff_a, cohort, _requisites(order_type, basis=Basis.FAILURE, expelled_on=dt.date(2026, 3, 19)))
    order.refresh_from_db()
    assert (order.basis, order.expelled_on) == ("", None)


@pytest.mark.parametrize(("order_type", "basis"), [
    (Type.ENROLMENT, Basis.FAILURE), (Type.EXTENSION, Basis.OWN_REQUEST), (Type.EXPULSION, ""),
])
def test_the_database_holds_a_basis_only_on_expulsion(cohort, order_type, basis):
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderFactory(cohort=cohort, type=order_type, basis=basis)


def test_an_expulsion_date_before_the_start_is_refused(cohort, staff_a):
    requisites = _requisites(Type.EXPULSION, "20-О", dt.date(2026, 3, 20), Basis.OWN_REQUEST, dt.date(2026, 3, 1))
    with pytest.raises(ValidationError) as error:
        _create(staff_a, cohort, requisites)
    assert error.value.message_dict == {
        "expelled_on": ["Дата отчисления не может быть раньше начала обучения (02.03.2026)."]}
    assert not Order.objects.exists()


def test_an_extension_order_changes_no_status_and_is_never_on_the_portal(cohort, staff_a):
    studying = applications_in(cohort, Status.STUDYING)[0]
    failed = applications_in(cohort, Status.FAILURE_ORDER_REQUIRED, result=Result.UNSUCCESSFUL)[0]
    order = _create(staff_a, cohort, _requisites(Type.EXTENSION, "30-П", dt.date(2026, 4, 28)))
    assert _assign(staff_a, order, [studying, failed]) == 2

    assert _statuses([studying, failed]) == [Status.STUDYING, Status.FAILURE_ORDER_REQUIRED]
    for application, status in ((studying, Status.STUDYING), (failed, Status.FAILURE_ORDER_REQUIRED)):
        event = application.events.get(transition="order_extension")
        assert (event.source, event.target, event.actor) == (status, status, staff_a)
        assert "«О продлении обучения» № 30-П от 28.04.2026" in event.comment
    assert not OrderAssignment.objects.open_on_portal().exists()
    assert portal_dashboard(staff_a).total == 0
    assert portal_mark_entered(actor=staff_a, order=order) == 0
    assert not OrderAssignment.objects.filter(rr_entered_at__isnull=False).exists()


def test_an_extension_order_is_refused_outside_training(cohort, staff_a):
    waiting = applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED)[0]
    order = _create(staff_a, cohort, _requisites(Type.EXTENSION, "30-П", dt.date(2026, 4, 28)))
    with pytest.raises(ValidationError, match=waiting.rr_number):
        _assign(staff_a, order, [waiting])


def test_a_number_is_unique_per_partner(cohort, staff_a, staff_b, partner_a, partner_b, campaign):
    _create(staff_a, cohort)
    other_cohort = cohort_of(partner_a, campaign, start=START, end=END)
    with pytest.raises(ValidationError) as error:
        _create(staff_a, other_cohort, _requisites(number="  15-З "))
    assert error.value.message_dict == {"number": ["Приказ № 15-З у организации уже есть."]}
    assert Order.objects.count() == 1
    order_b = _create(staff_b, cohort_of(partner_b, campaign, start=START, end=END))
    assert (order_b.number, order_b.partner) == ("15-З", partner_b)


def test_a_renumbering_to_a_taken_number_is_refused(cohort, staff_a):
    _create(staff_a, cohort)
    second = _create(staff_a, cohort, _requisites(number="16-З"))
    with pytest.raises(ValidationError) as error:
        order_update(actor=staff_a, order=second, requisites=_requisites(number="15-З"))
    assert error.value.message_dict == {"number": ["Приказ № 15-З у организации уже есть."]}
    second.refresh_from_db()
    assert second.number == "16-З"


def test_an_application_gets_one_enrolment_order(cohort, staff_a):
    application = applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED)[0]
    first = _create(staff_a, cohort)
    second = _create(staff_a, cohort, _requisites(number="16-З"))
    _assign(staff_a, first, [application])
    with pytest.raises(ValidationError, match=f"Заявка {application.rr_number} .* в статусе «Обучение»"):
        _assign(staff_a, second, [application])
    assert list(OrderAssignment.objects.values_list("order", flat=True)) == [first.pk]
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderAssignment.objects.create(order=second, application=application, partner=second.partner,
                                       order_type=Type.ENROLMENT)


def test_extension_orders_may_repeat_for_one_application(cohort, staff_a):
    application = applications_in(cohort, Status.STUDYING)[0]
    for number in ("30-П", "31-П"):
        _assign(staff_a, _create(staff_a, cohort, _requisites(Type.EXTENSION, number, dt.date(2026, 4, 28))),
                [application])
    assert OrderAssignment.objects.filter(application=application, order_type=Type.EXTENSION).count() == 2


# Permissions -------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", ["staff_b", "operator_reviewer", "employment_reviewer", "citizen"])
def test_only_the_partners_staff_create_its_orders(cohort, personas, persona):
    with pytest.raises(PermissionDenied):
        _create(personas[persona], cohort)
    assert not Order.objects.exists()


@pytest.mark.parametrize("action", ["assign", "update", "scan"])
def test_staff_of_another_partner_cannot_touch_the_order(cohort, staff_a, staff_b, action):
    application = applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED)[0]
    order = _create(staff_a, cohort, scan_files=[pdf_upload()])
    calls = {
        "assign": lambda: _assign(staff_b, order, [application]),
        "update": lambda: order_update(actor=staff_b, order=order, requisites=_requisites(number="99-З")),
        "scan": lambda: order_scan_replace(actor=staff_b, order=order, files=[pdf_upload()], confirmed=True),
    }
    with pytest.raises(PermissionDenied):
        calls[action]()
    order.refresh_from_db()
    assert order.number == "15-З"
    assert list(order.scans.values_list("version", flat=True)) == [1]
    assert not OrderAssignment.objects.exists()
    assert _statuses([application]) == [Status.ENROLMENT_ORDER_REQUIRED]
    assert set(order.events.values_list("transition", flat=True)) == {"create", "scan_add"}


def test_an_order_is_not_assigned_to_another_partners_applications(cohort, staff_a, partner_b, campaign):
    own = applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED)[0]
    foreign = applications_in(cohort_of(partner_b, campaign, start=START, end=END),
                              Status.ENROLMENT_ORDER_REQUIRED)[0]
    order = _create(staff_a, cohort)
    with pytest.raises(PermissionDenied):
        _assign(staff_a, order, [own, foreign])
    assert _statuses([own, foreign]) == [Status.ENROLMENT_ORDER_REQUIRED] * 2
    assert not OrderAssignment.objects.exists()
    assert not ApplicationEvent.objects.filter(transition="enrol").exists()


# Acceptance 3: the order mode ----------------------------------------------------------------

def test_the_first_assignment_fixes_the_order_mode(cohort, staff_a, partner_a, partner_b, campaign,
                                                   operator_reviewer):
    participation = _participation(partner_a, campaign)
    assert participation.order_mode_fixed_at is None
    _assign(staff_a, _create(staff_a, cohort), applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED))

    participation.refresh_from_db()
    assert (participation.order_mode, participation.order_mode_fixed_at) == (Mode.MANUAL, NOW)
    event = participation.events.get(transition="order_mode_fix")
    assert (event.source, event.target, event.actor) == (Mode.MANUAL, Mode.MANUAL, None)
    with pytest.raises(ValidationError) as error:
        participation_set_order_mode(actor=operator_reviewer, participation=participation, mode=Mode.AUTOMATIC)
    assert error.value.code == "order_mode_fixed"
    assert "уже закреплён" in error.value.messages[0]
    participation.refresh_from_db()
    assert participation.order_mode == Mode.MANUAL
    # A partner without orders may still be switched.
    other = participation_set_order_mode(actor=operator_reviewer, participation=_participation(partner_b, campaign),
                                         mode=Mode.AUTOMATIC)
    assert other.order_mode == Mode.AUTOMATIC


@pytest.mark.parametrize("requisites", [_requisites(), _expulsion(Basis.OWN_REQUEST), _expulsion(Basis.FAILURE),
                                        _expulsion(Basis.QUALIFICATION)], ids=["enrolment", "own", "fail", "done"])
def test_in_automatic_mode_enrolment_and_expulsion_orders_are_not_created_by_hand(cohort, staff_a, requisites):
    set_mode(cohort, Mode.AUTOMATIC)
    with pytest.raises(ValidationError) as error:
        _create(staff_a, cohort, requisites)
    assert error.value.code == "automatic_mode"
    assert "режиме автоматических приказов" in error.value.messages[0]
    assert not Order.objects.exists()
    assert not OrderEvent.objects.exists()


def test_in_automatic_mode_an_extension_order_is_added_by_hand(cohort, staff_a):
    set_mode(cohort, Mode.AUTOMATIC)
    application = applications_in(cohort, Status.STUDYING)[0]
    order = _create(staff_a, cohort, _requisites(Type.EXTENSION, "30-П", dt.date(2026, 4, 28)))
    assert _assign(staff_a, order, [application]) == 1
    assert order.is_automatic is False


def test_a_manual_order_is_not_assigned_after_a_switch_to_automatic(cohort, staff_a):
    application = applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED)[0]
    order = _create(staff_a, cohort)
    set_mode(cohort, Mode.AUTOMATIC)
    with pytest.raises(ValidationError) as error:
        _assign(staff_a, order, [application])
    assert error.value.code == "automatic_mode"
    assert _statuses([application]) == [Status.ENROLMENT_ORDER_REQUIRED]


# Acceptance 4: after the order is entered on РР ----------------------------------------------

def test_before_the_portal_the_number_and_dates_may_change(cohort, staff_a):
    order = _create(staff_a, cohort)
    order_update(actor=staff_a, order=order, requisites=_requisites(number="16-З", order_date=dt.date(2026, 2, 28)))
    order.refresh_from_db()
    assert (order.number, order.order_date) == ("16-З", dt.date(2026, 2, 28))
    assert order.events.get(transition="edit").comment == "номер: 15-З → 16-З; дата: 27.02.2026 → 28.02.2026"


def test_after_the_first_portal_tick_only_the_scan_may_change(cohort, staff_a, partner_a):
    applications = applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED, 2)
    order = _create(staff_a, cohort, scan_files=[pdf_upload("prikaz-15.pdf")])
    _assign(staff_a, order, applications)
    first_line = order.assignments.order_by("pk").first()
    assert portal_mark_entered(actor=staff_a, assignment_ids=[first_line.pk]) == 1

    for changed in (_requisites(number="99-З"), _requisites(order_date=dt.date(2026, 2, 26))):
        with pytest.raises(ValidationError) as error:
            order_update(actor=staff_a, order=order, requisites=changed)
        assert error.value.code == "entered_on_portal"
        assert "можно только заменить скан" in error.value.messages[0]
    assert order_update(actor=staff_a, order=order, requisites=_requisites(number=" 15-З ")).number == "15-З"
    order.refresh_from_db()
    assert (order.number, order.order_date) == ("15-З", dt.date(2026, 2, 27))
    assert not order.events.filter(transition="edit").exists()

    with pytest.raises(ValidationError) as error:
        order_scan_replace(actor=staff_a, order=order, files=[pdf_upload()])
    assert error.value.code == "confirm_required"
    assert order.scans.count() == 1

    colleague = MembershipFactory(organization=partner_a, user=UserFactory(email="staff.a2@example.org")).user
    later = dt.datetime(2026, 3, 5, 11, 0, tzinfo=MSK)
    with time_machine.travel(later, tick=False):
        new = order_scan_replace(actor=colleague, order=order, files=[pdf_upload("prikaz-15-v2.pdf")], confirmed=True)
    old = order.scans.get(version=1)
    assert (new.version, new.is_current, new.uploaded_by, new.uploaded_at) == (2, True, colleague, later)
    assert (old.is_current, old.uploaded_by, old.uploaded_at) == (False, staff_a, NOW)
    assert old.file.open("rb").read().startswith(b"%PDF")
    assert old.file.name != new.file.name
    event = order.events.get(transition="scan_replace")
    assert (event.actor, event.comment) == (colleague, "Версия 2")


def test_a_scan_may_be_added_later_without_confirmation(cohort, staff_a):
    order = _create(staff_a, cohort)
    scan = order_scan_replace(actor=staff_a, order=order, files=[pdf_upload()])
    assert (scan.version, scan.is_current, scan.content_type) == (1, True, "application/pdf")
    assert order.events.filter(transition="scan_add").count() == 1


def test_a_scan_is_checked_by_content(cohort, staff_a):
    with pytest.raises(ValidationError, match="«prikaz.pdf» не является PDF, JPEG или PNG"):
        _create(staff_a, cohort, scan_files=[_fake_pdf()])
    assert not Order.objects.exists()
    order = _create(staff_a, cohort, scan_files=[pdf_upload()])
    with pytest.raises(ValidationError, match="не является PDF"):
        order_scan_replace(actor=staff_a, order=order, files=[_fake_pdf()])
    assert list(order.scans.values_list("version", "is_current")) == [(1, True)]
    assert not OrderScan.objects.filter(version=2).exists()


# Editing an automatic order re-generates its PDF ----------------------------------------------

def test_editing_an_automatic_order_generates_a_new_pdf(cohort, staff_a, partner_a,
                                                        django_capture_on_commit_callbacks):
    partner_a.document_prefix = "АЛЬФА"
    partner_a.save()
    set_mode(cohort, Mode.AUTOMATIC)
    application = applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED)[0]
    with django_capture_on_commit_callbacks(execute=True):
        automatic_orders_run(night=START)
    order = Order.objects.get()
    first = order.document
    first.refresh_from_db()
    assert first.status == GeneratedDocument.Status.READY

    with django_capture_on_commit_callbacks(execute=True):
        order_update(actor=staff_a, order=order, requisites=_requisites(number="АЛЬФА-15-ПЗ", order_date=START))
    order.refresh_from_db()
    assert order.document_id != first.pk
    assert GeneratedDocument.objects.count() == 2
    first.refresh_from_db()
    assert first.status == GeneratedDocument.Status.READY
    assert first.file
    assert order.document.status == GeneratedDocument.Status.READY
    text = _pdf_text(order.document)
    assert "АЛЬФА-15-ПЗ" in text
    assert application.rr_number in text
    assert f"АЛЬФА-{cohort.pk}-ПЗ" in _pdf_text(first)
