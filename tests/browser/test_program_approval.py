"""Acceptance 8: in a real browser the partner fills in the card ("select all" categories) and
sends the program for approval; the operator approves it, asking region 70. Screenshots of every
page land in the test's tmp_path."""
import pytest
from django.urls import reverse

from accounts.models import Region
from accounts.regions import REGIONS
from programs.models import CitizenCategory, Program
from tests.browser.conftest import PHONE
from tests.conftest import PASSWORD
from tests.programs.factories import CohortFactory, ProgramFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CATEGORIES = [("youth", "Молодёжь в возрасте до 35 лет"), ("age_50_plus", "Граждане в возрасте 50 лет и старше"),
              ("unemployed", "Безработные граждане, зарегистрированные в органах службы занятости")]


@pytest.fixture(autouse=True)
def _reference_data(transactional_db):
    """A transactional test flushes every table afterwards, data migrations' rows included: put the
    regions and a few citizen categories back before the personas are made."""
    Region.objects.bulk_create([Region(code=code, name=name) for code, name in REGIONS], ignore_conflicts=True)
    CitizenCategory.objects.bulk_create([CitizenCategory(code=c, name=n, position=i)
                                         for i, (c, n) in enumerate(CATEGORIES)], ignore_conflicts=True)


def _log_in(page, live_server, email):
    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(live_server.url + reverse("accounts:staff_home"))


def test_the_partner_sends_and_the_operator_approves_for_region_70(
        new_page, live_server, tmp_path, staff_a, operator_reviewer, employment_reviewer, partner_a, campaign):
    program = ProgramFactory(partner=partner_a, campaign=campaign, title="Разработка веб-приложений на Python",
                             short_title="Веб-разработка", odin_id="odin-4711")
    CohortFactory(program=program)
    detail = live_server.url + reverse("programs:detail", args=[program.pk])

    partner = new_page()
    _log_in(partner, live_server, staff_a.email)
    partner.goto(live_server.url + reverse("programs:list"))
    partner.screenshot(path=tmp_path / "1-partner-list.png", full_page=True)
    partner.get_by_role("link", name="Разработка веб-приложений на Python").click()
    partner.wait_for_url(detail)
    assert "Перед отправкой заполните" in partner.locator("#status-panel").inner_text()
    partner.screenshot(path=tmp_path / "2-partner-program.png", full_page=True)

    partner.get_by_role("button", name="Заполнить карточку").click()
    partner.fill("input[name=rr_direction]", "Информационные технологии")
    partner.fill("input[name=rr_profession]", "Программист")
    partner.select_option("select[name=education_level]", "vocational_or_higher")
    partner.fill("input[name=qualification_level]", "4")
    partner.fill("input[name=contact_email]", "python@partner-a.example.org")
    partner.fill("input[name=contact_phone]", "+7 3822 123456")
    partner.check("#categories-select-all")
    assert partner.locator("input[name=citizen_categories]:checked").count() == CitizenCategory.objects.count()
    partner.screenshot(path=tmp_path / "3-partner-edit.png", full_page=True)
    partner.get_by_role("button", name="Сохранить").click()
    partner.wait_for_url(detail)

    partner.fill("#send-comment", "Просим одобрить для Томской области")
    partner.get_by_role("button", name="Отправить на согласование").click()
    partner.wait_for_url(detail)
    assert "Программа отправлена на согласование." in partner.locator(".messages").inner_text()
    assert "Требует одобрения федеральным оператором" in partner.locator("#status-panel").inner_text()
    partner.screenshot(path=tmp_path / "4-partner-sent.png", full_page=True)
    assert partner.problems == []

    operator = new_page()
    _log_in(operator, live_server, operator_reviewer.email)
    operator.goto(detail)
    operator.screenshot(path=tmp_path / "5-operator-program.png", full_page=True)
    operator.get_by_role("button", name="Одобрить и выбрать регионы…").click()
    region_70 = operator.locator("input[name=regions][value='70']")
    assert region_70.is_checked()  # the partner's region is ticked by default
    operator.fill("textarea[name=comment]", "Одобрено")
    operator.screenshot(path=tmp_path / "6-operator-approve.png", full_page=True)
    operator.get_by_role("button", name="Одобрить и направить в регионы").click()
    operator.wait_for_url(detail)
    assert "направлена на согласование в регионы" in operator.locator(".messages").inner_text()
    regions = operator.locator("#regions").inner_text()
    assert "70 — Томская область" in regions
    assert "На согласовании" in regions
    assert "Одобрена федеральным оператором" in operator.locator("#history").inner_text()
    operator.screenshot(path=tmp_path / "7-operator-approved.png", full_page=True)
    assert operator.problems == []

    program.refresh_from_db()
    assert program.status == Program.Status.OPERATOR_REVIEW
    assert program.operator_approved_by == operator_reviewer
    assert list(program.regional_approvals.values_list("region_id", flat=True)) == ["70"]
    assert program.citizen_categories.count() == CitizenCategory.objects.count()


def test_the_copy_buttons_and_the_phone_layout(new_page, live_server, tmp_path, staff_a, partner_a, campaign):
    program = ProgramFactory(partner=partner_a, campaign=campaign, title="Сварочное производство",
                             rr_profession="Сварщик")
    page = new_page(viewport=PHONE)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    _log_in(page, live_server, staff_a.email)
    page.goto(live_server.url + reverse("programs:detail", args=[program.pk]) + "#copy")

    button = page.get_by_role("button", name="Копировать: Профессия")
    button.click()
    assert page.evaluate("navigator.clipboard.readText()") == "Сварщик"
    assert button.inner_text() == "Скопировано"
    page.screenshot(path=tmp_path / "phone-program.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.problems == []
