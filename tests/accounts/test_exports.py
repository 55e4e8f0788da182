import csv
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.http import QueryDict

from core import exports
from core.models import ExportJob

pytestmark = pytest.mark.django_db


def _rows(job: ExportJob) -> list[list[str]]:
    job.file.open("rb")
    text = job.file.read().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_the_staff_export_holds_only_the_partners_own_staff(staff_a, staff_b, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.export_start(user=staff_a, kind="accounts.staff", params=QueryDict(""))
    job.refresh_from_db()
    rows = _rows(job)
    assert rows[0][:2] == ["ФИО", "E-mail"]
    emails = {row[1] for row in rows[1:]}
    assert emails == {"staff.a@example.org"}


def test_the_organisations_export_follows_the_list_filters(operator_reviewer, partner_a, partner_b,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = exports.export_start(user=operator_reviewer, kind="accounts.organizations",
                                   params=QueryDict(f"q={partner_b.inn}"))
    job.refresh_from_db()
    assert [row[3] for row in _rows(job)[1:]] == [partner_b.inn]


def test_a_citizen_cannot_export_staff(citizen):
    with pytest.raises(PermissionDenied):
        exports.export_start(user=citizen, kind="accounts.staff", params=QueryDict(""))
