"""The cohort's remarks (reference §5.4 step 2): the operator's comments and the partner's answers,
kept in the cohort history beside the acts' own events. Either side writes; the other is e-mailed."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cohorts.models import Act, CohortRemark
from cohorts.permissions import is_operator, is_partner_of
from cohorts.services.common import notify, operator_recipients
from programs.models import Cohort
from programs.selectors_contracts import partner_recipients

MAX_LENGTH = 4000


@transaction.atomic
def remark_add(*, actor, cohort: Cohort, text: str, act: Act | None = None) -> CohortRemark:
    """A remark (the operator) or an answer (the cohort's partner staff), optionally about one act."""
    cohort = Cohort.objects.select_related("program__partner").get(pk=cohort.pk)
    partner_id = cohort.program.partner_id
    # Staff of the cohort's own partner answer, whatever other roles they hold.
    from_operator = is_operator(actor) and partner_id not in actor.access.partner_ids
    if not (from_operator or is_partner_of(actor, partner_id)):
        raise PermissionDenied
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Напишите текст замечания или ответа.")}, code="required")
    if len(text) > MAX_LENGTH:
        raise ValidationError({"text": _("Не более %(count)d символов.") % {"count": MAX_LENGTH}}, code="too_long")
    if act is not None and act.cohort_id != cohort.pk:
        raise ValidationError({"act": _("Акт относится к другому потоку.")}, code="wrong_act")
    remark = CohortRemark.objects.create(cohort=cohort, act=act, author=actor, is_operator=from_operator, text=text)
    about = _(" по акту № %(number)s") % {"number": act.number} if act is not None else ""
    if from_operator:
        notify(partner_recipients(partner_id), cohort=cohort, headline=_("замечание федерального оператора"),
               comment=text, message=_("Федеральный оператор оставил замечание%(about)s.") % {"about": about})
    else:
        notify(operator_recipients(), cohort=cohort, headline=_("ответ образовательного партнёра"),
               message=_("%(partner)s ответил на замечания%(about)s: «%(text)s»")
               % {"partner": cohort.program.partner, "about": about, "text": text})
    return remark
