"""Acceptance 2: a citizen goes through the cabinet on a phone (390 px) in Chromium — logs in by the
e-mailed link, switches on notifications, uploads the passport and education scans, sees a
rejection comment, uploads again, downloads the generated blanks (each PDF opened and checked for
the citizen's name and the program), uploads the three signed scans. The partner checks in the same
test, in a second browser context, on its own pages (enrollment:document_check) when they exist, or
through enrollment.services.checks.document_check otherwise. A screenshot of each step is saved in
the test's tmp_path."""
import datetime as dt
import io

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import AccessToken, Region
from accounts.regions import REGIONS
from accounts.services import access_token_issue
from enrollment.models import Application, ApplicationDocument
from programs.models import CostProposal, TrainingContract
from tests.conftest import PASSWORD
from tests.enrollment.factories import ApplicationFactory, CitizenFactory
from tests.enrollment.test_cabinet_support import jpeg_bytes, pdf_bytes, png_bytes
from tests.factories import (
    CampaignFactory,
    CitizenUserFactory,
    MembershipFactory,
    OrganizationFactory,
    ParticipationFactory,
    UserFactory,
)
from tests.programs.factories import CostProposalFactory, ProgramFactory
from tests.programs.test_contract_support import add_signatory, contract_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
Kind = ApplicationDocument.Kind
Status = Application.Status
PROGRAM_TITLE = "Сварщик ручной дуговой сварки плавящимся покрытым электродом"
REJECTION = "Фото размыто: серия и номер паспорта не читаются. Сфотографируйте при дневном свете."


@pytest.fixture
def world(transactional_db):
    """A partner with a signatory, a registered contract with an approved price for the program, a
    cohort starting in two weeks, and a citizen whose application has just arrived from РР."""
    Region.objects.bulk_create([Region(code=code, name=name) for code, name in REGIONS], ignore_conflicts=True)
    campaign = CampaignFactory()
    operator = OrganizationFactory(kind="operator", short_name="ТГУ (ФО)")
    partner = OrganizationFactory(short_name="АНО ДПО «Альфа»", requires_two_factor=False)
    ParticipationFactory(campaign=campaign, partner=partner)
    add_signatory(partner)
    staff = MembershipFactory(organization=partner, user=UserFactory(email="checker@alfa.example.org")).user
    program = ProgramFactory(partner=partner, campaign=campaign, title=PROGRAM_TITLE)
    contract = contract_in(TrainingContract.Status.REGISTERED, partner=partner, campaign=campaign,
                           operator_org=operator, programs=[program])
    CostProposalFactory(program=program, contract=contract, status=CostProposal.Status.APPROVED)
    today = timezone.localdate()
    user = CitizenUserFactory(email="ivanova@example.org", last_name="Иванова", first_name="Мария",
                              patronymic="Сергеевна")
    citizen = CitizenFactory(user=user, email=user.email, last_name="Иванова", first_name="Мария",
                             middle_name="Сергеевна")
    application = ApplicationFactory(citizen=citizen, program=program, cohort__start_date=today + dt.timedelta(days=14),
                                     cohort__end_date=today + dt.timedelta(days=35))
    return {"staff": staff, "user": user, "citizen": citizen, "application": application, "program": program}


def _file(name, data, mime):
    return {"name": name, "mimeType": mime, "buffer": data}


class Shots:
    def __init__(self, page, directory):
        self.page, self.directory, self.count = page, directory, 0

    def __call__(self, name):
        self.count += 1
        self.page.screenshot(path=self.directory / f"{self.count:02d}-{name}.png", full_page=True)


class Partner:
    """The partner's staff member checking documents: on the partner's pages in its own browser
    context when they exist, otherwise through the service."""

    def __init__(self, new_page, live_server, staff):
        self.live_server, self.staff, self.page = live_server, staff, None
        try:
            reverse("enrollment:document_check", args=[1])
        except NoReverseMatch:
            return
        self.page = new_page()
        self.page.goto(live_server.url + reverse("accounts:login"))
        self.page.fill("input[name=username]", staff.email)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("main button[type=submit]")
        self.page.wait_for_url(live_server.url + reverse("accounts:staff_home"))

    def check(self, application, kind, approve=True, comment=""):
        document = ApplicationDocument.objects.get(application=application, kind=kind, is_current=True)
        if self.page is None:
            from enrollment.services.checks import document_check

            document_check(document=document, actor=self.staff, approve=approve, comment=comment)
        else:
            page = self.page
            page.goto(self.live_server.url + reverse("enrollment:document_check", args=[document.pk]))
            page.check(f"input[name=decision][value={'approve' if approve else 'reject'}]")
            if comment:
                page.fill("textarea[name=comment]", comment)
            with page.expect_navigation():
                page.get_by_role("button", name="Сохранить решение").click()
            assert page.problems == []
        document.refresh_from_db()
        assert document.status == ("approved" if approve else "rejected"), f"{kind}: the check did not land"

    def check_all(self, application, kinds):
        for kind in kinds:
            self.check(application, kind)


def _status(application) -> str:
    return Application.objects.values_list("status", flat=True).get(pk=application.pk)


def _save(page, button):
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def test_a_citizen_goes_through_the_cabinet(new_page, live_server, world, tmp_path):
    application = world["application"]
    page = new_page(viewport=PHONE)
    shot = Shots(page, tmp_path)
    partner = Partner(new_page, live_server, world["staff"])

    # The link from the invitation e-mail opens the cabinet.
    token = access_token_issue(user=world["user"], purpose=AccessToken.Purpose.CITIZEN_LOGIN)
    page.goto(live_server.url + reverse("accounts:citizen_login_confirm", args=[token]))
    page.wait_for_url(live_server.url + reverse("cabinet:home"))
    assert page.locator("h1").inner_text() == "Здравствуйте, Мария!"
    assert PROGRAM_TITLE in page.locator(".cabinet-summary").inner_text()
    shot("notifications")

    # 1. Consents (each its own box, not ticked beforehand) and notifications.
    page.check("#id_consent_processing")
    page.check("#id_consent_transfer")
    _save(page, "Включить уведомления")
    assert "Уведомления включены" in page.locator(".messages").inner_text()
    shot("personal-data")

    # 2. Personal data: the passport's main page as a photo, the registration page as a PDF.
    page.fill("input[name=actual_address]", "г. Томск, пр. Ленина, д. 1, кв. 2")
    page.check("input[name=work_status][value=none]")
    page.set_input_files("input[name=passport_main]", [_file("паспорт.png", png_bytes((900, 620)), "image/png")])
    page.set_input_files("input[name=passport_registration]", [_file("прописка.pdf", pdf_bytes(), "application/pdf")])
    _save(page, "Сохранить личные данные")
    assert "Сохранено" in page.locator(".messages").inner_text()

    # 3. Education: two photos of the diploma become one PDF; the primary documents go to the check.
    page.select_option("select[name=education_level]", "higher")
    page.fill("input[name=education_document]", "Диплом 107018 0012345 от 30.06.2010")
    page.set_input_files("input[name=education]", [_file("диплом-1.jpg", jpeg_bytes((800, 1100)), "image/jpeg"),
                                                     _file("диплом-2.jpg", jpeg_bytes((800, 1100)), "image/jpeg")])
    assert "Выбрано файлов: 2" in page.locator("#doc-education .scan-chosen").inner_text()
    shot("education")
    _save(page, "Сохранить сведения об образовании")
    assert _status(application) == Status.PRIMARY_DOCS_REVIEW
    assert "отправлены на проверку" in page.locator(".messages").inner_text()
    assert page.locator("#step-primary_check.is-waiting").count() == 1
    shot("waiting-for-check")

    # 4. The partner rejects the passport's main page with a comment and approves the rest.
    partner.check(application, Kind.PASSPORT_MAIN, approve=False, comment=REJECTION)
    partner.check_all(application, [Kind.PASSPORT_REGISTRATION, Kind.EDUCATION])
    assert _status(application) == Status.PRIMARY_DOCS_REJECTED

    page.reload()
    slot = page.locator("#doc-passport_main")
    assert REJECTION in slot.inner_text()
    assert page.locator("#step-primary_check.is-todo").count() == 1
    shot("rejected-with-comment")

    # The citizen photographs the page again; the new version goes to the check.
    page.set_input_files("input[name=passport_main]", [_file("паспорт-2.jpg", jpeg_bytes((1100, 800)), "image/jpeg")])
    _save(page, "Сохранить личные данные")
    assert _status(application) == Status.PRIMARY_DOCS_REVIEW
    current = ApplicationDocument.objects.get(application=application, kind=Kind.PASSPORT_MAIN, is_current=True)
    assert current.version == 2

    # 5. All primary documents approved: the blanks are generated; the citizen downloads each.
    partner.check(application, Kind.PASSPORT_MAIN)
    assert _status(application) == Status.ENROLMENT_DOCS_REQUIRED
    page.reload()
    links = page.locator("#cabinet-blanks a.blank-link")
    links.nth(2).wait_for(timeout=60_000)  # htmx polls until the three are rendered
    assert links.count() == 3
    shot("blanks")
    for index in range(3):
        with page.expect_download() as download:
            links.nth(index).click()
        text = " ".join(PdfReader(io.BytesIO(download.value.path().read_bytes())).pages[0].extract_text().split())
        text += " " + " ".join(" ".join(p.extract_text().split()) for p in PdfReader(download.value.path()).pages[1:])
        assert "Иванова Мария Сергеевна" in text, download.value.suggested_filename
        assert PROGRAM_TITLE in text, download.value.suggested_filename

    # The three signed scans.
    for name in ("enrolment_contract", "personal_data_consent", "enrolment_application"):
        page.set_input_files(f"input[name={name}]", [_file(f"{name}.pdf", pdf_bytes(pages=2), "application/pdf")])
    _save(page, "Отправить подписанные документы")
    assert _status(application) == Status.ENROLMENT_DOCS_REVIEW
    assert page.locator("#step-enrolment_check.is-waiting").count() == 1
    shot("enrolment-check")

    # 6. The partner approves them: next, the intention agreement on РР.
    partner.check_all(application, list(ApplicationDocument.ENROLMENT))
    assert _status(application) == Status.AWAITING_AGREEMENT
    page.reload()
    assert page.locator("#step-agreement.is-todo").count() == 1
    shot("agreement")
    assert page.problems == []
