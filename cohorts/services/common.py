"""What the reporting services share: the cohort's partner and operator, numbering, e-mails to
the side that must act next, and queuing a document's render."""
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import Membership, Organization
from cohorts.permissions import is_operator, is_partner_of
from core.mail import send_templated_mail
from documents.services import document_enqueue

ZERO = Decimal("0.00")


def require_operator(actor) -> None:
    if not is_operator(actor):
        raise PermissionDenied


def require_partner(actor, partner_id: int) -> None:
    if not is_partner_of(actor, partner_id):
        raise PermissionDenied


def cohort_number(cohort, code: str, sequence: int = 1) -> str:
    """«АЛЬФА-17-А» for the first act of cohort 17, «АЛЬФА-17-А2» for the second."""
    number = f"{cohort.program.partner.number_prefix}-{cohort.pk}-{code}"
    return number if sequence == 1 else f"{number}{sequence}"


def cohort_url(cohort) -> str:
    return settings.SITE_URL + reverse("cohorts:cohort_detail", args=[cohort.pk])


def operator_recipients() -> list[tuple[str, str]]:
    return list(Membership.objects.active().filter(
        role=Membership.Role.OPERATOR_REVIEWER, user__is_active=True,
        organization__kind=Organization.Kind.OPERATOR,
    ).values_list("user__email", "user__first_name").distinct())


def notify(recipients, *, headline: str, message: str, cohort, comment: str = "") -> None:
    """Tell the side that must act next what happened and where (templates/emails/cohorts/step)."""
    for email, first_name in recipients:
        send_templated_mail(to=email, template="emails/cohorts/step", context={
            "user_name": first_name, "headline": headline, "message": message, "comment": comment,
            "cohort": cohort, "url": cohort_url(cohort)})


def enqueue_render(document_id: int) -> None:
    from cohorts.tasks import cohort_document_render_task

    document_enqueue(document_id, cohort_document_render_task)
