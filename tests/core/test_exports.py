"""Export jobs as a service: start, build CSV and XLSX (BOM, `;`, formula escaping), progress,
idempotency, failures, the ready e-mail, expiry and recovery of lost jobs."""
import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import QueryDict
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import User
from core import exports
from core.models import ExportJob, OutgoingEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KIND = "tests.users"


def register_users_export(monkeypatch, columns=None):
    """A throw-away registry holding one export over users, filtered by `?domain=`."""
    monkeypatch.setattr(exports, "_registry", {})
    monkeypatch.setattr(exports, "_discovered", True)
    return exports.register_export(
        KIND,
        title="Пользователи",
        columns=columns or [
            ("E-mail", "email"),
            ("Фамилия", "last_name"),
            ("Имя", lambda user: user.first_name),
            ("Сотрудник ФО", "is_staff"),
            ("Зарегистрирован", "date_joined"),
        ],
        queryset=lambda user, params: User.objects.filter(
            email__endswith=params.get("domain", "")).order_by("email"),
    )


@pytest.fixture
def users_export(monkeypatch):
    return register_users_export(monkeypatch)


@pytest.fixture
def owner(db):
    return UserFactory(email="owner@export.test", first_name="Ольга", last_name="Смирнова")


@pytest.fixture
def people(owner):
    return [
        UserFactory(email="a@export.test", last_name="=SUM(1)", first_name="+7 900"),
        UserFactory(email="b@export.test", last_name="Петров", first_name="@cmd", is_staff=True),
        UserFactory(email="outsider@other.test"),
    ]


def build(owner, fmt="csv", params=None):
    job = exports.export_start(user=owner, kind=KIND, params=params or {"domain": "@export.test"}, format=fmt)
    exports.export_build(job_id=job.pk)
    return ExportJob.objects.get(pk=job.pk)


def read(job) -> bytes:
    with default_storage.open(job.file.name, "rb") as fh:
        return fh.read()


def test_start_queues_a_pending_job_with_the_list_filters(owner, users_export, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        job = exports.export_start(user=owner, kind=KIND, params=QueryDict("domain=@export.test&sort=-email"),
                                   format="xlsx")
    assert job.status == ExportJob.Status.PENDING
    assert job.title == "Пользователи"
    assert job.params == {"domain": ["@export.test"], "sort": ["-email"]}
    assert len(callbacks) == 1


def test_start_refuses_unknown_kinds_formats_and_too_many_jobs(owner, users_export):
    with pytest.raises(exports.UnknownExport):
        exports.export_start(user=owner, kind="nope", params={}, format="csv")
    with pytest.raises(ValidationError):
        exports.export_start(user=owner, kind=KIND, params={}, format="pdf")
    for _ in range(exports.MAX_ACTIVE_PER_USER):
        exports.export_start(user=owner, kind=KIND, params={}, format="csv")
    with pytest.raises(exports.ExportLimitReached):
        exports.export_start(user=owner, kind=KIND, params={}, format="csv")


def test_start_refuses_when_the_queryset_refuses(owner, monkeypatch):
    monkeypatch.setattr(exports, "_registry", {})
    monkeypatch.setattr(exports, "_discovered", True)

    def forbidden(user, params):
        raise PermissionDenied

    exports.register_export(KIND, title="Закрытая", columns=[("E-mail", "email")], queryset=forbidden)
    with pytest.raises(PermissionDenied):
        exports.export_start(user=owner, kind=KIND, params={}, format="csv")
    assert not ExportJob.objects.exists()


def test_a_kind_cannot_be_registered_twice(users_export):
    with pytest.raises(Exception, match="registered twice"):
        exports.register_export(KIND, title="Ещё раз", columns=[], queryset=lambda u, p: None)


def test_csv_is_utf8_with_bom_semicolons_and_escaped_formulas(owner, people, users_export):
    job = build(owner, "csv")
    assert job.status == ExportJob.Status.READY
    content = read(job)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["E-mail", "Фамилия", "Имя", "Сотрудник ФО", "Зарегистрирован"]
    assert [row[:4] for row in rows[1:]] == [
        ["a@export.test", "'=SUM(1)", "'+7 900", "нет"],
        ["b@export.test", "Петров", "'@cmd", "да"],
        ["owner@export.test", "Смирнова", "Ольга", "нет"],
    ]
    assert rows[1][4] == f"{timezone.localtime(people[0].date_joined):%d.%m.%Y %H:%M}"
    assert job.file.name.endswith(".csv")


def test_xlsx_reads_back_with_escaped_formulas_and_real_dates(owner, people, users_export):
    job = build(owner, "xlsx")
    assert job.status == ExportJob.Status.READY
    sheet = load_workbook(io.BytesIO(read(job))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["E-mail", "Фамилия", "Имя", "Сотрудник ФО", "Зарегистрирован"]
    assert rows[1][:4] == ["a@export.test", "'=SUM(1)", "'+7 900", "нет"]
    assert sheet["B2"].data_type == "s"  # text, not a formula
    assert abs(rows[1][4] - timezone.localtime(people[0].date_joined).replace(tzinfo=None)) < timedelta(seconds=1)
    assert len(rows) == 4


def test_progress_is_written_after_the_chunks(owner, monkeypatch):
    seen = []
    register_users_export(monkeypatch, columns=[
        ("E-mail", "email"),
        ("Готово при записи", lambda user: seen.append(ExportJob.objects.get().done_rows)),
    ])
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    monkeypatch.setattr(exports, "PROGRESS_SECONDS", 0)  # after every chunk
    for i in range(4):
        UserFactory(email=f"u{i}@export.test")
    job = build(owner)
    assert seen == [0, 0, 2, 2, 4]
    assert (job.total_rows, job.done_rows, job.progress) == (5, 5, 100)


def test_progress_is_saved_at_most_every_progress_seconds(owner, monkeypatch):
    seen = []
    register_users_export(monkeypatch, columns=[
        ("E-mail", "email"),
        ("Готово при записи", lambda user: seen.append(ExportJob.objects.get().done_rows)),
    ])
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    monkeypatch.setattr(exports, "PROGRESS_SECONDS", 3600)
    for i in range(4):
        UserFactory(email=f"u{i}@export.test")
    job = build(owner)
    assert seen == [0, 0, 0, 0, 0]  # no UPDATE per chunk: the finished job holds the count
    assert (job.total_rows, job.done_rows, job.progress) == (5, 5, 100)


def test_progress_is_a_percentage_of_the_total():
    job = ExportJob(total_rows=5, done_rows=2)
    assert job.progress == 40


def test_the_owner_gets_an_email_with_an_absolute_link(owner, people, users_export, settings,
                                                       django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://flow.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.export_start(user=owner, kind=KIND, params={"domain": "@export.test"}, format="csv")
    job = ExportJob.objects.get(pk=job.pk)
    assert job.status == ExportJob.Status.READY
    assert job.expires_at == job.finished_at + settings.EXPORT_TTL
    [email] = OutgoingEmail.objects.all()
    assert email.to == "owner@export.test"
    assert email.subject == "Выгрузка «Пользователи» готова"
    link = f"https://flow.example.org/exports/{job.pk}/download/"
    assert link in email.body_text
    assert f'href="{link}"' in email.body_html
    assert "Здравствуйте, Ольга!" in email.body_text
    [message] = mail.outbox
    assert message.attachments == []  # a link, never the file


def test_building_twice_builds_once(owner, people, users_export):
    job = build(owner)
    exports.export_build(job_id=job.pk)
    assert ExportJob.objects.get(pk=job.pk).file.name == job.file.name
    assert OutgoingEmail.objects.count() == 1


def test_an_error_while_writing_fails_the_job(owner, people, monkeypatch):
    register_users_export(monkeypatch, columns=[("E-mail", lambda user: 1 / 0)])
    job = build(owner)
    assert job.status == ExportJob.Status.FAILED
    assert "ZeroDivisionError" in job.error
    assert not job.file
    assert not OutgoingEmail.objects.exists()


def test_a_deactivated_owner_gets_no_file(owner, people, users_export):
    job = exports.export_start(user=owner, kind=KIND, params={}, format="csv")
    User.objects.filter(pk=owner.pk).update(is_active=False)
    exports.export_build(job_id=job.pk)
    job = ExportJob.objects.get(pk=job.pk)
    assert job.status == ExportJob.Status.FAILED
    assert job.error == "Нет доступа к этим данным."


def test_expire_deletes_the_file_and_marks_the_job(owner, people, users_export):
    old, fresh = build(owner), build(owner)
    ExportJob.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert exports.export_expire() == 1
    old_after = ExportJob.objects.get(pk=old.pk)
    assert old_after.status == ExportJob.Status.EXPIRED
    assert not old_after.file
    assert not default_storage.exists(old.file.name)
    assert ExportJob.objects.get(pk=fresh.pk).status == ExportJob.Status.READY
    assert default_storage.exists(fresh.file.name)


def test_recover_requeues_lost_pending_jobs_and_fails_lost_running_ones(
        owner, people, users_export, django_capture_on_commit_callbacks):
    pending = exports.export_start(user=owner, kind=KIND, params={}, format="csv")
    running = exports.export_start(user=owner, kind=KIND, params={}, format="csv")
    two_hours_ago = timezone.now() - timedelta(hours=2)
    ExportJob.objects.filter(pk=running.pk).update(status=ExportJob.Status.RUNNING, started_at=two_hours_ago)
    ExportJob.objects.filter(pk=pending.pk).update(created_at=two_hours_ago)
    with django_capture_on_commit_callbacks(execute=True):
        assert exports.export_recover() == 2
    assert ExportJob.objects.get(pk=pending.pk).status == ExportJob.Status.READY
    assert ExportJob.objects.get(pk=running.pk).status == ExportJob.Status.FAILED


def test_per_job_columns_are_resolved_once_from_the_owner_and_the_params(owner, people, monkeypatch):
    calls = []

    def columns_for(user, params):
        calls.append((user, params.getlist("col")))
        return [("E-mail", "email")] + ([("Фамилия", "last_name")] if "last_name" in params.getlist("col") else [])

    monkeypatch.setattr(exports, "_registry", {})
    monkeypatch.setattr(exports, "_discovered", True)
    exports.register_export(KIND, title="Пользователи", columns=[("E-mail", "email")], columns_for=columns_for,
                            queryset=lambda user, params: User.objects.filter(email__endswith="@export.test")
                            .order_by("email"))
    job = build(owner, params={"col": ["last_name"]})
    rows = list(csv.reader(io.StringIO(read(job).decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["E-mail", "Фамилия"]
    assert rows[1] == ["a@export.test", "'=SUM(1)"]
    assert calls == [(owner, ["last_name"])]  # once per job, not once per row
