"""What orders do to applications (reference §4.4; §2.1.1 rows 10, 16 and 17), called by the
orders app, which decides which order may go to which application. Each function moves one
locked application through its transition (a history row naming the order) and tells the citizen
by e-mail; the order itself is in "Мои документы".

- enrolment order → `studying`;
- own-request or failure expulsion order → `expelled`, with the reason the cabinet shows (an
  approved withdrawal request then can no longer be rejected);
- completion expulsion order → `qualification_doc_required`.
"""
from django.conf import settings
from django.urls import reverse

from core.fsm import run_transition
from core.mail import send_templated_mail
from enrollment.models import Application, ApplicationEvent, WithdrawalRequest


def application_enrol(*, application: Application, actor, note: str) -> Application:
    application = run_transition(application, "enrol", actor=actor, comment=note)
    _mail(application, "emails/enrollment/enrolled")
    return application


def application_expel(*, application: Application, actor, reason: str, on, note: str) -> Application:
    """`reason` is an Application.ExpulsionReason; `on` the expulsion date of the order."""
    application = run_transition(application, "expel", actor=actor, comment=note, reason=reason, on=on)
    if reason == Application.ExpulsionReason.OWN_REQUEST:
        WithdrawalRequest.objects.filter(application=application, status=WithdrawalRequest.Status.APPROVED,
                                         has_expulsion_order=False).update(has_expulsion_order=True)
    _mail(application, "emails/enrollment/expelled")
    return application


def application_complete(*, application: Application, actor, on, note: str) -> Application:
    """Expelled on successful completion: the qualification document is due next."""
    application = run_transition(application, "complete", actor=actor, comment=note, on=on)
    _mail(application, "emails/enrollment/completed")
    return application


def applications_expelled_on_correct(*, application_ids, on, actor, note: str) -> int:
    """The expulsion order's date was corrected: so is the date on the applications it expelled
    or completed (a history row each). Returns how many changed."""
    applications = list(Application.objects.select_for_update().filter(pk__in=list(application_ids))
                        .exclude(expelled_on=on).exclude(expelled_on=None))
    Application.objects.filter(pk__in=[a.pk for a in applications]).update(expelled_on=on)
    ApplicationEvent.objects.bulk_create([
        ApplicationEvent(subject=a, actor=actor, transition="expelled_on_correct", source=a.status, target=a.status,
                         comment=f"{note}: {a.expelled_on:%d.%m.%Y} → {on:%d.%m.%Y}") for a in applications])
    return len(applications)


def _mail(application: Application, template: str) -> None:
    citizen = application.citizen
    send_templated_mail(to=citizen.email, template=template, context={
        "user_name": citizen.first_name, "application": application,
        "cabinet_url": settings.SITE_URL + reverse("cabinet:application", args=[application.pk])})
