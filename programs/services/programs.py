"""The program workflow: the partner fills in the card and sends it; the operator approves it,
choosing the regions to ask, or rejects it; each asked region's employment service approves or
declines; the first regional approval moves the program on towards its contract; the partner
then marks its work on Работа России. Every step writes a ProgramEvent and e-mails the other side.

Roles are checked here (programs.permissions) and refused with PermissionDenied; a step the
program's status does not allow is refused with InvalidTransition (a ValidationError).
"""
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from core.fsm import InvalidTransition, run_transition
from core.mail import send_templated_mail
from programs import selectors
from programs.models import Program, ProgramComment, RegionalApproval
from programs.permissions import (
    PARTNER_MARKS,
    is_program_partner,
    is_region_reviewer,
    may_comment_on_program,
    may_review_programs,
    operator_decision_open,
)
from programs.services.readiness import program_refresh_readiness

# What the partner fills in (the Odin part and the status are never written here).
PARTNER_FIELDS = ("implementation_form", "network_partner_name", "rr_direction", "rr_profession",
                  "education_level", "qualification_level", "with_internship", "resource_intensive",
                  "employer_info", "contact_email", "contact_phone")


def _require(condition: bool) -> None:
    if not condition:
        raise PermissionDenied


def _locked(program: Program) -> Program:
    return Program.objects.select_for_update().get(pk=program.pk)


def _stored(message, **params) -> str:
    """Text kept in history rows: in the interface's default language, whatever the request's."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message) % params if params else str(message)


def _event(program: Program, *, actor, transition: str, comment: str = "") -> None:
    program.events.create(actor=actor, transition=transition, source=program.status, target=program.status,
                          comment=comment)


# The partner's card ---------------------------------------------------------------------------

@transaction.atomic
def program_update(*, program: Program, actor, data: dict) -> Program:
    """Save what the partner filled in (PARTNER_FIELDS and `citizen_categories`); only while the
    card is editable. Writes an "update" event naming the changed fields."""
    _require(is_program_partner(actor, program))
    program = _locked(program)
    if not program.is_editable:
        raise InvalidTransition(_("Карточку программы можно изменять только в статусах «%(statuses)s».")
                                % {"statuses": "», «".join(str(Program.Status(s).label) for s in Program.EDITABLE)},
                                code="not_editable")
    changed = [name for name in PARTNER_FIELDS if name in data and getattr(program, name) != data[name]]
    for name in changed:
        setattr(program, name, data[name])
    if program.implementation_form == Program.ImplementationForm.OWN and program.network_partner_name:
        program.network_partner_name = ""
    program.save()
    if "citizen_categories" in data:
        new = {c.pk for c in data["citizen_categories"]}
        if new != set(program.citizen_categories.values_list("pk", flat=True)):
            program.citizen_categories.set(new)
            changed.append("citizen_categories")
    if changed:
        with translation.override(settings.LANGUAGE_CODE):
            labels = [str(Program._meta.get_field(name).verbose_name) for name in changed]
        _event(program, actor=actor, transition="update",
               comment=_stored(gettext_lazy("Изменены поля: %(fields)s."), fields=", ".join(labels)))
    return program


@transaction.atomic
def program_send_for_approval(*, program: Program, actor, comment: str = "") -> Program:
    """The partner sends the filled-in card to the operator; the card is then read-only."""
    _require(is_program_partner(actor, program))
    program = _locked(program)
    if can_proceed(program.send_for_approval):
        missing = selectors.program_missing_fields(program)
        if missing:
            raise ValidationError(_("Заполните перед отправкой на согласование: %(fields)s.")
                                  % {"fields": ", ".join(missing)}, code="incomplete")
    program = run_transition(program, "send_for_approval", actor=actor, comment=comment)
    _notify(selectors.operator_reviewer_emails(), "sent_for_approval", program,
            {"comment": comment, "actor": actor})
    return program


# The operator's decision ----------------------------------------------------------------------

@transaction.atomic
def program_operator_approve(*, program: Program, actor, regions, comment: str = "") -> Program:
    """The operator approves the program and asks the chosen regions' employment services; the
    program stays in review until the first region approves."""
    _require(may_review_programs(actor))
    program = _locked(program)
    if not operator_decision_open(program):
        raise InvalidTransition(_("Программу нельзя одобрить в статусе «%(status)s».")
                                % {"status": program.get_status_display()}, code="invalid_transition")
    regions = list(regions)
    if not regions:
        raise ValidationError(_("Выберите хотя бы один регион для согласования."), code="no_regions")
    program.operator_approved_at = timezone.now()
    program.operator_approved_by = actor
    program.save(update_fields=["operator_approved_at", "operator_approved_by", "updated_at"])
    for region in regions:
        approval, created = RegionalApproval.objects.get_or_create(program=program, region=region)
        if not created and approval.status == RegionalApproval.Status.DECLINED:
            run_transition(approval, "ask_again", actor=actor)  # asked again after the partner's corrections
    names = ", ".join(str(region) for region in regions)
    _event(program, actor=actor, transition="operator_approve", comment="\n".join(
        filter(None, [_stored(gettext_lazy("Регионы: %(regions)s."), regions=names), comment])))
    _notify(selectors.partner_staff_emails(program.partner_id), "decision", program,
            {"decision": "operator_approved", "regions": regions, "comment": comment})
    codes = {region.pk for region in regions}
    for email, asked in selectors.region_reviewer_emails(codes).items():
        _notify([email], "region_asked", program, {"regions": [r for r in regions if r.pk in asked]})
    return program


@transaction.atomic
def program_reject(*, program: Program, actor, comment: str) -> Program:
    """The operator returns the program to the partner with a comment saying what to correct."""
    _require(may_review_programs(actor))
    if not comment.strip():
        raise ValidationError(_("Укажите, что нужно исправить: комментарий обязателен."), code="comment_required")
    program = run_transition(program, "reject", actor=actor, comment=comment)
    _notify(selectors.partner_staff_emails(program.partner_id), "decision", program,
            {"decision": "operator_rejected", "comment": comment})
    return program


@transaction.atomic
def regional_approval_decide(*, approval: RegionalApproval, actor, approve: bool,
                             comment: str = "") -> RegionalApproval:
    """An employment-service reviewer approves or declines the program for their own region (a
    decline needs a comment). The first approval moves the program to `awaiting_contract`."""
    _require(is_region_reviewer(actor, approval))
    if not approve and not comment.strip():
        raise ValidationError(_("Укажите причину отказа: комментарий обязателен."), code="comment_required")
    program = _locked(approval.program)  # regional decisions on one program run one at a time
    approval = run_transition(approval, "approve" if approve else "decline", actor=actor, comment=comment)
    approval.decided_at, approval.decided_by, approval.comment = timezone.now(), actor, comment
    approval.save(update_fields=["decided_at", "decided_by", "comment"])
    region = approval.region
    _event(program, actor=actor, transition="region_approve" if approve else "region_decline",
           comment="\n".join(filter(None, [str(region), comment])))
    if approve and can_proceed(program.approve_in_region):
        program = run_transition(program, "approve_in_region", actor=actor, comment=_stored(
            gettext_lazy("Согласована в регионе %(region)s."), region=region))
        program = program_refresh_readiness(program=program)
    _notify(selectors.partner_staff_emails(program.partner_id), "decision", program,
            {"decision": "region_approved" if approve else "region_declined", "region": region, "comment": comment})
    return approval


# The partner's work on РР ---------------------------------------------------------------------

@transaction.atomic
def program_mark(*, program: Program, actor, action: str, comment: str = "") -> Program:
    """The partner records a step of its work on РР: sent for moderation, published, unpublished,
    closed. Unpublishing applies the Odin changes held while the program was on РР."""
    if action not in PARTNER_MARKS:
        raise ValidationError(_("Неизвестное действие."), code="unknown_action")
    _require(is_program_partner(actor, program))
    program = run_transition(program, action, actor=actor, comment=comment)
    if action == "mark_unpublished":
        from programs.services.odin import odin_apply_pending

        odin_apply_pending(program=program, actor=actor)
        program.refresh_from_db()
    return program


# The thread -----------------------------------------------------------------------------------

@transaction.atomic
def program_comment_add(*, program: Program, actor, text: str) -> ProgramComment:
    """A message in the program's thread; the other side is told by e-mail (partner → operator
    and the asked regions' reviewers; operator or a region → the partner's staff)."""
    _require(may_comment_on_program(actor, program))
    text = text.strip()
    if not text:
        raise ValidationError(_("Напишите текст комментария."), code="empty")
    comment = ProgramComment.objects.create(program=program, author=actor, text=text)
    if is_program_partner(actor, program):
        asked = program.regional_approvals.values_list("region_id", flat=True)
        recipients = [*selectors.operator_reviewer_emails(), *selectors.region_reviewer_emails(set(asked))]
    else:
        recipients = selectors.partner_staff_emails(program.partner_id)
        if not may_review_programs(actor):
            recipients += selectors.operator_reviewer_emails()
    recipients = [email for email in dict.fromkeys(recipients) if email != actor.email]
    _notify(recipients, "comment", program, {"comment_obj": comment, "actor": actor})
    return comment


# E-mail ---------------------------------------------------------------------------------------

def _notify(recipients, template: str, program: Program, context: dict) -> None:
    url = settings.SITE_URL + reverse("programs:detail", args=[program.pk])
    for email in recipients:
        send_templated_mail(to=email, template=f"emails/programs/{template}",
                            context={"program": program, "program_url": url, **context})
