"""Who may do what with a program: each rule once, as a callable of `user.access`.

Services check these rules and raise PermissionDenied; views compute the page's buttons from the
same functions together with `can_proceed`, so a rule is never re-stated anywhere else.
Seeing a program at all is `Program.objects.visible_to` (through core.access): 404 otherwise.
"""
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

# The partner's marks as it works on Работа России: URL value → (transition, needs confirmation).
PARTNER_MARKS = {
    "mark_sent_to_portal": False,
    "mark_published": False,
    "mark_unpublished": True,
    "close": True,
}
MARK_LABELS = {
    "mark_sent_to_portal": _("Отправлена на портал «Работа России»"),
    "mark_published": _("Опубликована на портале"),
    "mark_unpublished": _("Снята с публикации"),
    "close": _("Закрыть программу"),
}
MARK_QUESTIONS = {
    "mark_unpublished": _("Отметить, что программа снята с публикации на портале? Изменения из Odin, "
                          "ожидающие применения, будут применены."),
    "close": _("Закрыть программу? Дальнейшая работа по ней не планируется; это действие нельзя отменить."),
}


def may_view_programs(user) -> bool:
    """The program list: any organisation role or ops; which programs is `visible_to`'s job."""
    return user.is_superuser or user.access.is_staff_member


def is_program_partner(user, program) -> bool:
    """Staff of the program's partner: fill in the card, send it, mark its work on РР."""
    return program.partner_id in user.access.partner_ids


def may_review_programs(user) -> bool:
    """Operator reviewers approve (choosing the regions) or reject programs."""
    return user.access.is_operator


def is_region_reviewer(user, approval) -> bool:
    """An employment-service reviewer decides only for the regions of their own service."""
    return approval.region_id in user.access.region_codes


def may_comment_on_program(user, program, asked_region_codes=None) -> bool:
    """The thread: the partner, the operator and reviewers of the regions asked."""
    if is_program_partner(user, program) or may_review_programs(user):
        return True
    if asked_region_codes is None:
        asked_region_codes = set(program.regional_approvals.values_list("region_id", flat=True))
    return bool(user.access.region_codes & set(asked_region_codes))


def operator_decision_open(program) -> bool:
    """The operator approves or rejects exactly while `reject` may run: in review and not yet
    approved (after the approval only the regions decide)."""
    return can_proceed(program.reject)


@dataclass
class ProgramActions:
    """What `user` may do on a program now (the page's buttons)."""

    can_edit: bool = False
    can_send: bool = False
    can_decide: bool = False  # operator: approve or reject
    can_comment: bool = False
    marks: list = field(default_factory=list)  # [{"action", "label", "confirm", "question"}]
    decidable_approval_ids: set = field(default_factory=set)

    @property
    def any(self) -> bool:
        return bool(self.can_edit or self.can_send or self.can_decide or self.marks or self.decidable_approval_ids)


def program_actions_for(user, program, approvals) -> ProgramActions:
    """The actions for the program page, from the same rules the services check."""
    partner = is_program_partner(user, program)
    actions = ProgramActions(
        can_edit=partner and program.is_editable,
        can_send=partner and can_proceed(program.send_for_approval),
        can_decide=may_review_programs(user) and operator_decision_open(program),
        can_comment=may_comment_on_program(user, program, {a.region_id for a in approvals}),
    )
    if partner:
        actions.marks = [
            {"action": name, "label": MARK_LABELS[name], "confirm": confirm, "question": MARK_QUESTIONS.get(name, "")}
            for name, confirm in PARTNER_MARKS.items() if can_proceed(getattr(program, name))]
    actions.decidable_approval_ids = {
        a.pk for a in approvals if is_region_reviewer(user, a) and can_proceed(a.approve)}
    return actions
