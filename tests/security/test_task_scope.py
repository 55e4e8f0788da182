"""ACL-09: a background task started by a user re-checks the user's scope when it runs and fails
closed. Exports (core.exports) keep the owner's scope when started (`core.access.scope_snapshot`);
the build compares it with the scope at run time: deactivated, membership removed, role changed,
organisation granted — no file, the job failed with a Russian message, a log record and a `denied`
audit event. The render tasks of programs, enrollment, orders and cohorts take a document's primary
key and render what the data says (the permission was checked by the service that queued them), so
they act on nobody's scope; the beat tasks run as the system.
"""
import logging

import pytest

from accounts.models import Membership
from core import exports
from core.access import scope_snapshot, task_scope_refusal
from core.models import ExportJob, OutgoingEmail
from privacy.models import AuditEvent
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

KIND = "accounts.staff"
CHANGED = "права доступа изменились"


def _start(user) -> ExportJob:
    return exports.export_start(user=user, kind=KIND, params={}, format="csv")


def _build(job) -> ExportJob:
    exports.export_build(job_id=job.pk)
    return ExportJob.objects.get(pk=job.pk)


def _assert_refused(job, caplog, message):
    assert job.status == ExportJob.Status.FAILED
    assert not job.file
    assert message in job.error
    assert not OutgoingEmail.objects.exists()  # no «выгрузка готова» letter
    assert any("export_build" in record.getMessage() and record.levelno == logging.WARNING
               for record in caplog.records)
    event = AuditEvent.objects.get(action=AuditEvent.Action.DENIED, object_type="core.exportjob")
    assert event.object_id == str(job.pk)
    assert event.actor_id == job.owner_id


def test_an_unchanged_scope_builds_the_file(staff_a):
    job = _build(_start(staff_a))
    assert job.status == ExportJob.Status.READY
    assert job.file
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DENIED).exists()


def test_a_ready_file_is_not_handed_to_an_owner_who_lost_the_scope(staff_a, client):
    from django.urls import reverse

    job = _build(_start(staff_a))
    client.force_login(staff_a)
    assert client.get(reverse("core:export_download", args=[job.pk])).status_code == 200
    Membership.objects.filter(user=staff_a).delete()
    assert client.get(reverse("core:export_download", args=[job.pk])).status_code == 403


def test_a_removed_membership_gets_no_file(staff_a, caplog):
    job = _start(staff_a)
    Membership.objects.filter(user=staff_a).delete()
    _assert_refused(_build(job), caplog, CHANGED)


def test_a_deactivated_membership_gets_no_file(staff_a, caplog):
    job = _start(staff_a)
    Membership.objects.filter(user=staff_a).update(is_active=False)
    _assert_refused(_build(job), caplog, CHANGED)


def test_a_deactivated_user_gets_no_file(staff_a, caplog):
    job = _start(staff_a)
    type(staff_a).objects.filter(pk=staff_a.pk).update(is_active=False)
    _assert_refused(_build(job), caplog, "Нет доступа к этим данным.")


def test_a_revoked_role_gets_no_file(operator_reviewer, caplog):
    """The operator reviewer becomes an auditor: still allowed to export, but not the same scope."""
    job = _start(operator_reviewer)
    Membership.objects.filter(user=operator_reviewer).update(role=Membership.Role.AUDITOR)
    _assert_refused(_build(job), caplog, CHANGED)


def test_a_granted_organisation_fails_closed_too(staff_a, caplog):
    """The export would list more than the user asked for when starting it."""
    job = _start(staff_a)
    MembershipFactory(user=staff_a, organization=OrganizationFactory())
    _assert_refused(_build(job), caplog, CHANGED)


def test_the_snapshot_names_roles_and_organisations(staff_a, partner_a, operator_reviewer, operator_org):
    assert scope_snapshot(staff_a) == [f"partner:{partner_a.pk}"]
    assert scope_snapshot(operator_reviewer) == [f"operator:{operator_org.pk}", "staff"]
    assert task_scope_refusal(staff_a, scope_snapshot(staff_a)) is None
    assert task_scope_refusal(staff_a, [f"partner:{partner_a.pk + 1000}"]) == "scope_changed"


def test_the_scope_is_kept_with_the_job(staff_a, partner_a):
    job = _start(staff_a)
    assert job.params[exports.SCOPE_PARAM] == [f"partner:{partner_a.pk}"]


def test_the_scope_key_never_reaches_the_list_filters(staff_a, monkeypatch):
    seen = {}
    spec = exports.get_export(KIND)
    original = spec.queryset

    def spy(user, params):
        seen["params"] = dict(params.lists())
        return original(user, params)

    monkeypatch.setitem(exports._registry, KIND, exports.ExportSpec(KIND, spec.title, spec.columns, spy))
    job = exports.export_start(user=staff_a, kind=KIND, params={"q": "Иванов"}, format="csv")
    _build(job)
    assert seen["params"] == {"q": ["Иванов"]}
