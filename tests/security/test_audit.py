"""The audit trail of personal data: one event per read, download or export of a registered page,
with who, role, organisation, object, subject, UTC time, request ID and IP (LOG-01); a `denied`
event for a scope-caused 404 (LOG-03); append-only rows (LOG-04); an alert when one user reads
too many citizens in an hour (LOG-08); the "affected subjects" query (PDN-07)."""
import datetime as dt
import logging

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.db import ProgrammingError, connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from core.models import ExportJob
from enrollment.models import ApplicationDocument
from privacy.audit import affected_subjects, audit, audited_views
from privacy.models import AppendOnlyError, AuditEvent
from tests.enrollment.factories import ApplicationDocumentFactory, ApplicationFactory, CitizenFactory
from tests.factories import UserFactory
from tests.programs.factories import ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def application_a(partner_a):
    return ApplicationFactory(program=ProgramFactory(partner=partner_a))


def _events():
    return list(AuditEvent.objects.order_by("pk"))


def test_a_partner_reading_an_application_writes_one_event_with_every_field(client, staff_a, partner_a,
                                                                              application_a):
    client.force_login(staff_a)
    before = timezone.now()

    response = client.get(reverse("enrollment:application_detail", args=[application_a.pk]),
                          REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 200
    [event] = _events()
    assert event.actor == staff_a
    assert event.actor_label == staff_a.email
    assert (event.role, event.organization_id) == ("partner_staff", partner_a.pk)
    assert event.action == AuditEvent.Action.READ
    assert (event.object_type, event.object_id) == ("enrollment.application", str(application_a.pk))
    assert event.subject_id == application_a.citizen_id
    assert event.request_id == response["X-Request-ID"]
    assert event.ip == "203.0.113.7"
    assert event.url_name == "enrollment:application_detail"
    assert event.status_code == 200
    assert event.created_at.utcoffset() == dt.timedelta(0)  # stored and read back in UTC
    assert before <= event.created_at <= timezone.now()


def test_downloading_a_citizens_scan_is_a_download_event_naming_the_citizen(client, staff_a, application_a):
    document = ApplicationDocumentFactory(application=application_a, kind=ApplicationDocument.Kind.PASSPORT_MAIN)
    client.force_login(staff_a)

    response = client.get(reverse("enrollment:document_file", args=[document.pk]))

    assert response.status_code == 200
    [event] = _events()
    assert (event.action, event.object_id, event.subject_id) == ("download", str(document.pk),
                                                                 application_a.citizen_id)


def test_a_citizen_downloading_their_own_scan_is_audited_as_themself(client, citizen):
    own = CitizenFactory(user=citizen, email=citizen.email, notifications_enabled_at=timezone.now())
    document = ApplicationDocumentFactory(application=ApplicationFactory(citizen=own))
    client.force_login(citizen)

    response = client.get(reverse("cabinet:document_file", args=[document.pk]))

    assert response.status_code == 200
    [event] = _events()
    assert (event.role, event.action, event.subject_id) == ("citizen", "download", own.pk)


def test_another_partners_application_is_a_404_and_a_denied_event_revealing_nothing(client, staff_b, application_a):
    client.force_login(staff_b)

    response = client.get(reverse("enrollment:application_detail", args=[application_a.pk]))

    assert response.status_code == 404
    [event] = _events()
    assert event.action == AuditEvent.Action.DENIED
    assert event.actor == staff_b
    assert event.status_code == 404
    assert event.object_id == str(application_a.pk)
    assert event.subject_id is None  # a denied request does not look up whose it was


def test_an_anonymous_request_is_sent_to_log_in_and_writes_nothing(client, application_a):
    response = client.get(reverse("enrollment:application_detail", args=[application_a.pk]))

    assert response.status_code == 302
    assert not AuditEvent.objects.exists()


def test_a_page_without_personal_data_writes_nothing(client, staff_a):
    client.force_login(staff_a)

    assert client.get(reverse("core:export_list")).status_code == 200
    assert not AuditEvent.objects.exists()


def test_the_admin_page_of_a_citizen_is_audited(client, application_a):
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)

    response = client.get(reverse("admin:enrollment_citizen_change", args=[application_a.citizen_id]))

    assert response.status_code == 200
    [event] = _events()
    assert (event.object_type, event.subject_id, event.role) == ("enrollment.citizen", application_a.citizen_id,
                                                                  "superuser")


def test_downloading_an_export_is_an_export_event(client, staff_a):
    job = ExportJob.objects.create(owner=staff_a, kind="enrollment.applications", title="Заявки")
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.READY,
                                               expires_at=timezone.now() + dt.timedelta(days=1))
    job.refresh_from_db()
    job.file.save("exports/test.csv", ContentFile(b"a;b\n"), save=True)
    client.force_login(staff_a)

    response = client.get(reverse("core:export_download", args=[job.pk]))

    assert response.status_code == 200
    [event] = _events()
    assert (event.action, event.object_type, event.object_id) == ("export", "core.exportjob", str(job.pk))


def test_every_registered_page_exists():
    """The registry names real URLs (a typo would silently audit nothing)."""
    assert len(audited_views()) >= 30
    for url_name, spec in audited_views().items():
        try:
            reverse(url_name, kwargs={spec.kwarg: 1})
        except NoReverseMatch:
            reverse(url_name)  # a list page or an export without an object


def test_the_registry_covers_every_citizen_file_and_page_of_the_brief():
    required = {"enrollment:application_detail", "enrollment:document_file", "enrollment:blank_file",
                "enrollment:qualification_file", "cabinet:document_file", "cabinet:blank_file",
                "cabinet:qualification_file", "documents:download", "core:export_download",
                "admin:enrollment_citizen_change", "admin:enrollment_application_change",
                "orders:cabinet_order_file", "cohorts:act_file"}
    assert required <= set(audited_views())


# LOG-04 -----------------------------------------------------------------------------------------

def test_the_model_refuses_to_change_or_delete_a_recent_event():
    event = audit(action=AuditEvent.Action.READ, user=None, object_type="x", object_id=1)

    event.object_id = "2"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(object_id="2")
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).object_id == "1"


@pytest.mark.postgres
def test_postgres_refuses_an_update_through_the_apps_own_connection():
    event = audit(action=AuditEvent.Action.READ, user=None, object_type="x", object_id=1)

    with pytest.raises(ProgrammingError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE privacy_auditevent SET object_id = '2' WHERE id = %s", [event.pk])
    with pytest.raises(ProgrammingError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM privacy_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).object_id == "1"


@pytest.mark.postgres
def test_postgres_lets_an_event_older_than_three_years_be_deleted():
    old = AuditEvent.objects.create(action="read", created_at=timezone.now() - dt.timedelta(days=1100))

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM privacy_auditevent WHERE id = %s", [old.pk])
    assert not AuditEvent.objects.filter(pk=old.pk).exists()


# LOG-08 and PDN-07 ------------------------------------------------------------------------------

def test_reading_more_citizens_an_hour_than_the_threshold_raises_one_alert(settings, staff_a, caplog):
    settings.PRIVACY_ALERT_CITIZENS_PER_HOUR = 5
    caplog.set_level(logging.WARNING, logger="flow.audit")

    for subject_id in range(1, 6):
        audit(action=AuditEvent.Action.READ, user=staff_a, object_type="enrollment.application",
              object_id=subject_id, subject_id=subject_id)
        audit(action=AuditEvent.Action.READ, user=staff_a, object_type="enrollment.application",
              object_id=subject_id, subject_id=subject_id)  # the same citizen twice counts once
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ALERT).exists()

    for subject_id in range(6, 12):
        audit(action=AuditEvent.Action.DOWNLOAD, user=staff_a, object_type="enrollment.applicationdocument",
              object_id=subject_id, subject_id=subject_id)

    [alert] = AuditEvent.objects.filter(action=AuditEvent.Action.ALERT)
    assert alert.actor == staff_a
    assert alert.details["threshold"] == 5
    assert [r for r in caplog.records if r.name == "flow.audit" and r.levelno == logging.WARNING]


def test_500_page_views_by_one_partner_raise_an_alert_through_the_middleware(client, settings, staff_a, partner_a):
    settings.PRIVACY_ALERT_CITIZENS_PER_HOUR = 3
    program = ProgramFactory(partner=partner_a)
    applications = [ApplicationFactory(program=program, cohort=None) for _ in range(5)]
    client.force_login(staff_a)

    for application in applications:
        assert client.get(reverse("enrollment:application_detail", args=[application.pk])).status_code == 200

    assert AuditEvent.objects.filter(action=AuditEvent.Action.ALERT, actor=staff_a).count() == 1


def test_affected_subjects_are_exactly_what_the_actor_read_in_the_window(staff_a, staff_b):
    now = timezone.now()
    for subject_id, user, minutes_ago in ((1, staff_a, 50), (2, staff_a, 10), (3, staff_b, 10), (4, staff_a, 120)):
        AuditEvent.objects.create(actor=user, action="read", subject_id=subject_id,
                                  created_at=now - dt.timedelta(minutes=minutes_ago))
    AuditEvent.objects.create(actor=staff_a, action="denied", subject_id=5, created_at=now)

    assert affected_subjects(actor_id=staff_a.pk, start=now - dt.timedelta(hours=1), end=now) == [1, 2]


def test_an_anonymous_user_is_recorded_as_such():
    event = audit(action=AuditEvent.Action.DENIED, user=AnonymousUser(), object_type="x")

    assert (event.role, event.actor_id, event.actor_label) == ("anonymous", None, "")


# PDN-10, PDN-11: error reports and logs ---------------------------------------------------------

FIXTURE_SNILS = "11223344595"
FIXTURE_PASSPORT = "6904 123456"


def _crash_editing_citizen_data(client, monkeypatch, staff_a, application_a):
    """Staff save a citizen's passport data and the service blows up, quoting the values."""
    from enrollment.models import Application
    from enrollment.views import applications as views

    Application.objects.filter(pk=application_a.pk).update(status=Application.Status.PRIMARY_DOCS_REVIEW)

    def explode(**kwargs):
        raise ValueError(f"duplicate key (snils)=({FIXTURE_SNILS}) passport {FIXTURE_PASSPORT}")

    monkeypatch.setattr(views.staff, "citizen_data_correct", explode)
    client.raise_request_exception = False
    client.force_login(staff_a)
    citizen = application_a.citizen
    return client.post(reverse("enrollment:application_edit", args=[application_a.pk]), {
        "last_name": citizen.last_name, "first_name": citizen.first_name, "birth_date": "1985-05-17",
        "passport_series": "6904", "passport_number": "123456", "snils": FIXTURE_SNILS})


@pytest.fixture
def admins(settings):
    settings.ADMINS = [("Ops", "ops@example.org")]
    settings.DEBUG = False


def test_the_error_mail_to_admins_carries_no_snils_or_passport(client, monkeypatch, settings, admins, staff_a,
                                                               application_a, mailoutbox):
    from privacy.reporting import PersonalDataExceptionReporter

    # flow/settings/base.py names the scrubbing reporter; the mail handler read it when logging was configured.
    assert settings.DEFAULT_EXCEPTION_REPORTER == "privacy.reporting.PersonalDataExceptionReporter"
    assert all(handler.reporter_class is PersonalDataExceptionReporter for handler in _admin_mail_handlers())

    response = _crash_editing_citizen_data(client, monkeypatch, staff_a, application_a)

    assert response.status_code == 500
    [report] = [m for m in mailoutbox if "ops@example.org" in m.to]
    text = report.body + "".join(content for content, _type in getattr(report, "alternatives", []))
    assert "ValueError" in text
    for value in (FIXTURE_SNILS, FIXTURE_PASSPORT, "123456"):
        assert value not in text


def test_without_the_scrubbing_reporter_the_same_mail_would_leak(client, monkeypatch, admins, staff_a,
                                                                 application_a, mailoutbox):
    """The control: Django's default reporter quotes the exception message, SNILS and all."""
    from django.views.debug import ExceptionReporter

    for handler in _admin_mail_handlers():
        monkeypatch.setattr(handler, "reporter_class", ExceptionReporter)
    _crash_editing_citizen_data(client, monkeypatch, staff_a, application_a)

    [report] = [m for m in mailoutbox if "ops@example.org" in m.to]
    assert FIXTURE_SNILS in report.body


def _admin_mail_handlers():
    from django.utils.log import AdminEmailHandler

    handlers = [h for h in logging.getLogger("django").handlers if isinstance(h, AdminEmailHandler)]
    assert handlers
    return handlers


def test_the_log_filter_masks_snils_and_passport_numbers():
    from privacy.masking import mask_snils
    from privacy.reporting import MaskPersonalDataFilter

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "citizen %s passport %s", (FIXTURE_SNILS,
                                                                                       FIXTURE_PASSPORT), None)
    MaskPersonalDataFilter().filter(record)

    assert FIXTURE_SNILS not in record.getMessage()
    assert "123456" not in record.getMessage()
    assert record.getMessage() == "citizen *********95 passport *********56"
    assert mask_snils(FIXTURE_SNILS) == "***-***-*** 95"


# A sweep over the partner's and the citizen's personal-data URLs -------------------------------

@pytest.fixture
def world(citizen, staff_a, partner_a):
    from documents.services import document_create
    from enrollment.models import Application, ApplicationBlank

    own = CitizenFactory(user=citizen, email=citizen.email, notifications_enabled_at=timezone.now())
    application = ApplicationFactory(citizen=own, program=ProgramFactory(partner=partner_a))
    Application.objects.filter(pk=application.pk).update(status=Application.Status.PRIMARY_DOCS_REVIEW)
    document = ApplicationDocumentFactory(application=application)
    generated = document_create(kind=ApplicationDocument.Kind.ENROLMENT_CONTRACT, title="Договор об образовании")
    generated.file.save("contract.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    generated.mark_ready(sha256="0" * 64)
    generated.save()
    blank = ApplicationBlank.objects.create(application=application, document=generated,
                                            kind=ApplicationDocument.Kind.ENROLMENT_CONTRACT)
    return {"application": application, "document": document, "blank": blank, "citizen": own}


SWEEP = [
    ("staff_a", "enrollment:application_detail", "application", "read"),
    ("staff_a", "enrollment:application_edit", "application", "read"),
    ("staff_a", "enrollment:document_check", "document", "read"),
    ("staff_a", "enrollment:document_file", "document", "download"),
    ("staff_a", "enrollment:document_preview", "document", "download"),
    ("staff_a", "enrollment:blank_file", "blank", "download"),
    ("citizen", "cabinet:document_file", "document", "download"),
    ("citizen", "cabinet:blank_file", "blank", "download"),
]


@pytest.mark.parametrize(("persona", "url_name", "obj", "action"), SWEEP, ids=[row[1] for row in SWEEP])
def test_each_personal_data_url_writes_exactly_one_event_naming_the_citizen(client, personas, world, persona,
                                                                            url_name, obj, action):
    client.force_login(personas[persona])

    response = client.get(reverse(url_name, args=[world[obj].pk]))

    assert response.status_code == 200
    [event] = _events()
    assert (event.url_name, event.action, event.object_id) == (url_name, action, str(world[obj].pk))
    assert event.subject_id == world["citizen"].pk
    assert event.actor == personas[persona]
    assert event.request_id == response["X-Request-ID"]


@pytest.mark.parametrize(("persona", "url_name", "obj", "action"), SWEEP, ids=[row[1] for row in SWEEP])
def test_each_personal_data_url_denied_to_another_tenant_writes_one_denied_event(client, personas, world, persona,
                                                                                url_name, obj, action):
    from tests.factories import CitizenUserFactory

    outsider = personas["staff_b"] if persona == "staff_a" else CitizenUserFactory(email="other@example.org")
    client.force_login(outsider)

    response = client.get(reverse(url_name, args=[world[obj].pk]))

    assert response.status_code in (403, 404)
    [event] = _events()
    assert (event.action, event.actor, event.subject_id) == ("denied", outsider, None)


def _ready_export(owner, rows: int) -> ExportJob:
    job = ExportJob.objects.create(owner=owner, kind="accounts.staff", title="Сотрудники")
    job.start(total_rows=rows)
    job.file.save("staff.csv", ContentFile(b"\xef\xbb\xbf1;2\n"), save=False)
    job.finish()
    job.save()
    return job


def test_downloading_a_bulk_export_raises_one_alert(client, settings, staff_a, caplog):
    """LOG-08: a list of many citizens leaving Flow is worth a look by the security officer."""
    settings.PRIVACY_ALERT_EXPORT_ROWS = 100
    small, bulk = _ready_export(staff_a, 99), _ready_export(staff_a, 5000)
    client.force_login(staff_a)
    assert client.get(reverse("core:export_download", args=[small.pk])).status_code == 200
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ALERT).exists()
    for _ in range(2):
        assert client.get(reverse("core:export_download", args=[bulk.pk])).status_code == 200
    [alert] = AuditEvent.objects.filter(action=AuditEvent.Action.ALERT)
    assert alert.details["rule"] == "bulk_export"
    assert alert.details["rows"] == 5000
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == 3


@pytest.mark.parametrize(("moscow_hour", "alerts"), [(3, 1), (12, 0), (22, 1)])
def test_the_admin_used_off_hours_raises_one_alert(client, settings, operator_reviewer, moscow_hour, alerts):
    import time_machine

    settings.PRIVACY_WORKING_HOURS = (7, 21)
    moment = dt.datetime(2026, 12, 2, moscow_hour, 15, tzinfo=timezone.get_current_timezone())  # Moscow
    client.force_login(operator_reviewer)
    with time_machine.travel(moment, tick=False):
        for _ in range(3):
            assert client.get(reverse("admin:index")).status_code == 200
    events = AuditEvent.objects.filter(action=AuditEvent.Action.ALERT, details__rule="off_hours_admin")
    assert events.count() == alerts
