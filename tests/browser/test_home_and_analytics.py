"""Issue #7, acceptance 5: each role's home page (partner staff, operator, employment-service
reviewer, citizen) and the analytics page open in Chromium, with screenshots in the test's
tmp_path; the home pages show their work queues with counts, and the analytics charts are visible
(an <svg> of real size with bars)."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessToken, Region
from accounts.regions import REGIONS
from accounts.services import access_token_issue
from enrollment.models import Application
from tests.browser.conftest import PHONE
from tests.conftest import PASSWORD
from tests.enrollment.factories import ApplicationFactory, CitizenFactory
from tests.enrollment.test_application_support import in_status
from tests.programs.factories import CohortFactory, ProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Status = Application.Status


@pytest.fixture(autouse=True)
def _reference_data(transactional_db):
    Region.objects.bulk_create([Region(code=code, name=name) for code, name in REGIONS], ignore_conflicts=True)


@pytest.fixture
def world(partner_a, campaign, citizen):
    """Partner A's cohort starting in ten days with applications in several statuses (documents to
    check, an enrolment order due), one of them the citizen persona's."""
    today = timezone.localdate()
    program = ProgramFactory(partner=partner_a, campaign=campaign, title="Оператор станков с ЧПУ")
    cohort = CohortFactory(program=program, start_date=today + dt.timedelta(days=10),
                           end_date=today + dt.timedelta(days=60))
    statuses = [Status.PRIMARY_DOCS_REVIEW, Status.PRIMARY_DOCS_REVIEW, Status.ENROLMENT_DOCS_REVIEW,
                Status.ENROLMENT_ORDER_REQUIRED, Status.STUDYING]
    for status in statuses:
        in_status(ApplicationFactory(program=program, cohort=cohort), status)
    own = CitizenFactory(user=citizen, email=citizen.email, last_name="Петров", first_name="Пётр")
    return {"cohort": cohort, "own": ApplicationFactory(citizen=own, program=program, cohort=cohort)}


def _log_in(page, live_server, email):
    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(live_server.url + reverse("accounts:staff_home"))


def _queue_counts(page) -> dict[str, int]:
    badges = page.locator("[data-queue]")
    return {badges.nth(i).get_attribute("data-queue"): int(badges.nth(i).inner_text())
            for i in range(badges.count())}


def _charts_visible(page) -> int:
    charts = page.locator("svg.chart")
    assert charts.count() >= 1, "the analytics page shows no chart"
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box, f"chart {i} is not rendered"
        assert box["width"] > 100, f"chart {i} is too narrow: {box}"
        assert box["height"] > 50, f"chart {i} is too low: {box}"
    assert page.locator("svg.chart rect").count() > 0
    return charts.count()


@pytest.mark.parametrize("persona", ["staff_a", "operator_reviewer", "employment_reviewer"])
def test_each_staff_role_sees_its_queues_and_the_analytics_charts(new_page, live_server, tmp_path, world, personas,
                                                                  persona):
    page = new_page()
    _log_in(page, live_server, personas[persona].email)
    counts = _queue_counts(page)
    assert counts, "the home page shows no work queue"
    if persona == "staff_a":
        assert counts["enrollment.primary_check"] == 2
    page.screenshot(path=tmp_path / f"1-{persona}-home.png", full_page=True)

    page.goto(live_server.url + reverse("analytics:overview"))
    charts = _charts_visible(page)
    page.screenshot(path=tmp_path / f"2-{persona}-analytics.png", full_page=True)
    assert charts >= 1
    assert page.problems == []


def test_the_citizen_home_is_the_cabinet_with_its_current_step(new_page, live_server, tmp_path, world):
    page = new_page(viewport=PHONE)
    token = access_token_issue(user=world["own"].citizen.user, purpose=AccessToken.Purpose.CITIZEN_LOGIN)
    page.goto(live_server.url + reverse("accounts:citizen_login_confirm", args=[token]))
    page.wait_for_url(live_server.url + reverse("cabinet:home"))
    assert "Оператор станков с ЧПУ" in page.content()
    page.screenshot(path=tmp_path / "1-citizen-home.png", full_page=True)
    assert page.problems == []
