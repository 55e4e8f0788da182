"""Acceptance: in a real browser the partner generates an act for a finished cohort (through the
confirmation page) and uploads the journal with a ФИС ФРДО screenshot; the operator, in a second
browser context, finds the cohort by its act under review and approves the act. The cohort,
its registered assignment and the citizens' documents are set up through the services, PDFs
rendered. Screenshots of every page land in the test's tmp_path."""
import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfWriter

from accounts.models import Region
from accounts.regions import REGIONS
from cohorts.models import Act, Assignment, JournalFile, JournalPackage
from cohorts.services.assignments import (
    assignment_generate,
    assignment_register,
    assignment_sign_by_operator,
    assignment_sign_by_partner,
)
from documents.models import GeneratedDocument
from programs.categories import CATEGORIES
from programs.models import CitizenCategory
from tests.cohorts.support import PRICE, complete, enrolled_cohort, operator_with_signatory
from tests.conftest import PASSWORD
from tests.programs.test_contract_support import signature_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

READY = GeneratedDocument.Status.READY


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


def _status(obj) -> str:
    return type(obj).objects.values_list("status", flat=True).get(pk=obj.pk)


@pytest.fixture
def finished_cohort(partner_a, campaign, staff_a, operator_org, operator_reviewer,
                    django_capture_on_commit_callbacks):
    """A cohort that ended five days ago: three citizens enrolled by an order entered on РР, the
    assignment generated, signed by both and registered, and each citizen completed with every
    document an act needs. Returns (cohort, applications)."""
    operator_with_signatory(operator_org)
    today = timezone.localdate()
    cohort, applications = enrolled_cohort(partner_a, campaign, staff_a, count=3,
                                           start=today - dt.timedelta(days=60), end=today - dt.timedelta(days=5))
    with django_capture_on_commit_callbacks(execute=True):  # the assignment's PDF is rendered
        assignment = assignment_generate(actor=operator_reviewer, cohort=cohort)
    assignment.refresh_from_db()
    assert assignment.document.status == READY, assignment.document.error
    with django_capture_on_commit_callbacks(execute=True):
        assignment = assignment_sign_by_operator(actor=operator_reviewer, assignment=assignment, file=signature_file())
        assignment = assignment_sign_by_partner(actor=staff_a, assignment=assignment, file=signature_file())
        assignment_register(actor=operator_reviewer, assignment=assignment)
    assert _status(assignment) == Assignment.Status.REGISTERED
    complete(applications, staff_a, cohort=cohort)
    return cohort, applications


def _journal_files(directory):
    """A blank one-page journal PDF and a ФИС ФРДО screenshot PNG, written into `directory`."""
    journal, screenshot = directory / "journal.pdf", directory / "fis-frdo.png"
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with journal.open("wb") as output:
        writer.write(output)
    Image.new("RGB", (800, 600), "white").save(screenshot, "PNG")
    return journal, screenshot


def test_the_partner_generates_an_act_uploads_the_journal_and_the_operator_approves(
        new_page, live_server, tmp_path, finished_cohort, staff_a, operator_reviewer):
    cohort, applications = finished_cohort
    names = [application.citizen.full_name for application in applications]
    cohort_url = live_server.url + reverse("cohorts:cohort_detail", args=[cohort.pk])
    list_url = live_server.url + reverse("cohorts:cohort_list")
    title = cohort.program.title
    journal, screenshot = _journal_files(tmp_path)

    # The partner: "Потоки" → the cohort.
    partner = new_page()
    _log_in(partner, live_server, staff_a.email)
    partner.locator(".site-nav").get_by_role("link", name="Потоки", exact=True).click()
    partner.wait_for_url(list_url)
    partner.screenshot(path=tmp_path / "1-partner-cohorts.png", full_page=True)
    partner.locator("table.cohort-queue").get_by_role("link", name=title).click()
    partner.wait_for_url(cohort_url)
    generate = partner.locator("#act-generate")
    assert generate.locator("input[name=application]:not([disabled])").count() == 3
    assert generate.inner_text().count("можно включить") == 3
    partner.screenshot(path=tmp_path / "2-partner-cohort.png", full_page=True)

    # The citizens ticked into the act, generated through the confirmation page.
    for application in applications:
        partner.check(f"#candidate-{application.pk}")
    with partner.expect_navigation():
        generate.get_by_role("button", name="Сформировать акт для выбранных слушателей").click()
    confirm = partner.locator("article.confirm-page")
    assert "В акт войдут слушатели (3)" in confirm.inner_text()
    for name in names:
        assert name in confirm.inner_text()
    assert not Act.objects.exists()
    partner.screenshot(path=tmp_path / "3-partner-act-confirm.png", full_page=True)
    with partner.expect_navigation(timeout=60_000):
        confirm.get_by_role("button", name="Сформировать акт").click()

    act = Act.objects.select_related("document").get(cohort=cohort)
    assert _status(act) == Act.Status.JOURNAL_REQUIRED
    assert act.lines.count() == 3
    assert act.amount == PRICE * 3 == Decimal("135000.00")
    assert act.document.status == READY, act.document.error
    assert partner.url.startswith(cohort_url)
    assert "Акт сформирован" in partner.locator(".messages").inner_text()
    card = partner.locator(f"#act-{act.pk}")
    assert "Необходимо загрузить журнал" in card.inner_text()
    assert card.get_by_role("link", name="Акт (PDF)").count() == 1
    partner.screenshot(path=tmp_path / "4-partner-act-generated.png", full_page=True)

    # The journal and a screenshot: the act goes to review.
    upload = partner.locator("#journal form")
    upload.locator("input[name=journal]").set_input_files(journal)
    upload.locator("input[name=screenshots]").set_input_files([screenshot])
    partner.screenshot(path=tmp_path / "5-partner-journal-form.png", full_page=True)
    with partner.expect_navigation(timeout=60_000):
        upload.get_by_role("button", name="Загрузить").click()
    assert "Журнал и скриншоты загружены" in partner.locator(".messages").inner_text()
    card = partner.locator(f"#act-{act.pk}")
    assert "На согласовании" in card.inner_text()
    assert partner.locator("#journal form").count() == 0  # uploaded: nothing to upload until a rejection
    partner.screenshot(path=tmp_path / "6-partner-act-under-review.png", full_page=True)
    assert partner.problems == []
    assert _status(act) == Act.Status.UNDER_REVIEW
    package = JournalPackage.objects.get(cohort=cohort)
    assert sorted(JournalFile.objects.filter(package=package).values_list("kind", flat=True)) == sorted(
        [JournalFile.Kind.JOURNAL, JournalFile.Kind.SCREENSHOT])

    # The operator: the cohorts whose act is under review → the cohort → approve.
    operator = new_page()
    _log_in(operator, live_server, operator_reviewer.email)
    operator.locator(".site-nav").get_by_role("link", name="Потоки", exact=True).click()
    operator.wait_for_url(list_url)
    operator.select_option("select[name=act]", label="На согласовании")
    with operator.expect_navigation():
        operator.locator(".list-toolbar-filters").get_by_role("button", name="Показать").click()
    assert "act=under_review" in operator.url
    rows = operator.locator("table.cohort-queue tbody tr")
    assert rows.count() == 1
    assert f"№ {act.number}" in rows.first.inner_text()
    assert "На согласовании" in rows.first.inner_text()
    operator.screenshot(path=tmp_path / "7-operator-cohorts-under-review.png", full_page=True)
    rows.first.get_by_role("link", name=title).click()
    operator.wait_for_url(cohort_url)
    card = operator.locator(f"#act-{act.pk}")
    assert "На согласовании" in card.inner_text()
    operator.screenshot(path=tmp_path / "8-operator-cohort.png", full_page=True)

    card.get_by_role("button", name="Согласовать", exact=True).click()
    dialog = operator.locator("#confirm-dialog")
    dialog.wait_for(state="visible")
    assert f"Согласовать акт № {act.number}?" in dialog.inner_text()
    operator.screenshot(path=tmp_path / "9-operator-approve-confirm.png", full_page=True)
    with operator.expect_navigation():
        dialog.get_by_role("button", name="Согласовать").click()
    assert "Акт согласован" in operator.locator(".messages").inner_text()
    assert "Согласован. На подписи" in operator.locator(f"#act-{act.pk}").inner_text()
    operator.screenshot(path=tmp_path / "10-operator-act-approved.png", full_page=True)
    assert operator.problems == []

    act.refresh_from_db()
    assert act.status == Act.Status.APPROVED
    assert list(act.events.order_by("pk").values_list("transition", "actor")) == [
        ("generate", staff_a.pk), ("submit_journal", staff_a.pk), ("approve", operator_reviewer.pk)]
