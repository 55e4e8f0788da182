import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts import services
from accounts.groups import operator_group
from accounts.models import CampaignParticipation

pytestmark = pytest.mark.django_db
AUTOMATIC = CampaignParticipation.OrderMode.AUTOMATIC


@pytest.fixture
def participation(partner_a):
    return partner_a.participations.get()


def test_the_default_order_mode_is_manual_and_not_yet_fixed(participation):
    assert participation.order_mode == CampaignParticipation.OrderMode.MANUAL
    assert participation.order_mode_fixed_at is None


def test_the_operator_chooses_the_mode_once_and_it_never_changes(participation, operator_reviewer):
    services.participation_set_order_mode(actor=operator_reviewer, participation=participation, mode=AUTOMATIC)
    with pytest.raises(ValidationError, match="не может быть изменён"):
        services.participation_set_order_mode(actor=operator_reviewer, participation=participation,
                                              mode=CampaignParticipation.OrderMode.MANUAL)
    participation.refresh_from_db()
    assert participation.order_mode == AUTOMATIC
    event = participation.events.get()
    assert (event.actor, event.source, event.target) == (operator_reviewer, "manual", "automatic")


def test_partner_staff_cannot_choose_the_mode(participation, staff_a):
    with pytest.raises(PermissionDenied):
        services.participation_set_order_mode(actor=staff_a, participation=participation, mode=AUTOMATIC)


def test_the_first_order_fixes_the_default_mode_and_a_later_choice_is_refused(participation, operator_reviewer):
    services.participation_order_mode_fix(participation=participation)
    services.participation_order_mode_fix(participation=participation)
    assert participation.events.count() == 1
    with pytest.raises(ValidationError):
        services.participation_set_order_mode(actor=operator_reviewer, participation=participation, mode=AUTOMATIC)


def test_the_admin_action_fixes_the_mode_through_the_service(client, participation, operator_reviewer):
    operator_reviewer.groups.add(operator_group())
    client.force_login(operator_reviewer)
    url = reverse("admin:accounts_campaignparticipation_changelist")
    response = client.post(url, {"action": "fix_automatic_mode", "_selected_action": [participation.pk]})
    assert response.status_code == 302
    participation.refresh_from_db()
    assert participation.order_mode == AUTOMATIC
    assert participation.order_mode_fixed_at is not None
    page = client.get(reverse("admin:accounts_campaignparticipation_change", args=[participation.pk]))
    assert page.status_code == 200
    assert 'name="order_mode"' not in page.content.decode()
