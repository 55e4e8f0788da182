"""The admin for operator reviewers: applications with history and documents, read-only; actions
call the services (support: recompute a status; ops: decide a withdrawal request)."""
import pytest
from django.urls import reverse

from accounts.groups import operator_group
from enrollment.models import Application, ApplicationDocument, WithdrawalRequest
from tests.enrollment.test_application_support import (
    application_for,
    contracted_program,
    document,
    pdf_upload,
    primary_set,
)

pytestmark = pytest.mark.django_db
Status = Application.Status


@pytest.fixture
def operator(operator_reviewer):
    operator_reviewer.groups.add(operator_group())
    return operator_reviewer


@pytest.fixture
def program(partner_a, campaign):
    return contracted_program(partner_a, campaign)[0]


def test_the_lists_and_pages_render_read_only(client, operator, program):
    application = application_for(program, Status.PRIMARY_DOCS_REVIEW)
    doc = document(application, ApplicationDocument.Kind.PASSPORT_MAIN)
    client.force_login(operator)
    for url in (reverse("admin:enrollment_application_changelist") + "?q=" + application.rr_number,
                reverse("admin:enrollment_application_change", args=[application.pk]),
                reverse("admin:enrollment_applicationdocument_change", args=[doc.pk]),
                reverse("admin:enrollment_citizen_changelist")):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(reverse("admin:enrollment_application_change", args=[application.pk])).content.decode()
    assert reverse("enrollment:document_file", args=[doc.pk]) in page
    assert 'name="status"' not in page


def test_support_recomputes_a_status_through_the_service(client, operator, program):
    application = application_for(program, Status.PRIMARY_DOCS_REVIEW)
    primary_set(application, status=ApplicationDocument.Status.APPROVED)
    client.force_login(operator)
    client.post(reverse("admin:enrollment_application_changelist"),
                {"action": "recompute", "_selected_action": [application.pk]})
    application.refresh_from_db()
    assert application.status == Status.ENROLMENT_DOCS_REQUIRED
    assert application.events.get(transition="approve_primary_docs").actor == operator


def test_withdrawal_decisions_in_the_admin_are_for_ops_only(client, operator, admin_user, program):
    application = application_for(program, Status.WITHDRAWAL_REVIEW)
    request = WithdrawalRequest.objects.create(application=application, file=pdf_upload())
    url = reverse("admin:enrollment_withdrawalrequest_changelist")
    client.force_login(operator)
    assert client.get(url).context["action_form"] is None  # no action the operator may run here
    client.force_login(admin_user)
    client.post(url, {"action": "reject", "_selected_action": [request.pk], "apply": "1",
                      "comment": "Гражданин передумал"})
    request.refresh_from_db()
    application.refresh_from_db()
    assert request.status == WithdrawalRequest.Status.REJECTED
    assert application.status == Status.STUDYING
