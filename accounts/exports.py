"""The accounts lists offered as background CSV/XLSX exports (core.exports)."""
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from accounts import selectors
from accounts.forms import OrganizationFilterForm, StaffFilterForm
from accounts.permissions import may_view_organizations, may_view_staff_list
from core.exports import register_export


def _organizations(user, params):
    if not may_view_organizations(user):
        raise PermissionDenied
    form = OrganizationFilterForm(params)
    filters = form.cleaned_data if form.is_valid() else {}
    return selectors.organization_list_for(user=user, search=filters.get("q", ""), kind=filters.get("kind", ""),
                                           region=filters.get("region"), sort=filters.get("sort") or "name")


def _staff(user, params):
    if not may_view_staff_list(user):
        raise PermissionDenied
    form = StaffFilterForm(params, organizations=selectors.staff_organizations_for(user=user))
    filters = form.cleaned_data if form.is_valid() else {}
    return selectors.staff_list_for(user=user, search=filters.get("q", ""), organization=filters.get("organization"),
                                    role=filters.get("role", ""), sort=filters.get("sort") or "name")


register_export(
    "accounts.organizations",
    title=_("Организации"),
    columns=[(_("Краткое наименование"), "short_name"), (_("Полное наименование"), "name"),
             (_("Тип"), "get_kind_display"), (_("ИНН"), "inn"), (_("КПП"), "kpp"), (_("ОГРН"), "ogrn"),
             (_("Регион"), "region_id"), (_("Юридический адрес"), "legal_address"),
             (_("E-mail"), "contact_email"), (_("Телефон"), "contact_phone")],
    queryset=_organizations,
)

register_export(
    "accounts.staff",
    title=_("Сотрудники"),
    columns=[(_("ФИО"), "user.get_full_name"), (_("E-mail"), "user.email"),
             (_("Организация"), "organization.short_name"), (_("Роль"), "get_role_display"),
             (_("Может заменять документы гражданина"),
              lambda m: _("да") if m.can_replace_citizen_documents else _("нет")),
             (_("Действует"), lambda m: _("да") if m.is_active else _("нет"))],
    queryset=_staff,
)
