"""What the cohort views share: fetching through core.access (may not see: 404; citizens and
employment-service reviewers: 403 before any lookup), running one service with its refusals as
messages, and the no-JS confirmation page."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from cohorts.models import Act, Assignment, EmploymentReport
from cohorts.permissions import may_view_cohorts
from core.access import get_for_user_or_404, require
from programs.models import Cohort


def cohort_url(cohort_id: int, anchor: str = "") -> str:
    url = reverse("cohorts:cohort_detail", args=[cohort_id])
    return f"{url}#{anchor}" if anchor else url


def get_cohort(request, pk) -> Cohort:
    require(may_view_cohorts(request.user))
    return get_for_user_or_404(Cohort.objects.select_related("program__partner"), request.user, pk=pk)


def get_assignment(request, pk) -> Assignment:
    """The partner sees an assignment only once the operator has signed it (visible_to)."""
    require(may_view_cohorts(request.user))
    return get_for_user_or_404(Assignment.objects.select_related("document", "cohort"), request.user, pk=pk)


def get_act(request, pk) -> Act:
    require(may_view_cohorts(request.user))
    return get_for_user_or_404(Act.objects.select_related("document", "archive", "cohort"), request.user, pk=pk)


def get_report(request, pk) -> EmploymentReport:
    require(may_view_cohorts(request.user))
    return get_for_user_or_404(EmploymentReport.objects.select_related("document", "act"), request.user, pk=pk)


def run(request, call, success: str, url: str):
    """Run one service call; each refusal becomes an error message and nothing changes."""
    try:
        call()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
    return redirect(url)


def form_refused(request, form, url: str):
    """An invalid form: its errors as messages, back to the page."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)
    return redirect(url)


def unconfirmed(request, *, title: str, message: str, label: str, cancel_url: str, fields=None, danger=False):
    """Without JS the confirm dialog never ran: answer with the confirmation page (None once confirmed)."""
    if request.POST.get("confirmed") == "1":
        return None
    return render(request, "partials/confirm_page.html", {
        "title": title, "message": message, "action": request.path, "label": label, "cancel_url": cancel_url,
        "fields": fields or {}, "danger": danger})
