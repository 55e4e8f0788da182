"""The orders pages with their real templates: the list (scope, search, filters, sorting), creating
an order (and the automatic mode's refusal), its page with the bulk assignment for the partner's
staff only, editing until the order is entered on РР and the scan replacement after it, the РР
re-keying dashboard with its marks and CSV, the citizen's "Мои документы" and the staff desk panel;
and a constant number of queries on the list, the order page and the dashboard whatever the rows."""
import csv
import datetime as dt
import io
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import CampaignParticipation, User
from enrollment.models import Application, Citizen, QualificationDocument
from orders.models import Order, OrderAssignment
from orders.services import portal
from orders.services.orders import order_scan_replace
from tests.enrollment.factories import ApplicationFactory, CitizenFactory, valid_snils
from tests.enrollment.test_application_support import pdf_upload
from tests.orders.factories import OrderFactory, applications_in, cohort_of, set_mode

pytestmark = pytest.mark.django_db

Status = Application.Status
Type, Basis = Order.Type, Order.Basis
LIST_URL = reverse("orders:order_list")
CREATE_URL = reverse("orders:order_create")
DASHBOARD_URL = reverse("orders:portal_dashboard")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def cohort(partner_a, campaign, today):
    """Partner A's cohort starting in two weeks: enrolment orders may still be assigned."""
    return cohort_of(partner_a, campaign, start=today + dt.timedelta(days=14), end=today + dt.timedelta(days=60))


@pytest.fixture
def cohort_b(partner_b, campaign, today):
    return cohort_of(partner_b, campaign, start=today + dt.timedelta(days=14), end=today + dt.timedelta(days=60))


def _assign(order, applications, **kwargs) -> list[OrderAssignment]:
    """Assignments made directly (set-up only; the service is tested through the pages)."""
    return [OrderAssignment.objects.create(order=order, application=application, partner=order.partner,
                                           order_type=order.type, **kwargs) for application in applications]


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _get(client, user, url, **params):
    """A page as `user`, which must render, and with no inline script or style (CSP)."""
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200
    html = response.content.decode()
    assert not INLINE_SCRIPT.findall(html)
    assert not STYLE_ATTRIBUTE.findall(html)
    return response


# The list -------------------------------------------------------------------------------------

@pytest.fixture
def listed(cohort, cohort_b):
    return {
        "enrol": OrderFactory(cohort=cohort, number="ПЗ-001", order_date=cohort.start_date - dt.timedelta(days=3)),
        "enrol_2": OrderFactory(cohort=cohort, number="ПЗ-002", order_date=cohort.start_date),
        "expel": OrderFactory(cohort=cohort, number="ПО-001", type=Type.EXPULSION, basis=Basis.FAILURE,
                              order_date=cohort.start_date + dt.timedelta(days=20), expelled_on=cohort.end_date),
        "auto": OrderFactory(cohort=cohort, number="АЛЬФА-7-ПЗ", is_automatic=True,
                             order_date=cohort.start_date - dt.timedelta(days=1)),
        "other": OrderFactory(cohort=cohort_b, number="ПЗ-900"),
    }


def _numbers(client, user, **params) -> list[str]:
    return [order.number for order in _get(client, user, LIST_URL, **params).context["page"].object_list]


def test_the_list_shows_partner_staff_their_own_orders_and_the_operator_all(client, staff_a, operator_reviewer,
                                                                            listed):
    assert sorted(_numbers(client, staff_a)) == ["АЛЬФА-7-ПЗ", "ПЗ-001", "ПЗ-002", "ПО-001"]
    response = _get(client, operator_reviewer, LIST_URL)
    assert len(response.context["page"].object_list) == 5
    assert response.context["show_partner"]
    assert "Партнёр Б" in response.content.decode()
    assert not response.context["can_create"]


def test_the_list_searches_by_number_and_filters(client, staff_a, listed, cohort):
    assert sorted(_numbers(client, staff_a, q="ПЗ")) == ["ПЗ-001", "ПЗ-002"]
    assert _numbers(client, staff_a, q="пз-002") == ["ПЗ-002"]
    assert _numbers(client, staff_a, q="ПЗ-900") == []  # partner B's: never found by searching
    assert _numbers(client, staff_a, type=Type.EXPULSION) == ["ПО-001"]
    assert _numbers(client, staff_a, basis=Basis.FAILURE) == ["ПО-001"]
    assert _numbers(client, staff_a, automatic="auto") == ["АЛЬФА-7-ПЗ"]
    assert "АЛЬФА-7-ПЗ" not in _numbers(client, staff_a, automatic="manual")
    assert len(_numbers(client, staff_a, cohort=cohort.pk)) == 4


def test_the_list_sorts_by_date_number_and_cohort(client, staff_a, listed):
    assert _numbers(client, staff_a) == ["ПО-001", "ПЗ-002", "АЛЬФА-7-ПЗ", "ПЗ-001"]  # newest first
    assert _numbers(client, staff_a, sort="date") == ["ПЗ-001", "АЛЬФА-7-ПЗ", "ПЗ-002", "ПО-001"]
    assert _numbers(client, staff_a, sort="number") == ["АЛЬФА-7-ПЗ", "ПЗ-001", "ПЗ-002", "ПО-001"]
    assert _numbers(client, staff_a, sort="-number") == ["ПО-001", "ПЗ-002", "ПЗ-001", "АЛЬФА-7-ПЗ"]
    html = _get(client, staff_a, LIST_URL, sort="cohort").content.decode()
    assert "Создать приказ" in html
    assert "?sort=-cohort" in html


def test_the_list_export_has_the_filters(staff_a, listed):
    from django.http import QueryDict

    from core.exports import get_export

    spec = get_export("orders.orders")
    rows = [spec.row_for(order) for order in spec.queryset(staff_a, QueryDict("type=expulsion"))]
    assert spec.headers[:3] == ["Номер", "Дата", "Вид приказа"]
    assert [row[:3] for row in rows] == [["ПО-001", listed["expel"].order_date,
                                         "Об отчислении (Неуспеваемость)"]]


# Creating -------------------------------------------------------------------------------------

def _create_data(cohort, **overrides):
    return {"cohort": cohort.pk, "type": Type.ENROLMENT, "basis": "", "number": "ПЗ-17",
            "order_date": f"{cohort.start_date - dt.timedelta(days=2):%Y-%m-%d}", "expelled_on": "", **overrides}


def test_a_valid_order_is_created_with_its_scan_and_opens(client, staff_a, cohort):
    client.force_login(staff_a)
    response = client.post(CREATE_URL, {**_create_data(cohort), "scan": pdf_upload()})
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == order.get_absolute_url()
    assert (order.number, order.type, order.partner, order.created_by) == ("ПЗ-17", Type.ENROLMENT,
                                                                          cohort.program.partner, staff_a)
    assert order.scans.get().is_current
    html = client.get(response["Location"]).content.decode()
    assert "Приказ № ПЗ-17" in html
    assert "Скан приказа (версия 1)" in html
    assert "Приказ создан" in html


def test_an_expulsion_order_needs_a_basis_and_date(client, staff_a, cohort):
    client.force_login(staff_a)
    response = client.post(CREATE_URL, _create_data(cohort, type=Type.EXPULSION,
                                                     order_date=f"{cohort.start_date + dt.timedelta(days=5):%Y-%m-%d}"))
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"basis", "expelled_on"}
    assert not Order.objects.exists()


def test_in_automatic_mode_enrolment_orders_are_refused_with_a_russian_error(client, staff_a, cohort):
    set_mode(cohort, CampaignParticipation.OrderMode.AUTOMATIC)
    client.force_login(staff_a)
    response = client.post(CREATE_URL, _create_data(cohort))
    assert response.status_code == 200
    assert "режиме автоматических приказов" in " ".join(response.context["form"].non_field_errors())
    assert "режиме автоматических приказов" in response.content.decode()
    assert not Order.objects.exists()


def test_only_the_own_partners_cohorts_are_offered(client, staff_a, cohort, cohort_b):
    response = _get(client, staff_a, CREATE_URL)
    assert list(response.context["form"].fields["cohort"].queryset) == [cohort]
    response = client.post(CREATE_URL, _create_data(cohort_b))
    assert "cohort" in response.context["form"].errors
    assert not Order.objects.exists()


# The order's page and the bulk assignment ------------------------------------------------------

def test_candidates_are_shown_to_the_partner_only(client, staff_a, operator_reviewer, cohort):
    order = OrderFactory(cohort=cohort)
    waiting = applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED, 2)
    applications_in(cohort, Status.STUDYING)  # not a candidate
    response = _get(client, staff_a, order.get_absolute_url())
    assert {a.pk for a in response.context["candidates"]} == {a.pk for a in waiting}
    html = response.content.decode()
    assert reverse("orders:order_assign", args=[order.pk]) in html
    assert 'data-select-all="candidates"' in html
    assert waiting[0].citizen.full_name in html
    response = _get(client, operator_reviewer, order.get_absolute_url())
    assert response.context["candidates"] == []
    assert reverse("orders:order_assign", args=[order.pk]) not in response.content.decode()
    assert reverse("orders:order_edit", args=[order.pk]) not in response.content.decode()


def test_the_bulk_assignment_moves_thirty_applications_to_studying(client, staff_a, cohort):
    order = OrderFactory(cohort=cohort)
    waiting = applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED, 30)
    client.force_login(staff_a)
    url = reverse("orders:order_assign", args=[order.pk])
    ids = [a.pk for a in waiting]
    confirm = client.post(url, {"application": ids})  # without JS: the confirmation page first
    assert confirm.status_code == 200
    assert 'name="confirmed" value="1"' in confirm.content.decode()
    assert not order.assignments.exists()
    response = client.post(url, {"application": ids, "confirmed": "1"})
    assert response.status_code == 302
    assert set(Application.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Status.STUDYING}
    assert order.assignments.count() == 30
    assert _messages(response) == ["Приказ назначен заявкам: 30."]
    html = client.get(order.get_absolute_url()).content.decode()
    assert waiting[0].rr_number in html
    assert "Назначен заявкам: 30" in html


def test_a_refused_assignment_shows_the_reason_and_changes_nothing(client, staff_a, cohort):
    order = OrderFactory(cohort=cohort)
    ready = applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED)[0]
    studying = applications_in(cohort, Status.STUDYING)[0]
    client.force_login(staff_a)
    response = client.post(reverse("orders:order_assign", args=[order.pk]),
                           {"application": [ready.pk, studying.pk], "confirmed": "1"})
    assert response.status_code == 302
    [message] = _messages(response)
    assert studying.rr_number in message
    assert "в статусе «Обучение»" in message
    ready.refresh_from_db()
    assert ready.status == Status.ENROLMENT_ORDER_REQUIRED
    assert not OrderAssignment.objects.exists()


def test_after_the_cohort_start_an_enrolment_order_is_closed_for_assignment(client, staff_a, partner_a, campaign,
                                                                           today):
    started = cohort_of(partner_a, campaign, start=today - dt.timedelta(days=1), end=today + dt.timedelta(days=30))
    order = OrderFactory(cohort=started)
    applications_in(started, Status.ENROLMENT_ORDER_REQUIRED)
    response = _get(client, staff_a, order.get_absolute_url())
    assert "Назначение закрыто" in response.content.decode()
    assert response.context["candidates"] == []


# Editing and the scan -------------------------------------------------------------------------

def test_the_requisites_are_edited_until_the_order_is_entered_on_rr(client, staff_a, cohort):
    order = OrderFactory(cohort=cohort, number="ПЗ-1")
    url = reverse("orders:order_edit", args=[order.pk])
    client.force_login(staff_a)
    response = client.post(url, {"number": "ПЗ-1А", "order_date": f"{order.order_date:%Y-%m-%d}"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.number == "ПЗ-1А"
    _assign(order, applications_in(cohort, Status.STUDYING))
    portal.portal_mark_entered(actor=staff_a, order=order)

    response = client.post(url, {"number": "ПЗ-1Б", "order_date": f"{order.order_date:%Y-%m-%d}"})
    assert response.status_code == 200
    assert "номер и даты изменить нельзя" in " ".join(response.context["form"].non_field_errors())
    order.refresh_from_db()
    assert order.number == "ПЗ-1А"
    html = client.get(order.get_absolute_url()).content.decode()
    assert url not in html
    assert reverse("orders:order_scan", args=[order.pk]) in html


def test_after_rr_a_scan_replacement_needs_the_confirmation_and_keeps_the_old_scan(client, staff_a, cohort):
    order = OrderFactory(cohort=cohort)
    first = order_scan_replace(actor=staff_a, order=order, files=[pdf_upload()])
    _assign(order, applications_in(cohort, Status.STUDYING))
    portal.portal_mark_entered(actor=staff_a, order=order)
    url = reverse("orders:order_scan", args=[order.pk])
    page = _get(client, staff_a, url)
    assert "Подтверждаю, что новый скан совпадает с данными, внесёнными на РР" in page.content.decode()

    response = client.post(url, {"files": pdf_upload("new.pdf")})
    assert response.status_code == 200
    assert "confirmed" in response.context["form"].errors
    assert order.scans.count() == 1

    response = client.post(url, {"files": pdf_upload("new.pdf"), "confirmed": "on"})
    assert response.status_code == 302
    scans = list(order.scans.order_by("version"))
    assert [(s.version, s.is_current) for s in scans] == [(1, False), (2, True)]
    html = client.get(order.get_absolute_url()).content.decode()
    assert reverse("orders:scan_file", args=[first.pk]) in html
    assert "Скан заменён" in html
    old = client.get(reverse("orders:scan_file", args=[first.pk]))
    assert old.status_code == 200
    assert old["Content-Type"] == "application/pdf"
    current = client.get(reverse("orders:order_file", args=[order.pk]))
    assert b"".join(current.streaming_content) == scans[1].file.open("rb").read()


def test_the_order_file_is_the_ready_pdf_when_there_is_no_scan(client, staff_a, cohort):
    from django.core.files.base import ContentFile

    from documents.services import document_create

    order = OrderFactory(cohort=cohort)
    client.force_login(staff_a)
    url = reverse("orders:order_file", args=[order.pk])
    assert client.get(url).status_code == 404
    document = document_create(kind="order", title=f"{order}", number=order.number)
    Order.objects.filter(pk=order.pk).update(document=document)
    assert client.get(url).status_code == 404  # still being generated
    document.file.save("order.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    document.mark_ready(sha256="0" * 64)
    document.save()
    assert client.get(url).status_code == 200


# The РР re-keying dashboard -------------------------------------------------------------------

@pytest.fixture
def open_items(cohort, today):
    """Partner A: an enrolment order with two lines (one overdue), an expulsion order with one
    line, a qualification document; all still to enter on РР."""
    enrolment = OrderFactory(cohort=cohort, number="ПЗ-5")
    expulsion = OrderFactory(cohort=cohort, number="ПО-5", type=Type.EXPULSION, basis=Basis.OWN_REQUEST,
                             order_date=cohort.start_date + dt.timedelta(days=5),
                             expelled_on=cohort.start_date + dt.timedelta(days=5))
    late, fresh = _assign(enrolment, applications_in(cohort, Status.STUDYING, 2))
    OrderAssignment.objects.filter(pk=late.pk).update(assigned_at=timezone.now() - dt.timedelta(days=30))
    [expelled] = _assign(expulsion, applications_in(cohort, Status.EXPELLED))
    graduate = applications_in(cohort, Status.AWAITING_EMPLOYMENT)[0]
    document = QualificationDocument.objects.create(application=graduate, series="77", number="000555",
                                                    registration_number="9", issued_on=today)
    return {"enrolment": enrolment, "expulsion": expulsion, "late": late, "fresh": fresh, "expelled": expelled,
            "document": document}


def test_the_dashboard_shows_the_open_items_per_block(client, staff_a, staff_b, open_items):
    response = _get(client, staff_a, DASHBOARD_URL)
    dashboard = response.context["dashboard"]
    assert [(item.order, len(item.lines)) for item in dashboard.enrolment] == [(open_items["enrolment"], 2)]
    assert [(item.order, len(item.lines)) for item in dashboard.expulsion] == [(open_items["expulsion"], 1)]
    assert dashboard.qualifications == [open_items["document"]]
    html = response.content.decode()
    for text in ("Приказы о зачислении", "Приказы об отчислении", "Документы о квалификации",
                 "Внесено на РР для всего приказа", "Отметить выбранные как внесённые на РР",
                 open_items["late"].application.rr_number, open_items["document"].number,
                 reverse("orders:portal_csv", args=[open_items["enrolment"].pk])):
        assert text in html
    late = open_items["late"]
    deadline = next(line for line in dashboard.enrolment[0].lines if line.pk == late.pk).deadline
    assert f"просрочено, срок — {deadline:%d.%m.%Y}" in html
    assert html.count('class="is-overdue"') == 1
    assert _get(client, staff_b, DASHBOARD_URL).context["dashboard"].total == 0


def test_ticking_a_whole_order_and_single_items_clears_them(client, staff_a, open_items):
    client.force_login(staff_a)
    response = client.post(reverse("orders:portal_mark"), {"order": open_items["enrolment"].pk})
    assert response.status_code == 302
    assert response["Location"] == DASHBOARD_URL
    assert _messages(response) == ["Отмечено как внесённое на РР: 2"]
    open_items["enrolment"].refresh_from_db()
    assert open_items["enrolment"].is_frozen
    dashboard = client.get(DASHBOARD_URL).context["dashboard"]
    assert dashboard.enrolment == []
    assert len(dashboard.expulsion) == 1

    client.post(reverse("orders:portal_mark"), {"assignment": [open_items["expelled"].pk]})
    client.post(reverse("orders:portal_mark_qualifications"), {"document": [open_items["document"].pk]})
    response = client.get(DASHBOARD_URL)
    assert response.context["dashboard"].total == 0
    assert "Всё внесено на «Работу России»" in response.content.decode()


def test_the_operator_sees_counts_per_partner_and_filters_by_partner(client, operator_reviewer, partner_a, partner_b,
                                                                    cohort_b, open_items):
    _assign(OrderFactory(cohort=cohort_b), applications_in(cohort_b, Status.STUDYING))
    response = _get(client, operator_reviewer, DASHBOARD_URL)
    counts = {entry["partner"]: entry["total"] for entry in response.context["backlog"]}
    assert counts == {"Партнёр А": 4, "Партнёр Б": 1}
    assert f"?partner={partner_b.pk}" in response.content.decode()
    assert not response.context["can_mark"]
    assert "Отметить выбранные" not in response.content.decode()
    filtered = _get(client, operator_reviewer, DASHBOARD_URL, partner=partner_b.pk)
    assert [item.order.cohort for item in filtered.context["dashboard"].enrolment] == [cohort_b]
    assert filtered.context["dashboard"].qualifications == []
    assert "Партнёр Б" in filtered.content.decode()


def test_a_mark_keeps_the_partner_filter(client, staff_a, partner_a, open_items):
    client.force_login(staff_a)
    response = client.post(reverse("orders:portal_mark"), {"assignment": [open_items["fresh"].pk],
                                                           "partner": partner_a.pk})
    assert response["Location"] == f"{DASHBOARD_URL}?partner={partner_a.pk}"


def test_another_partners_staff_cannot_tick_partner_a_items(client, staff_b, open_items):
    client.force_login(staff_b)
    assert client.post(reverse("orders:portal_mark"), {"order": open_items["enrolment"].pk}).status_code == 404
    assert client.post(reverse("orders:portal_mark"), {"assignment": [open_items["late"].pk]}).status_code == 403
    assert client.post(reverse("orders:portal_mark_qualifications"),
                       {"document": [open_items["document"].pk]}).status_code == 403
    assert not OrderAssignment.objects.filter(rr_entered_at__isnull=False).exists()
    assert client.get(reverse("orders:portal_csv", args=[open_items["enrolment"].pk])).status_code == 404


def test_the_csv_of_an_order_lists_its_open_lines_for_excel(client, staff_a, open_items):
    order = open_items["enrolment"]
    client.force_login(staff_a)
    response = client.get(reverse("orders:portal_csv", args=[order.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Номер заявки на РР", "ФИО", "Номер приказа", "Дата приказа", "Вид приказа"]
    applications = sorted((line.application for line in (open_items["late"], open_items["fresh"])),
                          key=lambda a: (a.citizen.last_name, a.citizen.first_name, a.pk))
    assert rows[1:] == [[a.rr_number, a.citizen.full_name, "ПЗ-5", f"{order.order_date:%d.%m.%Y}", "О зачислении"]
                        for a in applications]
    portal.portal_mark_entered(actor=staff_a, assignment_ids=[open_items["late"].pk])
    rows = list(csv.reader(io.StringIO(client.get(reverse("orders:portal_csv", args=[order.pk]))
                                       .content.decode("utf-8-sig")), delimiter=";"))
    assert [row[0] for row in rows[1:]] == [open_items["fresh"].application.rr_number]


# The citizen's cabinet and the staff desk -------------------------------------------------------

def test_the_cabinet_lists_the_citizens_order_and_serves_its_scan(client, citizen, staff_a, cohort):
    own = ApplicationFactory(citizen=CitizenFactory(user=citizen, email=citizen.email), program=cohort.program,
                             cohort=cohort)
    order = OrderFactory(cohort=cohort, number="ПЗ-77")
    scan = order_scan_replace(actor=staff_a, order=order, files=[pdf_upload()])
    _assign(order, [own])
    url = reverse("orders:cabinet_order_file", args=[order.pk])
    html = _get(client, citizen, reverse("cabinet:home")).content.decode()
    assert "Приказ о зачислении № ПЗ-77" in html
    assert url in html
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == scan.file.open("rb").read()

    client.force_login(CitizenFactory().user)
    assert client.get(url).status_code == 404
    client.force_login(staff_a)
    assert client.get(url).status_code == 403


def test_the_staff_desk_panel_shows_the_open_items(client, staff_a, staff_b, employment_reviewer, open_items):
    response = _get(client, staff_a, reverse("accounts:staff_home"))
    html = response.content.decode()
    assert "Работа с приказами" in html
    assert "№ ПЗ-5" in html
    assert "просрочено: 1" in html
    assert DASHBOARD_URL in html
    assert "Работа с приказами" not in _get(client, staff_b, reverse("accounts:staff_home")).content.decode()
    assert "Работа с приказами" not in _get(client, employment_reviewer,
                                            reverse("accounts:staff_home")).content.decode()


def test_partner_staff_and_the_operator_get_the_orders_menu_entry(client, staff_a, operator_reviewer,
                                                                  employment_reviewer):
    for user, shown in ((staff_a, True), (operator_reviewer, True), (employment_reviewer, False)):
        labels = [item["label"] for item in _get(client, user, reverse("accounts:staff_home")).context["nav_items"]]
        assert ("Приказы" in labels) is shown
        if shown:
            assert labels.index("Приказы") == labels.index("Заявки") + 1


# Query counts ---------------------------------------------------------------------------------

def _queries(client, url, **params) -> int:
    client.get(url, params)  # warm the session, the user and the calendar
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured.captured_queries)


def _bulk_lines(order, count: int, start: int) -> None:
    """`count` applications of the order's cohort with the order assigned, by bulk inserts."""
    users = User.objects.bulk_create([User(email=f"bulk{start + i}@example.org", is_citizen=True, password="!")
                                      for i in range(count)])
    citizens = Citizen.objects.bulk_create([
        Citizen(user=user, last_name="Массовый", first_name=f"Гражданин{start + i}", birth_date=dt.date(1990, 1, 1),
                snils=valid_snils(900_000_000 + start + i), email=user.email, region_id="70")
        for i, user in enumerate(users)])
    applications = Application.objects.bulk_create([
        Application(rr_number=f"РР-МАСС-{start + i:06d}", citizen=citizen, program=order.cohort.program,
                    partner=order.partner, cohort=order.cohort, region_id="70", submitted_at=timezone.now())
        for i, citizen in enumerate(citizens)])
    OrderAssignment.objects.bulk_create([
        OrderAssignment(order=order, application=application, partner=order.partner, order_type=order.type,
                        assigned_at=timezone.now() - dt.timedelta(days=i % 20))
        for i, application in enumerate(applications)])


def test_the_dashboard_costs_the_same_queries_for_one_or_five_hundred_lines(client, staff_a, cohort):
    order = OrderFactory(cohort=cohort)
    _bulk_lines(order, 1, start=0)
    client.force_login(staff_a)
    one = _queries(client, DASHBOARD_URL)
    _bulk_lines(OrderFactory(cohort=cohort, type=Type.EXPULSION, basis=Basis.FAILURE,
                             expelled_on=cohort.end_date), 250, start=1)
    _bulk_lines(order, 249, start=251)
    many = _queries(client, DASHBOARD_URL)
    assert client.get(DASHBOARD_URL).context["dashboard"].total == 500
    assert one == many


def test_the_list_costs_the_same_queries_for_five_or_sixty_orders(client, staff_a, cohort):
    OrderFactory.create_batch(5, cohort=cohort)
    client.force_login(staff_a)
    few = _queries(client, LIST_URL, sort="cohort")
    OrderFactory.create_batch(55, cohort=cohort)
    assert _queries(client, LIST_URL, sort="cohort") == few


def test_the_order_page_costs_the_same_queries_for_one_or_forty_candidates(client, staff_a, cohort):
    order = OrderFactory(cohort=cohort)
    order_scan_replace(actor=staff_a, order=order, files=[pdf_upload()])
    applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED)
    client.force_login(staff_a)
    one = _queries(client, order.get_absolute_url())
    applications_in(cohort, Status.ENROLMENT_ORDER_REQUIRED, 39)
    assert len(client.get(order.get_absolute_url()).context["candidates"]) == 40
    assert _queries(client, order.get_absolute_url()) == one

