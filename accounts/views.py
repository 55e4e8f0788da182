from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render

from core.access import require


@login_not_required
def home(request):
    """The site root sends each person to their own start page."""
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if user.access.is_staff_member or user.is_staff:
        return redirect("accounts:staff_home")
    if user.is_citizen:
        return redirect("cabinet:home")
    return redirect("accounts:login")


def staff_home(request):
    """The staff start page: what each role works on (work queues arrive with later issues)."""
    access = request.user.access
    require(access.is_staff_member or request.user.is_staff)
    memberships = request.user.memberships.active().select_related("organization")
    return render(request, "accounts/staff_home.html", {"access": access, "memberships": memberships})
