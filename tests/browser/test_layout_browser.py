"""Each demo role logs in through the real pages and lands on its own start page (screenshots in
the test's tmp_path)."""
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.demo import DEMO_PASSWORD
from accounts.models import AccessToken, Region, User
from accounts.regions import REGIONS
from accounts.services import access_token_issue
from tests.browser.conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# (demo e-mail from `manage.py seed_demo`, what its start page must show, what it must not).
STAFF_ROLES = {
    "operator": ("fo@demo.flow", ["Рабочий стол", "Федеральный оператор", "Пригласить сотрудника"], []),
    "partner": ("partner-a1@demo.flow", ["Рабочий стол", "Образовательный партнёр", "АНО ДПО «Альфа»"],
                ["Пригласить сотрудника"]),
    "employment_service": ("szn70@demo.flow", ["Рабочий стол", "Служба занятости", "СЗН Томской области"],
                           ["Пригласить сотрудника"]),
    "admin": ("sokolov.ops@demo.flow", ["Рабочий стол", "Администрирование"], []),
}


@pytest.fixture
def demo(transactional_db):
    """The `manage.py seed_demo` world. A transactional test flushes the tables afterwards, regions
    (a data migration) included, so they are put back first."""
    Region.objects.bulk_create([Region(code=code, name=name) for code, name in REGIONS], ignore_conflicts=True)
    call_command("seed_demo", stdout=io.StringIO())


def _log_in(page, live_server, email):
    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(live_server.url + reverse("accounts:staff_home"))


@pytest.mark.parametrize("role", list(STAFF_ROLES))
def test_each_staff_role_logs_in_and_sees_its_desk(new_page, live_server, demo, tmp_path, role):
    email, expected, absent = STAFF_ROLES[role]
    page = new_page()

    _log_in(page, live_server, email)

    assert page.locator("h1").inner_text() == "Рабочий стол"
    main = page.locator("main").inner_text() + page.locator("header.site-header").inner_text()
    for text in expected:
        assert text in main
    for text in absent:
        assert text not in main
    assert page.locator(".site-nav a[aria-current=page]").inner_text() == "Главная"
    page.screenshot(path=tmp_path / f"{role}.png", full_page=True)
    assert page.problems == []


def test_the_citizen_opens_the_link_from_the_letter(new_page, live_server, demo, tmp_path):
    citizen = User.objects.get(email="citizen@demo.flow")
    token = access_token_issue(user=citizen, purpose=AccessToken.Purpose.CITIZEN_LOGIN)
    page = new_page()

    page.goto(live_server.url + reverse("accounts:citizen_login_confirm", args=[token]))

    page.wait_for_url(live_server.url + reverse("cabinet:home"))
    # seed_demo imports the РР sample, where the demo citizen has application РР-2026-000006.
    assert page.locator("h1").inner_text().startswith("Здравствуйте, Пётр")
    assert "РР-2026-000006" in page.locator("main").inner_text()
    page.screenshot(path=tmp_path / "citizen.png", full_page=True)
    assert page.problems == []


def test_the_login_page_for_a_visitor(new_page, live_server, demo, tmp_path):
    page = new_page()
    page.goto(live_server.url + reverse("accounts:login"))

    assert page.get_by_role("link", name="Вход для слушателей").first.is_visible()
    page.screenshot(path=tmp_path / "login.png", full_page=True)
    assert page.problems == []


def test_on_a_phone_the_menu_folds_into_one_button(new_page, live_server, demo, tmp_path):
    page = new_page(viewport=PHONE)
    _log_in(page, live_server, "partner-a1@demo.flow")

    assert not page.locator(".site-nav").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=tmp_path / "phone.png", full_page=True)

    page.click("details.mobile-menu > summary")
    menu = page.locator(".mobile-menu-panel")
    assert menu.get_by_role("link", name="Сотрудники").is_visible()
    assert menu.get_by_role("button", name="Выйти").is_visible()
    page.screenshot(path=tmp_path / "phone-menu.png")
    assert page.problems == []


def test_keyboard_users_can_skip_to_the_content(new_page, live_server, demo, tmp_path):
    page = new_page()
    _log_in(page, live_server, "fo@demo.flow")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Перейти к содержимому")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Перейти к содержимому"
    assert skip.bounding_box()["y"] >= 0  # shown on focus, not left off-screen
    page.screenshot(path=tmp_path / "skip-link.png")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_logging_out_from_the_user_menu(new_page, live_server, demo):
    page = new_page()
    _log_in(page, live_server, "szn70@demo.flow")

    page.click("details.user-menu > summary")
    page.locator(".user-menu-panel").get_by_role("button", name="Выйти").click()

    page.wait_for_url(live_server.url + reverse("accounts:login"))
    assert page.get_by_role("link", name="Вход для сотрудников").first.is_visible()
