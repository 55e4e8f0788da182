"""The cohort reporting pages through the Django test client (Acceptance 2): the assignment signed
and registered, then a whole act cycle — generation, the journal with screenshots, the operator's
rejection with remarks, the journal replaced (the old version kept), approval, the partner's
signature with the invoice, the signature check, the operator's signature with the act's date.
Each step is open to one role only (the other gets 403 and nothing changes) and leaves an event;
an illegal step is refused with a Russian message and changes nothing. Also the work queue's
filters and its constant number of queries, both sides' cohort page, and the assignment's ZIP."""
import datetime as dt
import io
import zipfile
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cohorts.models import Act, ActInvoice, Assignment, EmploymentReport, JournalFile, JournalPackage
from documents.models import GeneratedDocument, Signature
from tests.cohorts.support import complete, enrolled_cohort, operator_with_signatory, pdf_upload, png_upload
from tests.programs.factories import CohortFactory, ProgramFactory
from tests.programs.test_contract_support import ready_document, sign, signature_file

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")
AFTER_START = dt.datetime(2026, 3, 3, 12, tzinfo=MOSCOW)
AFTER_END = dt.datetime(2026, 5, 4, 12, tzinfo=MOSCOW)
ACT_DATE = dt.date(2026, 5, 4)
READY = GeneratedDocument.Status.READY


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """POST as `user`; PDFs, archives and e-mails queued on commit run before it returns."""
    def _post(user, name, pk, data=None):
        client.force_login(user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse(f"cohorts:{name}", args=[pk]), data or {})
        response.flow_messages = [str(message) for message in get_messages(response.wsgi_request)]
        client.cookies.pop("messages", None)  # each response shows only its own messages
        return response
    return _post


@pytest.fixture
def get(client):
    def _get(user, name, pk=None, data=None):
        client.force_login(user)
        return client.get(reverse(f"cohorts:{name}", args=[pk] if pk is not None else []), data or {})
    return _get


@pytest.fixture
def cohort_apps(partner_a, campaign, staff_a, operator_org):
    operator_with_signatory(operator_org)
    return enrolled_cohort(partner_a, campaign, staff_a, count=3)


def messages_of(response) -> list[str]:
    return response.flow_messages


def transitions(act: Act) -> list[str]:
    return list(act.events.order_by("pk").values_list("transition", flat=True))


def status(obj) -> str:
    return type(obj).objects.values_list("status", flat=True).get(pk=obj.pk)


def signed(**extra) -> dict:
    return {"file": signature_file(), "confirmed": "1", **extra}


def registered_assignment(post, cohort, operator, staff) -> Assignment:
    with time_machine.travel(AFTER_START, tick=False):
        response = post(operator, "assignment_generate", cohort.pk, {"confirmed": "1"})
    assert response.status_code == 302, messages_of(response)
    assignment = Assignment.objects.select_related("document").get(cohort=cohort)
    assert assignment.document.status == READY, assignment.document.error
    assert post(staff, "assignment_sign_operator", assignment.pk, signed()).status_code == 404  # not visible yet
    assert post(operator, "assignment_sign_operator", assignment.pk, signed()).status_code == 302
    assert post(operator, "assignment_sign_partner", assignment.pk, signed()).status_code == 403
    assert post(staff, "assignment_sign_partner", assignment.pk, signed()).status_code == 302
    assert post(staff, "assignment_register", assignment.pk, {"confirmed": "1"}).status_code == 403
    assert post(operator, "assignment_register", assignment.pk, {"confirmed": "1"}).status_code == 302
    assert status(assignment) == Assignment.Status.REGISTERED
    return assignment


# The assignment -------------------------------------------------------------------------------

def test_the_assignment_is_generated_signed_by_both_and_downloaded_as_a_zip(post, get, cohort_apps, staff_a,
                                                                             operator_reviewer):
    cohort, _apps = cohort_apps
    with time_machine.travel(AFTER_START, tick=False):
        page = get(operator_reviewer, "cohort_detail", cohort.pk)
        assert "Сформировать задание" in page.content.decode()
        unconfirmed = post(operator_reviewer, "assignment_generate", cohort.pk)
        assert unconfirmed.status_code == 200
        assert not Assignment.objects.exists()
        assert post(staff_a, "assignment_generate", cohort.pk, {"confirmed": "1"}).status_code == 403
        post(operator_reviewer, "assignment_generate", cohort.pk, {"confirmed": "1"})
    assignment = Assignment.objects.get(cohort=cohort)
    # Until the operator signs, the partner does not know the assignment exists.
    assert get(staff_a, "assignment_file", assignment.pk).status_code == 404
    assert get(staff_a, "assignment_archive", assignment.pk).status_code == 404
    assert assignment.number not in get(staff_a, "cohort_detail", cohort.pk).content.decode()
    assert get(operator_reviewer, "assignment_file", assignment.pk).status_code == 200

    response = post(operator_reviewer, "assignment_sign_operator", assignment.pk, {"file": signature_file()})
    assert "отметьте подтверждение" in " ".join(messages_of(response))
    assert status(assignment) == Assignment.Status.READY
    post(operator_reviewer, "assignment_sign_operator", assignment.pk, signed())
    assert get(staff_a, "assignment_file", assignment.pk).status_code == 200
    assert "Загрузить подпись" in get(staff_a, "cohort_detail", cohort.pk).content.decode()
    post(staff_a, "assignment_sign_partner", assignment.pk, signed())
    assert status(assignment) == Assignment.Status.SIGNED_BY_BOTH

    response = get(staff_a, "assignment_archive", assignment.pk)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert f"Задание {assignment.number}.pdf" in names
    assert sorted(name for name in names if name.endswith(".sig")) == [
        f"Задание {assignment.number} — подпись ОП.sig", f"Задание {assignment.number} — подпись ФО.sig"]
    for signature in Signature.objects.filter(document=assignment.document):
        assert get(staff_a, "signature_file", signature.pk).status_code == 200

    response = post(operator_reviewer, "assignment_register", assignment.pk, {"confirmed": "1"})
    assert status(assignment) == Assignment.Status.REGISTERED
    assert messages_of(response) == ["Регистрация задания отмечена."]
    again = post(operator_reviewer, "assignment_register", assignment.pk, {"confirmed": "1"})
    assert "недоступно в статусе «Зарегистрировано»" in messages_of(again)[0]
    assert list(assignment.events.order_by("pk").values_list("transition", flat=True)) == [
        "generate", "sign_by_operator", "sign_by_partner", "register"]


def test_staff_of_another_partner_get_404(post, get, cohort_apps, staff_a, staff_b, operator_reviewer):
    cohort, _apps = cohort_apps
    assignment = registered_assignment(post, cohort, operator_reviewer, staff_a)
    assert get(staff_b, "cohort_detail", cohort.pk).status_code == 404
    assert get(staff_b, "assignment_archive", assignment.pk).status_code == 404
    signature = Signature.objects.filter(document=assignment.document).first()
    assert get(staff_b, "signature_file", signature.pk).status_code == 404
    assert post(staff_b, "journal_upload", cohort.pk, {}).status_code == 404


# The act cycle --------------------------------------------------------------------------------

def test_a_whole_act_cycle_through_the_views(post, get, cohort_apps, staff_a, operator_reviewer):
    cohort, apps = cohort_apps
    registered_assignment(post, cohort, operator_reviewer, staff_a)
    complete(apps, staff_a, cohort=cohort)
    chosen = {"application": [apps[0].pk, apps[1].pk], "confirmed": "1"}
    with time_machine.travel(AFTER_END, tick=False):
        page = get(staff_a, "cohort_detail", cohort.pk).content.decode()
        assert "Сформировать акт для выбранных слушателей" in page

        # Generate: the partner only; without confirmation, the page listing the citizens.
        assert post(operator_reviewer, "act_generate", cohort.pk, chosen).status_code == 403
        confirm = post(staff_a, "act_generate", cohort.pk, {"application": chosen["application"]})
        assert confirm.status_code == 200
        assert apps[0].citizen.full_name in confirm.content.decode()
        assert not Act.objects.exists()
        post(staff_a, "act_generate", cohort.pk, chosen)
        act = Act.objects.get(cohort=cohort)
        assert status(act) == Act.Status.JOURNAL_REQUIRED
        assert act.amount == Decimal("90000.00")
        assert act.lines.count() == 2
        assert transitions(act) == ["generate"]
        # The same citizens cannot go into a second act.
        again = post(staff_a, "act_generate", cohort.pk, chosen)
        assert "уже включён в акт" in " ".join(messages_of(again))
        assert Act.objects.count() == 1

        # Journal required: approval is refused; the operator may not upload the journal.
        refused = post(operator_reviewer, "act_approve", act.pk, {"confirmed": "1"})
        assert messages_of(refused) == ["Действие «Согласовать» недоступно в статусе «Необходимо загрузить журнал»."]
        journal = {"journal": pdf_upload("journal.pdf"), "screenshots": [png_upload()]}
        assert post(operator_reviewer, "journal_upload", cohort.pk, journal).status_code == 403
        assert status(act) == Act.Status.JOURNAL_REQUIRED

        # The journal and a screenshot: under review.
        post(staff_a, "journal_upload", cohort.pk, {"journal": pdf_upload("journal.pdf"),
                                                    "screenshots": [png_upload()]})
        assert status(act) == Act.Status.UNDER_REVIEW
        assert transitions(act)[-1] == "submit_journal"
        act.refresh_from_db()
        assert act.review_due is not None

        # Under review: the partner may neither approve nor sign.
        assert post(staff_a, "act_approve", act.pk, {"confirmed": "1"}).status_code == 403
        early = post(staff_a, "act_sign_partner", act.pk, signed(invoice=[pdf_upload("invoice.pdf")]))
        assert messages_of(early) == [
            "Действие «Подписать и приложить счёт» недоступно в статусе «На согласовании»."]
        assert not ActInvoice.objects.exists()
        assert not Signature.objects.filter(document=act.document).exists()

        # The operator rejects with remarks (a comment is required).
        assert post(staff_a, "act_reject", act.pk, {"comment": "Нет", "confirmed": "1"}).status_code == 403
        blank = post(operator_reviewer, "act_reject", act.pk, {"comment": " ", "confirmed": "1"})
        assert status(act) == Act.Status.UNDER_REVIEW
        assert messages_of(blank)
        post(operator_reviewer, "act_reject", act.pk, {"comment": "Замените журнал: нет подписи.",
                                                        "confirmed": "1"})
        act.refresh_from_db()
        assert status(act) == Act.Status.REJECTED
        assert act.rejection_comment == "Замените журнал: нет подписи."
        assert act.answer_due is not None
        page = get(staff_a, "cohort_detail", cohort.pk).content.decode()
        assert "Замените журнал: нет подписи." in page
        assert "Заменить журнал" in page

        # While the journal is rejected, the act cannot simply be sent back: the journal is replaced.
        resubmit = post(staff_a, "act_resubmit", act.pk, {"comment": "Исправлено", "confirmed": "1"})
        assert "замените их" in messages_of(resubmit)[0]
        assert status(act) == Act.Status.REJECTED
        post(staff_a, "journal_upload", cohort.pk, {"journal": pdf_upload("journal-2.pdf"),
                                                    "screenshots": [png_upload(), png_upload("two.png")],
                                                    "comment": "Журнал подписан"})
        assert status(act) == Act.Status.UNDER_REVIEW
        assert transitions(act)[-1] == "resubmit"
        assert cohort.remarks.filter(is_operator=False, text="Журнал подписан").exists()
        package = JournalPackage.objects.get(cohort=cohort)
        assert package.version == 2
        assert package.rejected_at is None
        assert JournalFile.objects.filter(package=package, version=1).count() == 2  # the old version is kept
        old = JournalFile.objects.get(package=package, version=1, kind=JournalFile.Kind.JOURNAL)
        download = get(operator_reviewer, "journal_file", old.pk)
        assert download.status_code == 200
        assert download["Content-Type"] == "application/pdf"
        assert download["Content-Security-Policy"] == "sandbox"

        # The operator approves; twice is refused.
        post(operator_reviewer, "act_approve", act.pk, {"confirmed": "1"})
        assert status(act) == Act.Status.APPROVED
        twice = post(operator_reviewer, "act_approve", act.pk, {"confirmed": "1"})
        assert messages_of(twice) == ["Действие «Согласовать» недоступно в статусе «Согласован. На подписи»."]

        # The partner signs with the invoice (the operator may not).
        assert post(operator_reviewer, "act_sign_partner", act.pk,
                    signed(invoice=[pdf_upload("invoice.pdf")])).status_code == 403
        no_invoice = post(staff_a, "act_sign_partner", act.pk, signed())
        assert messages_of(no_invoice)
        assert status(act) == Act.Status.APPROVED
        post(staff_a, "act_sign_partner", act.pk, signed(invoice=[pdf_upload("invoice.pdf")]))
        assert status(act) == Act.Status.SIGNED_BY_PARTNER
        assert get(operator_reviewer, "act_invoice", act.pk).status_code == 200

        # The operator checks the signature and the invoice, then signs with the act's date.
        assert post(staff_a, "act_check", act.pk, {"confirmed": "1"}).status_code == 403
        post(operator_reviewer, "act_check", act.pk, {"confirmed": "1"})
        assert status(act) == Act.Status.SIGNATURE_CHECK
        assert post(staff_a, "act_sign_operator", act.pk, signed(act_date="2026-05-04")).status_code == 403
        too_early = post(operator_reviewer, "act_sign_operator", act.pk, signed(act_date="2026-04-30"))
        assert "Дата акта" in messages_of(too_early)[0]
        assert status(act) == Act.Status.SIGNATURE_CHECK
        post(operator_reviewer, "act_sign_operator", act.pk, signed(act_date="2026-05-04"))
        act.refresh_from_db()
        assert status(act) == Act.Status.SIGNED_BY_BOTH
        assert act.act_date == ACT_DATE

        assert transitions(act) == ["generate", "submit_journal", "reject", "resubmit", "approve",
                                    "sign_by_partner", "start_signature_check", "sign_by_operator"]
        assert set(act.events.values_list("actor", flat=True)) == {staff_a.pk, operator_reviewer.pk}

        # The document archive, then its download.
        post(staff_a, "act_archive", act.pk)
        act.refresh_from_db()
        assert act.archive.status == READY, act.archive.error
        archive = get(staff_a, "act_archive_file", act.pk)
        names = zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content))).namelist()
        assert f"Акт {act.number}.pdf" in names
        assert "Журнал и скриншоты/Журнал.pdf" in names

        # The report: the operator generates it for the employed citizens, the partner only views it.
        apps[0].__class__.objects.filter(pk=apps[0].pk).update(status="employed")
        assert post(staff_a, "report_generate", act.pk, {"confirmed": "1"}).status_code == 403
        post(operator_reviewer, "report_generate", act.pk, {"confirmed": "1"})
        report = EmploymentReport.objects.get(act=act)
        assert get(staff_a, "report_file", report.pk).status_code == 200
        assert post(staff_a, "report_sign", report.pk, signed()).status_code == 403
        post(operator_reviewer, "report_sign", report.pk, signed())
        assert status(report) == EmploymentReport.Status.SIGNED

        for user in (staff_a, operator_reviewer):
            assert get(user, "cohort_detail", cohort.pk).status_code == 200


def test_a_rejection_at_the_signature_check_is_answered_and_sent_back(post, cohort_apps, staff_a,
                                                                      operator_reviewer):
    cohort, apps = cohort_apps
    registered_assignment(post, cohort, operator_reviewer, staff_a)
    complete(apps, staff_a, cohort=cohort)
    with time_machine.travel(AFTER_END, tick=False):
        post(staff_a, "journal_upload", cohort.pk, {"journal": pdf_upload(), "screenshots": [png_upload()]})
        post(staff_a, "act_generate", cohort.pk, {"application": [apps[0].pk], "confirmed": "1"})
        act = Act.objects.get(cohort=cohort)
        assert status(act) == Act.Status.UNDER_REVIEW  # the cohort's journal was already in
        post(operator_reviewer, "act_approve", act.pk, {"confirmed": "1"})
        post(staff_a, "act_sign_partner", act.pk, signed(invoice=[pdf_upload()]))
        post(operator_reviewer, "act_check", act.pk, {"confirmed": "1"})
        post(operator_reviewer, "act_reject", act.pk, {"comment": "Счёт без печати", "confirmed": "1"})
        assert status(act) == Act.Status.REJECTED
        assert post(operator_reviewer, "act_resubmit", act.pk, {"confirmed": "1"}).status_code == 403
        post(staff_a, "act_resubmit", act.pk, {"comment": "Приложен счёт с печатью", "confirmed": "1"})
        assert status(act) == Act.Status.UNDER_REVIEW
        assert list(act.remarks.values_list("is_operator", "text")) == [
            (True, "Счёт без печати"), (False, "Приложен счёт с печатью")]


def test_remarks_from_both_sides(post, get, cohort_apps, staff_a, operator_reviewer, mailoutbox):
    cohort, _apps = cohort_apps
    assert post(staff_a, "remark_add", cohort.pk, {"text": " "}).status_code == 302
    assert not cohort.remarks.exists()
    post(operator_reviewer, "remark_add", cohort.pk, {"text": "Проверьте цифровой след"})
    post(staff_a, "remark_add", cohort.pk, {"text": "Проверили"})
    assert list(cohort.remarks.values_list("is_operator", "text")) == [
        (True, "Проверьте цифровой след"), (False, "Проверили")]
    page = get(operator_reviewer, "cohort_detail", cohort.pk).content.decode()
    assert "Проверьте цифровой след" in page
    assert "Проверили" in page
    assert {message.to[0] for message in mailoutbox} == {staff_a.email, operator_reviewer.email}


# The work queue -------------------------------------------------------------------------------

def reporting_cohort(program, *, act_status=Act.Status.UNDER_REVIEW, review_due=None) -> Act:
    """A cohort with a registered assignment, an act in `act_status` and a report (set-up only)."""
    cohort = CohortFactory(program=program, start_date=dt.date(2026, 3, 2), end_date=dt.date(2026, 4, 30))
    partner = program.partner
    assignment = Assignment.objects.create(
        cohort=cohort, partner=partner, status=Assignment.Status.REGISTERED, number=f"З-{cohort.pk}",
        assignment_date=cohort.start_date, citizens=1, amount=Decimal("1.00"),
        document=ready_document(kind="assignment", title="Задание"))
    act = Act.objects.create(cohort=cohort, partner=partner, assignment=assignment, status=act_status,
                             number=f"А-{cohort.pk}", amount=Decimal("1.00"), review_due=review_due,
                             document=ready_document(kind="act", title="Акт"))
    sign(act.document, Signature.Party.PARTNER)
    EmploymentReport.objects.create(act=act, partner=partner, number=f"О-{cohort.pk}",
                                    document=ready_document(kind="employment_report", title="Отчёт"))
    return act


def test_the_queue_filters(get, cohort_apps, partner_a, campaign, staff_a, staff_b, operator_reviewer):
    cohort, _apps = cohort_apps
    program = ProgramFactory(partner=partner_a, campaign=campaign)
    overdue = reporting_cohort(program, review_due=dt.date(2026, 5, 1))
    approved = reporting_cohort(program, act_status=Act.Status.APPROVED)

    def listed(user, **filters):
        response = get(user, "cohort_list", data=filters)
        assert response.status_code == 200
        return [row["cohort"].pk for row in response.context["rows"]]

    with time_machine.travel(AFTER_START, tick=False):
        assert listed(operator_reviewer, assignment="ready_to_generate") == [cohort.pk]
        assert listed(staff_a, assignment="ready_to_generate") == [cohort.pk]
        assert listed(operator_reviewer, assignment="registered", sort="start") == [overdue.cohort_id,
                                                                                   approved.cohort_id]
        assert listed(operator_reviewer, act="under_review") == [overdue.cohort_id]
        assert listed(operator_reviewer, act="approved") == [approved.cohort_id]
        assert listed(operator_reviewer, partner=partner_a.pk, act="under_review") == [overdue.cohort_id]
        assert listed(operator_reviewer, report="generated", sort="start") == [overdue.cohort_id,
                                                                              approved.cohort_id]
        assert listed(staff_b) == []
    with time_machine.travel(AFTER_END, tick=False):
        assert listed(operator_reviewer, act="review_overdue") == [overdue.cohort_id]
        page = get(operator_reviewer, "cohort_list").content.decode()
        assert "срок согласования 01.05.2026 истёк" in page


@pytest.mark.parametrize("persona", ["citizen", "employment_reviewer"])
def test_the_queue_is_for_partner_staff_and_the_operator(get, personas, persona):
    assert get(personas[persona], "cohort_list").status_code == 403


def test_the_queue_runs_a_constant_number_of_queries(client, partner_a, campaign, staff_a, operator_reviewer):
    program = ProgramFactory(partner=partner_a, campaign=campaign)

    def queries(user) -> int:
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("cohorts:cohort_list")).status_code == 200
        return len(captured)

    for _ in range(3):
        reporting_cohort(program)
    few = {user.pk: queries(user) for user in (staff_a, operator_reviewer)}
    for _ in range(27):
        reporting_cohort(program)
    many = {user.pk: queries(user) for user in (staff_a, operator_reviewer)}
    assert many == few, (few, many)



def test_the_cohort_page_for_both_sides(get, partner_a, campaign, staff_a, operator_reviewer):
    act = reporting_cohort(ProgramFactory(partner=partner_a, campaign=campaign))
    operator_page = get(operator_reviewer, "cohort_detail", act.cohort_id).content.decode()
    partner_page = get(staff_a, "cohort_detail", act.cohort_id).content.decode()
    for page in (operator_page, partner_page):
        assert f"Акт № {act.number}" in page
        assert "На согласовании" in page
        assert reverse("cohorts:act_file", args=[act.pk]) in page
    assert reverse("cohorts:act_approve", args=[act.pk]) in operator_page
    assert reverse("cohorts:act_reject", args=[act.pk]) in operator_page
    assert reverse("cohorts:act_approve", args=[act.pk]) not in partner_page
    assert reverse("cohorts:act_sign_partner", args=[act.pk]) not in partner_page


def test_the_admin_shows_the_documents_read_only(client, partner_a, campaign, operator_reviewer):
    from accounts.groups import operator_group

    operator_reviewer.groups.add(operator_group())
    act = reporting_cohort(ProgramFactory(partner=partner_a, campaign=campaign))
    package = JournalPackage.objects.create(cohort=act.cohort, partner=partner_a)
    report = act.reports.get()
    client.force_login(operator_reviewer)
    for model, obj in ((Assignment, act.assignment), (Act, act), (JournalPackage, package),
                       (EmploymentReport, report)):
        name = f"admin:cohorts_{model._meta.model_name}"
        assert client.get(reverse(f"{name}_changelist")).status_code == 200
        page = client.get(reverse(f"{name}_change", args=[obj.pk]))
        assert page.status_code == 200
        assert reverse("cohorts:cohort_detail", args=[act.cohort_id]) in page.content.decode()
        assert client.get(reverse(f"{name}_add")).status_code == 403
        assert client.get(reverse(f"{name}_delete", args=[obj.pk])).status_code == 403
