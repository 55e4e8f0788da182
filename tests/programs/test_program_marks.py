"""The partner marks its work on Работа России: sent, published, unpublished (the held Odin
changes are then applied), closed (confirmed first). Only the four marks, only by the partner."""
import pytest
from django.urls import reverse

from programs.models import Program
from programs.services import odin
from programs.services.programs import program_mark
from tests.programs.test_program_support import filled_program, in_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def applied(monkeypatch):
    """Records the calls of odin.odin_apply_pending (the Odin feed's own tests cover what it does)."""
    calls = []

    def fake(*, program, actor=None):
        calls.append((program.pk, actor))
        return program

    monkeypatch.setattr(odin, "odin_apply_pending", fake)
    return calls


@pytest.fixture
def program(partner_a, campaign):
    return in_status(filled_program(partner=partner_a, campaign=campaign), Program.Status.READY_TO_SEND)


def _mark(client, program, action, **data):
    return client.post(reverse("programs:mark", args=[program.pk, action]), data, follow=True)


def test_the_partner_walks_the_portal_marks(client, staff_a, program, applied):
    client.force_login(staff_a)
    _mark(client, program, "mark_sent_to_portal")
    _mark(client, program, "mark_published")
    _mark(client, program, "mark_unpublished", confirmed="1")
    program.refresh_from_db()
    assert program.status == Program.Status.UNPUBLISHED
    assert list(program.events.order_by("pk").values_list("transition", "actor")) == [
        ("mark_sent_to_portal", staff_a.pk), ("mark_published", staff_a.pk), ("mark_unpublished", staff_a.pk)]
    assert applied == [(program.pk, staff_a)]


def test_closing_asks_for_confirmation_first(client, staff_a, program):
    client.force_login(staff_a)
    response = _mark(client, program, "close")
    assert response.templates[0].name == "partials/confirm_page.html"
    program.refresh_from_db()
    assert program.status == Program.Status.READY_TO_SEND
    _mark(client, program, "close", confirmed="1")
    program.refresh_from_db()
    assert program.status == Program.Status.CLOSED


def test_a_mark_the_status_does_not_allow_is_refused_with_a_message(client, staff_a, program, applied):
    client.force_login(staff_a)
    response = _mark(client, program, "mark_published")
    assert "недоступно в статусе" in response.content.decode()
    program.refresh_from_db()
    assert program.status == Program.Status.READY_TO_SEND
    assert not program.events.exists()
    assert applied == []


@pytest.mark.parametrize("action", ["make_ready", "send_for_approval", "approve_in_region", "delete", "reject"])
def test_only_the_four_marks_exist(client, staff_a, program, action):
    client.force_login(staff_a)
    assert client.post(reverse("programs:mark", args=[program.pk, action])).status_code == 404
    program.refresh_from_db()
    assert program.status == Program.Status.READY_TO_SEND


@pytest.mark.parametrize(("persona", "status"), [("operator_reviewer", 403), ("staff_b", 404)])
def test_only_the_partner_marks(client, personas, program, persona, status):
    client.force_login(personas[persona])
    assert client.post(reverse("programs:mark", args=[program.pk, "mark_sent_to_portal"])).status_code == status
    assert client.post(reverse("programs:mark", args=[program.pk, "close"])).status_code == status
    program.refresh_from_db()
    assert program.status == Program.Status.READY_TO_SEND


def test_the_service_refuses_an_unknown_action(staff_a, program):
    with pytest.raises(Exception, match="Неизвестное действие"):
        program_mark(program=program, actor=staff_a, action="make_ready")


def test_the_page_offers_only_the_marks_the_status_allows(client, staff_a, program):
    client.force_login(staff_a)
    marks = [m["action"] for m in client.get(program.get_absolute_url()).context["actions"].marks]
    assert marks == ["mark_sent_to_portal", "close"]
