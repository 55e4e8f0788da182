"""The cohorts list as the operator's work queue (cohorts.selectors.cohort_queue): a filter per
document kind — the assignment (ready to generate, not yet, by status), the acts (ready to
generate, review overdue, by status), the reports (ready to generate, by status) — scoped to
what the user may see, with search."""
import datetime as dt

import pytest

from cohorts.models import Act
from cohorts.selectors import cohort_queue
from cohorts.services import acts, assignments, reports
from enrollment.models import Application
from programs.models import Cohort, Program
from tests.cohorts.support import END, START, complete, enrolled_cohort, operator_with_signatory
from tests.cohorts.test_act_cycle import (
    ACT_DAY,
    act_in,
    act_signed_by_both,
    finished_cohort,
    generate_act,
    sign_as_partner,
)
from tests.cohorts.test_assignments import (
    at,
    cohort_awaiting_orders,
    enrol,
    generate_assignment,
    registered_assignment,
)
from tests.cohorts.test_reports import REPORT_DAY, employ, generate
from tests.enrollment.factories import ApplicationFactory
from tests.enrollment.test_application_support import in_status
from tests.programs.test_contract_support import signature_file

pytestmark = pytest.mark.django_db

DAY_AFTER_START = START + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _cohort_site(monkeypatch, operator_org):
    monkeypatch.setattr("cohorts.services.common.cohort_url", lambda cohort: "http://testserver/")
    operator_with_signatory(operator_org)


def queue(user, today, **filters) -> set[int]:
    return {cohort.pk for cohort in cohort_queue(user, today=today, **filters)}


# The assignment ---------------------------------------------------------------------------------

def test_assignment_filters(partner_a, campaign, staff_a, operator_reviewer):
    ready, _ = enrolled_cohort(partner_a, campaign, staff_a, count=1)
    later, _ = enrolled_cohort(partner_a, campaign, staff_a, count=1, start=START + dt.timedelta(days=7))
    unentered, applications = cohort_awaiting_orders(partner_a, campaign, count=1)
    enrol(unentered, applications, staff_a, entered=False)
    waiting, _ = enrolled_cohort(partner_a, campaign, staff_a, count=1)
    in_status(ApplicationFactory(program=waiting.program, cohort=waiting), Application.Status.ENROLMENT_ORDER_REQUIRED)
    empty, _ = cohort_awaiting_orders(partner_a, campaign, count=0)
    signed, _ = enrolled_cohort(partner_a, campaign, staff_a, count=1)
    assignment = generate_assignment(operator_reviewer, signed)
    with at(DAY_AFTER_START):
        assignments.assignment_sign_by_operator(actor=operator_reviewer, assignment=assignment, file=signature_file())
    generated, _ = enrolled_cohort(partner_a, campaign, staff_a, count=1)
    generate_assignment(operator_reviewer, generated)

    assert queue(operator_reviewer, DAY_AFTER_START, assignment="ready_to_generate") == {ready.pk}
    assert queue(operator_reviewer, START, assignment="ready_to_generate") == set()  # not on the start day
    assert queue(operator_reviewer, DAY_AFTER_START, assignment="not_yet") == {
        later.pk, unentered.pk, waiting.pk, empty.pk}
    assert queue(operator_reviewer, DAY_AFTER_START, assignment="signed_by_operator") == {signed.pk}
    assert queue(operator_reviewer, DAY_AFTER_START, assignment="ready") == {generated.pk}
    flags = {c.pk: c.assignment_ready for c in cohort_queue(operator_reviewer, today=DAY_AFTER_START)}
    assert flags == {ready.pk: True, later.pk: False, unentered.pk: False, waiting.pk: False, empty.pk: False,
                     signed.pk: False, generated.pk: False}


# Acts -------------------------------------------------------------------------------------------

def test_act_filters(partner_a, campaign, staff_a, operator_reviewer):
    ready, _ = finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=1)
    covered, covered_applications = finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=1)
    act = act_in(Act.Status.UNDER_REVIEW, staff=staff_a, operator=operator_reviewer, cohort=covered,
                 applications=covered_applications)
    failed, failed_applications = enrolled_cohort(partner_a, campaign, staff_a, count=1)
    registered_assignment(failed, operator_reviewer, staff_a)
    complete(failed_applications, staff_a, cohort=failed, successful=False)
    unregistered, unregistered_applications = enrolled_cohort(partner_a, campaign, staff_a, count=1)
    generate_assignment(operator_reviewer, unregistered)
    complete(unregistered_applications, staff_a, cohort=unregistered)

    assert queue(operator_reviewer, ACT_DAY, act="ready_to_generate") == {ready.pk}
    assert queue(operator_reviewer, END, act="ready_to_generate") == set()  # not on the end date
    assert queue(operator_reviewer, ACT_DAY, act="under_review") == {covered.pk}
    assert queue(operator_reviewer, ACT_DAY, act="journal_required") == set()
    assert act.review_due == dt.date(2026, 5, 28)
    assert queue(operator_reviewer, act.review_due, act="review_overdue") == set()
    assert queue(operator_reviewer, act.review_due + dt.timedelta(days=1), act="review_overdue") == {covered.pk}
    with at(ACT_DAY):
        acts.act_approve(actor=operator_reviewer, act=act)
    assert queue(operator_reviewer, act.review_due + dt.timedelta(days=1), act="review_overdue") == set()
    assert queue(operator_reviewer, ACT_DAY, act="approved") == {covered.pk}
    flags = {c.pk: (c.act_ready, c.acts_total) for c in cohort_queue(operator_reviewer, today=ACT_DAY)}
    assert flags == {ready.pk: (True, 0), covered.pk: (False, 1), failed.pk: (False, 0),
                     unregistered.pk: (False, 0)}


def test_a_cohort_with_a_citizen_left_out_of_its_first_act_is_ready_for_another(partner_a, campaign, staff_a,
                                                                                operator_reviewer):
    cohort, (one, _two) = finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=2)
    generate_act(staff_a, cohort, [one])
    assert queue(operator_reviewer, ACT_DAY, act="ready_to_generate") == {cohort.pk}
    assert queue(operator_reviewer, ACT_DAY, act="journal_required") == {cohort.pk}


# Reports ----------------------------------------------------------------------------------------

def test_report_filters(partner_a, campaign, staff_a, operator_reviewer):
    cohort, applications = finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=2)
    act = act_signed_by_both(staff_a, operator_reviewer, cohort, applications)
    assert queue(operator_reviewer, REPORT_DAY, report="ready_to_generate") == set()  # nobody employed yet

    employ(applications[0])
    assert queue(operator_reviewer, REPORT_DAY, report="ready_to_generate") == {cohort.pk}
    report = generate(operator_reviewer, act)
    assert queue(operator_reviewer, REPORT_DAY, report="ready_to_generate") == set()
    assert queue(operator_reviewer, REPORT_DAY, report="generated") == {cohort.pk}

    with at(REPORT_DAY):
        reports.report_sign(actor=operator_reviewer, report=report, file=signature_file())
    assert queue(operator_reviewer, REPORT_DAY, report="generated") == set()
    assert queue(operator_reviewer, REPORT_DAY, report="signed") == {cohort.pk}
    assert queue(operator_reviewer, REPORT_DAY, report="ready_to_generate") == set()
    employ(applications[1])
    assert queue(operator_reviewer, REPORT_DAY, report="ready_to_generate") == {cohort.pk}


def test_an_open_report_of_one_act_does_not_hide_another_acts_report(partner_a, campaign, staff_a,
                                                                     operator_reviewer):
    cohort, (one, two) = finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=2)
    first = act_signed_by_both(staff_a, operator_reviewer, cohort, [one])
    second = generate_act(staff_a, cohort, [two])
    with at(ACT_DAY):
        second = acts.act_approve(actor=operator_reviewer, act=second)
        second = sign_as_partner(staff_a, second)
        second = acts.act_start_signature_check(actor=operator_reviewer, act=second)
        acts.act_sign_by_operator(actor=operator_reviewer, act=second, signature=signature_file(), act_date=ACT_DAY)
    employ(one)
    generate(operator_reviewer, first)  # waits for the operator's signature
    employ(two)  # the second act now has an employed citizen in no report

    assert queue(operator_reviewer, REPORT_DAY, report="ready_to_generate") == {cohort.pk}


# Scope and search -------------------------------------------------------------------------------

def test_partner_staff_see_only_their_cohorts(partner_a, partner_b, campaign, staff_a, staff_b, operator_reviewer):
    mine, _ = enrolled_cohort(partner_a, campaign, staff_a, count=1)
    theirs, _ = enrolled_cohort(partner_b, campaign, staff_b, count=1)
    assert queue(staff_a, DAY_AFTER_START) == {mine.pk}
    assert queue(staff_b, DAY_AFTER_START) == {theirs.pk}
    assert queue(operator_reviewer, DAY_AFTER_START) == {mine.pk, theirs.pk}
    assert queue(staff_b, DAY_AFTER_START, assignment="ready_to_generate") == {theirs.pk}
    assert queue(operator_reviewer, DAY_AFTER_START, partner=partner_b) == {theirs.pk}


def test_search_by_program_odin_id_or_partner(partner_a, partner_b, campaign, staff_a, staff_b, operator_reviewer):
    welding, _ = enrolled_cohort(partner_a, campaign, staff_a, count=1)
    nursing, _ = enrolled_cohort(partner_b, campaign, staff_b, count=1)
    Program.objects.filter(pk=welding.program_id).update(title="Сварщик ручной дуговой сварки")
    Program.objects.filter(pk=nursing.program_id).update(title="Младшая медицинская сестра")
    Cohort.objects.filter(pk=nursing.pk).update(odin_id="ODIN-7741")

    assert queue(operator_reviewer, DAY_AFTER_START, search="Сварщик") == {welding.pk}
    assert queue(operator_reviewer, DAY_AFTER_START, search="  ODIN-774 ") == {nursing.pk}
    assert queue(operator_reviewer, DAY_AFTER_START, search="Партнёр Б") == {nursing.pk}
    assert queue(operator_reviewer, DAY_AFTER_START, search="медицинская") == {nursing.pk}
    assert queue(staff_a, DAY_AFTER_START, search="медицинская") == set()
    assert queue(operator_reviewer, DAY_AFTER_START, search="нет такого") == set()


@pytest.mark.postgres
def test_search_ignores_the_case_of_cyrillic_on_postgresql(partner_a, campaign, staff_a, operator_reviewer):
    """SQLite's LIKE folds ASCII only; PostgreSQL (production) folds Cyrillic too."""
    welding, _ = enrolled_cohort(partner_a, campaign, staff_a, count=1)
    Program.objects.filter(pk=welding.program_id).update(title="Сварщик ручной дуговой сварки")
    assert queue(operator_reviewer, DAY_AFTER_START, search="СВАРЩИК") == {welding.pk}
    assert queue(operator_reviewer, DAY_AFTER_START, search="партнёр а") == {welding.pk}
