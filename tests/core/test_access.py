import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from guardian.shortcuts import assign_perm

from core.access import filter_for_user, get_for_user_or_404, require_perm
from tests.testapp.models import Widget

pytestmark = pytest.mark.django_db

VIEW = "testapp.view_widget"


@pytest.fixture
def widget_a(partner_a):
    return Widget.objects.create(organization=partner_a)


@pytest.fixture
def widget_b(partner_b):
    return Widget.objects.create(organization=partner_b)


def test_staff_see_only_their_own_organisations_objects(widget_a, widget_b, staff_a):
    assert list(filter_for_user(Widget.objects.all(), staff_a, VIEW)) == [widget_a]


def test_another_partners_object_is_a_404_not_a_403(widget_b, staff_a):
    with pytest.raises(Http404):
        get_for_user_or_404(Widget.objects.all(), staff_a, VIEW, pk=widget_b.pk)


def test_a_guardian_grant_adds_one_object_and_nothing_else(widget_a, widget_b, employment_reviewer):
    assign_perm(VIEW, employment_reviewer, widget_b)
    assert list(filter_for_user(Widget.objects.all(), employment_reviewer, VIEW)) == [widget_b]
    assert get_for_user_or_404(Widget.objects.all(), employment_reviewer, VIEW, pk=widget_b.pk) == widget_b


def test_anonymous_and_inactive_users_see_nothing(widget_a, staff_a):
    assert not filter_for_user(Widget.objects.all(), AnonymousUser(), VIEW).exists()
    staff_a.is_active = False
    assert not filter_for_user(Widget.objects.all(), staff_a, VIEW).exists()


def test_seeing_an_object_does_not_mean_changing_it(widget_a, staff_a):
    get_for_user_or_404(Widget.objects.all(), staff_a, VIEW, pk=widget_a.pk)
    with pytest.raises(PermissionDenied):
        require_perm(staff_a, "testapp.approve_widget", widget_a)
