"""Core's admin pages: export jobs read-only for support, calendar corrections editable."""
import pytest
from django.urls import reverse

from core.models import ExportJob, WorkingDayOverride
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_export_jobs_are_listed_searchable_and_read_only(admin_client):
    job = ExportJob.objects.create(owner=UserFactory(email="owner@example.org"), kind="tests.users",
                                   title="Пользователи")
    response = admin_client.get(reverse("admin:core_exportjob_changelist"), {"q": "owner@", "status": "pending"})
    assert response.status_code == 200
    assert "Пользователи" in response.content.decode()
    assert admin_client.get(reverse("admin:core_exportjob_add")).status_code == 403
    assert admin_client.post(reverse("admin:core_exportjob_delete", args=[job.pk])).status_code == 403


def test_calendar_corrections_are_listed_and_filtered(admin_client):
    WorkingDayOverride.objects.create(date="2026-11-03", is_working=False, note="Постановление Правительства")
    response = admin_client.get(reverse("admin:core_workingdayoverride_changelist"),
                                {"is_working__exact": "0", "q": "Постановление"})
    assert response.status_code == 200
    assert "Постановление Правительства" in response.content.decode()
