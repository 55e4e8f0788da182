"""«May replace citizen documents»: only the operator grants or revokes it, only to partner staff,
and every change is logged (who, when, granted or revoked)."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.groups import operator_group
from accounts.models import Membership, User, UserEvent
from accounts.services import membership_set_replace_documents

pytestmark = pytest.mark.django_db


@pytest.fixture
def membership_a(staff_a):
    return staff_a.memberships.get()


def test_the_operator_grants_it_and_the_grant_is_logged(operator_reviewer, membership_a):
    membership_set_replace_documents(actor=operator_reviewer, membership=membership_a, allowed=True,
                                     comment="письмо № 12 от 01.02.2026")
    membership_a.refresh_from_db()
    assert membership_a.can_replace_citizen_documents
    event = UserEvent.objects.get(subject=membership_a.user)
    assert (event.actor, event.transition) == (operator_reviewer, "replace_documents_grant")
    assert "письмо № 12" in event.comment
    assert event.created_at is not None
    assert membership_a.user.access.replace_documents_partner_ids == {membership_a.organization_id}


def test_the_operator_revokes_it_and_the_revocation_is_logged(operator_reviewer, membership_a):
    membership_set_replace_documents(actor=operator_reviewer, membership=membership_a, allowed=True)
    membership_set_replace_documents(actor=operator_reviewer, membership=membership_a, allowed=False)
    membership_a.refresh_from_db()
    assert not membership_a.can_replace_citizen_documents
    assert list(UserEvent.objects.filter(subject=membership_a.user).order_by("pk")
                .values_list("transition", flat=True)) == ["replace_documents_grant", "replace_documents_revoke"]


def test_setting_the_same_value_again_logs_nothing(operator_reviewer, membership_a):
    membership_set_replace_documents(actor=operator_reviewer, membership=membership_a, allowed=False)
    assert not UserEvent.objects.exists()


@pytest.mark.parametrize("persona", ["staff_a", "staff_b", "employment_reviewer"])
def test_nobody_else_may_grant_it(personas, membership_a, persona):
    with pytest.raises(PermissionDenied):
        membership_set_replace_documents(actor=personas[persona], membership=membership_a, allowed=True)


def test_it_is_only_for_partner_staff(operator_reviewer, employment_reviewer):
    with pytest.raises(ValidationError):
        membership_set_replace_documents(actor=operator_reviewer, allowed=True,
                                         membership=employment_reviewer.memberships.get())


# The cabinet toggle ---------------------------------------------------------------------------

@pytest.mark.parametrize(("persona", "status"), [
    ("citizen", 404), ("staff_b", 404), ("employment_reviewer", 404), ("staff_a", 403),
    ("operator_reviewer", 302)])
def test_the_toggle_is_for_the_operator(client, personas, membership_a, persona, status):
    client.force_login(personas[persona])
    response = client.post(reverse("accounts:membership_replace_documents", args=[membership_a.pk]),
                           {"allowed": "1", "comment": "письмо"})
    assert response.status_code == status
    membership_a.refresh_from_db()
    assert membership_a.can_replace_citizen_documents == (persona == "operator_reviewer")


def test_the_toggle_is_post_only(client, operator_reviewer, membership_a):
    client.force_login(operator_reviewer)
    assert client.get(reverse("accounts:membership_replace_documents", args=[membership_a.pk])).status_code == 405


def test_the_toggle_returns_to_the_list_it_came_from(client, operator_reviewer, membership_a):
    client.force_login(operator_reviewer)
    back = reverse("accounts:staff_list") + "?q=staff"
    response = client.post(reverse("accounts:membership_replace_documents", args=[membership_a.pk]),
                           {"allowed": "1", "next": back})
    assert response["Location"] == back


# Admin actions --------------------------------------------------------------------------------

@pytest.fixture
def admin_operator(operator_reviewer):
    operator_reviewer.groups.add(operator_group())
    return User.objects.get(pk=operator_reviewer.pk)


def test_the_admin_action_asks_for_the_basis_then_grants(client, admin_operator, membership_a):
    client.force_login(admin_operator)
    url = reverse("admin:accounts_membership_changelist")
    page = client.post(url, {"action": "allow_replace_documents", "_selected_action": [membership_a.pk]})
    assert page.status_code == 200
    assert "Основание" in page.content.decode()
    membership_a.refresh_from_db()
    assert not membership_a.can_replace_citizen_documents
    response = client.post(url, {"action": "allow_replace_documents", "_selected_action": [membership_a.pk],
                                 "apply": "1", "comment": "письмо № 7"})
    assert response.status_code == 302
    membership_a.refresh_from_db()
    assert membership_a.can_replace_citizen_documents
    assert UserEvent.objects.get(subject=membership_a.user).comment.endswith("письмо № 7")


def test_the_admin_action_revokes(client, admin_operator, membership_a):
    Membership.objects.filter(pk=membership_a.pk).update(can_replace_citizen_documents=True)
    client.force_login(admin_operator)
    client.post(reverse("admin:accounts_membership_changelist"), {
        "action": "deny_replace_documents", "_selected_action": [membership_a.pk], "apply": "1"})
    membership_a.refresh_from_db()
    assert not membership_a.can_replace_citizen_documents
    assert UserEvent.objects.get(subject=membership_a.user).transition == "replace_documents_revoke"


def test_the_flag_is_read_only_on_the_membership_form(client, admin_operator, membership_a):
    client.force_login(admin_operator)
    page = client.get(reverse("admin:accounts_membership_change", args=[membership_a.pk]))
    assert page.status_code == 200
    assert 'name="can_replace_citizen_documents"' not in page.content.decode()
