"""The citizen's actions (enrollment.services.cabinet): each step saves, checks every file before
storing any, and sends the documents to the check once the set is complete."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from enrollment.models import Application, ApplicationDocument, ApplicationEvent, WithdrawalRequest
from enrollment.services import cabinet as services
from tests.enrollment.test_cabinet_support import (
    add_document,
    citizen_application,
    pdf_upload,
    primary_set,
    stored_names,
    upload,
)

pytestmark = pytest.mark.django_db

Status = Application.Status
Kind = ApplicationDocument.Kind
DocStatus = ApplicationDocument.Status
PERSONAL = {"actual_address": "г. Томск, ул. Ленина, 1", "work_status": "none", "vk_url": ""}
EDUCATION = {"education_level": "higher", "education_document": "Диплом 107018 0012345 от 30.06.2010",
             "education_institution": "ТГУ"}


def _personal(application, citizen, data=None, **files):
    files = {Kind.PASSPORT_MAIN: [upload()], Kind.PASSPORT_REGISTRATION: [upload()], **files}
    return services.personal_data_save(application=application, actor=citizen, data={**PERSONAL, **(data or {})},
                                       files=files)


def _education(application, citizen, data=None, **files):
    files = {Kind.EDUCATION: [upload(), upload()], **files}
    return services.education_save(application=application, actor=citizen, data={**EDUCATION, **(data or {})},
                                   files=files)


def test_switching_on_notifications_is_recorded_once(citizen):
    application = citizen_application(citizen, notified=False)

    consents = ("processing", "transfer")
    first = services.notifications_enable(application=application, actor=citizen,
                                          consents=consents).notifications_enabled_at
    again = services.notifications_enable(application=application, actor=citizen,
                                          consents=consents).notifications_enabled_at

    assert first is not None
    assert first == again
    assert ApplicationEvent.objects.filter(subject=application, transition="notifications_enable").count() == 1


def test_the_personal_step_waits_for_notifications(citizen):
    application = citizen_application(citizen, notified=False)
    with pytest.raises(ValidationError, match="включите уведомления"):
        _personal(application, citizen)


def test_steps_two_and_three_send_the_primary_documents_to_the_check(citizen):
    application = citizen_application(citizen)

    after_personal = _personal(application, citizen)
    assert after_personal.status == Status.PRIMARY_DOCS_REQUIRED
    after_education = _education(application, citizen)

    assert after_education.status == Status.PRIMARY_DOCS_REVIEW
    citizen_row = application.citizen
    citizen_row.refresh_from_db()
    assert (citizen_row.actual_address, citizen_row.work_status, citizen_row.education_level) == (
        "г. Томск, ул. Ленина, 1", "none", "higher")
    education = ApplicationDocument.objects.get(application=application, kind=Kind.EDUCATION)
    assert education.content_type == "application/pdf"  # two photos, one PDF
    event = ApplicationEvent.objects.get(subject=application, transition="submit_primary_docs")
    assert (event.actor, event.source, event.target) == (citizen, Status.PRIMARY_DOCS_REQUIRED,
                                                         Status.PRIMARY_DOCS_REVIEW)


def test_missing_documents_are_named_and_nothing_is_stored(citizen):
    application = citizen_application(citizen)
    before = stored_names()

    with pytest.raises(ValidationError) as error:
        services.personal_data_save(application=application, actor=citizen, data=PERSONAL,
                                    files={Kind.PASSPORT_MAIN: [upload()]})

    assert error.value.message_dict == {
        Kind.PASSPORT_REGISTRATION: ["Загрузите документ «Паспорт: страница с регистрацией»."]}
    assert not ApplicationDocument.objects.exists()
    assert stored_names() == before


def test_one_bad_file_stores_none_of_the_step(citizen):
    application = citizen_application(citizen)
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError) as error:
        _personal(application, citizen, **{Kind.PASSPORT_REGISTRATION: [SimpleUploadedFile("x.pdf", b"<html>")]})

    assert list(error.value.message_dict) == [Kind.PASSPORT_REGISTRATION]
    assert not ApplicationDocument.objects.exists()


def test_an_employed_citizen_gives_a_fresh_labour_record_extract(citizen):
    application = citizen_application(citizen)
    employed = {"work_status": "employed"}
    today = timezone.localdate()

    with pytest.raises(ValidationError) as missing:
        _personal(application, citizen, employed)
    assert Kind.LABOUR_RECORD in missing.value.message_dict

    with pytest.raises(ValidationError) as old:
        _personal(application, citizen, {**employed, "labour_record_date": today - dt.timedelta(days=15)},
                  **{Kind.LABOUR_RECORD: [pdf_upload()]})
    assert old.value.message_dict["labour_record_date"] == [
        "Выписка старше двух недель. Закажите новую выписку на Госуслугах и загрузите её."]
    assert not ApplicationDocument.objects.exists()

    _personal(application, citizen, {**employed, "labour_record_date": today - dt.timedelta(days=14)},
              **{Kind.LABOUR_RECORD: [pdf_upload()]})
    assert ApplicationDocument.objects.filter(application=application, kind=Kind.LABOUR_RECORD).exists()
    assert ApplicationEvent.objects.filter(subject=application, comment__startswith="Выписка о трудовой").exists()


def test_ticked_translation_and_surname_change_are_required(citizen):
    application = citizen_application(citizen)
    with pytest.raises(ValidationError) as error:
        _education(application, citizen, {"has_translation": True, "has_surname_change": True})
    assert set(error.value.message_dict) == {Kind.EDUCATION_TRANSLATION, Kind.SURNAME_CHANGE}

    _personal(application, citizen)
    application = _education(application, citizen, {"has_translation": True, "has_surname_change": True},
                             **{Kind.EDUCATION_TRANSLATION: [pdf_upload()], Kind.SURNAME_CHANGE: [upload(), upload()]})
    assert application.status == Status.PRIMARY_DOCS_REVIEW


def test_after_a_rejection_the_citizen_uploads_again_and_resubmits(citizen):
    application = citizen_application(citizen, status=Status.PRIMARY_DOCS_REJECTED)
    primary_set(application, DocStatus.APPROVED)
    add_document(application, Kind.PASSPORT_MAIN, DocStatus.REJECTED, comment="Нечитаемо", version=2)
    citizen_row = application.citizen
    citizen_row.work_status, citizen_row.education_level = "none", "higher"
    citizen_row.save()

    with pytest.raises(ValidationError) as error:  # the rejected one is still there
        services.personal_data_save(application=application, actor=citizen, data=PERSONAL, files={})
    assert error.value.message_dict == {Kind.PASSPORT_MAIN: ["Документ отклонён: загрузите исправленный."]}

    application = services.personal_data_save(application=application, actor=citizen, data=PERSONAL,
                                              files={Kind.PASSPORT_MAIN: [upload()]})

    assert application.status == Status.PRIMARY_DOCS_REVIEW
    current = ApplicationDocument.objects.get(application=application, kind=Kind.PASSPORT_MAIN, is_current=True)
    assert (current.version, current.status) == (3, DocStatus.NEW)


def test_steps_two_and_three_close_once_submitted(citizen):
    application = citizen_application(citizen, status=Status.PRIMARY_DOCS_REVIEW)
    with pytest.raises(ValidationError, match="уже отправлены на проверку"):
        _personal(application, citizen)


def test_the_three_signed_scans_go_to_the_check(citizen):
    application = citizen_application(citizen, status=Status.ENROLMENT_DOCS_REQUIRED)
    files = {kind: [pdf_upload(pages=2)] for kind in ApplicationDocument.ENROLMENT}

    with pytest.raises(ValidationError) as error:
        services.enrolment_docs_upload(application=application, actor=citizen,
                                       files={Kind.ENROLMENT_CONTRACT: files[Kind.ENROLMENT_CONTRACT]})
    assert set(error.value.message_dict) == {Kind.PERSONAL_DATA_CONSENT, Kind.ENROLMENT_APPLICATION}

    application = services.enrolment_docs_upload(application=application, actor=citizen, files=files)

    assert application.status == Status.ENROLMENT_DOCS_REVIEW
    assert ApplicationDocument.objects.filter(application=application, kind__in=ApplicationDocument.ENROLMENT,
                                              is_current=True).count() == 3


def test_a_rejected_enrolment_scan_is_replaced_and_resubmitted(citizen):
    application = citizen_application(citizen, status=Status.ENROLMENT_DOCS_REJECTED)
    add_document(application, Kind.ENROLMENT_CONTRACT, DocStatus.REJECTED, comment="Нет подписи на с. 3")
    add_document(application, Kind.PERSONAL_DATA_CONSENT, DocStatus.APPROVED)
    add_document(application, Kind.ENROLMENT_APPLICATION, DocStatus.APPROVED)

    application = services.enrolment_docs_upload(application=application, actor=citizen,
                                                 files={Kind.ENROLMENT_CONTRACT: [pdf_upload(pages=4)]})

    assert application.status == Status.ENROLMENT_DOCS_REVIEW


def test_originals_need_approved_documents_and_a_signed_agreement(citizen):
    application = citizen_application(citizen, status=Status.AWAITING_AGREEMENT)
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="после подтверждения документов"):
        services.originals_save(application=application, actor=citizen, track_number="80082112345678",
                                sent_on=today)

    Application.objects.filter(pk=application.pk).update(status=Status.ENROLMENT_ORDER_REQUIRED,
                                                         agreement_signed_at=timezone.now())
    application.refresh_from_db()
    with pytest.raises(ValidationError):
        services.originals_save(application=application, actor=citizen, track_number="80082112345678",
                                sent_on=today + dt.timedelta(days=1))
    application = services.originals_save(application=application, actor=citizen, track_number="ra 123456789 ru",
                                          sent_on=today, comment=" Заказное ")

    assert (application.originals_track_number, application.originals_sent_on, application.originals_comment) == (
        "RA123456789RU", today, "Заказное")
    assert application.status == Status.ENROLMENT_ORDER_REQUIRED


def test_a_withdrawal_request_during_training(citizen):
    today = timezone.localdate()
    application = citizen_application(citizen, status=Status.STUDYING,
                                      cohort__start_date=today - dt.timedelta(days=20),
                                      cohort__end_date=today + dt.timedelta(days=40))

    request = services.withdrawal_request_file(application=application, actor=citizen, files=[upload()])

    application.refresh_from_db()
    assert application.status == Status.WITHDRAWAL_REVIEW
    assert request.status == WithdrawalRequest.Status.REVIEW
    assert request.filed_by == citizen
    assert request.file.read().startswith(b"\x89PNG")


def test_no_withdrawal_in_the_last_three_working_days(citizen):
    today = timezone.localdate()
    application = citizen_application(citizen, status=Status.STUDYING,
                                      cohort__start_date=today - dt.timedelta(days=40),
                                      cohort__end_date=today + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="не позднее чем"):
        services.withdrawal_request_file(application=application, actor=citizen, files=[upload()])
    assert not WithdrawalRequest.objects.exists()


def test_the_employment_proof_never_moves_the_application(citizen):
    application = citizen_application(citizen, status=Status.AWAITING_EMPLOYMENT)

    document = services.employment_proof_upload(application=application, actor=citizen, files=[pdf_upload()])

    application.refresh_from_db()
    assert document.kind == Kind.EMPLOYMENT_PROOF
    assert application.status == Status.AWAITING_EMPLOYMENT


def test_the_employment_proof_waits_for_completion(citizen):
    application = citizen_application(citizen, status=Status.STUDYING)
    with pytest.raises(ValidationError, match="после успешного завершения"):
        services.employment_proof_upload(application=application, actor=citizen, files=[pdf_upload()])


def test_an_older_application_is_read_only(citizen):
    application = citizen_application(citizen, is_active=False)
    with pytest.raises(ValidationError, match="неактивна"):
        services.notifications_enable(application=application, actor=citizen)


def test_only_the_applications_citizen_acts(citizen, staff_a):
    application = citizen_application(citizen)
    other = citizen_application(None).citizen.user
    for actor in (other, staff_a):
        with pytest.raises(PermissionDenied):
            services.notifications_enable(application=application, actor=actor)
        with pytest.raises(PermissionDenied):
            _personal(application, actor)
