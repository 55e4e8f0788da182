"""Acceptance 2: a program walks partner_revision → operator_review → operator_rejected →
operator_review → awaiting_contract → ready_to_send → sent_to_portal → published through the
pages, each step by the right role only and leaving an event row with its author; every illegal
step (wrong role, wrong status) is refused with a message and changes nothing."""
import pytest
from django.test import Client
from django.urls import reverse

from programs.models import CostProposal, Program, TrainingContract
from programs.services.readiness import program_refresh_readiness
from tests.programs.factories import CostProposalFactory, ProgramFactory, TrainingContractFactory

pytestmark = pytest.mark.django_db

CARD = {"implementation_form": "own", "rr_direction": "Информационные технологии", "rr_profession": "Программист",
        "education_level": "vocational_or_higher", "qualification_level": "4", "contact_email": "p@a.example.org",
        "contact_phone": "+7 3822 000000", "citizen_categories": ["youth"]}


class Walk:
    """One program and the personas' clients; every POST is checked to change nothing when refused."""

    def __init__(self, client_factory, personas, program):
        self.program, self.clients = program, {}
        for name in ("staff_a", "staff_b", "employment_reviewer", "operator_reviewer"):
            self.clients[name] = client_factory()
            self.clients[name].force_login(personas[name])

    def post(self, persona, name, data=None, *args):
        url = reverse(f"programs:{name}", args=[self.program.pk, *args])
        return self.clients[persona].post(url, data or {}, follow=True)

    def status(self) -> str:
        self.program.refresh_from_db()
        return self.program.status

    def refused(self, persona, name, data=None, *args, expect=200, message="недоступно в статусе"):
        """A step that must be refused: the status, events and decisions stay as they were."""
        before = (self.status(), self.program.events.count(), self.program.operator_approved_at,
                  list(self.program.regional_approvals.values_list("status", flat=True)))
        response = self.post(persona, name, data, *args)
        assert response.status_code == expect, (persona, name)
        if expect == 200:
            assert message in response.content.decode(), (persona, name)
        elif expect == 403:
            assert "Доступ запрещён" in response.content.decode()
        assert before == (self.status(), self.program.events.count(), self.program.operator_approved_at,
                          list(self.program.regional_approvals.values_list("status", flat=True)))

    def region_decide(self, persona, decision, comment=""):
        approval = self.program.regional_approvals.get(region_id="70")
        return self.clients[persona].post(reverse("programs:region_decide", args=[approval.pk]),
                                          {"decision": decision, "comment": comment}, follow=True)


@pytest.fixture
def walk(personas, partner_a, campaign):
    return Walk(Client, personas, ProgramFactory(partner=partner_a, campaign=campaign))


def test_a_program_walks_from_odin_to_publication(walk, personas, partner_a, campaign):
    staff, operator, reviewer = personas["staff_a"], personas["operator_reviewer"], personas["employment_reviewer"]
    program = walk.program
    assert walk.status() == "partner_revision"

    # The partner fills the card in and sends it; nobody else may send it, nor the partner too early.
    walk.refused("staff_a", "send", message="Заполните перед отправкой на согласование")
    walk.refused("operator_reviewer", "send", expect=403)
    walk.refused("staff_b", "send", expect=404)
    walk.refused("employment_reviewer", "send", expect=404)
    walk.refused("operator_reviewer", "approve", {"regions": ["70"]}, message="нельзя одобрить")
    assert walk.post("staff_a", "edit", CARD).status_code == 200
    assert "Программа отправлена" in walk.post("staff_a", "send", {"comment": "Просим одобрить"}).content.decode()
    assert walk.status() == "operator_review"

    # The operator rejects it with a comment; the partner may not decide, nor edit now.
    walk.refused("staff_a", "reject", {"comment": "Сам себе"}, expect=403)
    walk.refused("staff_a", "edit", {**CARD, "rr_profession": "Тестировщик"}, message="карточку изменить нельзя")
    walk.refused("operator_reviewer", "reject", {"comment": ""}, message="комментарий обязателен")
    walk.post("operator_reviewer", "reject", {"comment": "Уточните уровень квалификации"})
    assert walk.status() == "operator_rejected"

    # The partner corrects and sends again; the operator approves asking region 70.
    walk.refused("operator_reviewer", "approve", {"regions": ["70"]}, message="нельзя одобрить")
    walk.post("staff_a", "edit", {**CARD, "qualification_level": "5"})
    walk.post("staff_a", "send")
    assert walk.status() == "operator_review"
    walk.refused("staff_a", "approve", {"regions": ["70"]}, expect=403)
    walk.post("operator_reviewer", "approve", {"regions": ["70"], "comment": "Одобряю"})
    assert walk.status() == "operator_review"
    assert program.regional_approvals.get().region_id == "70"
    walk.refused("operator_reviewer", "reject", {"comment": "Передумал"})

    # Region 70's employment service approves: the program awaits its contract.
    for persona in ("staff_a", "operator_reviewer"):
        before = walk.status()
        assert walk.region_decide(persona, "approve").status_code == 403
        assert walk.status() == before
    assert walk.region_decide("staff_b", "approve").status_code == 404
    walk.region_decide("employment_reviewer", "approve", "Согласовано")
    assert walk.status() == "awaiting_contract"
    assert "недоступно в статусе" in walk.region_decide("employment_reviewer", "decline", "Нет").content.decode()

    # A registered contract includes it and a cost proposal is approved: ready to send.
    walk.refused("staff_a", "mark", {}, "mark_sent_to_portal")
    contract = TrainingContractFactory(partner=partner_a, campaign=campaign)
    contract.programs.add(program)
    proposal = CostProposalFactory(program=program, contract=contract)
    TrainingContract.objects.filter(pk=contract.pk).update(status="registered")
    CostProposal.objects.filter(pk=proposal.pk).update(status="approved")
    program_refresh_readiness(program=Program.objects.get(pk=program.pk))
    assert walk.status() == "ready_to_send"

    # The partner marks its work on РР, in order, and only the partner.
    walk.refused("staff_a", "mark", {}, "mark_published")
    walk.refused("operator_reviewer", "mark", {}, "mark_sent_to_portal", expect=403)
    walk.refused("employment_reviewer", "mark", {}, "mark_sent_to_portal", expect=403)
    walk.post("staff_a", "mark", {}, "mark_sent_to_portal")
    assert walk.status() == "sent_to_portal"
    walk.refused("staff_b", "mark", {}, "mark_published", expect=404)
    walk.post("staff_a", "mark", {}, "mark_published")
    assert walk.status() == "published"

    steps = [(e.transition, e.source, e.target, e.actor) for e in program.events.order_by("pk")
             if e.source != e.target]
    assert steps == [
        ("send_for_approval", "partner_revision", "operator_review", staff),
        ("reject", "operator_review", "operator_rejected", operator),
        ("send_for_approval", "operator_rejected", "operator_review", staff),
        ("approve_in_region", "operator_review", "awaiting_contract", reviewer),
        ("make_ready", "awaiting_contract", "ready_to_send", None),
        ("mark_sent_to_portal", "ready_to_send", "sent_to_portal", staff),
        ("mark_published", "sent_to_portal", "published", staff),
    ]
    decisions = list(program.events.filter(transition__in=["operator_approve", "region_approve"])
                     .order_by("pk").values_list("transition", "actor"))
    assert decisions == [("operator_approve", operator.pk), ("region_approve", reviewer.pk)]
    assert program.events.get(transition="reject").comment == "Уточните уровень квалификации"
