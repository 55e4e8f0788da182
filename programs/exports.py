"""The programs list offered as a background CSV/XLSX export (core.exports), with the list's filters."""
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from core.exports import register_export
from programs import selectors
from programs.forms import ProgramFilterForm
from programs.permissions import may_view_programs


def _programs(user, params):
    if not may_view_programs(user):
        raise PermissionDenied
    form = ProgramFilterForm(params, partners=selectors.program_partner_choices(user=user))
    return selectors.program_list_for(user=user, **form.filters())


def _regions(program) -> str:
    return "; ".join(f"{a.region_id}: {a.get_status_display()}" for a in program.regional_approvals.all())


register_export(
    "programs.programs",
    title=_("Программы"),
    columns=[(_("Название"), "title"), (_("Краткое название"), "short_title"), (_("ID в Odin"), "odin_id"),
             (_("Образовательный партнёр"), "partner.short_name"), (_("ИНН партнёра"), "partner.inn"),
             (_("Кампания"), "campaign.title"), (_("Вид программы"), "get_kind_display"),
             (_("Статус"), "get_status_display"), (_("Академических часов"), "academic_hours"),
             (_("Старт ближайшего потока"), "next_start"), (_("Регионы согласования"), _regions),
             (_("Одобрена ФО"), "operator_approved_at")],
    queryset=_programs,
)
