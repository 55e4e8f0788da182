"""Export pages: the owner's list (query budget), the polling status page, owner-only download,
410 after expiry, and the start button."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core import exports
from core.models import ExportJob
from tests.core.test_exports import KIND, register_users_export
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def users_export(monkeypatch):
    return register_users_export(monkeypatch)


@pytest.fixture
def owner(db):
    return UserFactory(email="owner@export.test")


@pytest.fixture
def ready_job(owner, users_export):
    job = exports.export_start(user=owner, kind=KIND, params={"domain": "@export.test"}, format="csv")
    exports.export_build(job_id=job.pk)
    return ExportJob.objects.get(pk=job.pk)


@pytest.fixture
def pending_job(owner, users_export):
    return exports.export_start(user=owner, kind=KIND, params={}, format="xlsx")


@pytest.mark.parametrize("name", ["core:export_list", "core:export_detail", "core:export_download"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, pending_job, name):
    url = reverse(name) if name == "core:export_list" else reverse(name, args=[pending_job.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_list_shows_own_jobs_newest_first_within_the_query_budget(
        client, owner, users_export, django_assert_max_num_queries):
    for i in range(25):
        ExportJob.objects.create(owner=owner, kind=KIND, title=f"Выгрузка {i:02d}",
                                 created_at=timezone.now() - timedelta(minutes=i))
    ExportJob.objects.create(owner=UserFactory(), kind=KIND, title="Чужая выгрузка")
    client.force_login(owner)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("core:export_list"))
    assert response.status_code == 200
    page = list(response.context["page_obj"])
    assert [job.title for job in page] == [f"Выгрузка {i:02d}" for i in range(20)]
    assert "Чужая выгрузка" not in response.content.decode()
    assert len(client.get(reverse("core:export_list"), {"page": 2}).context["page_obj"]) == 5


def test_the_list_says_so_when_empty(client, owner):
    client.force_login(owner)
    assert "Выгрузок пока нет" in client.get(reverse("core:export_list")).content.decode()


def test_a_running_job_page_polls_its_status_panel(client, pending_job):
    client.force_login(pending_job.owner)
    response = client.get(reverse("core:export_detail", args=[pending_job.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'hx-trigger="every 2s"' in body
    assert "<progress" in body
    partial = client.get(reverse("core:export_detail", args=[pending_job.pk]), HTTP_HX_REQUEST="true")
    assert partial.content.decode().strip().startswith('<section id="export-status"')
    assert "<html" not in partial.content.decode()


def test_a_ready_job_page_stops_polling_and_offers_the_file(client, ready_job):
    client.force_login(ready_job.owner)
    body = client.get(reverse("core:export_detail", args=[ready_job.pk]),
                      HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in body
    assert reverse("core:export_download", args=[ready_job.pk]) in body


def test_the_owner_downloads_the_file_as_an_attachment(client, ready_job):
    client.force_login(ready_job.owner)
    response = client.get(reverse("core:export_download", args=[ready_job.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("name", ["core:export_detail", "core:export_download"])
def test_someone_else_gets_404(client, ready_job, name):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse(name, args=[ready_job.pk])).status_code == 404


def test_a_download_before_the_file_is_ready_goes_to_the_status_page(client, pending_job):
    client.force_login(pending_job.owner)
    response = client.get(reverse("core:export_download", args=[pending_job.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("core:export_detail", args=[pending_job.pk])


def test_an_expired_file_answers_410_with_an_explanation(client, ready_job):
    ExportJob.objects.filter(pk=ready_job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert exports.export_expire() == 1
    client.force_login(ready_job.owner)
    response = client.get(reverse("core:export_download", args=[ready_job.pk]))
    assert response.status_code == 410
    assert "Срок хранения файла истёк" in response.content.decode()


def test_start_takes_the_list_filters_and_opens_the_status_page(client, owner, users_export,
                                                                django_capture_on_commit_callbacks):
    client.force_login(owner)
    url = reverse("core:export_start", args=[KIND])
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(f"{url}?sort=email", {"domain": "@export.test", "export_format": "xlsx"})
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("core:export_detail", args=[job.pk])
    assert (job.owner, job.format, job.params) == (owner, "xlsx", {"sort": ["email"], "domain": ["@export.test"]})
    assert len(callbacks) == 1


def test_start_needs_post_and_a_known_kind(client, owner, users_export):
    client.force_login(owner)
    assert client.get(reverse("core:export_start", args=[KIND])).status_code == 405
    assert client.post(reverse("core:export_start", args=["no.such"])).status_code == 404
    assert not ExportJob.objects.exists()


def test_start_explains_the_limit(client, owner, users_export):
    client.force_login(owner)
    for _ in range(exports.MAX_ACTIVE_PER_USER + 1):
        response = client.post(reverse("core:export_start", args=[KIND]), follow=True)
    assert "Одновременно формируется не больше" in response.content.decode()
    assert ExportJob.objects.count() == exports.MAX_ACTIVE_PER_USER
