"""Exports whose columns are `Fields`: the rows are read with `values_list()` (tuples, only the
fields the columns need, no model instances) and the file is the same, byte for byte, as the one
built from instances with the equivalent accessors — across chunks, in CSV and XLSX."""
import io
from types import SimpleNamespace

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from accounts.models import Membership
from core import exports
from core.models import ExportJob
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

KIND = "tests.memberships"


def _initials(last_name, first_name):
    return f"{last_name} {first_name[:1]}." if first_name else last_name


FIELDS = [
    ("E-mail", exports.Fields("user__email")),
    ("Кратко", exports.Fields("user__last_name", "user__first_name", value=_initials)),
    ("Сотрудник ФО", exports.Fields("user__is_staff")),
    ("Зарегистрирован", exports.Fields("user__date_joined")),
    ("Организация", exports.Fields("organization__short_name")),
    ("Роль", exports.Fields("role", value=lambda role: Membership.Role(role).label)),
    ("Действует", exports.Fields("is_active")),
]
# The same columns as instance accessors: what an export without `Fields` writes.
ACCESSORS = [
    ("E-mail", "user.email"),
    ("Кратко", lambda m: _initials(m.user.last_name, m.user.first_name)),
    ("Сотрудник ФО", "user.is_staff"),
    ("Зарегистрирован", "user.date_joined"),
    ("Организация", "organization.short_name"),
    ("Роль", "get_role_display"),
    ("Действует", "is_active"),
]


def register(monkeypatch, columns):
    monkeypatch.setattr(exports, "_registry", {})
    monkeypatch.setattr(exports, "_discovered", True)
    return exports.register_export(
        KIND, title="Сотрудники", columns=columns,
        queryset=lambda user, params: Membership.objects.filter(user__email__endswith="@fields.test")
        .select_related("user", "organization").order_by("user__email"))


@pytest.fixture
def owner(db):
    return UserFactory(email="owner@export.test")


@pytest.fixture
def memberships(db):
    return [
        MembershipFactory(user=UserFactory(email="a@fields.test", last_name="=HYPERLINK(1)", first_name="Ян")),
        MembershipFactory(user=UserFactory(email="b@fields.test", last_name="Петров", first_name="", is_staff=True),
                          is_active=False),
        MembershipFactory(user=UserFactory(email="c@fields.test", last_name="-1", first_name="+Олег")),
        MembershipFactory(user=UserFactory(email="d@fields.test", last_name="Смирнова", first_name="Ольга")),
        MembershipFactory(user=UserFactory(email="e@fields.test", last_name="Орлов", first_name="Иван")),
    ]


def build(owner, fmt="csv") -> tuple[ExportJob, bytes]:
    job = exports.export_start(user=owner, kind=KIND, params={}, format=fmt)
    exports.export_build(job_id=job.pk)
    job = ExportJob.objects.get(pk=job.pk)
    assert job.status == ExportJob.Status.READY, job.error
    with default_storage.open(job.file.name, "rb") as fh:
        return job, fh.read()


def test_fields_follow_the_paths_of_an_instance(memberships):
    membership = memberships[2]
    assert exports.Fields("user__email")(membership) == "c@fields.test"
    assert exports.Fields("user__last_name", "user__first_name", value=_initials)(membership) == "-1 +."
    assert exports.ExportSpec(kind=KIND, title="", columns=tuple(FIELDS), queryset=None).row_for(membership)[:3] == [
        "c@fields.test", "'-1 +.", "нет"]


def test_a_path_through_a_missing_relation_is_none():
    row = SimpleNamespace(cohort=None)  # a nullable relation, as `values_list` reads it: None
    assert exports.Fields("cohort__odin_id")(row) is None
    assert exports.Fields("cohort__odin_id", value=lambda odin_id: odin_id or "—")(row) == "—"


def test_fields_need_a_field():
    with pytest.raises(Exception, match="at least one field"):
        exports.Fields()


@pytest.mark.parametrize("chunk", [2, 2000])
def test_csv_from_tuples_is_the_csv_from_instances(owner, memberships, monkeypatch, chunk):
    monkeypatch.setattr(exports, "CHUNK_SIZE", chunk)
    register(monkeypatch, ACCESSORS)
    from_instances = build(owner)[1]
    register(monkeypatch, FIELDS)
    job, from_tuples = build(owner)
    assert from_tuples == from_instances
    assert from_tuples.decode("utf-8-sig").splitlines()[1].startswith("a@fields.test;'=HYPERLINK(1) Я.;нет;")
    assert (job.total_rows, job.done_rows) == (5, 5)


def test_xlsx_from_tuples_is_the_xlsx_from_instances(owner, memberships, monkeypatch):
    def cells(content):
        return [[cell.value for cell in row] for row in load_workbook(io.BytesIO(content)).active.iter_rows()]

    register(monkeypatch, ACCESSORS)
    from_instances = cells(build(owner, "xlsx")[1])
    register(monkeypatch, FIELDS)
    assert cells(build(owner, "xlsx")[1]) == from_instances
    assert len(from_instances) == 6


def test_tuples_read_only_the_fields_and_no_instance(owner, memberships, monkeypatch):
    register(monkeypatch, FIELDS)

    def no_instances(*args, **kwargs):
        raise AssertionError("a model instance was built")

    monkeypatch.setattr(Membership, "from_db", classmethod(no_instances))
    with CaptureQueriesContext(connection) as queries:
        build(owner)
    [select] = [q["sql"] for q in queries.captured_queries if "fields.test" in q["sql"] and "COUNT" not in q["sql"]]
    assert '"accounts_user"."email"' in select
    assert '"accounts_user"."password"' not in select  # not the whole user: only what the columns show


def test_one_column_that_is_not_fields_reads_instances(owner, memberships, monkeypatch):
    register(monkeypatch, [*FIELDS[:2], ("Полное имя", "user.get_full_name")])
    _job, content = build(owner)
    assert content.decode("utf-8-sig").splitlines()[4] == "d@fields.test;Смирнова О.;Смирнова Ольга"


def test_the_progress_is_saved_while_tuples_are_written(owner, memberships, monkeypatch):
    saved = []
    register(monkeypatch, FIELDS)
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    monkeypatch.setattr(exports, "PROGRESS_SECONDS", 0)
    real_update = exports.ExportJob.objects.filter

    def spy(*args, **kwargs):
        queryset = real_update(*args, **kwargs)
        original = queryset.update

        def update(**values):
            saved.append(values.get("done_rows"))
            return original(**values)

        queryset.update = update
        return queryset

    monkeypatch.setattr(exports.ExportJob.objects, "filter", spy)
    build(owner)
    assert [n for n in saved if n is not None] == [2, 4, 5]



def test_an_export_without_rows_is_the_bom_and_the_header(owner, monkeypatch):
    register(monkeypatch, FIELDS)
    job, content = build(owner)
    assert content == "\ufeffE-mail;Кратко;Сотрудник ФО;Зарегистрирован;Организация;Роль;Действует\r\n".encode()
    assert (job.total_rows, job.done_rows) == (0, 0)
