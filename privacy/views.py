"""The citizen's privacy pages: withdraw consent (with a confirmation) and download everything
held about them. Citizens only (staff: 403); the citizen is the logged-in user's own."""
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from core.access import require
from documents.selectors import download_filename
from privacy import consent
from privacy.audit import audit, client_ip
from privacy.forms import WithdrawConsentForm
from privacy.models import AuditEvent, SubjectAccessRequest
from privacy.retention import categories, period_of
from privacy.subject_access import subject_archive, subject_of


@require_safe
@login_not_required
def policy(request):
    """The personal-data processing policy (152-FZ art. 18.1 p.2), linked from every page's footer
    and so from every page that collects personal data (PDN-09); its retention table is the live
    schedule the nightly destruction job follows."""
    schedule = [(category.title, period_of(key).days, category.basis) for key, category in categories().items()]
    return render(request, "privacy/policy.html", {"schedule": schedule,
                                                   "withdrawal_days": consent.WITHDRAWAL_DESTROY_AFTER.days})


def _subject(request) -> int:
    require(request.user.access.is_citizen)
    subject_id = subject_of(request.user)
    if subject_id is None:
        raise Http404
    return subject_id


@require_http_methods(["GET", "HEAD", "POST"])
def consent_withdraw(request):
    """GET: what a withdrawal means, with a confirmation box; POST: withdraw."""
    subject_id = _subject(request)
    blocked = consent.is_blocked(subject_id)
    form = WithdrawConsentForm(request.POST or None)
    if request.method == "POST" and not blocked and form.is_valid():
        consent.consent_withdraw(subject_id=subject_id, user=request.user, ip=client_ip(request),
                                 user_agent=request.headers.get("user-agent", ""))
        messages.success(request, _("Согласие отозвано. Образовательная организация больше не видит ваши данные; "
                                    "они будут уничтожены в течение 30 дней, если закон не требует их хранить."))
        return redirect("cabinet:home")
    return render(request, "privacy/consent_withdraw.html", {
        "form": form, "blocked": blocked, "consents": consent.current_consents(),
        "destroy_days": consent.WITHDRAWAL_DESTROY_AFTER.days})


@require_GET
def subject_data_download(request):
    """Everything held about the citizen as a ZIP (PDN-05); answered at once, so the request is
    recorded as answered."""
    subject_id = _subject(request)
    archive, digest = subject_archive(subject_id)
    today = timezone.localdate()
    SubjectAccessRequest.objects.create(subject_id=subject_id, received_on=today, due_on=today,
                                        status=SubjectAccessRequest.Status.ANSWERED,
                                        answered_at=timezone.now(), channel="cabinet")
    audit(action=AuditEvent.Action.DOWNLOAD, request=request, object_type="privacy.subject_data",
          object_id=subject_id, subject_id=subject_id, details={"sha256": digest})
    response = FileResponse(archive, as_attachment=True,
                            filename=download_filename(_("Мои персональные данные"), "zip"),
                            content_type="application/zip")
    response["Cache-Control"] = "private, no-store"
    return response
