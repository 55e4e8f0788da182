"""The cabinet page of a citizen's application at each stage: what step is open, what is shown,
and that nothing of another citizen or of staff leaks in."""
import datetime as dt
import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from enrollment.models import Application, ApplicationBlank, ApplicationDocument
from tests.enrollment.test_cabinet_support import add_document, citizen_application, primary_set

pytestmark = pytest.mark.django_db

Status = Application.Status
DocStatus = ApplicationDocument.Status
Kind = ApplicationDocument.Kind
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
STYLE_ATTRIBUTE = re.compile(r"\sstyle=", re.I)


def _page(client, user, url=None):
    client.force_login(user)
    response = client.get(url or reverse("cabinet:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert not INLINE_SCRIPT.findall(html)
    assert not STYLE_ATTRIBUTE.findall(html)
    return response, html


def _step(response, key):
    return next(step for step in response.context["steps"] if step.key == key)


def test_a_new_citizen_must_switch_on_notifications_first(client, citizen):
    application = citizen_application(citizen, notified=False)

    response, html = _page(client, citizen)

    assert _step(response, "notifications").state == "todo"
    assert {_step(response, key).state for key in ("personal", "education", "enrolment")} == {"locked"}
    assert "Включить уведомления" in html
    assert reverse("cabinet:personal_save", args=[application.pk]) not in html
    assert application.program.title in html


def test_with_notifications_on_the_personal_data_form_opens(client, citizen):
    application = citizen_application(citizen)

    response, html = _page(client, citizen)

    assert _step(response, "personal").state == "todo"
    assert response.context["current_step"].key == "personal"
    assert reverse("cabinet:personal_save", args=[application.pk]) in html
    assert 'name="passport_main"' in html
    assert 'multiple' in html
    assert 'accept="application/pdf,image/jpeg,image/png' in html
    assert citizen.citizen.full_name in html  # the name is shown read-only


def test_a_rejection_comment_is_shown_next_to_the_document(client, citizen):
    application = citizen_application(citizen, status=Status.PRIMARY_DOCS_REJECTED)
    primary_set(application, DocStatus.APPROVED)
    add_document(application, Kind.PASSPORT_MAIN, DocStatus.REJECTED, comment="Скан нечитаемый, пересканируйте.",
                 version=2)
    application.citizen.work_status = "none"
    application.citizen.save()

    response, html = _page(client, citizen)

    assert _step(response, "personal").state == "todo"
    assert _step(response, "primary_check").state == "todo"
    slot = html[html.index('id="doc-passport_main"'):]
    slot = slot[:slot.index('id="doc-passport_registration"')]
    assert "Скан нечитаемый, пересканируйте." in slot
    assert "Загрузите исправленный документ" in slot
    assert 'name="passport_main"' in slot
    # An approved document is final: shown, but no file field to replace it.
    registration = html[html.index('id="doc-passport_registration"'):html.index('id="doc-labour_record"')]
    assert "Подтверждён" in registration
    assert 'name="passport_registration"' not in registration


def test_while_the_partner_checks_the_citizen_waits(client, citizen):
    application = citizen_application(citizen, status=Status.PRIMARY_DOCS_REVIEW)
    primary_set(application)

    response, html = _page(client, citizen)

    assert _step(response, "personal").state == "done"
    assert _step(response, "primary_check").state == "waiting"
    assert reverse("cabinet:personal_save", args=[application.pk]) not in html


def test_pending_blanks_poll_and_ready_ones_download(client, citizen):
    from documents.services import document_create

    application = citizen_application(citizen, status=Status.ENROLMENT_DOCS_REQUIRED)
    pending = ApplicationBlank.objects.create(application=application, kind=Kind.ENROLMENT_CONTRACT,
                                              document=document_create(kind="x", title="Договор"))

    response, html = _page(client, citizen)

    assert _step(response, "enrolment").state == "todo"
    assert "hx-trigger=\"every 3s\"" in html
    assert "формируется…" in html
    poll = client.get(reverse("cabinet:blanks", args=[application.pk]))
    assert poll.status_code == 200
    assert "every 3s" in poll.content.decode()

    for blank in [pending]:
        document = blank.document
        document.mark_ready(sha256="0" * 64)
        document.file.save("blank.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
        document.save()
    for kind in (Kind.PERSONAL_DATA_CONSENT, Kind.ENROLMENT_APPLICATION):
        other = document_create(kind="x", title=str(kind))
        other.mark_ready(sha256="0" * 64)
        other.save()
        ApplicationBlank.objects.create(application=application, kind=kind, document=other)
    poll = client.get(reverse("cabinet:blanks", args=[application.pk]))
    body = poll.content.decode()
    assert "every 3s" not in body
    assert reverse("cabinet:blank_file", args=[pending.pk]) in body


def test_originals_open_after_approval_and_signature(client, citizen):
    application = citizen_application(citizen, status=Status.ENROLMENT_ORDER_REQUIRED,
                                      agreement_signed_at=timezone.now())

    response, html = _page(client, citizen)

    assert _step(response, "agreement").state == "done"
    assert _step(response, "originals").state == "todo"
    assert reverse("cabinet:originals_save", args=[application.pk]) in html


def test_awaiting_the_agreement_keeps_originals_closed(client, citizen):
    citizen_application(citizen, status=Status.AWAITING_AGREEMENT)

    response, html = _page(client, citizen)

    assert _step(response, "agreement").state == "todo"
    assert _step(response, "originals").state == "locked"
    assert "trudvsem.ru" in html


def test_during_training_the_platform_link_and_the_withdrawal_form_show(client, citizen, settings):
    settings.LEARNING_PLATFORM_URL = "https://learn.example.org/"
    today = timezone.localdate()
    application = citizen_application(citizen, status=Status.STUDYING, agreement_signed_at=timezone.now(),
                                      cohort__start_date=today - dt.timedelta(days=10),
                                      cohort__end_date=today + dt.timedelta(days=30))

    response, html = _page(client, citizen)

    assert _step(response, "training").state == "todo"
    assert "https://learn.example.org/" in html
    assert reverse("cabinet:withdrawal_form", args=[application.pk]) in html
    assert reverse("cabinet:withdrawal_upload", args=[application.pk]) in html


def test_the_withdrawal_form_hides_in_the_last_working_days(client, citizen):
    today = timezone.localdate()
    application = citizen_application(citizen, status=Status.STUDYING,
                                      cohort__start_date=today - dt.timedelta(days=30),
                                      cohort__end_date=today + dt.timedelta(days=1))

    response, html = _page(client, citizen)

    assert reverse("cabinet:withdrawal_upload", args=[application.pk]) not in html
    assert client.get(reverse("cabinet:withdrawal_form", args=[application.pk])).status_code == 404


def test_after_completion_the_employment_proof_can_be_uploaded(client, citizen):
    application = citizen_application(citizen, status=Status.AWAITING_EMPLOYMENT)

    response, html = _page(client, citizen)

    assert _step(response, "training").state == "done"
    assert reverse("cabinet:employment_proof_upload", args=[application.pk]) in html


def test_a_terminated_application_shows_the_reason_and_no_steps(client, citizen):
    citizen_application(citizen, status=Status.SERVICE_TERMINATED, termination_reason="Заявка отозвана на РР.")

    _response, html = _page(client, citizen)

    assert "Услуга прекращена" in html
    assert "Заявка отозвана на РР." in html
    assert 'class="cabinet-steps"' not in html


def test_an_older_application_is_read_only_and_the_active_one_is_the_default(client, citizen):
    old = citizen_application(citizen, status=Status.PRIMARY_DOCS_REQUIRED, is_active=False,
                              submitted_at=timezone.now() - dt.timedelta(days=90))
    new = citizen_application(None, status=Status.PRIMARY_DOCS_REQUIRED)
    Application.objects.filter(pk=new.pk).update(citizen=old.citizen)

    response, html = _page(client, citizen)
    assert response.context["application"] == new
    assert reverse("cabinet:application", args=[old.pk]) in html

    response, html = _page(client, citizen, reverse("cabinet:application", args=[old.pk]))
    assert response.context["read_only"]
    assert reverse("cabinet:personal_save", args=[old.pk]) not in html
    assert "прежняя заявка" in html


def test_a_citizen_without_applications_sees_the_path_ahead(client, citizen):
    _response, html = _page(client, citizen)

    assert "Ваши заявки появятся здесь" in html
    assert html.count('class="step"') == 8


def test_another_citizens_application_is_not_found(client, citizen):
    citizen_application(citizen)
    other = citizen_application(None)
    client.force_login(citizen)

    assert client.get(reverse("cabinet:application", args=[other.pk])).status_code == 404
    assert client.get(reverse("cabinet:blanks", args=[other.pk])).status_code == 404
    response = client.post(reverse("cabinet:notifications_enable", args=[other.pk]))
    assert response.status_code == 404


def test_staff_of_the_applications_partner_are_refused(client, staff_a, partner_a):
    application = citizen_application(None, program__partner=partner_a)
    client.force_login(staff_a)

    assert client.get(reverse("cabinet:application", args=[application.pk])).status_code == 403
    assert client.get(reverse("cabinet:home")).status_code == 403


def test_the_page_reads_a_fixed_number_of_queries(client, citizen, django_assert_max_num_queries):
    application = citizen_application(citizen, status=Status.PRIMARY_DOCS_REJECTED)
    primary_set(application, DocStatus.REJECTED)
    client.force_login(citizen)
    client.get(reverse("cabinet:home"))  # warm the session and the calendar

    # 13: the steps' deadlines read the working-day calendar once (issue #7).
    with django_assert_max_num_queries(13):
        assert client.get(reverse("cabinet:home")).status_code == 200
