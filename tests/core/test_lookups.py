"""core.lookups.Any: `field = ANY(array)` on PostgreSQL, a JSON array on SQLite — one parameter
however many values (a re-delivered РР file looks up 100,000 fingerprints at once)."""
import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from core.lookups import Any
from core.models import OutgoingEmail
from tests.factories import OrganizationFactory
from tests.testapp.models import Widget

pytestmark = pytest.mark.django_db


def test_many_integers_are_one_parameter():
    organization = OrganizationFactory()
    widgets = Widget.objects.bulk_create([Widget(organization=organization) for _ in range(3)])
    wanted = [widgets[0].pk, widgets[2].pk]
    values = [-n for n in range(1, 50_001)] + wanted  # more than SQLite allows as parameters
    with CaptureQueriesContext(connection) as queries:
        found = sorted(Widget.objects.filter(Any(F("pk"), values)).values_list("pk", flat=True))
    assert found == wanted
    assert len(queries) == 1


def test_strings_with_quotes_and_commas_and_nothing_at_all():
    emails = [OutgoingEmail.objects.create(to=f"{name}@example.org", subject=name, body_text="t")
              for name in ("o'neil", 'a"b', "c,d", "e\\f")]
    subjects = ["o'neil", 'a"b', "c,d", "e\\f", "{x}", "nobody"]
    assert sorted(OutgoingEmail.objects.filter(Any(F("subject"), subjects)).values_list("pk", flat=True)) == sorted(
        e.pk for e in emails)
    assert not OutgoingEmail.objects.filter(Any(F("subject"), [])).exists()
