"""Own-wish withdrawal requests (reference §2.4; §2.1.1 rows 11–13).

A request is filed during training, no later than 3 working days before the end (the end not
counted): by the citizen in the cabinet, or by partner staff allowed to replace citizen documents
on the citizen's behalf (the only document they may create). The application goes to
`withdrawal_review`. The partner approves (→ `approve_withdrawal`: an expulsion order is now due)
or rejects with a comment (→ `reject_withdrawal`: training goes on). An approved request may still
be rejected until an expulsion order is attached (`has_expulsion_order`).
"""
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.fsm import InvalidTransition, run_transition
from core.mail import send_templated_mail
from documents.validators import validate_scan_files
from enrollment.models import Application, ApplicationEvent, WithdrawalRequest
from enrollment.permissions import is_application_partner, may_replace_documents
from enrollment.services.deadlines import withdrawal_last_day

Status = Application.Status
# The application follows the request only from these statuses (the request may outlive them).
REJECT_MOVES_FROM = (Status.WITHDRAWAL_REVIEW, Status.OWN_REQUEST_ORDER_REQUIRED)


def withdrawal_open(application: Application, today=None) -> bool:
    """A withdrawal request may be filed now: in training and not in the last 3 working days."""
    if application.status != Status.STUDYING or application.cohort_id is None:
        return False
    return (today or timezone.localdate()) <= withdrawal_last_day(application.cohort.end_date)


@transaction.atomic
def withdrawal_request_file(*, application: Application, files, actor) -> WithdrawalRequest:
    """File a signed withdrawal request (a scan, checked by content): the citizen themself, or
    partner staff who may replace citizen documents, on the citizen's behalf (logged)."""
    application = (Application.objects.select_for_update(of=("self",)).select_related("citizen", "cohort")
                   .get(pk=application.pk))
    on_behalf = application.citizen.user_id != actor.pk
    if on_behalf and not may_replace_documents(actor, application):
        raise PermissionDenied
    if application.status == Status.STUDYING and not withdrawal_open(application):
        raise ValidationError(
            _("Заявление на отчисление подаётся не позднее чем за 3 рабочих дня до окончания обучения "
              "(последний день — %(date)s).")
            % {"date": withdrawal_last_day(application.cohort.end_date).strftime("%d.%m.%Y")}, code="too_late")
    scan = validate_scan_files(files)
    note = _("Подано сотрудником от имени гражданина") if on_behalf else _("Подано гражданином")
    application = run_transition(application, "request_withdrawal", actor=actor, comment=note)
    request = WithdrawalRequest(application=application, filed_by=actor)
    request.file.save(f"withdrawal-{application.pk}.{scan.extension}", ContentFile(scan.data), save=False)
    request.save()
    _mail(application, "emails/enrollment/withdrawal_received", request=request)
    return request


@transaction.atomic
def withdrawal_decide(*, request: WithdrawalRequest, actor, approve: bool, comment: str = "") -> WithdrawalRequest:
    """The partner approves a request under review, or rejects one under review or already approved
    (a comment is required) until an expulsion order is attached; the application follows."""
    comment = (comment or "").strip()
    application = (Application.objects.select_for_update(of=("self",)).select_related("citizen")
                   .get(pk=request.application_id))
    if not is_application_partner(actor, application):
        raise PermissionDenied
    if not approve and not comment:
        raise ValidationError(_("Укажите причину отклонения: её увидит гражданин."), code="comment_required")
    try:
        if approve:
            request = run_transition(request, "approve", actor=actor)
        else:
            request = run_transition(request, "reject", actor=actor, reason=comment)
    except InvalidTransition:
        raise _refusal(request.pk) from None
    request.decided_by, request.decided_at = actor, timezone.now()
    if approve:
        request.comment = comment
    request.save(update_fields=["decided_by", "decided_at", "comment", "updated_at"])
    if approve and application.status == Status.WITHDRAWAL_REVIEW:
        application = run_transition(application, "approve_withdrawal", actor=actor, comment=comment)
    elif not approve and application.status in REJECT_MOVES_FROM:
        application = run_transition(application, "reject_withdrawal", actor=actor, comment=comment)
    else:
        ApplicationEvent.objects.create(subject=application, actor=actor, source=application.status,
                                        target=application.status, comment=comment,
                                        transition="withdrawal_approve" if approve else "withdrawal_reject")
    _mail(application, "emails/enrollment/withdrawal_approved" if approve else "emails/enrollment/withdrawal_rejected",
          request=request)
    return request


def _refusal(request_id: int) -> InvalidTransition:
    request = WithdrawalRequest.objects.get(pk=request_id)
    if request.has_expulsion_order:
        return InvalidTransition(_("Приказ об отчислении уже добавлен: решение по заявлению изменить нельзя."),
                                 code="order_attached")
    return InvalidTransition(_("Заявление уже в статусе «%(status)s».") % {"status": request.get_status_display()},
                             code="already_decided")


def _mail(application: Application, template: str, **extra) -> None:
    citizen = application.citizen
    send_templated_mail(to=citizen.email, template=template, context={
        "user_name": citizen.first_name, "application": application,
        "cabinet_url": settings.SITE_URL + reverse("cabinet:home"), **extra})
