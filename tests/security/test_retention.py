"""The retention schedule and the nightly destruction job: expired data leaves no trace in the
database or the file storage (PDN-03), each destroyed citizen leaves evidence that outlives later
runs and is kept three years (PDN-04), the audit trail is covered by its own period (LOG-07), and
another legal basis (an order) keeps a withdrawn citizen (PDN-02)."""
import datetime as dt
import json

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from core.models import OutgoingEmail
from documents.models import GeneratedDocument
from enrollment.models import Application, ApplicationBlank, ApplicationDocument, ApplicationEvent, Citizen
from orders.models import OrderAssignment
from privacy import consent
from privacy.models import EVIDENCE_RETENTION, AuditEvent, Blocking, ConsentRecord, DestructionEvidence
from privacy.retention import categories, destroy_expired, period_of, subject_hash
from privacy.tasks import destroy_expired_personal_data_task
from tests.enrollment.factories import ApplicationDocumentFactory
from tests.enrollment.test_cabinet_support import citizen_application
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

SIX_YEARS_AGO = timezone.now() - dt.timedelta(days=6 * 365)


def _finished_long_ago(user=None) -> Application:
    """A citizen whose only application ended (employed) six years ago, with a scan, a blank,
    a history row and an e-mail in the outbox."""
    application = citizen_application(user, status=Application.Status.EMPLOYED)
    ApplicationDocumentFactory(application=application)
    generated = GeneratedDocument.objects.create(kind="enrolment_contract", title="Договор")
    generated.file.save("contract.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    ApplicationBlank.objects.create(application=application, kind="enrolment_contract", document=generated)
    ApplicationEvent.objects.create(subject=application, transition="employ", source="x", target="employed")
    OutgoingEmail.objects.create(to=application.citizen.email, subject="Тема", body_text="Здравствуйте")
    Application.objects.filter(pk=application.pk).update(updated_at=SIX_YEARS_AGO)
    Citizen.objects.filter(pk=application.citizen_id).update(updated_at=SIX_YEARS_AGO)
    return Application.objects.get(pk=application.pk)


def _stored_files(application) -> list[str]:
    names = list(ApplicationDocument.objects.filter(application=application).values_list("file", flat=True))
    names += [b.document.file.name for b in application.blanks.select_related("document")]
    return names


def _run(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return destroy_expired(**kwargs)


def test_every_category_has_a_period_and_a_basis_and_the_logs_are_kept_three_years():
    registered = categories()

    assert {"enrollment.citizen", "privacy.audit", "privacy.consent", "privacy.evidence"} <= set(registered)
    for key, category in registered.items():
        assert category.basis
        assert period_of(key) > dt.timedelta(0)
    for key in ("privacy.audit", "privacy.consent", "privacy.evidence"):
        assert period_of(key) >= dt.timedelta(days=3 * 365)
    assert period_of("enrollment.citizen") >= dt.timedelta(days=5 * 365)


def test_a_period_can_be_set_in_settings(settings):
    settings.PRIVACY_RETENTION_DAYS = {"enrollment.citizen": 10}

    assert period_of("enrollment.citizen") == dt.timedelta(days=10)


def test_expired_data_leaves_no_row_and_no_file(django_capture_on_commit_callbacks):
    application = _finished_long_ago()
    citizen = application.citizen
    files = _stored_files(application)
    assert all(default_storage.exists(name) for name in files)

    report = _run(django_capture_on_commit_callbacks)

    assert report.destroyed == [citizen.pk]
    assert not Citizen.objects.filter(pk=citizen.pk).exists()
    assert not User.objects.filter(pk=citizen.user_id).exists()
    assert not Application.objects.filter(pk=application.pk).exists()
    assert not ApplicationDocument.objects.filter(application_id=application.pk).exists()
    assert not ApplicationEvent.objects.filter(subject_id=application.pk).exists()
    assert not GeneratedDocument.objects.filter(title="Договор").exists()
    assert not OutgoingEmail.objects.filter(to=citizen.email).exists()
    assert not any(default_storage.exists(name) for name in files)


def test_the_evidence_names_the_citizen_by_hash_and_mask_and_has_an_extract(django_capture_on_commit_callbacks):
    application = _finished_long_ago()
    citizen = application.citizen

    _run(django_capture_on_commit_callbacks)

    evidence = DestructionEvidence.objects.get(subject_id=citizen.pk)
    assert evidence.subject_hash == subject_hash(f"snils:{citizen.snils}")
    assert citizen.snils not in evidence.subject_masked
    assert citizen.snils[-2:] in evidence.subject_masked
    assert evidence.categories == ["enrollment.citizen"]
    assert (evidence.system, evidence.performed_by_label) == ("Flow", "nightly destruction job")
    assert evidence.destroyed["rows"]["enrollment.Application"] == 1
    assert evidence.destroyed["files"] == 2
    extract = json.loads(default_storage.open(evidence.extract.name).read())
    assert extract["subject_hash"] == evidence.subject_hash
    assert extract["reason"] == evidence.reason
    assert citizen.snils not in json.dumps(extract, ensure_ascii=False)
    assert AuditEvent.objects.filter(action="destroy", subject_id=citizen.pk).count() == 1


def test_open_or_recent_applications_are_kept(django_capture_on_commit_callbacks):
    open_application = citizen_application(None, status=Application.Status.STUDYING)
    Application.objects.filter(pk=open_application.pk).update(updated_at=SIX_YEARS_AGO)
    recent = citizen_application(None, status=Application.Status.EMPLOYED)

    report = _run(django_capture_on_commit_callbacks)

    assert report.destroyed == []
    assert Citizen.objects.filter(pk__in=[open_application.citizen_id, recent.citizen_id]).count() == 2


def test_a_dry_run_destroys_nothing_and_the_command_says_what_it_would(capsys):
    application = _finished_long_ago()

    call_command("destroy_expired_personal_data", "--dry-run")

    out = capsys.readouterr().out
    assert f"#{application.citizen_id}" in out
    assert "[проверка]" in out
    assert Citizen.objects.filter(pk=application.citizen_id).exists()
    assert not DestructionEvidence.objects.exists()


def test_the_evidence_survives_a_second_run_and_ages_out_after_three_years(settings,
                                                                          django_capture_on_commit_callbacks):
    # Destroyed three years ago for real (PostgreSQL's trigger reads the server's clock, not time_machine's).
    settings.PRIVACY_RETENTION_DAYS = {"enrollment.citizen": 1}
    destroyed_on = timezone.now() - EVIDENCE_RETENTION - dt.timedelta(days=2)
    with time_machine.travel(destroyed_on, tick=False):
        application = _finished_long_ago()
        _run(django_capture_on_commit_callbacks)
        evidence = DestructionEvidence.objects.get()

        second = _run(django_capture_on_commit_callbacks)

        assert second.destroyed == []
        assert DestructionEvidence.objects.get().pk == evidence.pk
        assert default_storage.exists(evidence.extract.name)
    with time_machine.travel(destroyed_on + EVIDENCE_RETENTION - dt.timedelta(days=1), tick=False):
        _run(django_capture_on_commit_callbacks)
    assert DestructionEvidence.objects.filter(pk=evidence.pk).exists()

    report = _run(django_capture_on_commit_callbacks)

    assert report.purged["privacy.evidence"] == 1
    assert report.purged["privacy.audit"] >= 1
    assert not DestructionEvidence.objects.exists()
    assert not default_storage.exists(evidence.extract.name)
    assert not AuditEvent.objects.filter(subject_id=application.citizen_id).exists()


def test_an_order_is_another_legal_basis_that_keeps_a_withdrawn_citizen(django_capture_on_commit_callbacks, citizen):
    application = citizen_application(citizen, status=Application.Status.STUDYING)
    order = OrderFactory(cohort=application.cohort)
    OrderAssignment.objects.create(order=order, application=application, partner=order.partner,
                                   order_type=order.type)
    consent.consent_withdraw(subject_id=application.citizen_id, user=citizen)

    with time_machine.travel(timezone.now() + dt.timedelta(days=31), tick=False):
        report = _run(django_capture_on_commit_callbacks)

    assert application.citizen_id in report.held
    assert "402-ФЗ" in report.held[application.citizen_id]
    assert Citizen.objects.filter(pk=application.citizen_id).exists()
    assert "402-ФЗ" in Blocking.objects.get(subject_id=application.citizen_id).legal_hold


def test_consent_records_outlive_the_citizen_then_age_out(django_capture_on_commit_callbacks, citizen):
    withdrawn_on = timezone.now() - EVIDENCE_RETENTION - dt.timedelta(days=40)
    with time_machine.travel(withdrawn_on, tick=False):
        application = citizen_application(citizen, status=Application.Status.PRIMARY_DOCS_REQUIRED)
        consent.consent_give(subject_id=application.citizen_id, user=citizen, purposes=["processing", "transfer"])
        consent.consent_withdraw(subject_id=application.citizen_id, user=citizen)
    with time_machine.travel(withdrawn_on + dt.timedelta(days=31), tick=False):
        assert _run(django_capture_on_commit_callbacks).destroyed == [application.citizen_id]
    assert ConsentRecord.objects.filter(subject_id=application.citizen_id).count() == 4

    _run(django_capture_on_commit_callbacks)

    assert not ConsentRecord.objects.filter(subject_id=application.citizen_id).exists()


def test_the_nightly_task_runs_the_job(django_capture_on_commit_callbacks):
    _finished_long_ago()

    with django_capture_on_commit_callbacks(execute=True):
        result = destroy_expired_personal_data_task.delay().get()

    assert result["destroyed"] == 1
