"""The base layout, the menu per role, the error pages and the citizen cabinet's door."""
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from core import views as core_views

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)

# Each persona's own start page.
HOME = {
    "citizen": "cabinet:home",
    "staff_a": "accounts:staff_home",
    "staff_b": "accounts:staff_home",
    "employment_reviewer": "accounts:staff_home",
    "operator_reviewer": "accounts:staff_home",
}

STAFF_MENU = ["Главная", "Заявки", "Программы", "Организации", "Выгрузки", "Безопасность входа"]
MENU = {
    "anonymous": [],
    "citizen": ["Мой кабинет"],
    "staff_a": [*STAFF_MENU, "Приказы", "Потоки", "Аналитика", "Договоры", "Сотрудники"],
    "staff_b": [*STAFF_MENU, "Приказы", "Потоки", "Аналитика", "Договоры", "Сотрудники"],
    "employment_reviewer": [*STAFF_MENU, "Аналитика"],
    "operator_reviewer": [*STAFF_MENU, "Приказы", "Потоки", "Аналитика", "Договоры", "Сотрудники",
                          "Пригласить сотрудника", "Администрирование"],
}
ALL_LABELS = {label for labels in MENU.values() for label in labels}


def _login(client, user):
    # CitizenUserFactory sets the unusable password after saving, so the object in memory and
    # the row differ and the session hash would not match: log in the row as stored.
    user.refresh_from_db()
    client.force_login(user)


def _page(client, personas, persona):
    """The persona's home page, or for a visitor a page that needs no login (the 404 page)."""
    if persona == "anonymous":
        return client.get("/no-such-page/")
    _login(client, personas[persona])
    return client.get(reverse(HOME[persona]))


@pytest.mark.parametrize("persona", list(MENU))
def test_the_base_layout_renders_for_every_persona(client, personas, persona):
    response = _page(client, personas, persona)
    html = response.content.decode()

    assert response.status_code == (404 if persona == "anonymous" else 200)
    assert '<html lang="ru"' in html
    assert 'href="#main"' in html
    assert "Перейти к содержимому" in html
    for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
        assert landmark in html
    assert '"includeIndicatorStyles": false' in html
    assert 'action="/i18n/setlang/"' in html


@pytest.mark.parametrize("persona", list(MENU))
def test_pages_have_no_inline_scripts_or_styles(client, personas, persona):
    html = _page(client, personas, persona).content.decode()

    assert not INLINE_SCRIPT.findall(html)
    assert not STYLE_ATTRIBUTE.findall(html)
    assert "<style" not in html
    assert " onclick=" not in html


@pytest.mark.parametrize("persona", list(MENU))
def test_the_menu_matches_the_role(client, personas, persona):
    response = _page(client, personas, persona)

    # Real URL names: the menu's tolerance of names that do not resolve must hide nothing.
    labels = [item["label"] for item in response.context["nav_items"]]
    assert sorted(labels) == sorted(MENU[persona])
    html = response.content.decode()
    for label in ALL_LABELS - set(MENU[persona]) - {"Главная"}:
        assert f">{label}</a>" not in html


def test_the_operator_is_offered_to_invite_staff_and_partner_staff_is_not(client, personas):
    client.force_login(personas["operator_reviewer"])
    assert ">Пригласить сотрудника</a>" in client.get(reverse("accounts:staff_home")).content.decode()

    client.force_login(personas["staff_a"])
    assert ">Пригласить сотрудника</a>" not in client.get(reverse("accounts:staff_home")).content.decode()


def test_the_current_section_is_marked(client, personas):
    client.force_login(personas["staff_a"])
    response = client.get(reverse("accounts:staff_home"))

    active = [item["label"] for item in response.context["nav_items"] if item["active"]]
    assert active == ["Главная"]
    assert 'aria-current="page">Главная</a>' in response.content.decode()


def test_a_visitor_sees_both_login_links(client):
    html = client.get("/no-such-page/").content.decode()

    assert "Вход для сотрудников" in html
    assert "Вход для слушателей" in html
    assert "Выйти" not in html


def test_the_user_menu_shows_name_roles_and_a_logout_form(client, personas):
    client.force_login(personas["operator_reviewer"])
    html = client.get(reverse("accounts:staff_home")).content.decode()

    assert personas["operator_reviewer"].get_full_name() in html
    assert "Представитель федерального оператора" in html
    assert re.search(r'<form method="post" action="/accounts/logout/"[^>]*>\s*<input type="hidden" '
                     r'name="csrfmiddlewaretoken"', html)


def test_the_staff_home_shows_memberships_and_role_cards(client, personas, partner_a):
    client.force_login(personas["staff_a"])
    html = client.get(reverse("accounts:staff_home")).content.decode()

    assert "Рабочий стол" in html
    assert "Партнёр А" in html
    assert "Образовательный партнёр" in html
    assert "Федеральный оператор</h3>" not in html


def test_the_404_page_shows_the_request_id(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    request_id = response["X-Request-ID"]
    assert request_id
    assert request_id in response.content.decode()
    assert "Страница не найдена" in response.content.decode()


def test_the_403_page_shows_the_request_id(client, personas):
    client.force_login(personas["staff_a"])
    response = client.get(reverse("cabinet:home"))

    assert response.status_code == 403
    assert response["X-Request-ID"] in response.content.decode()
    assert "Доступ запрещён" in response.content.decode()


def test_the_500_page_renders_without_the_database_or_the_session(django_assert_num_queries):
    request = RequestFactory().get("/")
    request.request_id = "abc123def4567890"

    def explode():
        raise AssertionError("the 500 page must not touch the user or the session")
    request.user = SimpleLazyObject(explode)
    request.session = SimpleLazyObject(explode)

    with django_assert_num_queries(0):
        response = core_views.server_error(request)

    html = response.content.decode()
    assert response.status_code == 500
    assert "abc123def4567890" in html
    assert not INLINE_SCRIPT.findall(html)
    assert not STYLE_ATTRIBUTE.findall(html)


@pytest.mark.parametrize("persona", ["staff_a", "employment_reviewer", "operator_reviewer"])
def test_the_citizen_cabinet_is_closed_to_staff(client, personas, persona):
    client.force_login(personas[persona])
    assert client.get(reverse("cabinet:home")).status_code == 403


def test_the_citizen_cabinet_opens_for_the_citizen(client, personas):
    _login(client, personas["citizen"])
    response = client.get(reverse("cabinet:home"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Здравствуйте, Пётр!" in html
    assert "Ваши заявки появятся здесь после подачи на портале «Работа России»" in html
    assert html.count('class="step"') == 8


def test_a_visitor_is_sent_to_log_in_from_the_cabinet(client):
    response = client.get(reverse("cabinet:home"))
    assert response.status_code == 302


# Partials used by other modules -------------------------------------------------------------

def test_pagination_keeps_the_current_filters():
    request = RequestFactory().get("/list/", {"q": "Томск", "sort": "-name", "page": "2"})
    page = Paginator(list(range(100)), 10).page(2)

    html = render_to_string("partials/pagination.html", {"page_obj": page}, request=request)

    assert "?q=%D0%A2%D0%BE%D0%BC%D1%81%D0%BA&amp;sort=-name&amp;page=3" in html
    assert "page=1" in html
    assert "Страница 2 из 10" in html


def test_form_field_links_help_and_errors_to_the_control():
    from django import forms

    class Form(forms.Form):
        email = forms.EmailField(label="E-mail", help_text="Рабочий адрес")

    form = Form(data={"email": "not-an-email"})
    form.is_valid()
    html = render_to_string("partials/form_field.html", {"field": form["email"]})

    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_email_helptext id_email_error"' in html
    assert 'id="id_email_helptext"' in html
    assert 'id="id_email_error"' in html
    assert '<label for="id_email">E-mail</label>' in html


def test_the_confirm_form_works_without_js(rf):
    html = render_to_string("partials/confirm_form.html", {
        "action": "/things/1/delete/", "label": "Удалить", "message": "Удалить запись?", "danger": True,
    }, request=rf.get("/"))

    assert 'data-confirm="Удалить запись?"' in html
    assert 'method="post" action="/things/1/delete/"' in html
    assert "confirmed" not in html  # the server asks again on its own page when JS is off


def test_the_list_toolbar_exports_with_the_current_filters(rf):
    request = rf.get("/list/", {"q": "abc", "page": "3"})
    request.user = AnonymousUser()
    html = render_to_string("partials/list_toolbar.html", {
        "search_label": "Поиск", "export_url": "/exports/start/x/",
        "sort_options": [("name", "По названию"), ("-created", "Сначала новые")],
    }, request=request)

    assert 'action="/exports/start/x/"' in html
    assert "Выгрузить CSV" in html
    assert '<input type="hidden" name="q" value="abc">' in html
    assert 'name="page"' not in html
    assert 'name="sort"' in html


def test_the_language_switcher_changes_the_page_language(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/no-such-page/"})
    assert response.status_code == 302

    html = client.get("/no-such-page/").content.decode()
    assert '<html lang="en"' in html
    assert re.search(r'value="en"[^>]*class="current"[^>]*aria-current="true"', html)


def test_the_confirmation_page_carries_the_confirmation(rf):
    request = rf.get("/things/1/delete/")
    request.user = AnonymousUser()
    html = render_to_string("partials/confirm_page.html", {
        "title": "Удалить запись?", "message": "Это действие нельзя отменить.", "action": "/things/1/delete/",
        "label": "Удалить", "cancel_url": "/things/1/", "danger": True, "fields": {"reason": "дубль"},
    }, request=request)

    assert '<input type="hidden" name="confirmed" value="1">' in html
    assert '<input type="hidden" name="reason" value="дубль">' in html
    assert 'href="/things/1/"' in html
