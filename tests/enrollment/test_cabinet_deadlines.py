"""Issue #7 ("Citizens: the cabinet's current step with its deadline"): each step the citizen has to
do before training shows its last day — the documents by the enrolment-documents upload deadline
(2 working days before the start, reference §3.4), the intention agreement two days before the
start (§2.14) — in the step and beside "Ваш следующий шаг"; a step someone else does has none."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from enrollment.cabinet import cabinet_steps, step_deadlines
from enrollment.models import Application
from enrollment.services.deadlines import upload_deadline
from tests.enrollment.factories import ApplicationFactory
from tests.enrollment.test_application_support import in_status

pytestmark = pytest.mark.django_db
Status = Application.Status
START = dt.date(2026, 12, 14)  # a Monday


def _application(status, **kwargs):
    application = ApplicationFactory(cohort__start_date=START, cohort__end_date=START + dt.timedelta(days=40),
                                     **kwargs)
    application.citizen.notifications_enabled_at = timezone.now()
    application.citizen.save()
    return in_status(application, status)


def test_the_deadlines_follow_the_working_day_calendar():
    deadlines = step_deadlines(START)
    assert deadlines["enrolment"] == upload_deadline(START) == dt.date(2026, 12, 10)
    assert deadlines["personal"] == deadlines["education"] == deadlines["enrolment"]
    assert deadlines["agreement"] == dt.date(2026, 12, 12)


@pytest.mark.parametrize(("status", "key"), [
    (Status.PRIMARY_DOCS_REQUIRED, "personal"),
    (Status.ENROLMENT_DOCS_REQUIRED, "enrolment"),
    (Status.AWAITING_AGREEMENT, "agreement"),
])
def test_the_current_step_carries_its_deadline(status, key):
    application = _application(status)
    steps = {step.key: step for step in cabinet_steps(application, application.citizen, {})}
    assert steps[key].deadline == step_deadlines(START)[key]
    assert all(step.deadline is None for step in steps.values() if step.state != "todo")


def test_a_waiting_step_has_no_deadline():
    application = _application(Status.PRIMARY_DOCS_REVIEW)
    steps = {step.key: step for step in cabinet_steps(application, application.citizen, {})}
    assert steps["primary_check"].state == "waiting"
    assert steps["primary_check"].deadline is None


def test_the_cabinet_shows_the_next_step_with_its_deadline(client):
    application = _application(Status.ENROLMENT_DOCS_REQUIRED)
    client.force_login(application.citizen.user)
    html = client.get(reverse("cabinet:application", args=[application.pk])).content.decode()
    assert "до 10 декабря 2026 включительно" in html  # beside «Ваш следующий шаг»
    assert "Загрузите подписанные документы не позднее 10 декабря 2026." in html


def test_the_agreement_step_says_its_deadline(client):
    application = _application(Status.AWAITING_AGREEMENT)
    client.force_login(application.citizen.user)
    html = client.get(reverse("cabinet:application", args=[application.pk])).content.decode()
    assert "Срок: до 12 декабря 2026 включительно." in html
