"""The Odin import page in the admin: operator reviewers and superusers only; upload → preview
(a dry run: counts and errors, nothing written) → confirm (the same service as the command).

The page is a mixin the program admin includes; this module mounts it on a throw-away admin
site (it is also the URLconf of these tests), so it is tested whatever the real admin holds."""
import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import path, reverse

from programs.admin.odin import OdinImportAdminMixin
from programs.models import Program
from tests.factories import UserFactory

site = admin.AdminSite(name="admin")


class ProgramImportAdmin(OdinImportAdminMixin, admin.ModelAdmin):
    search_fields = ("title",)


site.register(Program, ProgramImportAdmin)
urlpatterns = [path("admin/", site.urls)]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

URL = "/admin/programs/program/odin-import/"
HEADER = ("odin_id,partner_inn,campaign_code,national_project,title,short_title,kind,academic_hours,"
          "distance_hours,study_form,min_education_level,qualification\n")


def upload(partner, *, bad_row=False) -> SimpleUploadedFile:
    rows = HEADER + f"p-1,{partner.inn},amsz-2026,1,Повар,,ПО,288,0,очная,,\n"
    if bad_row:
        rows += f"p-2,{partner.inn},amsz-2026,1,=HYPERLINK(\"x\"),,ПО,-1,0,очная,,\n"
    return SimpleUploadedFile("programs.csv", rows.encode(), content_type="text/csv")


@pytest.mark.parametrize(("persona", "status"), [("staff_a", 403), ("employment_reviewer", 403),
                                                 ("operator_reviewer", 200)])
def test_only_operator_reviewers_and_superusers_open_the_page(client, personas, persona, status):
    user = personas[persona]
    user.is_staff = True  # even with admin access, partner staff and regional reviewers may not import
    user.save()
    client.force_login(user)
    assert client.get(URL).status_code == status


def test_a_superuser_opens_the_page_and_the_change_list_shows_the_button(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(URL).status_code == 200
    assert URL in client.get("/admin/programs/program/").content.decode()


def test_preview_writes_nothing_and_confirm_imports(client, operator_reviewer, partner_a):
    client.force_login(operator_reviewer)
    preview = client.post(URL, {"kind": "programs", "file": upload(partner_a, bad_row=True)})
    assert preview.status_code == 200
    assert not Program.objects.exists()
    page = preview.content.decode()
    assert "Проверка файла: ничего не записано" in page
    assert "Число должно быть не меньше 0, получено -1." in page
    token = preview.context["token"]
    counts = dict(preview.context["counts"])
    assert (counts["создано"], counts["отклонено"]) == (1, 1)

    report = client.get(preview.context["report_url"])
    assert report["Content-Disposition"] == 'attachment; filename="odin-errors.csv"'
    assert "3;academic_hours;" in report.content.decode("utf-8-sig")

    confirmed = client.post(URL, {"token": token})
    assert "Импорт выполнен" in confirmed.content.decode()
    assert list(Program.objects.values_list("odin_id", flat=True)) == ["p-1"]

    again = client.post(URL, {"token": token})  # a token is used once
    assert again.context["expired"]
    assert Program.objects.count() == 1


def test_an_unusable_file_offers_no_confirm(client, operator_reviewer):
    client.force_login(operator_reviewer)
    response = client.post(URL, {"kind": "cohorts", "file": SimpleUploadedFile("c.csv", b"odin_id\nc-1\n")})
    assert "Нет обязательных столбцов" in response.content.decode()
    assert "token" not in response.context


def test_another_user_cannot_confirm_or_download_someone_elses_upload(client, operator_reviewer, partner_a):
    client.force_login(operator_reviewer)
    preview = client.post(URL, {"kind": "programs", "file": upload(partner_a, bad_row=True)})
    other = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(other)
    assert client.get(preview.context["report_url"]).status_code == 404
    assert client.post(URL, {"token": preview.context["token"]}).context["expired"]
    assert not Program.objects.exists()


def test_the_url_names_follow_the_admin(operator_reviewer):
    assert reverse("admin:programs_program_odin_import") == URL
