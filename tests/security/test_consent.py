"""Consent per purpose, recorded with the version and hash of its text, immutable (PDN-01), and
its withdrawal: blocked at once from partners' pages and exports, destroyed after 30 days
(PDN-02)."""
import datetime as dt
import hashlib

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import ProgrammingError, connection, transaction
from django.http import QueryDict
from django.urls import include, path, reverse
from django.utils import timezone

from core.exports import get_export
from enrollment.models import Application, Citizen
from flow import urls as flow_urls
from privacy import consent
from privacy.models import AppendOnlyError, Blocking, ConsentRecord, DestructionEvidence
from privacy.retention import destroy_expired
from tests.enrollment.factories import ApplicationDocumentFactory
from tests.enrollment.test_cabinet_support import citizen_application
from tests.programs.factories import ProgramFactory

# Until flow/urls.py mounts privacy.urls at /privacy/ (see the report), this module is the URLconf.
urlpatterns = list(flow_urls.urlpatterns)
if not any(getattr(p, "namespace", None) == "privacy" for p in urlpatterns):
    urlpatterns.insert(0, path("privacy/", include("privacy.urls")))

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]
UA = "Mozilla/5.0 (X11; Linux x86_64) Flow-test"


@pytest.fixture
def fresh_application(citizen, partner_a):
    """A citizen's application before step 1 (no consent, notifications off), at partner A."""
    return citizen_application(citizen, notified=False, program=ProgramFactory(partner=partner_a))


@pytest.fixture
def consented_application(client, citizen, fresh_application):
    client.force_login(citizen)
    client.post(reverse("cabinet:notifications_enable", args=[fresh_application.pk]),
                {"consent_processing": "on", "consent_transfer": "on"}, HTTP_USER_AGENT=UA)
    return fresh_application


# PDN-01 ---------------------------------------------------------------------------------------

def test_step_one_shows_two_separate_unticked_boxes_with_their_texts(client, citizen, fresh_application):
    client.force_login(citizen)

    html = client.get(reverse("cabinet:home")).content.decode()

    assert html.count('type="checkbox" name="consent_processing"') == 1
    assert html.count('type="checkbox" name="consent_transfer"') == 1
    step = html[html.index('id="step-notifications"'):html.index('id="step-personal"')]
    assert "checked" not in step
    assert consent.consent_text("processing")[:80] in step
    assert consent.consent_text("transfer")[:80] in step


@pytest.mark.parametrize("ticked", [{}, {"consent_processing": "on"}, {"consent_transfer": "on"}])
def test_without_each_consent_box_the_form_comes_back_with_an_error_and_nothing_is_recorded(
        client, citizen, fresh_application, ticked):
    client.force_login(citizen)

    response = client.post(reverse("cabinet:notifications_enable", args=[fresh_application.pk]), ticked)

    assert response.status_code == 200
    form = response.context["notifications_form"]
    assert set(form.errors) == {"consent_processing", "consent_transfer"} - set(ticked)
    assert "Без согласия" in response.content.decode()
    assert not ConsentRecord.objects.exists()
    assert Citizen.objects.get(pk=fresh_application.citizen_id).notifications_enabled_at is None


def test_consent_is_recorded_per_purpose_with_version_hash_ip_and_browser(client, citizen, consented_application):
    records = {r.purpose: r for r in ConsentRecord.objects.all()}

    assert set(records) == {"processing", "transfer"}
    for purpose, record in records.items():
        text = consent.consent_text(purpose, record.text_version)
        assert record.text_version == "v1"
        assert record.text_sha256 == hashlib.sha256(text.encode()).hexdigest()
        assert (record.action, record.subject_id, record.user_id) == ("given", consented_application.citizen_id,
                                                                      citizen.pk)
        assert record.ip == "127.0.0.1"
        assert record.user_agent == UA
    assert Citizen.objects.get(pk=consented_application.citizen_id).notifications_enabled_at is not None
    assert consent.has_consent(consented_application.citizen_id, "transfer")


def test_a_consent_record_cannot_be_changed_or_deleted(consented_application):
    record = ConsentRecord.objects.first()
    record.text_version = "v0"
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()
    with pytest.raises(AppendOnlyError):
        ConsentRecord.objects.update(text_version="v0")


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete_of_a_consent_record(consented_application):
    record = ConsentRecord.objects.first()

    for sql in ("UPDATE privacy_consentrecord SET text_version = 'v0' WHERE id = %s",
                "DELETE FROM privacy_consentrecord WHERE id = %s"):
        with pytest.raises(ProgrammingError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [record.pk])
    assert ConsentRecord.objects.get(pk=record.pk).text_version == "v1"


# PDN-02 ---------------------------------------------------------------------------------------

def test_withdrawal_asks_for_confirmation_first(client, citizen, consented_application):
    url = reverse("privacy:consent_withdraw")

    page = client.get(url)
    unconfirmed = client.post(url, {})

    assert page.status_code == 200
    assert "Отозвать согласие" in page.content.decode()
    assert unconfirmed.status_code == 200
    assert "Подтвердите" in unconfirmed.content.decode()
    assert not Blocking.objects.exists()


def test_staff_cannot_use_the_withdrawal_page(client, staff_a):
    client.force_login(staff_a)

    assert client.get(reverse("privacy:consent_withdraw")).status_code == 403


def test_a_withdrawal_hides_the_citizen_from_the_partner_at_once(client, citizen, staff_a, operator_reviewer,
                                                                 consented_application):
    application = consented_application
    export = get_export("enrollment.applications")
    assert export.queryset(staff_a, QueryDict()).filter(pk=application.pk).exists()

    response = client.post(reverse("privacy:consent_withdraw"), {"confirm": "on"})

    assert response.status_code == 302
    blocking = Blocking.objects.get(subject_id=application.citizen_id)
    assert blocking.destroy_after - blocking.blocked_at == dt.timedelta(days=30)
    assert set(ConsentRecord.objects.filter(action="withdrawn").values_list("purpose", flat=True)) == {
        "processing", "transfer"}
    assert not consent.has_consent(application.citizen_id, "processing")
    # The partner: not in the list, the page is a 404, not in an export.
    assert not Application.objects.visible_to(staff_a).filter(pk=application.pk).exists()
    assert not export.queryset(staff_a, QueryDict()).filter(pk=application.pk).exists()
    client.force_login(staff_a)
    assert client.get(reverse("enrollment:application_detail", args=[application.pk])).status_code == 404
    assert application.rr_number not in client.get(reverse("enrollment:application_list")).content.decode()
    # The operator (who runs the destruction) and the citizen still see it.
    assert Application.objects.visible_to(operator_reviewer).filter(pk=application.pk).exists()
    assert Application.objects.visible_to(citizen).filter(pk=application.pk).exists()


def test_a_second_withdrawal_changes_nothing(citizen, consented_application):
    first = consent.consent_withdraw(subject_id=consented_application.citizen_id, user=citizen)
    second = consent.consent_withdraw(subject_id=consented_application.citizen_id, user=citizen)

    assert first.pk == second.pk
    assert ConsentRecord.objects.filter(action="withdrawn").count() == 2  # one per purpose, once


def test_thirty_one_days_after_a_withdrawal_the_data_is_destroyed_with_evidence(
        client, citizen, consented_application, django_capture_on_commit_callbacks):
    application = consented_application
    scan = ApplicationDocumentFactory(application=application)
    client.post(reverse("privacy:consent_withdraw"), {"confirm": "on"})
    assert default_storage.exists(scan.file.name)

    with time_machine.travel(timezone.now() + dt.timedelta(days=29), tick=False):
        assert destroy_expired().destroyed == []
    with (time_machine.travel(timezone.now() + dt.timedelta(days=31), tick=False),
          django_capture_on_commit_callbacks(execute=True)):  # files are deleted after the commit
        report = destroy_expired()

    assert report.destroyed == [application.citizen_id]
    assert not Citizen.objects.filter(pk=application.citizen_id).exists()
    assert not Application.objects.filter(pk=application.pk).exists()
    assert not default_storage.exists(scan.file.name)
    evidence = DestructionEvidence.objects.get(subject_id=application.citizen_id)
    assert "Отзыв согласия" in evidence.reason
    assert Blocking.objects.get(subject_id=application.citizen_id).destroyed_at is not None


def test_after_a_withdrawal_the_cabinet_says_so_and_collects_nothing_more(client, citizen, consented_application):
    from enrollment.services import cabinet as services
    from tests.enrollment.test_cabinet_support import pdf_upload

    client.post(reverse("privacy:consent_withdraw"), {"confirm": "on"})

    html = client.get(reverse("cabinet:home")).content.decode()
    assert "Вы отозвали согласие" in html
    with pytest.raises(ValidationError, match="отозвали согласие"):
        services.employment_proof_upload(application=consented_application, actor=citizen, files=[pdf_upload()])


def test_the_consent_text_and_its_hash_do_not_depend_on_the_interface_language():
    from django.utils import translation

    from privacy.consent import consent_text, text_sha256

    with translation.override("en"):
        english_ui = consent_text("processing")
    with translation.override("ru"):
        russian_ui = consent_text("processing")
    assert english_ui == russian_ui
    assert "согласие" in english_ui
    assert text_sha256(english_ui) == text_sha256(russian_ui)
