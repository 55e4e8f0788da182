"""Orders by hand and the assignment of any order to applications (reference §4.1–§4.2, §4.4).

Manual mode: partner staff create an order for a cohort (number, date, type, basis, expulsion date,
one scan that may come later) and assign it to the cohort's applications in the matching status,
one by one or in bulk. The rules are checked here, before anything is written, and a batch with
one bad application is refused whole with a Russian message naming it:

- an enrolment order is dated no later than the cohort start and assigned no later than the start day;
- the basis matches the learning platform's result (never "completion" for a failed citizen, never
  "failure" for a successful one) — one basis per order, so bases are never mixed;
- an order goes only to an application in the status it needs (`REQUIRED_STATUSES`);
- in automatic mode Flow generates the enrolment and expulsion orders: staff may add only
  extension orders by hand.

Number, dates and scan may change until the order is entered on РР for any application; after
that only the scan may be replaced (the caller confirms it matches what is registered), and every
scan version is kept. The first assignment of a partner's order fixes its order mode for the campaign.
"""
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import CampaignParticipation
from accounts.services import participation_order_mode_fix
from core.fsm import TransitionBatch
from core.mail import send_templated_mail_bulk
from documents.validators import validate_scan_files
from enrollment.models import Application, ApplicationEvent, WithdrawalRequest
from enrollment.services import training
from orders.models import Order, OrderAssignment, OrderEvent, OrderScan
from orders.permissions import is_order_partner
from programs.models import Cohort

Status = Application.Status
Type, Basis = Order.Type, Order.Basis
Mode = CampaignParticipation.OrderMode

# The application statuses each kind of order may be assigned in (reference §4.4).
REQUIRED_STATUSES = {
    (Type.ENROLMENT, ""): (Status.ENROLMENT_ORDER_REQUIRED,),
    (Type.EXPULSION, Basis.OWN_REQUEST): (Status.OWN_REQUEST_ORDER_REQUIRED,),
    (Type.EXPULSION, Basis.FAILURE): (Status.FAILURE_ORDER_REQUIRED,),
    (Type.EXPULSION, Basis.QUALIFICATION): (Status.COMPLETION_ORDER_REQUIRED,),
    # Informational: it changes nothing, so it may go to anyone still in training.
    (Type.EXTENSION, ""): (Status.STUDYING, Status.WITHDRAWAL_REVIEW, Status.OWN_REQUEST_ORDER_REQUIRED,
                           Status.FAILURE_ORDER_REQUIRED, Status.COMPLETION_ORDER_REQUIRED),
}
# The learning platform's result a basis contradicts.
CONTRADICTING_RESULT = {Basis.FAILURE: Application.Result.SUCCESSFUL,
                        Basis.QUALIFICATION: Application.Result.UNSUCCESSFUL}
REASONS = {Basis.OWN_REQUEST: Application.ExpulsionReason.OWN_REQUEST,
           Basis.FAILURE: Application.ExpulsionReason.FAILURE}


def required_statuses(order: Order) -> tuple[str, ...]:
    return REQUIRED_STATUSES[(order.type, order.basis)]


def participation_for(cohort: Cohort) -> CampaignParticipation:
    """The partner's participation in the cohort's campaign (created on first need)."""
    program = cohort.program
    participation, _created = CampaignParticipation.objects.get_or_create(campaign_id=program.campaign_id,
                                                                          partner_id=program.partner_id)
    return participation


def order_mode(cohort: Cohort) -> str:
    """The partner's order mode in the cohort's campaign (manual until the operator chooses); a read."""
    program = cohort.program
    mode = (CampaignParticipation.objects.filter(campaign_id=program.campaign_id, partner_id=program.partner_id)
            .values_list("order_mode", flat=True).first())
    return mode or Mode.MANUAL


def manual_orders_allowed(cohort: Cohort, order_type: str) -> bool:
    """In automatic mode only extension orders are added by hand."""
    return order_type not in Order.SENT_TO_PORTAL or order_mode(cohort) == Mode.MANUAL


def assignment_closed_reason(order: Order, today) -> str:
    """Why the order can go to nobody any more (empty: it still can), e.g. an enrolment order after
    the start day, or a manual order of a partner now in automatic mode."""
    return _closed(order, today)[0]


def _closed(order: Order, today) -> tuple[str, str]:
    """(message, code) of assignment_closed_reason."""
    if order.type == Type.ENROLMENT and today > order.cohort.start_date:
        return _("Приказ о зачислении добавляется не позднее дня начала обучения (%(date)s).") % {
            "date": f"{order.cohort.start_date:%d.%m.%Y}"}, "after_start"
    if not order.is_automatic and not manual_orders_allowed(order.cohort, order.type):
        return _("Организация работает в режиме автоматических приказов: этот приказ назначить нельзя."), \
            "automatic_mode"
    return "", ""


# Creating and editing -------------------------------------------------------------------------

@dataclass(frozen=True)
class Requisites:
    """What staff type for an order (the form's cleaned data)."""

    type: str
    number: str
    order_date: object
    basis: str = ""
    expelled_on: object = None


@transaction.atomic
def order_create(*, actor, cohort: Cohort, requisites: Requisites, scan_files=None) -> Order:
    cohort = Cohort.objects.select_related("program__partner").get(pk=cohort.pk)
    partner = cohort.program.partner
    if not (actor.is_superuser or partner.pk in actor.access.partner_ids):
        raise PermissionDenied
    if not manual_orders_allowed(cohort, requisites.type):
        raise ValidationError(
            _("Организация работает в режиме автоматических приказов: приказы о зачислении и отчислении "
              "Flow формирует сам. Вручную можно добавить только приказ о продлении обучения."),
            code="automatic_mode")
    requisites = _clean(requisites, cohort=cohort, partner=partner)
    scan = validate_scan_files(scan_files) if scan_files else None
    order = Order(partner=partner, cohort=cohort, type=requisites.type, basis=requisites.basis,
                  number=requisites.number, order_date=requisites.order_date, expelled_on=requisites.expelled_on,
                  created_by=actor)
    _save_unique(order)
    OrderEvent.objects.create(subject=order, actor=actor, transition="create", comment=order.kind_display)
    if scan is not None:
        _store_scan(order, scan, actor)
    return order


@transaction.atomic
def order_update(*, actor, order: Order, requisites: Requisites) -> Order:
    """Change the number and dates (type and basis are fixed at creation) until the order is
    entered on РР. An automatic order's PDF is generated again with the new requisites."""
    order = Order.objects.select_for_update().select_related("cohort__program").get(pk=order.pk)
    if not is_order_partner(actor, order):
        raise PermissionDenied
    requisites = _clean(Requisites(type=order.type, basis=order.basis, number=requisites.number,
                                   order_date=requisites.order_date, expelled_on=requisites.expelled_on),
                        cohort=order.cohort, partner=order.partner, instance=order)
    changes = [(label, old, new) for label, old, new in (
        (_("номер"), order.number, requisites.number),
        (_("дата"), order.order_date, requisites.order_date),
        (_("дата отчисления"), order.expelled_on, requisites.expelled_on),
    ) if old != new]
    if not changes:
        return order
    if order.is_frozen:
        raise ValidationError(
            _("Приказ уже внесён на портал «Работа России»: номер и даты изменить нельзя, можно только "
              "заменить скан."), code="entered_on_portal")
    expelled_on_changed = order.expelled_on != requisites.expelled_on
    order.number, order.order_date, order.expelled_on = requisites.number, requisites.order_date, \
        requisites.expelled_on
    _save_unique(order)
    if expelled_on_changed:
        training.applications_expelled_on_correct(
            application_ids=order.assignments.values_list("application_id", flat=True), on=order.expelled_on,
            actor=actor, note=_("Дата отчисления исправлена в приказе № %(number)s") % {"number": order.number})
    OrderEvent.objects.create(subject=order, actor=actor, transition="edit", comment="; ".join(
        f"{label}: {_display(old)} → {_display(new)}" for label, old, new in changes))
    if order.is_automatic:
        from orders.services.automatic import order_document_generate

        order_document_generate(order=order, actor=actor)
    return order


@transaction.atomic
def order_scan_replace(*, actor, order: Order, files, confirmed: bool = False) -> OrderScan:
    """Attach the scan, or replace it with a new version (the old one is kept). Once the order is
    entered on РР the caller must confirm that the new file matches the registered data."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if not is_order_partner(actor, order):
        raise PermissionDenied
    if order.is_frozen and not confirmed:
        raise ValidationError(
            _("Приказ уже внесён на портал «Работа России». Новый скан должен совпадать с внесёнными данными: "
              "номером, датой, типом, основанием, программой и потоком. Подтвердите это, чтобы заменить скан."),
            code="confirm_required")
    return _store_scan(order, validate_scan_files(files), actor)


def _store_scan(order: Order, scan, actor) -> OrderScan:
    previous = order.scans.filter(is_current=True).first()
    if previous is not None:
        previous.is_current = False
        previous.save(update_fields=["is_current"])
    version = previous.version + 1 if previous is not None else 1
    stored = OrderScan(order=order, version=version, content_type=scan.content_type, size=scan.size,
                       sha256=scan.sha256, uploaded_by=actor)
    stored.file.save(f"order-{order.pk}-v{version}.{scan.extension}", ContentFile(scan.data), save=False)
    stored.save()
    OrderEvent.objects.create(subject=order, actor=actor, transition="scan_replace" if previous else "scan_add",
                              comment=_("Версия %(version)d") % {"version": version})
    return stored


def _clean(requisites: Requisites, *, cohort: Cohort, partner, instance: Order | None = None) -> Requisites:
    """The requisites, stripped and checked; a ValidationError keyed by field otherwise."""
    errors = {}
    number = (requisites.number or "").strip()
    basis = requisites.basis if requisites.type == Type.EXPULSION else ""
    expelled_on = requisites.expelled_on if requisites.type == Type.EXPULSION else None
    if not number:
        errors["number"] = _("Укажите номер приказа.")
    elif Order.objects.filter(partner=partner, number=number).exclude(pk=getattr(instance, "pk", None)).exists():
        errors["number"] = _("Приказ № %(number)s у организации уже есть.") % {"number": number}
    if requisites.order_date is None:
        errors["order_date"] = _("Укажите дату приказа.")
    elif requisites.type == Type.ENROLMENT and requisites.order_date > cohort.start_date:
        errors["order_date"] = _("Дата приказа о зачислении не может быть позже начала обучения (%(date)s).") % {
            "date": f"{cohort.start_date:%d.%m.%Y}"}
    if requisites.type == Type.EXPULSION:
        if requisites.order_date is not None and requisites.order_date < cohort.start_date:
            errors["order_date"] = _("Приказ об отчислении не может быть датирован раньше начала обучения "
                                     "(%(date)s).") % {"date": f"{cohort.start_date:%d.%m.%Y}"}
        if basis not in Basis.values:
            errors["basis"] = _("Укажите основание отчисления.")
        if expelled_on is None:
            errors["expelled_on"] = _("Укажите дату отчисления.")
        elif expelled_on < cohort.start_date:
            errors["expelled_on"] = _("Дата отчисления не может быть раньше начала обучения (%(date)s).") % {
                "date": f"{cohort.start_date:%d.%m.%Y}"}
    if errors:
        raise ValidationError(errors)
    return Requisites(type=requisites.type, number=number, order_date=requisites.order_date, basis=basis,
                      expelled_on=expelled_on)


def _save_unique(order: Order) -> None:
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError:
        # Two staff saved the same number at once: the second is told, as by _clean.
        raise ValidationError({"number": _("Приказ № %(number)s у организации уже есть.")
                               % {"number": order.number}}) from None


def _display(value) -> str:
    if value is None:
        return "—"
    return value.strftime("%d.%m.%Y") if hasattr(value, "strftime") else str(value)


# Assigning ------------------------------------------------------------------------------------

@transaction.atomic
def order_assign(*, actor, order: Order, application_ids, today=None) -> int:
    """Assign the order to these applications of its cohort (all or none) and apply its effect
    to each; returns how many were assigned."""
    order = Order.objects.select_for_update().select_related("cohort__program", "partner").get(pk=order.pk)
    if not is_order_partner(actor, order):
        raise PermissionDenied
    closed, code = _closed(order, today or timezone.localdate())
    if closed:
        raise ValidationError(closed, code=code)
    ids = sorted({int(pk) for pk in application_ids})
    if not ids:
        raise ValidationError(_("Отметьте хотя бы одну заявку."), code="empty")
    applications = list(Application.objects.select_for_update(of=("self",))
                        .select_related("citizen", "program", "cohort")  # the e-mails name them
                        .filter(pk__in=ids, partner_id=order.partner_id).order_by("pk"))
    if len(applications) != len(ids):
        raise PermissionDenied
    refusals = assignment_refusals(order, applications, today=today or timezone.localdate())
    if refusals:
        raise ValidationError(refusals, code="refused")
    apply_order(order, applications, actor=actor)
    OrderEvent.objects.create(subject=order, actor=actor, transition="assign",
                              comment=_("Назначен заявкам: %(count)d") % {"count": len(applications)})
    if order.is_automatic:
        # The generated PDF lists every citizen of the order: render it again with the new ones.
        from orders.services.automatic import order_document_generate

        order_document_generate(order=order, actor=actor)
    return len(applications)


def assignment_refusals(order: Order, applications, *, today) -> list[str]:
    """Why each application may not get the order (empty: all may), in Russian."""
    if order.type == Type.ENROLMENT and today > order.cohort.start_date:
        return [assignment_closed_reason(order, today)]
    needed = required_statuses(order)
    refusals = []
    for application in applications:
        label = _("Заявка %(number)s (%(name)s)") % {"number": application.rr_number,
                                                      "name": application.citizen.full_name}
        if application.cohort_id != order.cohort_id:
            refusals.append(_("%(application)s — из другого потока.") % {"application": label})
        elif application.result and CONTRADICTING_RESULT.get(order.basis) == application.result:
            refusals.append(_("%(application)s — по данным Odin результат обучения «%(result)s», основание "
                              "«%(basis)s» недопустимо.") % {"application": label,
                                                             "result": application.get_result_display(),
                                                             "basis": order.get_basis_display()})
        elif application.status not in needed:
            refusals.append(_("%(application)s — в статусе «%(status)s»; приказ «%(kind)s» назначается в статусе "
                              "«%(needed)s».") % {"application": label, "status": application.get_status_display(),
                                                   "kind": order.kind_display,
                                                   "needed": Status(needed[0]).label if len(needed) == 1
                                                   else _("обучения")})
    return refusals


def apply_order(order: Order, applications, *, actor) -> None:
    """Link the order to each locked application and move it on (the caller checked the rules)."""
    apply_orders([(order, applications)], actor=actor)


def apply_orders(batch, *, actor, fix_mode: bool = True) -> None:
    """`apply_order` for several orders at once, each with its locked applications (a night's
    chunk of cohorts, or one order of staff): one statement per step for the whole batch, whatever
    its size — the assignments, the applications' new status (each still through its FSM
    transition, see `core.fsm.TransitionBatch`), their history rows, the withdrawal requests, the citizens'
    e-mails. `fix_mode=False`: the caller fixes the partners' order mode itself (a night does it
    once per partner, not once per order)."""
    batch = [(order, list(applications)) for order, applications in batch]
    OrderAssignment.objects.bulk_create([
        OrderAssignment(order=order, application=application, partner_id=order.partner_id, order_type=order.type,
                        assigned_by=actor) for order, applications in batch for application in applications])
    transitions, mails, own_requests, events = TransitionBatch(Application, actor), defaultdict(list), [], []
    # What enrollment.services.training does to one application, for the whole batch.
    for order, applications in batch:
        note = _("Приказ «%(kind)s» № %(number)s от %(date)s") % {
            "kind": order.kind_display, "number": order.number, "date": f"{order.order_date:%d.%m.%Y}"}
        if order.type == Type.ENROLMENT:
            transitions.run(applications, "enrol", comment=note)
            mails["emails/enrollment/enrolled"] += applications
        elif order.basis == Basis.QUALIFICATION:
            transitions.run(applications, "complete", comment=note, on=order.expelled_on)
            mails["emails/enrollment/completed"] += applications
        elif order.type == Type.EXPULSION:
            transitions.run(applications, "expel", comment=note, reason=REASONS[order.basis], on=order.expelled_on)
            if order.basis == Basis.OWN_REQUEST:
                own_requests += [application.pk for application in applications]
            mails["emails/enrollment/expelled"] += applications
        else:
            events += [ApplicationEvent(subject=application, actor=actor, transition="order_extension",
                                        source=application.status, target=application.status, comment=note)
                       for application in applications]
    transitions.save(events)
    if own_requests:
        # The approved request can no longer be rejected (training.application_expel).
        WithdrawalRequest.objects.filter(application__in=own_requests, status=WithdrawalRequest.Status.APPROVED,
                                         has_expulsion_order=False).update(has_expulsion_order=True)
    for template, applications in mails.items():
        _mail_all(applications, template)
    if fix_mode:
        cohorts = {order.cohort_id: order.cohort for order, _applications in batch if order.is_sent_to_portal}
        for participation in {participation_for(cohort) for cohort in cohorts.values()}:
            participation_order_mode_fix(participation=participation)


def _mail_all(applications, template: str) -> None:
    """The citizens' e-mails of the batch (the context of enrollment.services.training._mail), one INSERT."""
    send_templated_mail_bulk(template=template, messages=[
        (application.citizen.email, {
            "user_name": application.citizen.first_name, "application": application,
            "cabinet_url": settings.SITE_URL + reverse("cabinet:application", args=[application.pk])})
        for application in applications])
