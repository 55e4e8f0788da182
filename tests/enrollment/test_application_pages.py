"""The application page in blocks, the side-by-side check, the file views and the partner's other
steps through the browser's eyes: who sees what (partner B gets 404 on partner A's application and
every file of it; employment-service reviewers never see passports or unsigned blanks) and the
framing exception of the inline preview."""
import pytest
from django.urls import reverse

from enrollment.models import Application, ApplicationBlank, ApplicationDocument, WithdrawalRequest
from tests.enrollment.test_application_support import (
    Kind,
    application_for,
    contracted_program,
    document,
    enrolment_set,
    pdf_upload,
    primary_set,
)

pytestmark = pytest.mark.django_db
Status = Application.Status
DocStatus = ApplicationDocument.Status


@pytest.fixture
def program(partner_a, campaign):
    return contracted_program(partner_a, campaign)[0]


@pytest.fixture
def application(program):
    return application_for(program, Status.PRIMARY_DOCS_REVIEW)


def _page(client, user, application):
    client.force_login(user)
    return client.get(application.get_absolute_url())


def test_the_page_shows_every_block(client, staff_a, application):
    primary_set(application)
    response = _page(client, staff_a, application)
    assert response.status_code == 200
    html = response.content.decode()
    for anchor in ("application", "training", "personal", "documents", "blanks", "withdrawals", "qualification",
                   "history"):
        assert f'id="{anchor}"' in html
    assert application.citizen.snils in html
    assert "Паспорт: основная страница" in html
    assert reverse("enrollment:application_edit", args=[application.pk]) in html


def test_partner_b_gets_404_on_the_page_and_every_file(client, staff_b, program, application):
    passport = document(application, Kind.PASSPORT_MAIN)
    blank = _blank(application)
    withdrawal = WithdrawalRequest.objects.create(application=application_for(program, Status.WITHDRAWAL_REVIEW),
                                                  file=pdf_upload())
    client.force_login(staff_b)
    urls = [application.get_absolute_url(),
            reverse("enrollment:document_file", args=[passport.pk]),
            reverse("enrollment:document_preview", args=[passport.pk]),
            reverse("enrollment:document_check", args=[passport.pk]),
            reverse("enrollment:blank_file", args=[blank.pk]),
            reverse("enrollment:withdrawal_file", args=[withdrawal.pk]),
            reverse("enrollment:qualification_file", args=[application.pk])]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("enrollment:document_check", args=[passport.pk]),
                       {"decision": "approve"}).status_code == 404
    passport.refresh_from_db()
    assert passport.status == DocStatus.NEW


def _blank(application):
    from django.core.files.base import ContentFile

    from documents.models import GeneratedDocument

    generated = GeneratedDocument.objects.create(kind=Kind.ENROLMENT_CONTRACT, title="Договор", number="1-Д")
    generated.file.save("b.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    generated.mark_ready(sha256="0" * 64)
    generated.save()
    return ApplicationBlank.objects.create(application=application, kind=Kind.ENROLMENT_CONTRACT, document=generated)


def test_the_employment_reviewer_reads_signed_papers_only(client, employment_reviewer, application):
    passport = document(application, Kind.PASSPORT_MAIN)
    signed = enrolment_set(application)[Kind.ENROLMENT_CONTRACT]
    blank = _blank(application)
    html = _page(client, employment_reviewer, application).content.decode()
    assert "Договор об образовании" in html
    assert "Паспорт: основная страница" not in html
    assert 'id="blanks"' not in html
    assert reverse("enrollment:blank_file", args=[blank.pk]) not in html
    assert client.get(reverse("enrollment:document_file", args=[signed.pk])).status_code == 200
    assert client.get(reverse("enrollment:document_file", args=[passport.pk])).status_code == 404
    assert client.get(reverse("enrollment:blank_file", args=[blank.pk])).status_code == 404
    assert client.get(reverse("enrollment:document_check", args=[signed.pk])).status_code == 403


def test_the_check_page_shows_the_scan_next_to_the_entered_data(client, staff_a, application):
    passport = primary_set(application)[Kind.PASSPORT_MAIN]
    application.citizen.passport_number = "654321"
    application.citizen.save()
    client.force_login(staff_a)
    response = client.get(reverse("enrollment:document_check", args=[passport.pk]))
    html = response.content.decode()
    preview = reverse("enrollment:document_preview", args=[passport.pk])
    assert f'<iframe src="{preview}"' in html
    assert "654321" in html
    assert response["X-Frame-Options"] == "DENY"  # the page itself is never framed


def test_an_image_scan_is_shown_as_an_image(client, staff_a, application):
    photo = document(application, Kind.PHOTO, content_type="image/png")
    client.force_login(staff_a)
    html = client.get(reverse("enrollment:document_check", args=[photo.pk])).content.decode()
    assert f'<img src="{reverse("enrollment:document_preview", args=[photo.pk])}"' in html


def test_only_the_preview_may_be_framed_and_only_by_this_site(client, staff_a, application):
    passport = document(application, Kind.PASSPORT_MAIN)
    client.force_login(staff_a)
    preview = client.get(reverse("enrollment:document_preview", args=[passport.pk]))
    assert preview.status_code == 200
    assert preview["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in preview["Content-Security-Policy"]
    assert preview["Content-Type"] == "application/pdf"
    assert preview["Content-Disposition"].startswith("inline")
    assert preview["X-Content-Type-Options"] == "nosniff"
    download = client.get(reverse("enrollment:document_file", args=[passport.pk]))
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in download["Content-Security-Policy"]


def test_an_unexpected_stored_type_is_never_shown_inline(client, staff_a, application):
    odd = document(application, Kind.PASSPORT_MAIN, content_type="text/html")
    client.force_login(staff_a)
    assert client.get(reverse("enrollment:document_preview", args=[odd.pk])).status_code == 404


def test_approving_leads_to_the_next_document_to_check(client, staff_a, application):
    docs = primary_set(application)
    client.force_login(staff_a)
    first = docs[Kind.EDUCATION]
    response = client.post(reverse("enrollment:document_check", args=[first.pk]), {"decision": "approve"})
    assert response.status_code == 302
    assert response["Location"] == reverse("enrollment:document_check", args=[docs[Kind.PASSPORT_MAIN].pk])
    first.refresh_from_db()
    assert first.status == DocStatus.APPROVED


def test_rejecting_without_a_comment_is_refused_on_the_form(client, staff_a, application):
    doc = primary_set(application)[Kind.EDUCATION]
    client.force_login(staff_a)
    response = client.post(reverse("enrollment:document_check", args=[doc.pk]), {"decision": "reject"})
    assert response.status_code == 200
    assert "Укажите причину отклонения" in response.content.decode()
    doc.refresh_from_db()
    assert doc.status == DocStatus.NEW


def test_a_second_approval_gets_one_clear_message(client, staff_a, application):
    doc = primary_set(application)[Kind.EDUCATION]
    client.force_login(staff_a)
    url = reverse("enrollment:document_check", args=[doc.pk])
    client.post(url, {"decision": "approve"}, follow=True)  # shows (and consumes) its own message
    response = client.post(url, {"decision": "approve"}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1
    assert "Документ уже проверен" in messages[0]


def test_the_partner_corrects_the_citizens_data_and_it_is_logged(client, staff_a, application):
    client.force_login(staff_a)
    url = reverse("enrollment:application_edit", args=[application.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(passport_number="111222", registration_address="г. Томск, ул. Ленина, 1")
    response = client.post(url, data)
    assert response.status_code == 302
    application.citizen.refresh_from_db()
    assert application.citizen.passport_number == "111222"
    event = application.events.get(transition="data_correct")
    assert event.actor == staff_a
    assert "111222" in event.comment
    assert "ул. Ленина" in event.comment


def test_data_are_locked_after_the_enrolment_approval(client, staff_a, program):
    application = application_for(program, Status.AWAITING_AGREEMENT)
    client.force_login(staff_a)
    response = client.get(reverse("enrollment:application_edit", args=[application.pk]))
    assert response.status_code == 302


@pytest.fixture
def replacing_staff(staff_a):
    staff_a.memberships.update(can_replace_citizen_documents=True)
    return staff_a


def test_staff_with_the_right_replace_a_document_and_the_old_version_stays(client, replacing_staff, application):
    old = document(application, Kind.EDUCATION, DocStatus.APPROVED)
    client.force_login(replacing_staff)
    response = client.post(reverse("enrollment:document_replace", args=[application.pk]),
                           {"kind": Kind.EDUCATION, "files": pdf_upload(), "reason": "Письмо гражданина"})
    assert response.status_code == 302
    versions = list(ApplicationDocument.objects.filter(application=application, kind=Kind.EDUCATION)
                    .order_by("version"))
    assert [(d.version, d.is_current, d.status) for d in versions] == [
        (1, False, DocStatus.APPROVED), (2, True, DocStatus.NEW)]
    assert versions[1].uploaded_by == replacing_staff
    assert old.file.name == versions[0].file.name
    event = application.events.get(transition="document_replace")
    assert "Письмо гражданина" in event.comment


def test_staff_without_the_right_cannot_replace(client, staff_a, application):
    client.force_login(staff_a)
    response = client.post(reverse("enrollment:document_replace", args=[application.pk]),
                           {"kind": Kind.EDUCATION, "files": pdf_upload()})
    assert response.status_code == 403
    assert not ApplicationDocument.objects.exists()


def test_the_all_party_contract_is_uploaded_approved(client, staff_a, program):
    application = application_for(program, Status.STUDYING)
    client.force_login(staff_a)
    client.post(reverse("enrollment:all_party_contract_upload", args=[application.pk]),
                {"contract-files": pdf_upload()})
    contract = ApplicationDocument.objects.get(application=application, kind=Kind.ALL_PARTY_CONTRACT)
    assert contract.status == DocStatus.APPROVED
    assert contract.checked_by == staff_a


def test_the_all_party_contract_waits_for_the_enrolment_approval(client, staff_a, application):
    client.force_login(staff_a)
    response = client.post(reverse("enrollment:all_party_contract_upload", args=[application.pk]),
                           {"contract-files": pdf_upload()}, follow=True)
    assert "после одобрения документов" in response.content.decode()
    assert not ApplicationDocument.objects.exists()


def test_withdrawal_decisions_from_the_page(client, staff_a, program):
    application = application_for(program, Status.WITHDRAWAL_REVIEW)
    request = WithdrawalRequest.objects.create(application=application, file=pdf_upload())
    client.force_login(staff_a)
    assert f'action="{reverse("enrollment:withdrawal_decide", args=[request.pk])}"' in \
        client.get(application.get_absolute_url()).content.decode()
    response = client.post(reverse("enrollment:withdrawal_decide", args=[request.pk]),
                           {"decision": "reject"}, follow=True)
    assert "Укажите причину" in response.content.decode()
    client.post(reverse("enrollment:withdrawal_decide", args=[request.pk]), {"decision": "approve"})
    application.refresh_from_db()
    assert application.status == Status.OWN_REQUEST_ORDER_REQUIRED


def test_the_qualification_page_saves_data_and_scan(client, staff_a, program):
    application = application_for(program, Status.QUALIFICATION_DOC_REQUIRED)
    document(application, Kind.ALL_PARTY_CONTRACT, DocStatus.APPROVED)
    client.force_login(staff_a)
    response = client.post(reverse("enrollment:qualification_edit", args=[application.pk]), {
        "series": "7001", "number": "42", "registration_number": "ПК-42", "issued_on": "2026-05-15",
        "scan": pdf_upload()})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.AWAITING_EMPLOYMENT
    assert client.get(reverse("enrollment:qualification_file", args=[application.pk])).status_code == 200


def test_history_shows_actions_with_authors(client, staff_a, application):
    doc = primary_set(application)[Kind.EDUCATION]
    client.force_login(staff_a)
    client.post(reverse("enrollment:document_check", args=[doc.pk]), {"decision": "reject", "comment": "Нечитаемо"})
    html = client.get(application.get_absolute_url()).content.decode()
    assert "Документ отклонён" in html
    assert "Нечитаемо" in html
    assert str(staff_a) in html


def test_a_citizen_uses_the_cabinet_not_the_staff_pages(client, application):
    passport = document(application, Kind.PASSPORT_MAIN)
    client.force_login(application.citizen.user)
    assert client.get(application.get_absolute_url()).status_code == 404
    assert client.get(reverse("enrollment:document_file", args=[passport.pk])).status_code == 404


@pytest.mark.parametrize(("persona", "sees"), [("staff_a", True), ("operator_reviewer", True),
                                               ("employment_reviewer", False)])
def test_only_those_who_check_the_papers_see_the_passport_number(client, request, application, persona, sees):
    """ACL-06: the passport number is shown to the partner and the operator, never to the
    employment service's reviewer, who reads the same page for the signed papers."""
    type(application.citizen).objects.filter(pk=application.citizen_id).update(
        passport_series="4510", passport_number="987123", passport_department_code="770-001")
    html = _page(client, request.getfixturevalue(persona), application).content.decode()
    assert application.rr_number in html
    for value in ("987123", "770-001"):
        assert (value in html) is sees, (persona, value)
