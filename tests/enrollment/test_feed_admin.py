"""The РР import page in the admin: operator reviewers and superusers only; upload → preview
(a dry run: nothing written, no e-mail) → confirm. Mounted on a throw-away admin site, which is
also the URLconf of these tests, so it is tested whatever the real admin holds."""
import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import include, path

from core.models import OutgoingEmail
from enrollment.admin_feed import RRImportAdminMixin
from enrollment.models import Application
from tests.enrollment.test_feed_applications import feed_file, row
from tests.factories import UserFactory
from tests.programs.factories import CohortFactory, ProgramFactory

site = admin.AdminSite(name="admin")


class ApplicationImportAdmin(RRImportAdminMixin, admin.ModelAdmin):
    pass


site.register(Application, ApplicationImportAdmin)
urlpatterns = [path("admin/", site.urls), path("accounts/", include("accounts.urls"))]  # the login links

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

URL = "/admin/enrollment/application/rr-import/"


@pytest.fixture
def program(db):
    program = ProgramFactory(odin_id="p-1")
    CohortFactory(program=program, odin_id="c-1")
    return program


def upload() -> SimpleUploadedFile:
    return SimpleUploadedFile("rr.csv", feed_file(row(1), row(2, program="p-404")), content_type="text/csv")


@pytest.mark.parametrize(("persona", "status"), [("staff_a", 403), ("employment_reviewer", 403),
                                                 ("operator_reviewer", 200)])
def test_only_operator_reviewers_and_superusers_open_the_page(client, personas, persona, status):
    user = personas[persona]
    user.is_staff = True
    user.save()
    client.force_login(user)
    assert client.get(URL).status_code == status


def test_the_change_list_shows_the_button(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert URL in client.get("/admin/enrollment/application/").content.decode()


def test_preview_writes_nothing_and_confirm_imports(client, operator_reviewer, program):
    client.force_login(operator_reviewer)
    preview = client.post(URL, {"kind": "applications", "file": upload()})
    assert "Программа с ID Odin «p-404» не найдена в Flow." in preview.content.decode()
    assert not Application.objects.exists()
    assert not OutgoingEmail.objects.exists()
    assert dict(preview.context["counts"])["создано"] == 1
    report = client.get(preview.context["report_url"])
    assert "3;program_odin_id;" in report.content.decode("utf-8-sig")
    client.post(URL, {"token": preview.context["token"]})
    assert list(Application.objects.values_list("rr_number", flat=True)) == ["РР-2026-000001"]
    assert OutgoingEmail.objects.count() == 1
    other = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(other)
    assert client.get(preview.context["report_url"]).status_code == 404
