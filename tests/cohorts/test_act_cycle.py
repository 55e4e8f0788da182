"""The act's status machine through the services (reference §5.4; DESIGN §4): journal required →
under review (15 working days) → rejected with remarks (3 working days to answer; at review the
journal package is rejected too) → back to review → approved → signed by the partner with an
invoice → signature check → (rejected: answered and regenerated) → signed by the operator with the
act's date. Each step by the wrong side is forbidden, each illegal one is refused in Russian,
nothing changes on a refusal, and each step e-mails the other side.

The plain helpers at the top (`finished_cohort`, `generate_act`, `upload_journal`, `act_in`, …)
are shared by the other cohort test modules."""
import datetime as dt
import re
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from accounts.models import Membership
from cohorts.models import Act, ActEvent, ActInvoice, CohortRemark, JournalPackage
from cohorts.services import acts, journals
from core.fsm import InvalidTransition
from core.models import OutgoingEmail
from documents.models import GeneratedDocument, Signature
from enrollment.models import Application
from tests.cohorts.support import END, complete, enrolled_cohort, operator_with_signatory, pdf_upload, png_upload
from tests.cohorts.test_assignments import at, registered_assignment, run_on_commit
from tests.factories import MembershipFactory, UserFactory
from tests.programs.test_contract_support import signature_file

pytestmark = pytest.mark.django_db

# A Wednesday after the cohort end (Thu 30.04.2026) and the May Day holiday.
ACT_DAY = dt.date(2026, 5, 6)
Status = Act.Status


# Shared helpers ---------------------------------------------------------------------------------

def fresh(applications) -> list[Application]:
    return [Application.objects.select_related("citizen").get(pk=a.pk) for a in applications]


def finished_cohort(partner, campaign, staff, operator, *, count=2, **complete_kwargs):
    """A cohort with its assignment registered and `count` citizens completed (all six act
    conditions met unless `complete_kwargs` take one away)."""
    cohort, applications = enrolled_cohort(partner, campaign, staff, count=count)
    registered_assignment(cohort, operator, staff)
    complete(applications, staff, cohort=cohort, **complete_kwargs)
    return cohort, fresh(applications)


def generate_act(staff, cohort, applications, day: dt.date = ACT_DAY) -> Act:
    """The partner generates an act for `applications` on `day`; its PDF is rendered."""
    with at(day), run_on_commit():
        act = acts.act_generate(actor=staff, cohort=cohort, application_ids=[a.pk for a in applications])
    act.document.refresh_from_db()
    assert act.document.status == GeneratedDocument.Status.READY, act.document.error
    return act


def upload_journal(staff, cohort, day: dt.date = ACT_DAY, *, screenshots=None) -> JournalPackage:
    with at(day), run_on_commit():
        return journals.journal_upload(actor=staff, cohort=cohort, journal=pdf_upload("journal.pdf"),
                                       screenshots=screenshots or [png_upload()])


def sign_as_partner(staff, act, day: dt.date = ACT_DAY) -> Act:
    with at(day):
        return acts.act_sign_by_partner(actor=staff, act=act, signature=signature_file(),
                                        invoice_files=[pdf_upload("счёт.pdf")])


def act_in(state: str, *, staff, operator, cohort, applications) -> Act:
    """An act of `applications` driven through the services into `state` (a status, or
    "rejected_at_review" / "rejected_at_check"), everything on ACT_DAY."""
    act = generate_act(staff, cohort, applications)
    if state == Status.JOURNAL_REQUIRED:
        return act
    upload_journal(staff, cohort)
    act.refresh_from_db()
    if state == Status.UNDER_REVIEW:
        return act
    with at(ACT_DAY):
        if state == "rejected_at_review":
            return acts.act_reject(actor=operator, act=act, comment="Журнал не подписан")
        act = acts.act_approve(actor=operator, act=act)
        if state == Status.APPROVED:
            return act
        act = sign_as_partner(staff, act)
        if state == Status.SIGNED_BY_PARTNER:
            return act
        act = acts.act_start_signature_check(actor=operator, act=act)
        if state == Status.SIGNATURE_CHECK:
            return act
        if state == "rejected_at_check":
            return acts.act_reject(actor=operator, act=act, comment="Счёт без печати")
        act = acts.act_sign_by_operator(actor=operator, act=act, signature=signature_file(), act_date=ACT_DAY)
    assert state == Status.SIGNED_BY_BOTH, state
    return act


def act_signed_by_both(staff, operator, cohort, applications) -> Act:
    return act_in(Status.SIGNED_BY_BOTH, staff=staff, operator=operator, cohort=cohort, applications=applications)


def snapshot(act) -> tuple:
    """Everything a refused step must leave as it was."""
    act = Act.objects.get(pk=act.pk)
    return (act.status, act.document_id, act.review_due, act.answer_due, act.rejection_comment, act.act_date,
            ActEvent.objects.filter(subject=act).count(), CohortRemark.objects.filter(cohort=act.cohort).count(),
            Signature.objects.count(), ActInvoice.objects.filter(act=act).count(),
            list(JournalPackage.objects.filter(cohort=act.cohort).values_list("version", "rejected_at")),
            GeneratedDocument.objects.count(), OutgoingEmail.objects.count())


# This module's fixtures -------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _cohort_site(monkeypatch, operator_org):
    monkeypatch.setattr("cohorts.services.common.cohort_url", lambda cohort: "http://testserver/")
    operator_with_signatory(operator_org)


@pytest.fixture
def finished(partner_a, campaign, staff_a, operator_reviewer):
    return finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=2)


@pytest.fixture
def other_staff(partner_a):
    return MembershipFactory(organization=partner_a, user=UserFactory(email="staff.a2@example.org")).user


@pytest.fixture
def other_reviewer(operator_org):
    user = UserFactory(email="fo2@example.org", is_staff=True)
    MembershipFactory(organization=operator_org, role=Membership.Role.OPERATOR_REVIEWER, user=user)
    return user


# The whole cycle --------------------------------------------------------------------------------

def test_the_whole_cycle_with_a_rejection_at_review_and_one_at_the_signature_check(
        finished, staff_a, other_staff, staff_b, operator_reviewer, other_reviewer):
    cohort, applications = finished
    partner_side = sorted([staff_a.email, other_staff.email])
    operator_side = sorted([operator_reviewer.email, other_reviewer.email])
    last_mail = [0]

    def mailed() -> list[str]:
        rows = OutgoingEmail.objects.filter(pk__gt=last_mail[0]).order_by("pk")
        last_mail[0] = OutgoingEmail.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        return sorted(rows.values_list("to", flat=True))

    mailed()
    act = generate_act(staff_a, cohort, applications)
    assert act.status == Status.JOURNAL_REQUIRED
    assert mailed() == []  # the partner itself must upload the journal first

    upload_journal(staff_a, cohort)
    act.refresh_from_db()
    assert act.status == Status.UNDER_REVIEW
    assert act.review_due == dt.date(2026, 5, 28)  # 15 working days (11.05 is a holiday)
    assert mailed() == operator_side

    with at(ACT_DAY):
        act = acts.act_reject(actor=operator_reviewer, act=act, comment="  Журнал без подписи руководителя  ")
    assert act.status == Status.REJECTED
    assert act.rejection_comment == "Журнал без подписи руководителя"
    assert act.answer_due == dt.date(2026, 5, 12)  # 3 working days
    assert JournalPackage.objects.get(cohort=cohort).rejected_at is not None
    remark = CohortRemark.objects.get(cohort=cohort)
    assert (remark.act, remark.author, remark.is_operator, remark.text) == (
        act, operator_reviewer, True, "Журнал без подписи руководителя")
    assert mailed() == partner_side
    assert "Журнал без подписи руководителя" in OutgoingEmail.objects.filter(to=staff_a.email).first().body_text

    upload_journal(staff_a, cohort, dt.date(2026, 5, 8))
    act.refresh_from_db()
    assert act.status == Status.UNDER_REVIEW
    assert act.review_due == dt.date(2026, 6, 1)
    assert act.answer_due is None
    assert mailed() == operator_side

    with at(dt.date(2026, 5, 12)):
        act = acts.act_approve(actor=operator_reviewer, act=act)
    assert act.status == Status.APPROVED
    assert act.rejection_comment == ""
    assert mailed() == partner_side

    first_pdf = act.document
    act = sign_as_partner(staff_a, act, dt.date(2026, 5, 12))
    assert act.status == Status.SIGNED_BY_PARTNER
    assert Signature.objects.get(document=first_pdf).party == Signature.Party.PARTNER
    assert act.invoices.get().version == 1
    assert mailed() == operator_side

    with at(dt.date(2026, 5, 13)):
        act = acts.act_start_signature_check(actor=operator_reviewer, act=act)
        assert act.status == Status.SIGNATURE_CHECK
        assert mailed() == []
        act = acts.act_reject(actor=operator_reviewer, act=act, comment="Счёт без печати")
    assert act.status == Status.REJECTED
    assert act.answer_due == dt.date(2026, 5, 18)
    assert JournalPackage.objects.get(cohort=cohort).rejected_at is None  # the journal stays accepted
    assert mailed() == partner_side

    with at(dt.date(2026, 5, 14)), run_on_commit():
        act = acts.act_resubmit(actor=staff_a, act=act, comment="Приложим счёт с печатью")
    assert act.status == Status.UNDER_REVIEW
    assert act.review_due == dt.date(2026, 6, 4)
    answer = CohortRemark.objects.filter(cohort=cohort).latest("pk")
    assert (answer.author, answer.is_operator, answer.text) == (staff_a, False, "Приложим счёт с печатью")
    assert mailed() == operator_side
    second_pdf = GeneratedDocument.objects.get(pk=act.document_id)
    assert second_pdf.pk != first_pdf.pk
    assert second_pdf.status == GeneratedDocument.Status.READY, second_pdf.error
    assert GeneratedDocument.objects.filter(pk=first_pdf.pk).exists()  # the signed first PDF is kept
    assert Signature.objects.filter(document=first_pdf).count() == 1

    with at(dt.date(2026, 5, 15)):
        act = acts.act_approve(actor=operator_reviewer, act=act)
    act = sign_as_partner(staff_a, act, dt.date(2026, 5, 15))
    assert list(act.invoices.values_list("version", flat=True)) == [2, 1]
    assert Signature.objects.get(document=second_pdf).party == Signature.Party.PARTNER
    mailed()

    with at(dt.date(2026, 5, 18)):
        act = acts.act_start_signature_check(actor=operator_reviewer, act=act)
        for wrong in (END - dt.timedelta(days=1), END, dt.date(2026, 5, 19), None):
            before = snapshot(act)
            with pytest.raises(ValidationError) as error:
                acts.act_sign_by_operator(actor=operator_reviewer, act=act, signature=signature_file(),
                                          act_date=wrong)
            assert "act_date" in error.value.message_dict
            assert snapshot(act) == before
        act = acts.act_sign_by_operator(actor=operator_reviewer, act=act, signature=signature_file(),
                                        act_date=dt.date(2026, 5, 18))
    assert act.status == Status.SIGNED_BY_BOTH
    assert act.act_date == dt.date(2026, 5, 18)
    assert sorted(Signature.objects.filter(document=second_pdf).values_list("party", flat=True)) == [
        Signature.Party.OPERATOR, Signature.Party.PARTNER]
    assert mailed() == partner_side
    assert staff_b.email not in OutgoingEmail.objects.values_list("to", flat=True)

    history = list(ActEvent.objects.filter(subject=act).order_by("pk").values_list("transition", "target", "actor"))
    op, pa = operator_reviewer.pk, staff_a.pk
    assert history == [
        ("generate", Status.JOURNAL_REQUIRED, pa),
        ("submit_journal", Status.UNDER_REVIEW, pa),
        ("reject", Status.REJECTED, op),
        ("resubmit", Status.UNDER_REVIEW, pa),
        ("approve", Status.APPROVED, op),
        ("sign_by_partner", Status.SIGNED_BY_PARTNER, pa),
        ("start_signature_check", Status.SIGNATURE_CHECK, op),
        ("reject", Status.REJECTED, op),
        ("resubmit", Status.UNDER_REVIEW, pa),
        ("approve", Status.APPROVED, op),
        ("sign_by_partner", Status.SIGNED_BY_PARTNER, pa),
        ("start_signature_check", Status.SIGNATURE_CHECK, op),
        ("sign_by_operator", Status.SIGNED_BY_BOTH, op),
    ]
    rejections = ActEvent.objects.filter(subject=act, transition="reject").order_by("pk")
    assert list(rejections.values_list("comment", flat=True)) == ["Журнал без подписи руководителя", "Счёт без печати"]


def test_a_rejection_needs_a_comment(finished, staff_a, operator_reviewer):
    cohort, applications = finished
    act = act_in(Status.UNDER_REVIEW, staff=staff_a, operator=operator_reviewer, cohort=cohort,
                 applications=applications)
    before = snapshot(act)
    for comment in ("", "   \n", None):
        with at(ACT_DAY), pytest.raises(ValidationError) as error:
            acts.act_reject(actor=operator_reviewer, act=act, comment=comment)
        assert error.value.messages == ["Перечислите, что нужно исправить или заменить: замечания увидит партнёр."]
    assert snapshot(act) == before


def test_after_a_rejection_at_review_the_journal_must_be_replaced_not_just_resubmitted(finished, staff_a,
                                                                                       operator_reviewer):
    cohort, applications = finished
    act = act_in("rejected_at_review", staff=staff_a, operator=operator_reviewer, cohort=cohort,
                 applications=applications)
    before = snapshot(act)
    with at(ACT_DAY), pytest.raises(ValidationError) as error:
        acts.act_resubmit(actor=staff_a, act=act, comment="Исправили")
    assert error.value.code == "journal_rejected"
    assert "замените их" in error.value.messages[0]
    assert snapshot(act) == before


def test_a_resubmission_after_the_check_regenerates_the_pdf_only_once_signed(finished, staff_a, operator_reviewer):
    """Rejected at review (no signature yet) the act keeps its PDF when it returns."""
    cohort, applications = finished
    act = act_in("rejected_at_review", staff=staff_a, operator=operator_reviewer, cohort=cohort,
                 applications=applications)
    document_id = act.document_id
    upload_journal(staff_a, cohort)
    act.refresh_from_db()
    assert act.status == Status.UNDER_REVIEW
    assert act.document_id == document_id


def test_the_partner_needs_an_invoice_scan_checked_by_content_and_a_real_signature(finished, staff_a,
                                                                                   operator_reviewer):
    cohort, applications = finished
    act = act_in(Status.APPROVED, staff=staff_a, operator=operator_reviewer, cohort=cohort,
                 applications=applications)
    html = "<html><body>счёт</body></html>".encode()
    attempts = [
        (signature_file(), [], "invoice"),
        (signature_file(), None, "invoice"),
        (signature_file(), [SimpleUploadedFile("счёт.pdf", html, content_type="application/pdf")], None),
        (pdf_upload("act.sig"), [pdf_upload("счёт.pdf")], None),
    ]
    for signature, invoice, key in attempts:
        before = snapshot(act)
        with at(ACT_DAY), pytest.raises(ValidationError) as error:
            acts.act_sign_by_partner(actor=staff_a, act=act, signature=signature, invoice_files=invoice)
        if key:
            assert key in error.value.message_dict
        assert snapshot(act) == before
    assert not Signature.objects.filter(document=act.document).exists()

    act = sign_as_partner(staff_a, act)
    invoice = act.invoices.get()
    assert (invoice.content_type, invoice.uploaded_by) == ("application/pdf", staff_a)
    assert invoice.file.open("rb").read().startswith(b"%PDF-")


def test_signing_without_a_signature_file_is_refused_in_russian(finished, staff_a, operator_reviewer):
    cohort, applications = finished
    act = act_in(Status.APPROVED, staff=staff_a, operator=operator_reviewer, cohort=cohort,
                 applications=applications)
    with at(ACT_DAY), pytest.raises(ValidationError):
        acts.act_sign_by_partner(actor=staff_a, act=act, signature=None, invoice_files=[pdf_upload("счёт.pdf")])


# Wrong side and illegal steps, state by state --------------------------------------------------

def _calls(act):
    """(name, side, call(actor)) of every step of the act's machine."""
    return [
        ("approve", "operator", lambda user: acts.act_approve(actor=user, act=act)),
        ("reject", "operator", lambda user: acts.act_reject(actor=user, act=act, comment="Замечание")),
        ("resubmit", "partner", lambda user: acts.act_resubmit(actor=user, act=act, comment="Ответ")),
        ("sign_by_partner", "partner", lambda user: acts.act_sign_by_partner(
            actor=user, act=act, signature=signature_file(), invoice_files=[pdf_upload("счёт.pdf")])),
        ("start_signature_check", "operator", lambda user: acts.act_start_signature_check(actor=user, act=act)),
        ("sign_by_operator", "operator", lambda user: acts.act_sign_by_operator(
            actor=user, act=act, signature=signature_file(), act_date=ACT_DAY)),
    ]


ALLOWED = {
    Status.JOURNAL_REQUIRED: set(),
    Status.UNDER_REVIEW: {"approve", "reject"},
    "rejected_at_review": {"resubmit"},  # refused until the journal is replaced: see the test above
    Status.APPROVED: {"sign_by_partner"},
    Status.SIGNED_BY_PARTNER: {"start_signature_check"},
    Status.SIGNATURE_CHECK: {"reject", "sign_by_operator"},
    "rejected_at_check": {"resubmit"},
    Status.SIGNED_BY_BOTH: set(),
}


@pytest.mark.parametrize("state", list(ALLOWED))
def test_in_each_state_the_wrong_side_is_forbidden_and_illegal_steps_are_refused_in_russian(
        state, finished, staff_a, staff_b, operator_reviewer):
    cohort, applications = finished
    act = act_in(state, staff=staff_a, operator=operator_reviewer, cohort=cohort, applications=applications)
    label = Act.Status(act.status).label
    sides = {"operator": operator_reviewer, "partner": staff_a}
    wrong = {"operator": [staff_a, staff_b], "partner": [operator_reviewer, staff_b]}
    with at(ACT_DAY):
        for name, side, call in _calls(act):
            for user in wrong[side]:
                before = snapshot(act)
                with pytest.raises(PermissionDenied):
                    call(user)
                assert snapshot(act) == before, (name, user)
            if name in ALLOWED[state]:
                continue
            before = snapshot(act)
            with pytest.raises(InvalidTransition) as error:
                call(sides[side])
            assert re.fullmatch(rf"Действие «[^»]+» недоступно в статусе «{label}»\.", error.value.messages[0]), (
                name, error.value.messages)
            assert snapshot(act) == before, name


def test_the_act_is_generated_by_the_partner_only(finished, staff_b, operator_reviewer):
    cohort, applications = finished
    for user in (operator_reviewer, staff_b):
        with at(ACT_DAY), pytest.raises(PermissionDenied):
            acts.act_generate(actor=user, cohort=cohort, application_ids=[a.pk for a in applications])
    assert not Act.objects.exists()


# Two operators at once ------------------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_operators_approving_the_same_act_at_once_end_with_one_approval(
        partner_a, campaign, staff_a, operator_reviewer, other_reviewer):
    cohort, applications = finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=1)
    act = act_in(Status.UNDER_REVIEW, staff=staff_a, operator=operator_reviewer, cohort=cohort,
                 applications=applications)
    approved, release_first = threading.Event(), threading.Event()
    results = {}

    def first():
        try:
            with at(ACT_DAY), transaction.atomic():
                acts.act_approve(actor=operator_reviewer, act=act)
                approved.set()
                release_first.wait(10)
            results["first"] = "ok"
        finally:
            connection.close()

    def second():
        try:
            with at(ACT_DAY):
                acts.act_approve(actor=other_reviewer, act=act)
            results["second"] = "ok"
        except InvalidTransition as error:
            results["second"] = error.messages[0]
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert approved.wait(20)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.5)
    assert two.is_alive(), "the second approval waits for the first one's row lock"
    release_first.set()
    one.join(20)
    two.join(20)

    assert results == {"first": "ok",
                       "second": "Действие «Согласовать» недоступно в статусе «Согласован. На подписи»."}
    act.refresh_from_db()
    assert act.status == Status.APPROVED
    assert list(ActEvent.objects.filter(subject=act, transition="approve").values_list("actor", flat=True)) == [
        operator_reviewer.pk]
