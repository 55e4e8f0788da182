"""Who may go into an act (reference §5.4; acceptance 3): a citizen needs all six — the successful
result, the registered assignment, the enrolment order's scan, the completion order's scan, the
contract signed by all parties and the qualification document's scan (an automatic order's ready
PDF counts as its scan). A citizen missing one is not eligible, `act_candidates` says exactly why
in Russian, and an act with that citizen is refused whole, naming them. A citizen is in one act
at most. The act's sum is its citizens' prices, and its PDF lists exactly them."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from accounts.models import CampaignParticipation
from cohorts.models import Act, ActLine
from cohorts.services import acts, assignments
from core.fsm import run_transition
from documents.models import GeneratedDocument
from enrollment.models import Application, ApplicationDocument, QualificationDocument
from orders.models import Order, OrderScan
from orders.services.automatic import automatic_orders_run, order_render
from orders.services.orders import order_scan_replace
from orders.services.portal import portal_mark_entered
from tests.cohorts.support import END, START, complete, enrolled_cohort, operator_with_signatory, pdf_upload
from tests.cohorts.test_act_cycle import ACT_DAY, finished_cohort, fresh, generate_act
from tests.cohorts.test_assignments import (
    at,
    cohort_awaiting_orders,
    enrol,
    generate_assignment,
    registered_assignment,
    run_on_commit,
)
from tests.enrollment.factories import ApplicationDocumentFactory
from tests.enrollment.test_application_support import pdf_bytes
from tests.programs.test_contract_support import signature_file

pytestmark = pytest.mark.django_db

NO_RESULT = "нет результата «Успешно завершил обучение» с образовательной платформы"
NOT_REGISTERED = "задание на поток не зарегистрировано"
NO_ENROLMENT_SCAN = "нет скана приказа о зачислении"
NO_COMPLETION_SCAN = "нет скана приказа об отчислении в связи с успешным завершением обучения"
NO_CONTRACT = "нет договора, подписанного всеми сторонами"
NO_QUALIFICATION_SCAN = "нет скана документа о квалификации"


@pytest.fixture(autouse=True)
def _cohort_site(monkeypatch, operator_org):
    monkeypatch.setattr("cohorts.services.common.cohort_url", lambda cohort: "http://testserver/")
    operator_with_signatory(operator_org)


def candidates_of(cohort) -> dict:
    return {candidate.application.pk: candidate for candidate in acts.act_candidates(cohort)}


def generate(staff, cohort, applications):
    with at(ACT_DAY), run_on_commit():
        return acts.act_generate(actor=staff, cohort=cohort, application_ids=[a.pk for a in applications])


def nothing_generated() -> bool:
    return (not Act.objects.exists() and not ActLine.objects.exists()
            and not GeneratedDocument.objects.filter(kind="act").exists())


def assert_refused_for(staff, cohort, good, bad, reason):
    """`bad` is not eligible for exactly `reason`, `good` is; an act with `bad` is refused whole."""
    candidates = candidates_of(cohort)
    assert candidates[bad.pk].reasons == [reason]
    assert not candidates[bad.pk].eligible
    assert candidates[good.pk].eligible, candidates[good.pk].reasons
    for chosen in ([bad], [good, bad]):
        with pytest.raises(ValidationError) as error:
            generate(staff, cohort, chosen)
        assert error.value.messages == [f"{bad.citizen.full_name}: {reason}."]
        assert nothing_generated()


# One condition missing at a time ----------------------------------------------------------------

def test_a_citizen_who_failed_is_not_eligible(partner_a, campaign, staff_a, operator_reviewer):
    cohort, (good, bad) = enrolled_cohort(partner_a, campaign, staff_a, count=2)
    registered_assignment(cohort, operator_reviewer, staff_a)
    complete([good], staff_a, cohort=cohort)
    complete([bad], staff_a, cohort=cohort, successful=False)  # the platform's result: unsuccessful

    candidates = candidates_of(cohort)
    assert candidates[bad.pk].reasons[0] == NO_RESULT
    assert candidates[good.pk].eligible
    with pytest.raises(ValidationError) as error:
        generate(staff_a, cohort, [good, bad])
    assert error.value.messages[0].startswith(f"{fresh([bad])[0].citizen.full_name}: {NO_RESULT}")
    assert nothing_generated()


def test_a_citizen_whose_result_was_revised_to_unsuccessful_misses_exactly_the_result(
        partner_a, campaign, staff_a, operator_reviewer):
    cohort, (good, bad) = finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=2)
    Application.objects.filter(pk=bad.pk).update(result=Application.Result.UNSUCCESSFUL)
    assert_refused_for(staff_a, cohort, good, bad, NO_RESULT)


def test_without_a_registered_assignment_nobody_is_eligible(partner_a, campaign, staff_a, operator_reviewer):
    cohort, applications = enrolled_cohort(partner_a, campaign, staff_a, count=2)
    assignment = generate_assignment(operator_reviewer, cohort)
    with at(START + dt.timedelta(days=1)):
        assignment = assignments.assignment_sign_by_operator(actor=operator_reviewer, assignment=assignment,
                                                             file=signature_file())
        assignments.assignment_sign_by_partner(actor=staff_a, assignment=assignment, file=signature_file())
    complete(applications, staff_a, cohort=cohort)

    assert [c.reasons for c in acts.act_candidates(cohort)] == [[NOT_REGISTERED], [NOT_REGISTERED]]
    with at(ACT_DAY):
        assert acts.act_blockers(cohort) == ["Задание на поток не зарегистрировано."]
    with pytest.raises(ValidationError) as error:
        generate(staff_a, cohort, applications)
    assert error.value.messages == ["Задание на поток не зарегистрировано."]  # said once for the cohort
    assert nothing_generated()


def test_without_the_enrolment_orders_scan_nobody_of_that_order_is_eligible(partner_a, campaign, staff_a,
                                                                            operator_reviewer):
    cohort, applications = cohort_awaiting_orders(partner_a, campaign, count=2)
    order = enrol(cohort, applications, staff_a, scan=False)
    registered_assignment(cohort, operator_reviewer, staff_a)
    complete(applications, staff_a, cohort=cohort)
    one = fresh(applications)[0]

    assert [c.reasons for c in acts.act_candidates(cohort)] == [[NO_ENROLMENT_SCAN], [NO_ENROLMENT_SCAN]]
    with pytest.raises(ValidationError) as error:
        generate(staff_a, cohort, [one])
    assert error.value.messages == [f"{one.citizen.full_name}: {NO_ENROLMENT_SCAN}."]
    assert nothing_generated()

    with at(ACT_DAY):
        order_scan_replace(actor=staff_a, order=order, files=[pdf_upload()], confirmed=True)
    assert all(c.eligible for c in acts.act_candidates(cohort))


def _lacking(condition):
    return {"completion_scan": {"scan": False}, "contract": {"contract": False},
            "qualification_scan": {"qualification_scan": False}}[condition]


@pytest.mark.parametrize(("condition", "reason"), [
    ("completion_scan", NO_COMPLETION_SCAN),
    ("contract", NO_CONTRACT),
    ("qualification_scan", NO_QUALIFICATION_SCAN),
])
def test_a_citizen_missing_one_document_is_not_eligible(partner_a, campaign, staff_a, operator_reviewer,
                                                        condition, reason):
    cohort, (good, bad) = enrolled_cohort(partner_a, campaign, staff_a, count=2)
    registered_assignment(cohort, operator_reviewer, staff_a)
    complete([good], staff_a, cohort=cohort)
    complete([bad], staff_a, cohort=cohort, **_lacking(condition))
    good, bad = fresh([good, bad])
    assert_refused_for(staff_a, cohort, good, bad, reason)


def test_a_contract_that_is_no_longer_current_does_not_count(partner_a, campaign, staff_a, operator_reviewer):
    cohort, (good, bad) = finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=2)
    ApplicationDocument.objects.filter(application=bad, kind=ApplicationDocument.Kind.ALL_PARTY_CONTRACT).update(
        is_current=False)
    assert_refused_for(staff_a, cohort, good, bad, NO_CONTRACT)


def test_the_completion_orders_scan_added_later_makes_the_citizen_eligible(partner_a, campaign, staff_a,
                                                                           operator_reviewer):
    cohort, applications = finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=1, scan=False)
    assert candidates_of(cohort)[applications[0].pk].reasons == [NO_COMPLETION_SCAN]
    order = Order.objects.get(cohort=cohort, type=Order.Type.EXPULSION)
    with at(ACT_DAY):
        order_scan_replace(actor=staff_a, order=order, files=[pdf_upload()])
    assert candidates_of(cohort)[applications[0].pk].eligible


# One act per citizen ----------------------------------------------------------------------------

def test_a_citizen_already_in_an_act_cannot_go_into_another(partner_a, campaign, staff_a, operator_reviewer):
    cohort, (one, two) = finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=2)
    first = generate_act(staff_a, cohort, [one])

    candidates = candidates_of(cohort)
    assert (candidates[one.pk].act_number, candidates[one.pk].eligible) == (first.number, False)
    assert candidates[two.pk].eligible
    with pytest.raises(ValidationError) as error:
        generate(staff_a, cohort, [one, two])
    assert error.value.messages == [f"{one.citizen.full_name} уже включён в акт № {first.number}."]
    assert Act.objects.count() == 1
    assert list(ActLine.objects.values_list("application_id", flat=True)) == [one.pk]


def test_an_act_needs_a_citizen_of_the_cohort(partner_a, campaign, staff_a, operator_reviewer):
    cohort, applications = finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=1)
    _other_cohort, strangers = enrolled_cohort(partner_a, campaign, staff_a, count=1)
    with pytest.raises(ValidationError) as error:
        generate(staff_a, cohort, [])
    assert error.value.messages == ["Отметьте хотя бы одного слушателя."]
    with pytest.raises(ValidationError) as error:
        generate(staff_a, cohort, [applications[0], strangers[0]])
    assert error.value.messages == [f"Заявка {strangers[0].pk} не относится к зачисленным в этот поток."]
    assert nothing_generated()


# Automatic orders -------------------------------------------------------------------------------

def test_an_automatic_orders_ready_pdf_counts_as_its_scan(partner_a, campaign, staff_a, operator_reviewer):
    CampaignParticipation.objects.filter(partner=partner_a, campaign=campaign).update(
        order_mode=CampaignParticipation.OrderMode.AUTOMATIC)
    cohort, applications = cohort_awaiting_orders(partner_a, campaign, count=1)
    with at(START), run_on_commit():
        automatic_orders_run(night=START)
    enrolment = Order.objects.get(cohort=cohort, type=Order.Type.ENROLMENT, is_automatic=True)
    with at(START):
        portal_mark_entered(actor=staff_a, order=enrolment)
    registered_assignment(cohort, operator_reviewer, staff_a)
    application = applications[0]
    run_transition(Application.objects.get(pk=application.pk), "record_completion", actor=None)
    night = END + dt.timedelta(days=1)
    with at(night):
        automatic_orders_run(night=night)  # its PDF is still being rendered: no "scan" yet
    completion = Order.objects.get(cohort=cohort, type=Order.Type.EXPULSION, is_automatic=True)
    ApplicationDocumentFactory(application=application, kind=ApplicationDocument.Kind.ALL_PARTY_CONTRACT)
    document = QualificationDocument.objects.create(application=application, series="70", number="000001",
                                                    registration_number="1", issued_on=END)
    document.scan.save("qualification.pdf", SimpleUploadedFile("q.pdf", pdf_bytes()))

    assert not OrderScan.objects.filter(order__cohort=cohort).exists()
    enrolment.document.refresh_from_db()
    assert enrolment.document.status == GeneratedDocument.Status.READY, enrolment.document.error
    assert candidates_of(cohort)[application.pk].reasons == [NO_COMPLETION_SCAN]

    order_render(document_id=completion.document_id)
    assert candidates_of(cohort)[application.pk].eligible
    act = generate_act(staff_a, cohort, [application])
    assert list(act.lines.values_list("application_id", flat=True)) == [application.pk]


# The act's sum and PDF --------------------------------------------------------------------------

def test_the_act_sums_its_citizens_prices_and_its_pdf_lists_exactly_them(partner_a, campaign, staff_a,
                                                                         operator_reviewer):
    cohort, applications = finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=3)
    one, two, left_out = applications
    Application.objects.filter(pk=two.pk).update(reserved_amount=Decimal("30500.50"))

    act = generate_act(staff_a, cohort, [one, two])

    assert act.amount == Decimal("75500.50")
    assert sorted(act.lines.values_list("application_id", "price")) == sorted(
        [(one.pk, Decimal("45000.00")), (two.pk, Decimal("30500.50"))])
    assert "сумма 75\u00a0500,50 ₽" in act.events.get().comment
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(act.document.file.open("rb")).pages)
    for chosen in (one, two):
        assert chosen.rr_number in text
        assert chosen.citizen.full_name in text
    assert left_out.rr_number not in text
    assert left_out.citizen.full_name not in text
    assert "45 000,00" in text
    assert "30 500,50" in text
    assert "Итого 75 500,50" in text
