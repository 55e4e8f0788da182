import pytest
from django.urls import reverse

from enrollment.models import ApplicationDocument
from tests.enrollment.factories import ApplicationDocumentFactory, ApplicationFactory
from tests.programs.factories import ProgramFactory

pytestmark = pytest.mark.django_db


def test_the_staff_desk_lists_late_documents_of_the_partner_only(client, staff_a, staff_b, partner_a):
    application = ApplicationFactory(program=ProgramFactory(partner=partner_a))
    document = ApplicationDocumentFactory(application=application)
    ApplicationDocument.objects.filter(pk=document.pk).update(status=ApplicationDocument.Status.OVERDUE)
    client.force_login(staff_a)
    assert application.rr_number in client.get(reverse("accounts:staff_home")).content.decode()
    client.force_login(staff_b)
    assert application.rr_number not in client.get(reverse("accounts:staff_home")).content.decode()
