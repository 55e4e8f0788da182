"""The programs admin: every list and page renders with its history, statuses and Odin data
are read-only, programs and cohorts are never added here, and the lists search by INN."""
import pytest
from django.urls import reverse

from accounts.groups import operator_group
from accounts.models import User
from programs.models import Program, ProgramComment, ProgramEvent
from tests.factories import UserFactory
from tests.programs.factories import CohortFactory
from tests.programs.test_program_support import asked, filled_program, in_status

pytestmark = pytest.mark.django_db
MODELS = ["program", "cohort", "regionalapproval", "programcomment", "citizencategory"]


@pytest.fixture
def superuser(db):
    return UserFactory(email="ops@example.org", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_operator(operator_reviewer):
    operator_reviewer.groups.add(operator_group())
    return User.objects.get(pk=operator_reviewer.pk)


@pytest.fixture
def program(partner_a, campaign, staff_a):
    program = in_status(filled_program(partner=partner_a, campaign=campaign, title="Сварка"),
                        Program.Status.OPERATOR_REVIEW)
    asked(program, "70")
    CohortFactory(program=program)
    ProgramEvent.objects.create(subject=program, actor=staff_a, transition="send_for_approval",
                                source="partner_revision", target="operator_review")
    ProgramComment.objects.create(program=program, author=staff_a, text="Просим одобрить")
    return program


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("persona", ["superuser", "admin_operator"])
def test_every_changelist_and_change_page_renders(client, request, program, model, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse(f"admin:programs_{model}_changelist")).status_code == 200
    obj = {"program": program, "cohort": program.cohorts.first(),
           "regionalapproval": program.regional_approvals.first(), "programcomment": program.comments.first(),
           "citizencategory": program.citizen_categories.first()}[model]
    assert client.get(reverse(f"admin:programs_{model}_change", args=[obj.pk])).status_code == 200


def test_the_program_page_shows_its_history_and_keeps_the_status_read_only(client, superuser, program):
    client.force_login(superuser)
    url = reverse("admin:programs_program_change", args=[program.pk])
    text = client.get(url).content.decode()
    assert "Отправлена на согласование" in text
    assert 'name="status"' not in text
    assert 'name="title"' not in text
    assert 'name="rr_profession"' in text  # support may correct the partner's part


def test_reviewers_only_look_at_the_partners_part(client, admin_operator, program):
    client.force_login(admin_operator)
    text = client.get(reverse("admin:programs_program_change", args=[program.pk])).content.decode()
    assert 'name="rr_profession"' not in text


def test_programs_and_cohorts_are_never_added_here(client, superuser):
    client.force_login(superuser)
    assert client.get(reverse("admin:programs_program_add")).status_code == 403
    assert client.get(reverse("admin:programs_cohort_add")).status_code == 403


def test_the_program_list_searches_by_partner_inn(client, superuser, program, partner_a):
    client.force_login(superuser)
    response = client.get(reverse("admin:programs_program_changelist"), {"q": partner_a.inn})
    assert list(response.context["cl"].result_list) == [program]


def test_the_category_filter_tells_used_from_unused(client, superuser, program):
    client.force_login(superuser)
    used = client.get(reverse("admin:programs_citizencategory_changelist"), {"used": "yes"}).context["cl"]
    assert {c.pk for c in used.result_list} == set(program.citizen_categories.values_list("pk", flat=True))
