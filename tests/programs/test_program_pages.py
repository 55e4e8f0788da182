"""The program page, the edit page and the approve page render what each role may see and do."""
import re

import pytest
from django.urls import reverse

from programs.models import Program, ProgramEvent
from tests.programs.factories import CohortFactory
from tests.programs.test_program_support import asked, filled_program, in_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(partner_a, campaign):
    return filled_program(partner=partner_a, campaign=campaign, title="Основы Python")


def _get(client, user, name, *args):
    client.force_login(user)
    return client.get(reverse(name, args=args))


def test_the_partner_sees_the_card_and_may_fill_it_in_and_send_it(client, staff_a, program):
    response = _get(client, staff_a, "programs:detail", program.pk)
    actions = response.context["actions"]
    assert actions.can_edit
    assert actions.can_send
    assert not actions.can_decide
    body = response.content.decode()
    assert "Основы Python" in body
    assert reverse("programs:send", args=[program.pk]) in body
    assert reverse("programs:edit", args=[program.pk]) in body
    assert "Удостоверение о повышении квалификации" in body


def test_the_operator_sees_approve_and_reject_only_in_review(client, operator_reviewer, program):
    response = _get(client, operator_reviewer, "programs:detail", program.pk)
    assert not response.context["actions"].can_decide
    in_status(program, Program.Status.OPERATOR_REVIEW)
    response = _get(client, operator_reviewer, "programs:detail", program.pk)
    assert response.context["actions"].can_decide
    assert reverse("programs:approve", args=[program.pk]) in response.content.decode()
    assert not response.context["actions"].can_edit


def test_the_reviewer_of_an_asked_region_gets_a_decision_form(client, employment_reviewer, program):
    in_status(program, Program.Status.OPERATOR_REVIEW)
    approval = asked(program, "70")
    response = _get(client, employment_reviewer, "programs:detail", program.pk)
    assert response.context["approval_rows"][0]["can_decide"]
    assert reverse("programs:region_decide", args=[approval.pk]) in response.content.decode()
    assert response.context["copy_sections"] == []


def test_the_contacts_fall_back_to_the_organisation_card(client, staff_a, partner_a, campaign):
    partner_a.contact_email, partner_a.contact_phone = "info@partner-a.example.org", "+7 3822 111111"
    partner_a.save()
    program = filled_program(partner=partner_a, campaign=campaign, contact_email="", contact_phone="")
    body = _get(client, staff_a, "programs:detail", program.pk).content.decode()
    assert "info@partner-a.example.org" in body
    assert "из карточки организации" in body


def test_the_copy_tab_lists_the_portal_fields_in_order_with_buttons(client, staff_a, program):
    response = _get(client, staff_a, "programs:detail", program.pk)
    sections = response.context["copy_sections"]
    names = [field["name"] for field in sections[1]["fields"]]
    assert names[:4] == ["Наименование программы", "Вид программы", "Направление", "Профессия"]
    assert f"FLOW-{program.pk}" in sections[0]["fields"][-1]["value"]
    filled = sum(1 for s in sections for field in s["fields"] if field["value"])
    assert response.content.decode().count("data-copy-target=") == filled
    assert "— не заполнено —" in response.content.decode()  # the program has no cohorts to offer yet


def test_held_odin_changes_show_old_and_new_values(client, staff_a, program):
    program = in_status(program, Program.Status.PUBLISHED)
    Program.objects.filter(pk=program.pk).update(pending_odin_changes={"academic_hours": 144},
                                                 pending_odin_since="2026-11-20T10:00:00+03:00")
    response = _get(client, staff_a, "programs:detail", program.pk)
    since = response.context["program"].pending_odin_since
    assert response.context["pending_changes"] == [
        {"label": "академических часов", "old": "72", "new": "144", "since": since}]
    assert "Изменения ждут применения" in response.content.decode()


def test_the_history_shows_each_event_with_its_author(client, staff_a, program):
    ProgramEvent.objects.create(subject=program, actor=staff_a, transition="send_for_approval",
                                source="partner_revision", target="operator_review", comment="Проверьте, пожалуйста")
    body = _get(client, staff_a, "programs:detail", program.pk).content.decode()
    assert "Отправлена на согласование" in body
    assert "Проверьте, пожалуйста" in body
    assert str(staff_a) in body


def test_the_cohorts_show_their_quota_and_availability(client, staff_a, program):
    CohortFactory(program=program, max_students=None)
    CohortFactory(program=program, max_students=0)
    body = _get(client, staff_a, "programs:detail", program.pk).content.decode()
    assert "без ограничений" in body
    assert "набор закрыт (0)" in body
    assert "Нет договора." in body


def test_the_edit_page_shows_the_form_with_select_all(client, staff_a, program):
    response = _get(client, staff_a, "programs:edit", program.pk)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-select-all="categories"' in body
    assert 'name="citizen_categories"' in body
    assert 'name="status"' not in body


def test_the_approve_page_ticks_the_partners_region(client, operator_reviewer, program):
    in_status(program, Program.Status.OPERATOR_REVIEW)
    response = _get(client, operator_reviewer, "programs:approve", program.pk)
    assert response.status_code == 200
    assert response.context["form"].initial["regions"] == ["70"]
    assert re.search(r'value="70"[^>]*checked', response.content.decode())
    assert len(re.findall(r"checked", response.content.decode())) == 1
