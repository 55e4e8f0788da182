"""The journal of issued qualification documents and the ФИС ФРДО screenshots (seed 004; reference
§5.3): uploaded by the partner only from the day after the cohort end, the journal a PDF and the
screenshots PDF/JPEG/PNG, all checked by content; one package per cohort shared by all its acts,
replaced (as a new version, the old one kept) only after a rejection; acts are generated only
from the day after the cohort end too (acceptance 1 and 4)."""
import datetime as dt
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cohorts.models import Act, ActLine, JournalFile, JournalPackage
from cohorts.services import acts, journals
from core.models import OutgoingEmail
from documents.models import GeneratedDocument
from tests.cohorts.support import END, complete, enrolled_cohort, operator_with_signatory, pdf_upload, png_upload
from tests.cohorts.test_act_cycle import ACT_DAY, act_in, finished_cohort, generate_act, upload_journal
from tests.cohorts.test_assignments import at, registered_assignment, run_on_commit
from tests.enrollment.test_cabinet_support import jpeg_bytes

pytestmark = pytest.mark.django_db

DAY_AFTER_END = END + dt.timedelta(days=1)
Status = Act.Status


@pytest.fixture(autouse=True)
def _cohort_site(monkeypatch, operator_org):
    monkeypatch.setattr("cohorts.services.common.cohort_url", lambda cohort: "http://testserver/")
    operator_with_signatory(operator_org)


@pytest.fixture
def cohort(partner_a, campaign, staff_a):
    return enrolled_cohort(partner_a, campaign, staff_a, count=1)[0]


@pytest.fixture
def finished(partner_a, campaign, staff_a, operator_reviewer):
    return finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=2)


def docx_bytes() -> bytes:
    """A real (minimal) Word document: a ZIP with the OOXML parts Word needs."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as docx:
        docx.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/'
            'document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.'
            'main+xml"/></Types>'))
        docx.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'))
        docx.writestr("word/document.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Журнал выдачи</w:t></w:r></w:p></w:body>'
            '</w:document>'))
    return buffer.getvalue()


def upload(staff, cohort, day=DAY_AFTER_END, *, journal="default", screenshots="default"):
    with at(day):
        return journals.journal_upload(
            actor=staff, cohort=cohort, journal=pdf_upload("journal.pdf") if journal == "default" else journal,
            screenshots=[png_upload()] if screenshots == "default" else screenshots)


def nothing_stored():
    return not JournalPackage.objects.exists() and not JournalFile.objects.exists()


# When -------------------------------------------------------------------------------------------

def test_the_journal_is_refused_on_the_end_date_and_accepted_the_day_after(cohort, staff_a):
    with pytest.raises(ValidationError) as error:
        upload(staff_a, cohort, END)
    assert error.value.messages == ["Журнал загружается со дня, следующего за окончанием обучения (с 01.05.2026)."]
    assert nothing_stored()

    package = upload(staff_a, cohort, DAY_AFTER_END)
    assert (package.version, package.partner, package.rejected_at) == (1, cohort.program.partner, None)
    files = list(package.files.order_by("kind").values_list("kind", "version", "position", "content_type"))
    assert files == [("journal", 1, 1, "application/pdf"), ("screenshot", 1, 1, "image/png")]
    journal = package.files.get(kind="journal")
    assert journal.uploaded_by == staff_a
    assert journal.file.open("rb").read().startswith(b"%PDF-")


def test_only_the_cohorts_partner_uploads_it(cohort, staff_b, operator_reviewer):
    for user in (staff_b, operator_reviewer):
        with pytest.raises(PermissionDenied):
            upload(user, cohort)
    assert nothing_stored()


# What -------------------------------------------------------------------------------------------

def test_a_word_document_renamed_pdf_is_refused_as_the_journal(cohort, staff_a):
    fake = SimpleUploadedFile("journal.pdf", docx_bytes(), content_type="application/pdf")
    with pytest.raises(ValidationError) as error:
        upload(staff_a, cohort, journal=fake)
    assert error.value.message_dict == {
        "journal": ["Файл не является PDF-документом или повреждён. Загрузите файл в формате PDF."]}
    assert nothing_stored()


def test_an_html_page_renamed_png_is_refused_as_a_screenshot(cohort, staff_a):
    fake = SimpleUploadedFile("screen.png", "<html><body>ФИС ФРДО</body></html>".encode(), content_type="image/png")
    with pytest.raises(ValidationError) as error:
        upload(staff_a, cohort, screenshots=[png_upload("ok.png"), fake])
    assert list(error.value.message_dict) == ["screenshots"]
    assert "«screen.png» не является PDF, JPEG или PNG" in error.value.message_dict["screenshots"][0]
    assert nothing_stored()


@pytest.mark.parametrize("screenshots", [[], None, [None]])
def test_screenshots_are_required(cohort, staff_a, screenshots):
    with pytest.raises(ValidationError) as error:
        upload(staff_a, cohort, screenshots=screenshots)
    assert error.value.message_dict == {"screenshots": ["Загрузите хотя бы один скриншот из ФИС ФРДО."]}
    assert nothing_stored()


def test_the_journal_is_required(cohort, staff_a):
    with pytest.raises(ValidationError) as error:
        upload(staff_a, cohort, journal=None)
    assert error.value.message_dict == {"journal": ["Загрузите журнал в формате PDF."]}
    assert nothing_stored()


def test_screenshots_may_be_png_jpeg_or_pdf_and_keep_their_order(cohort, staff_a):
    package = upload(staff_a, cohort, screenshots=[
        png_upload("1.png"), SimpleUploadedFile("2.jpg", jpeg_bytes(), content_type="image/jpeg"),
        pdf_upload("3.pdf")])
    screenshots = list(package.files.filter(kind="screenshot").order_by("position")
                       .values_list("position", "content_type"))
    assert screenshots == [(1, "image/png"), (2, "image/jpeg"), (3, "application/pdf")]


# Versions ---------------------------------------------------------------------------------------

def test_a_second_upload_is_refused_while_the_package_is_not_rejected(cohort, staff_a):
    upload(staff_a, cohort)
    with pytest.raises(ValidationError) as error:
        upload(staff_a, cohort, DAY_AFTER_END + dt.timedelta(days=5))
    assert error.value.code == "already_uploaded"
    assert "заменить их можно, когда федеральный оператор отклонит их вместе с актом" in error.value.messages[0]
    assert JournalPackage.objects.get().version == 1
    assert JournalFile.objects.count() == 2


def test_after_a_rejection_the_replacement_is_version_2_and_version_1_is_kept(finished, staff_a, operator_reviewer):
    cohort, applications = finished
    act = act_in("rejected_at_review", staff=staff_a, operator=operator_reviewer, cohort=cohort,
                 applications=applications)
    old = {f.pk: (f.file.name, f.file.open("rb").read()) for f in JournalFile.objects.all()}

    package = upload_journal(staff_a, cohort, ACT_DAY + dt.timedelta(days=1),
                             screenshots=[png_upload("a.png"), pdf_upload("b.pdf")])

    assert (package.version, package.rejected_at) == (2, None)
    assert sorted(JournalFile.objects.values_list("version", "kind", "position")) == [
        (1, "journal", 1), (1, "screenshot", 1), (2, "journal", 1), (2, "screenshot", 1), (2, "screenshot", 2)]
    for pk, (name, content) in old.items():
        kept = JournalFile.objects.get(pk=pk)
        assert (kept.version, kept.file.name) == (1, name)
        assert kept.file.open("rb").read() == content
    assert [(f.version, f.kind, f.position) for f in journals.current_files(package)] == [
        (2, "journal", 1), (2, "screenshot", 1), (2, "screenshot", 2)]
    act.refresh_from_db()
    assert act.status == Status.UNDER_REVIEW
    assert act.review_due == dt.date(2026, 5, 29)  # 15 working days from 07.05.2026
    assert act.events.order_by("-pk").first().comment == "Загружены журнал и скриншоты (версия 2)"


# Acts: from the day after the end (acceptance 1) -----------------------------------------------

def test_no_act_on_the_end_date_one_the_day_after(partner_a, campaign, staff_a, operator_reviewer):
    cohort, applications = enrolled_cohort(partner_a, campaign, staff_a, count=1)
    registered_assignment(cohort, operator_reviewer, staff_a)
    complete(applications, staff_a, cohort=cohort)
    ids = [a.pk for a in applications]

    too_early = "Акт формируется со дня, следующего за окончанием обучения (с 01.05.2026)."
    with at(END):
        assert acts.act_blockers(cohort) == [too_early]
        with pytest.raises(ValidationError) as error:
            acts.act_generate(actor=staff_a, cohort=cohort, application_ids=ids)
    assert error.value.messages == [too_early]
    assert not Act.objects.exists()
    assert not GeneratedDocument.objects.filter(kind="act").exists()

    with at(DAY_AFTER_END):
        assert acts.act_blockers(cohort) == []
    act = generate_act(staff_a, cohort, applications, DAY_AFTER_END)
    assert act.status == Status.JOURNAL_REQUIRED
    assert list(act.lines.values_list("application_id", flat=True)) == ids


# One package, several acts (acceptance 4) -------------------------------------------------------

def journal_entries(act, staff):
    """The journal's files in the act's document archive: {archive path: stored file name}."""
    with at(ACT_DAY):
        document = acts.act_archive_request(actor=staff, act=act)
    return {entry.path: entry.file.name for entry in acts.act_archive_entries(document)
            if entry.path.startswith("Журнал и скриншоты/")}


def test_two_acts_of_a_cohort_share_one_package_and_both_see_its_replacement(partner_a, campaign, staff_a,
                                                                             operator_reviewer):
    cohort, applications = enrolled_cohort(partner_a, campaign, staff_a, count=2)
    early, late = applications
    registered_assignment(cohort, operator_reviewer, staff_a)
    complete([early], staff_a, cohort=cohort)
    first = generate_act(staff_a, cohort, [early])
    upload_journal(staff_a, cohort)
    first.refresh_from_db()
    assert first.status == Status.UNDER_REVIEW

    complete([late], staff_a, cohort=cohort)  # eligible only later (e.g. a late diploma)
    second = generate_act(staff_a, cohort, [late], ACT_DAY + dt.timedelta(days=1))
    assert second.status == Status.UNDER_REVIEW  # the package is already in
    assert second.review_due == dt.date(2026, 5, 29)
    assert second.events.order_by("pk").last().transition == "submit_journal"
    assert (first.sequence, second.sequence) == (1, 2)
    assert second.number == f"{first.number}2"
    assert OutgoingEmail.objects.filter(to=operator_reviewer.email, subject="Flow: акт ждёт согласования").count() == 2

    version_1 = {f"Журнал и скриншоты/{name}": f.file.name for name, f in (
        ("Журнал.pdf", JournalFile.objects.get(version=1, kind="journal")),
        ("Скриншот 1.png", JournalFile.objects.get(version=1, kind="screenshot")))}
    assert journal_entries(first, staff_a) == journal_entries(second, staff_a) == version_1

    with at(ACT_DAY + dt.timedelta(days=1)):
        acts.act_reject(actor=operator_reviewer, act=first, comment="Скриншот нечитаемый")
    package = upload_journal(staff_a, cohort, ACT_DAY + dt.timedelta(days=2))

    assert package.version == 2
    current = journals.current_files(JournalPackage.objects.get(cohort=cohort))
    assert {f.version for f in current} == {2}
    version_2 = {f"Журнал и скриншоты/{name}": f.file.name for name, f in (
        ("Журнал.pdf", JournalFile.objects.get(version=2, kind="journal")),
        ("Скриншот 1.png", JournalFile.objects.get(version=2, kind="screenshot")))}
    assert journal_entries(first, staff_a) == journal_entries(second, staff_a) == version_2
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.UNDER_REVIEW, Status.UNDER_REVIEW)


def test_an_act_generated_while_the_package_is_rejected_waits_for_the_replacement(finished, staff_a,
                                                                                  operator_reviewer):
    cohort, (one, two) = finished
    first = act_in("rejected_at_review", staff=staff_a, operator=operator_reviewer, cohort=cohort,
                   applications=[one])
    second = generate_act(staff_a, cohort, [two])
    assert second.status == Status.JOURNAL_REQUIRED

    upload_journal(staff_a, cohort, ACT_DAY + dt.timedelta(days=1))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.UNDER_REVIEW, Status.UNDER_REVIEW)
    assert ActLine.objects.filter(act=second).count() == 1


def test_nothing_is_stored_when_a_replacement_is_refused(finished, staff_a, operator_reviewer):
    cohort, applications = finished
    act = act_in("rejected_at_review", staff=staff_a, operator=operator_reviewer, cohort=cohort,
                 applications=applications)
    fake = SimpleUploadedFile("journal.pdf", docx_bytes(), content_type="application/pdf")
    with at(ACT_DAY), run_on_commit(), pytest.raises(ValidationError):
        journals.journal_upload(actor=staff_a, cohort=cohort, journal=fake, screenshots=[png_upload()])
    package = JournalPackage.objects.get(cohort=cohort)
    assert package.version == 1
    assert package.rejected_at is not None
    assert JournalFile.objects.filter(version=2).count() == 0
    act.refresh_from_db()
    assert act.status == Status.REJECTED


def test_too_many_screenshots_are_refused(cohort, staff_a):
    with pytest.raises(ValidationError) as error:
        upload(staff_a, cohort, screenshots=[png_upload(f"{n}.png") for n in range(journals.MAX_SCREENSHOTS + 1)])
    assert error.value.message_dict == {"screenshots": ["Не более 20 скриншотов."]}
    assert nothing_stored()


def test_replacing_the_journal_leaves_an_act_rejected_at_the_signature_check_alone(finished, staff_a,
                                                                                  operator_reviewer):
    cohort, (one, two) = finished
    at_check = act_in("rejected_at_check", staff=staff_a, operator=operator_reviewer, cohort=cohort,
                      applications=[one])
    at_review = generate_act(staff_a, cohort, [two])
    assert at_review.status == Status.UNDER_REVIEW
    with at(ACT_DAY):
        acts.act_reject(actor=operator_reviewer, act=at_review, comment="Скриншот нечитаемый")

    upload_journal(staff_a, cohort, ACT_DAY + dt.timedelta(days=1))

    at_review.refresh_from_db()
    assert at_review.status == Status.UNDER_REVIEW
    at_check.refresh_from_db()
    assert at_check.status == Status.REJECTED  # waits for the partner's answer about the invoice
