"""The partner's document check and the application status it implies (reference §2.1.1 rows 3,
5, 7, 9; §2.3; §6.1).

`document_check` approves or rejects one current document version; approval is final. Then
`application_recompute` derives the application's status from its current documents:

- primary stage (in review): all of passport main page, registration page and education approved,
  and every optional primary document that is present (translation, surname change, photo)
  approved → `approve_primary_docs`, the quota is reserved on the partner's registered training
  contract that includes the program (money = the approved cost-proposal price, one seat) and the
  three enrolment blanks are generated; any of them rejected → `reject_primary_docs`. The labour
  record (an employment document) must be checked, but its rejection alone never blocks nor
  rejects; an employment proof or an additional document never moves the application.
- enrolment stage (in review): the three signed scans approved → `approve_enrolment_docs`, or
  `approve_enrolment_docs_signed` when the intention agreement is already signed on РР; any
  rejected → `reject_enrolment_docs`.

Concurrency: the application row is locked first, then the document row (run_transition), always in
this order; two staff approving the same document at once end with one approval, and the second gets
a clear "already checked" message. A refused quota reservation rolls the whole check back.
"""
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.fsm import InvalidTransition, run_transition
from core.mail import send_templated_mail
from enrollment.models import Application, ApplicationDocument, ApplicationEvent
from enrollment.permissions import is_application_partner
from programs.models import AddOnAgreement, CostProposal, TrainingContract
from programs.services.contracts import contract_reserve

Kind = ApplicationDocument.Kind
DocStatus = ApplicationDocument.Status
Status = Application.Status

# Their rejection alone does not send the citizen back (reference §2.3, §3.2).
NON_BLOCKING_PRIMARY = frozenset({Kind.LABOUR_RECORD})
BLOCKING_OPTIONAL = tuple(k for k in ApplicationDocument.PRIMARY_OPTIONAL if k not in NON_BLOCKING_PRIMARY)
CHECKED = (DocStatus.APPROVED, DocStatus.REJECTED)


# The check ------------------------------------------------------------------------------------

@transaction.atomic
def document_check(*, document: ApplicationDocument, actor, approve: bool, comment: str = "") -> ApplicationDocument:
    """Approve or reject (with a comment the citizen sees) one current document version, then
    recompute the application. Approval is final. Raises PermissionDenied for anyone but the
    partner's staff, InvalidTransition when someone else has already checked it."""
    comment = (comment or "").strip()
    application = Application.objects.select_for_update().get(pk=document.application_id)
    if not is_application_partner(actor, application):
        raise PermissionDenied
    if not approve and not comment:
        raise ValidationError(_("Укажите причину отклонения: её увидит гражданин."), code="comment_required")
    current = ApplicationDocument.objects.filter(pk=document.pk, is_current=True).exists()
    if not current:
        raise InvalidTransition(_("Этот документ заменён новой версией: проверьте текущую."), code="not_current")
    try:
        if approve:
            document = run_transition(document, "approve", actor=actor)
        else:
            document = run_transition(document, "reject", actor=actor, reason=comment)
    except InvalidTransition:
        raise _already_checked(document.pk) from None
    document.checked_by, document.checked_at = actor, timezone.now()
    document.save(update_fields=["checked_by", "checked_at"])
    ApplicationEvent.objects.create(
        subject=application, actor=actor, transition="document_approve" if approve else "document_reject",
        source=application.status, target=application.status,
        comment=_document_note(document, comment))
    before = application.status
    application = application_recompute(application=application, actor=actor)
    if not approve and application.status == before:
        # The status did not move (already sent back, or a non-blocking document): the comment
        # still reaches the citizen.
        _notify_rejected(application, [document])
    return document


def _already_checked(document_id: int) -> InvalidTransition:
    document = ApplicationDocument.objects.select_related("checked_by").get(pk=document_id)
    if document.status in CHECKED:
        who = document.checked_by.get_full_name() if document.checked_by else _("другой сотрудник")
        when = date_format(timezone.localtime(document.checked_at), "d.m.Y H:i") if document.checked_at else ""
        return InvalidTransition(
            _("Документ уже проверен: «%(status)s» (%(who)s, %(when)s). Повторная проверка не нужна.")
            % {"status": document.get_status_display(), "who": who, "when": when}, code="already_checked")
    return InvalidTransition(_("Документ в статусе «%(status)s» проверить нельзя.")
                             % {"status": document.get_status_display()}, code="invalid_transition")


def _document_note(document: ApplicationDocument, comment: str) -> str:
    note = _("%(kind)s, версия %(version)s") % {"kind": document.get_kind_display(), "version": document.version}
    return f"{note}: {comment}" if comment else note


# The application's status ---------------------------------------------------------------------

def current_documents(application: Application) -> dict[str, ApplicationDocument]:
    """{kind: the current version} of an application's documents."""
    return {d.kind: d for d in ApplicationDocument.objects.filter(application=application, is_current=True)}


def primary_outcome(documents: dict[str, ApplicationDocument]) -> str | None:
    """"approve", "reject" or None (wait) for the primary stage."""
    blocking = [documents.get(kind) for kind in ApplicationDocument.PRIMARY]
    blocking += [documents[kind] for kind in BLOCKING_OPTIONAL if kind in documents]
    if any(d is not None and d.status == DocStatus.REJECTED for d in blocking):
        return "reject"
    others = [documents[kind] for kind in NON_BLOCKING_PRIMARY if kind in documents]
    if all(d is not None and d.status == DocStatus.APPROVED for d in blocking) and all(
            d.status in CHECKED for d in others):
        return "approve"
    return None


def enrolment_outcome(documents: dict[str, ApplicationDocument]) -> str | None:
    """"approve", "reject" or None (wait) for the enrolment documents."""
    scans = [documents.get(kind) for kind in ApplicationDocument.ENROLMENT]
    if any(d is not None and d.status == DocStatus.REJECTED for d in scans):
        return "reject"
    if all(d is not None and d.status == DocStatus.APPROVED for d in scans):
        return "approve"
    return None


@transaction.atomic
def application_recompute(*, application: Application, actor) -> Application:
    """Move the application as its current documents say (see the module docstring); a no-op in
    any other status. Returns the fresh application. Raises a Russian ValidationError (and changes
    nothing) when the quota cannot be reserved or the blanks cannot be signed."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status == Status.PRIMARY_DOCS_REVIEW:
        outcome = primary_outcome(current_documents(application))
        if outcome == "approve":
            return _approve_primary(application, actor)
        if outcome == "reject":
            return _reject(application, actor, "reject_primary_docs", ApplicationDocument.PRIMARY + BLOCKING_OPTIONAL)
    elif application.status == Status.ENROLMENT_DOCS_REVIEW:
        outcome = enrolment_outcome(current_documents(application))
        if outcome == "approve":
            return _approve_enrolment(application, actor)
        if outcome == "reject":
            return _reject(application, actor, "reject_enrolment_docs", ApplicationDocument.ENROLMENT)
    return application


def _approve_primary(application: Application, actor) -> Application:
    from enrollment.services.blanks import blanks_generate

    application = run_transition(application, "approve_primary_docs", actor=actor)
    if application.contract_id is None:
        application = quota_reserve(application=application, actor=actor)
    blanks_generate(application=application, actor=actor)
    _mail_citizen(application, "emails/enrollment/primary_approved")
    return application


def _approve_enrolment(application: Application, actor) -> Application:
    name = "approve_enrolment_docs_signed" if application.agreement_signed_at else "approve_enrolment_docs"
    application = run_transition(application, name, actor=actor)
    _mail_citizen(application, "emails/enrollment/enrolment_approved", delivery=application.partner.originals_delivery,
                  agreement_signed=bool(application.agreement_signed_at))
    return application


def _reject(application: Application, actor, name: str, kinds) -> Application:
    rejected = [d for d in ApplicationDocument.objects.filter(application=application, is_current=True, kind__in=kinds,
                                                              status=DocStatus.REJECTED).order_by("kind")]
    application = run_transition(application, name, actor=actor,
                                 comment="; ".join(_document_note(d, d.comment) for d in rejected))
    _notify_rejected(application, rejected)
    return application


# Quota ----------------------------------------------------------------------------------------

def contracts_for(application: Application):
    """The partner's registered contracts of the program's campaign that include the program
    (directly or through an add-on agreement signed by both sides) and have an approved price for it."""
    program = application.program
    return (TrainingContract.objects
            .filter(partner_id=application.partner_id, campaign_id=program.campaign_id,
                    status=TrainingContract.Status.REGISTERED)
            .filter(Q(programs=program) | Q(addons__programs=program,
                                            addons__status=AddOnAgreement.Status.SIGNED_BY_BOTH))
            .filter(cost_proposals__program=program, cost_proposals__status=CostProposal.Status.APPROVED)
            .distinct().order_by("contract_date", "pk"))


def program_price(*, contract: TrainingContract, program) -> Decimal | None:
    proposal = CostProposal.objects.filter(contract=contract, program=program,
                                           status=CostProposal.Status.APPROVED).first()
    return proposal.price if proposal else None


def quota_reserve(*, application: Application, actor) -> Application:
    """Bind the application to a contract and reserve the program's price and one seat (contract
    order: the oldest first; a contract with no quota left is passed over). Raises a Russian
    ValidationError when no contract includes the program or all of them are exhausted."""
    contracts = list(contracts_for(application))
    if not contracts:
        raise ValidationError(
            _("Нет зарегистрированного договора на организацию обучения с согласованной стоимостью программы "
              "«%(program)s»: одобрить документы нельзя, пока квота не доступна.") % {"program": application.program},
            code="no_contract")
    refusal = None
    for contract in contracts:
        price = program_price(contract=contract, program=application.program)
        try:
            with transaction.atomic():
                contract_reserve(contract=contract, money=price, seats=1)
        except ValidationError as error:
            refusal = error
            continue
        application.contract, application.reserved_amount = contract, price
        application.save(update_fields=["contract", "reserved_amount", "updated_at"])
        ApplicationEvent.objects.create(
            subject=application, actor=actor, transition="quota_reserve", source=application.status,
            target=application.status, comment=_("Зарезервировано %(money)s руб. и одно место по договору № %(number)s")
            % {"money": f"{price:.2f}".replace(".", ","), "number": contract.number})
        return application
    raise ValidationError(
        _("Квота договора на организацию обучения исчерпана: одобрить первичные документы нельзя. %(reason)s")
        % {"reason": " ".join(refusal.messages)}, code="quota_exhausted")


# E-mails --------------------------------------------------------------------------------------

def _mail_citizen(application: Application, template: str, **extra) -> None:
    citizen = application.citizen
    send_templated_mail(to=citizen.email, template=template, context={
        "user_name": citizen.first_name, "application": application, "program": application.program,
        "partner": application.partner, "cabinet_url": settings.SITE_URL + reverse("cabinet:home"), **extra})


def _notify_rejected(application: Application, documents) -> None:
    if documents:
        _mail_citizen(application, "emails/enrollment/documents_rejected",
                      documents=[{"kind": d.get_kind_display(), "comment": d.comment} for d in documents])
