import pytest
from django.core.exceptions import PermissionDenied
from guardian.shortcuts import assign_perm

from core.fsm import InvalidTransition, available_transitions, run_transition
from tests.testapp.models import Widget

pytestmark = pytest.mark.django_db


@pytest.fixture
def widget(partner_a):
    return Widget.objects.create(organization=partner_a)


def test_it_runs_a_transition_saves_and_writes_an_event(widget, staff_a):
    widget = run_transition(widget, "submit", actor=staff_a, comment="готово")
    widget.refresh_from_db()
    assert widget.status == Widget.Status.SUBMITTED
    event = widget.events.get()
    assert (event.actor, event.source, event.target, event.comment) == (staff_a, "draft", "submitted", "готово")


def test_it_refuses_an_illegal_step_with_a_russian_message_and_changes_nothing(widget, staff_a):
    with pytest.raises(InvalidTransition) as excinfo:
        run_transition(widget, "approve", actor=staff_a)
    assert "недоступно" in excinfo.value.messages[0]
    widget.refresh_from_db()
    assert widget.status == Widget.Status.DRAFT
    assert not widget.events.exists()


def test_it_checks_the_transition_permission_the_model_method_does_not(widget, staff_a, staff_b):
    widget = run_transition(widget, "submit", actor=staff_a)
    with pytest.raises(PermissionDenied):
        run_transition(widget, "approve", actor=staff_b)
    assign_perm("testapp.approve_widget", staff_b, widget)
    assert run_transition(widget, "approve", actor=staff_b).status == Widget.Status.APPROVED


def test_a_second_request_working_from_a_stale_copy_is_refused(widget, staff_a):
    stale = Widget.objects.get(pk=widget.pk)
    run_transition(widget, "submit", actor=staff_a)
    with pytest.raises(InvalidTransition):
        run_transition(stale, "submit", actor=staff_a)
    assert Widget.objects.get(pk=widget.pk).events.count() == 1


def test_available_transitions_lists_only_what_the_user_may_do_now(widget, staff_a):
    assert available_transitions(widget, staff_a) == ["submit"]
