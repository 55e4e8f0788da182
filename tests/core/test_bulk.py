"""core.bulk.copy_insert: bulk_create by PostgreSQL COPY (bulk_create itself elsewhere)."""
import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Organization
from core.bulk import COPY_FROM, copy_insert
from core.models import OutgoingEmail
from tests.factories import OrganizationFactory
from tests.testapp.models import Widget

pytestmark = pytest.mark.django_db


def test_objects_are_numbered_marked_saved_and_stored_as_bulk_create_would():
    organization = OrganizationFactory()
    widgets = [Widget(organization=organization) for _ in range(COPY_FROM)]
    with CaptureQueriesContext(connection) as queries:
        assert copy_insert(widgets) == widgets
    if connection.vendor == "postgresql":  # the ids in one query, the rows in one COPY
        assert len(queries) == 2
        assert queries[-1]["sql"].startswith('COPY "testapp_widget"')
    assert all(w.pk is not None and not w._state.adding and w._state.db == "default" for w in widgets)
    stored = Widget.objects.filter(pk__in=[w.pk for w in widgets])
    assert sorted(stored.values_list("pk", "organization_id", "status")) == sorted(
        (w.pk, organization.pk, Widget.Status.DRAFT) for w in widgets)
    later = Widget.objects.create(organization=organization)  # the sequence moved past the ids drawn
    assert later.pk > max(w.pk for w in widgets)


def test_a_related_object_saved_since_is_picked_up():
    organization = OrganizationFactory.build()
    widget = Widget(organization=organization)
    assert widget.organization_id is None
    copy_insert([organization])
    copy_insert([widget, *(Widget(organization=organization) for _ in range(COPY_FROM))])
    assert widget.organization_id == organization.pk
    assert Widget.objects.get(pk=widget.pk).organization == Organization.objects.get(pk=organization.pk)


def test_values_prepared_by_their_fields_keep_their_meaning():
    moment = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    emails = [OutgoingEmail(to=f"c{i}@example.org", subject="Тема «кавычки»\tи\\слеш", body_text="Строка\nдругая",
                            created_at=moment) for i in range(COPY_FROM)]
    copy_insert(emails)
    stored = OutgoingEmail.objects.get(pk=emails[1].pk)
    assert (stored.to, stored.subject, stored.body_text, stored.created_at, stored.status) == (
        "c1@example.org", "Тема «кавычки»\tи\\слеш", "Строка\nдругая", moment, OutgoingEmail.Status.PENDING)


def test_a_few_objects_are_one_insert():
    organization = OrganizationFactory()
    with CaptureQueriesContext(connection) as queries:
        few = copy_insert([Widget(organization=organization) for _ in range(COPY_FROM - 1)])
    assert len(queries) == 1
    assert queries[0]["sql"].startswith('INSERT INTO "testapp_widget"')
    assert all(w.pk is not None for w in few)


def test_nothing_to_insert_is_no_query():
    with CaptureQueriesContext(connection) as queries:
        assert copy_insert([]) == []
    assert len(queries) == 0


def test_a_naive_moment_is_made_aware_as_bulk_create_does(settings):
    naive = dt.datetime(2026, 3, 1, 9, 30)  # noqa: DTZ001 - a naive moment is what this checks
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        copy_insert([OutgoingEmail(to=f"n{i}@example.org", subject="s", body_text="t", created_at=naive)
                     for i in range(COPY_FROM)])
    stored = OutgoingEmail.objects.get(to="n0@example.org").created_at
    assert stored == naive.replace(tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
