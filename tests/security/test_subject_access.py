"""The citizen downloads everything Flow holds about them (PDN-05): a ZIP with a readable page,
the data as JSON (every fixture field), their consents and their files; requests by other
channels are due in ten Russian working days, extendable by five."""
import datetime as dt
import io
import json
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.urls import include, path, reverse

from core.models import WorkingDayOverride
from enrollment.models import Citizen
from flow import urls as flow_urls
from privacy import consent
from privacy.models import AuditEvent, SubjectAccessRequest
from privacy.subject_access import (
    access_request_extend,
    access_request_register,
    overdue_requests,
    request_answer,
    request_register,
    requests_escalate,
)
from tests.enrollment.factories import ApplicationDocumentFactory
from tests.enrollment.test_cabinet_support import citizen_application

# Until flow/urls.py mounts privacy.urls at /privacy/ (see the report), this module is the URLconf.
urlpatterns = list(flow_urls.urlpatterns)
if not any(getattr(p, "namespace", None) == "privacy" for p in urlpatterns):
    urlpatterns.insert(0, path("privacy/", include("privacy.urls")))

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

FIXTURE = {"snils": "11223344595", "inn": "500100732259", "phone": "+7 900 111-22-33",
           "passport_series": "6904", "passport_number": "123456", "passport_issued_by": "УМВД по Томской области",
           "registration_address": "Томск, ул. Ленина, 1", "actual_address": "Томск, пр. Фрунзе, 5",
           "education_document": "Диплом 107024 0000001", "vk_url": "https://vk.com/petrov"}


@pytest.fixture
def application(citizen):
    application = citizen_application(citizen)
    Citizen.objects.filter(pk=application.citizen_id).update(**FIXTURE)
    return application


def _zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_citizen_downloads_everything_held_about_them(client, citizen, application):
    scan = ApplicationDocumentFactory(application=application)
    consent.consent_give(subject_id=application.citizen_id, user=citizen, purposes=["processing", "transfer"])
    client.force_login(citizen)

    response = client.get(reverse("privacy:subject_data"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = _zip(response)
    names = archive.namelist()
    assert {"index.html", "data.json"} <= set(names)
    data = json.loads(archive.read("data.json"))
    person = data["enrollment"]["гражданин"]
    for value in (*FIXTURE.values(), citizen.email, "Петров"):
        assert value in json.dumps(person, ensure_ascii=False)
    [record] = data["enrollment"]["заявки"]
    assert record["номер заявки на РР"] == application.rr_number
    assert record["документы"][0]["вид"] == scan.get_kind_display()
    assert {c["version"] for c in data["privacy"]["consents"]} == {"v1"}
    assert len(data["privacy"]["consents"]) == 2
    [scan_name] = [n for n in names if n.startswith("files/")]
    assert archive.read(scan_name) == b"%PDF-1.4\n%%EOF\n"
    assert FIXTURE["passport_number"] in archive.read("index.html").decode()


def test_the_download_is_audited_and_recorded_as_an_answered_request(client, citizen, application):
    client.force_login(citizen)

    client.get(reverse("privacy:subject_data"))

    [event] = AuditEvent.objects.filter(action="download")
    assert (event.object_type, event.subject_id) == ("privacy.subject_data", application.citizen_id)
    request = SubjectAccessRequest.objects.get(subject_id=application.citizen_id)
    assert request.answered_at is not None
    assert request.channel == "cabinet"


def test_nothing_of_another_citizen_is_in_the_archive(client, citizen, application):
    other = citizen_application(None)
    client.force_login(other.citizen.user)

    archive = _zip(client.get(reverse("privacy:subject_data")))

    text = archive.read("data.json").decode()
    assert FIXTURE["snils"] not in text
    assert application.rr_number not in text
    assert other.rr_number in text


def test_staff_get_403(client, staff_a):
    client.force_login(staff_a)

    assert client.get(reverse("privacy:subject_data")).status_code == 403


def test_a_request_is_due_in_ten_russian_working_days_and_may_be_extended_by_five(db):
    # Received Monday 2 March 2026; 7–9 March are days off (8 March falls on Sunday, moved to Monday).
    request = access_request_register(subject_id=1, received_on=dt.date(2026, 3, 2))

    assert request.due_on == dt.date(2026, 3, 17)
    assert access_request_extend(request).extended_due_on == dt.date(2026, 3, 24)
    assert access_request_extend(request).extended_due_on == dt.date(2026, 3, 24)  # once only


def test_the_due_date_follows_the_admins_calendar_corrections(db):
    WorkingDayOverride.objects.create(date=dt.date(2026, 3, 16), is_working=False, note="региональный выходной")

    assert access_request_register(subject_id=1, received_on=dt.date(2026, 3, 2)).due_on == dt.date(2026, 3, 18)


def test_unanswered_requests_past_their_due_day_are_listed_for_escalation(db):
    late = access_request_register(subject_id=1, received_on=dt.date(2026, 3, 2))
    extended = access_request_extend(access_request_register(subject_id=2, received_on=dt.date(2026, 3, 2)))
    answered = access_request_register(subject_id=3, received_on=dt.date(2026, 3, 2))
    request_answer(request=answered)

    assert set(overdue_requests(dt.date(2026, 3, 18))) == {late}
    assert set(overdue_requests(dt.date(2026, 3, 25))) == {late, extended}


@pytest.mark.parametrize(("kind", "due", "destroy_by"), [
    ("correction", dt.date(2026, 3, 12), None),                   # 7 working days (8 March is a holiday)
    ("unlawful", dt.date(2026, 3, 5), dt.date(2026, 3, 17)),      # stop in 3, destroy within 10
])
def test_correction_and_unlawful_processing_requests_carry_their_legal_due_days(db, kind, due, destroy_by):
    request = request_register(subject_id=1, kind=kind, received_on=dt.date(2026, 3, 2))
    assert (request.due_on, request.destroy_by) == (due, destroy_by)
    with pytest.raises(ValidationError):
        access_request_extend(request)  # only access requests may be extended


def test_an_overdue_request_is_escalated_once_and_the_operator_is_told(db, operator_reviewer, mailoutbox,
                                                                       django_capture_on_commit_callbacks):
    late = request_register(subject_id=7, kind="correction", received_on=dt.date(2026, 3, 2), note="ошибка в ФИО")
    on_time = request_register(subject_id=8, kind="access", received_on=dt.date(2026, 3, 10))

    with django_capture_on_commit_callbacks(execute=True):
        assert requests_escalate(dt.date(2026, 3, 13)) == 1
        assert requests_escalate(dt.date(2026, 3, 13)) == 0  # escalated once
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert late.status == SubjectAccessRequest.Status.ESCALATED
    assert on_time.status == SubjectAccessRequest.Status.RECEIVED
    [message] = mailoutbox
    assert message.to == [operator_reviewer.email]
    assert "исправление данных" in message.body

    answered = request_answer(request=late, note="ФИО исправлено")
    assert answered.status == SubjectAccessRequest.Status.ANSWERED
    assert answered.answered_at is not None
    with pytest.raises(ValidationError):
        request_answer(request=answered)
    assert late not in set(overdue_requests(dt.date(2026, 4, 1)))


def test_the_operator_registers_a_letter_in_the_admin_with_its_due_day(client, db):
    from django.urls import reverse

    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(reverse("admin:privacy_subjectaccessrequest_add"), {
        "subject_id": 42, "kind": "unlawful", "received_on": "02.03.2026", "channel": "letter",
        "note": "обработка после отзыва согласия"})
    assert response.status_code == 302, response.content.decode()[:2000]
    request = SubjectAccessRequest.objects.get(subject_id=42)
    assert (request.due_on, request.destroy_by) == (dt.date(2026, 3, 5), dt.date(2026, 3, 17))
    assert request.status == SubjectAccessRequest.Status.RECEIVED
