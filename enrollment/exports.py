"""The applications list and a cohort's qualification documents as background exports (core.exports).

"enrollment.applications" writes exactly the columns chosen on the list page (the `cols` parameter,
or a saved set `set`), with the list's filters: core.exports resolves them once per job through the
export's `columns_for(user, params)`. Each list column (`selectors.COLUMNS`) is exported from the
database fields it shows (`export_cells()`, core.exports `Fields`), so a 1M-row export reads tuples,
not model instances; the cells equal the list column's `value` (tests assert it). The export keeps
the SNILS whole, as `value` does: only the list page masks it (`Column.shown`), the export is audited.

"enrollment.qualifications_frdo" (XLSX) lists a cohort's qualification documents in the layout of
the ФИС ФРДО import template for further professional education (ДПО) and vocational training (ПО).
Columns, in order: Название документа; Вид документа; Статус документа (Оригинал); Подтверждение
утраты; Подтверждение обмена; Подтверждение уничтожения; Серия документа; Номер документа; Дата
выдачи документа; Регистрационный номер; Дополнительная профессиональная программа (наименование);
Наименование квалификации, профессии, специальности; Срок обучения, часов; Год начала обучения;
Год окончания обучения; Фамилия получателя; Имя получателя; Отчество получателя; Дата рождения
получателя; Пол получателя (blank: Flow does not know it); СНИЛС; Форма обучения; Источник
финансирования обучения; Форма получения образования на момент прекращения образовательных
отношений. The loss/exchange/destroyed confirmations are «Нет» for newly issued originals.
"""
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from core.exports import Fields, register_export
from enrollment import selectors
from enrollment.forms import ApplicationFilterForm
from enrollment.models import QualificationDocument
from enrollment.permissions import may_view_applications

APPLICATIONS = "enrollment.applications"


def _columns_from(user, params) -> tuple[str, ...]:
    if params.getlist("cols"):
        return tuple(selectors.column_keys(params.getlist("cols")))
    set_id = params.get("set", "")
    if set_id.isdigit():
        saved = selectors.column_sets_for(user).filter(pk=set_id).first()
        if saved is not None:
            return tuple(selectors.column_keys(saved.columns))
    return selectors.DEFAULT_COLUMNS


def _applications(user, params):
    if not may_view_applications(user):
        raise PermissionDenied
    # The form validates the cohort against the cohorts the user may filter by; an export renders no
    # options, so it is offered the chosen one alone (by the toolbar's number box when it was sent).
    cohorts = selectors.cohort_filter_choices(user)
    if "cohort_number" in params:
        cohorts = cohorts.filter(odin_id=params["cohort_number"])
    else:
        cohort_id = params.get("cohort", "")
        cohorts = cohorts.filter(pk=cohort_id) if cohort_id.isdigit() else cohorts.none()
    form = ApplicationFilterForm(params, cohorts=cohorts)
    return selectors.application_list_for(user=user, **form.filters())


def _full_name(last_name, first_name, middle_name) -> str:
    """Citizen.full_name of the three fields."""
    return " ".join(filter(None, (last_name, first_name, middle_name)))


def _region_label(code, name) -> str:
    """Region.__str__ of its fields."""
    return f"{code} — {name}"


def export_cells() -> dict:
    """The list's columns as the export reads them: the fields each needs and the cell made of them
    (the same text as `selectors.COLUMNS[key].value` of an instance). Built once per job, so that
    the translated labels (status, yes/no) are looked up once, not once per row. A column missing
    here is exported from instances through its `value` (correct, but the whole job several times
    slower)."""
    statuses = {code: str(label) for code, label in selectors.STATUS_LABELS.items()}
    yes_no = {True: str(_("да")), False: str(_("нет"))}
    return {
        "number": Fields("rr_number"),
        "name": Fields("citizen__last_name", "citizen__first_name", "citizen__middle_name", value=_full_name),
        "active": Fields("is_active", value=yes_no.__getitem__),
        "status": Fields("status", value=lambda status: statuses.get(status, status)),
        "snils": Fields("citizen__snils"),
        "email": Fields("citizen__email"),
        "program": Fields("program__title"),
        "cohort": Fields("cohort_id", "cohort__odin_id", "cohort__start_date", "cohort__end_date",
                         value=selectors.cohort_label),
        "region": Fields("region__code", "region__name", value=_region_label),
        "submitted": Fields("submitted_at"),
        "category": Fields("category__name", value=lambda name: name or ""),
        "phone": Fields("citizen__phone"),
    }


def _export_columns(keys) -> list[tuple[str, object]]:
    cells = export_cells()
    return [(selectors.COLUMNS[key].label, cells.get(key, selectors.COLUMNS[key].value)) for key in keys]


def _chosen_columns(user, params):
    return _export_columns(_columns_from(user, params))


# `columns` (every list column, from instances) is what the registry lists; a job always writes
# `columns_for`'s, built when it runs (not at import: the labels are translated then).
register_export(APPLICATIONS, title=_("Заявки"), queryset=_applications, columns_for=_chosen_columns,
                columns=[(c.label, c.value) for c in selectors.COLUMNS.values()])


# ФИС ФРДО -------------------------------------------------------------------------------------

def _qualifications(user, params):
    if not may_view_applications(user):
        raise PermissionDenied
    cohort_id = params.get("cohort", "")
    if not cohort_id.isdigit():
        return QualificationDocument.objects.none()
    applications = selectors.visible_applications(user).filter(cohort_id=cohort_id)
    return (QualificationDocument.objects.filter(application__in=applications)
            .select_related("application__citizen", "application__program", "application__cohort")
            .order_by("application__citizen__last_name", "application__citizen__first_name", "pk"))


def _program(document):
    return document.application.program


def _citizen(document):
    return document.application.citizen


def _year(date) -> str:
    return str(date.year) if date else ""


NO = _("Нет")
FEDERAL_BUDGET = _("За счёт бюджетных ассигнований федерального бюджета")

register_export(
    "enrollment.qualifications_frdo",
    title=_("ФИС ФРДО — документы о квалификации"),
    columns=[
        (_("Название документа"), lambda d: _program(d).document_issued),
        (_("Вид документа"), lambda d: _program(d).get_kind_display()),
        (_("Статус документа"), lambda d: str(_("Оригинал"))),
        (_("Подтверждение утраты"), lambda d: str(NO)),
        (_("Подтверждение обмена"), lambda d: str(NO)),
        (_("Подтверждение уничтожения"), lambda d: str(NO)),
        (_("Серия документа"), "series"),
        (_("Номер документа"), "number"),
        (_("Дата выдачи документа"), "issued_on"),
        (_("Регистрационный номер"), "registration_number"),
        (_("Дополнительная профессиональная программа (наименование)"), lambda d: _program(d).title),
        (_("Наименование квалификации, профессии, специальности"),
         lambda d: _program(d).odin_qualification or _program(d).qualification_level),
        (_("Срок обучения, часов"), lambda d: _program(d).academic_hours),
        (_("Год начала обучения"), lambda d: _year(d.application.cohort and d.application.cohort.start_date)),
        (_("Год окончания обучения"), lambda d: _year(d.application.cohort and d.application.cohort.end_date)),
        (_("Фамилия получателя"), lambda d: _citizen(d).last_name),
        (_("Имя получателя"), lambda d: _citizen(d).first_name),
        (_("Отчество получателя"), lambda d: _citizen(d).middle_name),
        (_("Дата рождения получателя"), lambda d: _citizen(d).birth_date),
        (_("Пол получателя"), lambda d: ""),
        (_("СНИЛС"), lambda d: _snils(_citizen(d).snils)),
        (_("Форма обучения"), lambda d: _program(d).get_study_form_display()),
        (_("Источник финансирования обучения"), lambda d: str(FEDERAL_BUDGET)),
        (_("Форма получения образования на момент прекращения образовательных отношений"),
         lambda d: _program(d).get_study_form_display()),
    ],
    queryset=_qualifications,
)


def _snils(value: str) -> str:
    """ФИС ФРДО expects «XXX-XXX-XXX YY»."""
    if len(value) != 11:
        return value
    return f"{value[:3]}-{value[3:6]}-{value[6:9]} {value[9:]}"
