"""Acceptance: in a real browser a partner creates an enrolment order, assigns it in bulk to the
cohort's applications, opens "Работа с приказами" and marks the whole order entered on РР.
Screenshots of every page (and the dashboard at phone width) land in the test's tmp_path."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Region
from accounts.regions import REGIONS
from enrollment.models import Application
from orders.models import Order, OrderAssignment
from programs.categories import CATEGORIES
from programs.models import CitizenCategory
from tests.browser.conftest import DESKTOP, PHONE
from tests.conftest import PASSWORD
from tests.orders.factories import applications_in, cohort_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Status = Application.Status
NUMBER = "ПЗ-17/2026"


@pytest.fixture(autouse=True)
def _reference_data(transactional_db):
    """A transactional test flushes every table afterwards, data migrations' rows included: put the
    regions and the citizen categories back before the personas are made."""
    Region.objects.bulk_create([Region(code=code, name=name) for code, name in REGIONS], ignore_conflicts=True)
    CitizenCategory.objects.bulk_create([CitizenCategory(code=c, name=n, position=i)
                                         for i, (c, n) in enumerate(CATEGORIES)], ignore_conflicts=True)


def _log_in(page, live_server, email):
    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(live_server.url + reverse("accounts:staff_home"))


def test_the_partner_creates_assigns_and_marks_an_order_entered_on_rr(new_page, live_server, tmp_path, staff_a,
                                                                       partner_a, campaign):
    today = timezone.localdate()
    cohort = cohort_of(partner_a, campaign, start=today + dt.timedelta(days=10), end=today + dt.timedelta(days=60))
    applications = applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED, count=5)
    names = [application.citizen.full_name for application in applications]
    assert partner_a.signatories.exists()

    page = new_page()
    _log_in(page, live_server, staff_a.email)

    # The orders list from the menu, then a new order.
    page.locator(".site-nav").get_by_role("link", name="Приказы", exact=True).click()
    page.wait_for_url(live_server.url + reverse("orders:order_list"))
    page.screenshot(path=tmp_path / "1-order-list.png", full_page=True)
    # "Создать приказ" and "Работа с приказами на РР" are links styled as buttons (role="button").
    page.locator("main .action-buttons").get_by_role("button", name="Создать приказ").click()
    page.wait_for_url(live_server.url + reverse("orders:order_create"))
    page.select_option("select[name=cohort]", str(cohort.pk))
    page.select_option("select[name=type]", label="О зачислении")
    page.fill("input[name=number]", NUMBER)
    page.fill("input[name=order_date]", f"{today:%Y-%m-%d}")
    page.screenshot(path=tmp_path / "2-order-form.png", full_page=True)
    with page.expect_navigation():
        page.locator("main form.order-form").get_by_role("button", name="Создать приказ").click()

    order = Order.objects.get(partner=partner_a, number=NUMBER)
    assert (order.cohort_id, order.type, order.order_date, order.is_automatic) == (
        cohort.pk, Order.Type.ENROLMENT, today, False)
    assert page.url == live_server.url + reverse("orders:order_detail", args=[order.pk])
    assert f"Приказ № {NUMBER} создан." in page.locator(".messages").inner_text()
    assign = page.locator("#assign")
    assert assign.locator("input[name=application]").count() == 5
    page.screenshot(path=tmp_path / "3-order-created.png", full_page=True)

    # "Select all" among the candidates, assign, confirm in the dialog.
    page.check("#candidates-select-all")
    assert assign.locator("input[name=application]:checked").count() == 5
    assign.get_by_role("button", name="Назначить приказ выбранным заявкам").click()
    dialog = page.locator("#confirm-dialog")
    dialog.wait_for(state="visible")
    assert f"Назначить приказ № {NUMBER} выбранным заявкам?" in dialog.inner_text()
    page.screenshot(path=tmp_path / "4-assign-confirm.png", full_page=True)
    with page.expect_navigation():
        dialog.get_by_role("button", name="Назначить").click()

    assert "Приказ назначен заявкам: 5." in page.locator(".messages").inner_text()
    assigned = page.locator("#assignments tbody tr")
    assert assigned.count() == 5
    assigned_text = page.locator("#assignments").inner_text()
    for name in names:
        assert name in assigned_text
    assert assigned_text.count("Обучение") == 5
    assert page.locator("#assign input[name=application]").count() == 0
    page.screenshot(path=tmp_path / "5-order-assigned.png", full_page=True)
    assert set(Application.objects.filter(pk__in=[a.pk for a in applications])
               .values_list("status", flat=True)) == {Status.STUDYING}
    assert OrderAssignment.objects.filter(order=order).count() == 5

    # "Работа с приказами": the order with its five lines; the whole order entered on РР.
    page.locator(".site-nav").get_by_role("link", name="Приказы", exact=True).click()
    page.wait_for_url(live_server.url + reverse("orders:order_list"))
    assert NUMBER in page.locator("table.order-table").inner_text()
    page.locator("main .action-buttons").get_by_role("button", name="Работа с приказами на РР").click()
    page.wait_for_url(live_server.url + reverse("orders:portal_dashboard"))
    block = page.locator(f"#portal-enrolment #portal-order-{order.pk}")
    assert block.locator("tbody tr").count() == 5
    assert NUMBER in block.locator(f"#order-{order.pk}-number").inner_text()
    for name in names:
        assert name in block.inner_text()
    page.screenshot(path=tmp_path / "6-portal-dashboard.png", full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=tmp_path / "7-portal-dashboard-phone.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(DESKTOP)

    with page.expect_navigation():
        block.get_by_role("button", name="Внесено на РР для всего приказа").click()
    assert "Отмечено как внесённое на РР: 5" in page.locator(".messages").inner_text()
    assert page.locator(f"#portal-order-{order.pk}").count() == 0
    assert "Всё внесено на «Работу России»" in page.locator("main").inner_text()
    page.screenshot(path=tmp_path / "8-portal-marked.png", full_page=True)
    assert page.problems == []

    assert not OrderAssignment.objects.filter(order=order, rr_entered_at__isnull=True).exists()
    assert set(OrderAssignment.objects.filter(order=order).values_list("rr_entered_by", flat=True)) == {staff_a.pk}
    order.refresh_from_db()
    assert order.rr_entered_at is not None
