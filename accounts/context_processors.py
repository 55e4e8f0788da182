"""Navigation for the base layout: which links this person sees, and who they are.

Templates never check roles (STYLE §3.8): the menu is computed here from `user.access`.
Everything is lazy, so a page that does not show the menu (errors/500.html) never touches the
session or the database through this processor.
"""
import functools
from importlib.metadata import PackageNotFoundError, version

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from accounts.models import Membership

try:
    SITE_VERSION = version("flow")
except PackageNotFoundError:  # running from a checkout that was never pip-installed
    SITE_VERSION = ""


def navigation(request):
    state = SimpleLazyObject(lambda: _navigation(request))
    return {
        # [{"label", "url", "active"}] — the main menu.
        "nav_items": SimpleLazyObject(lambda: state["items"]),
        # [{"label", "url"}] — the login links shown to an anonymous visitor.
        "nav_login_links": SimpleLazyObject(lambda: state["login_links"]),
        # {"name", "roles", "logout_url"} for the user menu, or {} when anonymous.
        "nav_user": SimpleLazyObject(lambda: state["user"]),
        # Footer.
        "site_version": SITE_VERSION,
        "support_email": settings.SUPPORT_EMAIL,
    }


def _navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {
            "items": [],
            "login_links": _links(request, [
                (_("Вход для сотрудников"), "accounts:login"),
                (_("Вход для слушателей"), "accounts:citizen_login"),
            ], mark_active=True),
            "user": {},
        }
    access = user.access
    entries = []
    if access.is_staff_member or user.is_staff:
        entries += [
            (_("Главная"), "accounts:staff_home"),
            (_("Заявки"), "enrollment:application_list"),
        ]
        if access.is_partner_staff or access.sees_all_partners or user.is_superuser:
            entries.append((_("Приказы"), "orders:order_list"))
            entries.append((_("Потоки"), "cohorts:cohort_list"))
        if access.is_staff_member or user.is_superuser:
            entries.append((_("Аналитика"), "analytics:overview"))
        entries.append((_("Программы"), "programs:list"))
        if access.sees_all_partners or access.is_partner_staff:
            entries.append((_("Договоры"), "programs:contract_list"))
        entries.append((_("Организации"), "accounts:organization_list"))
        if access.is_operator or access.is_partner_staff:
            entries.append((_("Сотрудники"), "accounts:staff_list"))
        if access.is_operator:
            entries.append((_("Пригласить сотрудника"), "accounts:staff_invite"))
        entries.append((_("Выгрузки"), "core:export_list"))
        if user.is_staff:
            entries.append((_("Администрирование"), "admin:index"))
        entries.append((_("Безопасность входа"), "accounts:two_factor"))
    if access.is_citizen:
        entries.append((_("Мой кабинет"), "cabinet:home"))
    logout = _links(request, [("", "accounts:logout")])
    return {
        "items": _links(request, entries, mark_active=True),
        "login_links": [],
        "user": {
            "name": user.get_full_name() or user.email,
            "roles": _role_labels(user, access),
            "logout_url": logout[0]["url"] if logout else "",
        },
    }


@functools.lru_cache(maxsize=512)
def _reverse(url_name: str, urlconf, script_prefix: str) -> str | None:
    """The URL of a menu entry (no arguments), or None when the name does not resolve. Remembered
    per URLconf and script prefix: a dozen `reverse()` calls on every page were a tenth of the
    layout's time, always with the same answers."""
    # Tolerance while the URL names of other issues land: a name that does not resolve yet
    # is left out of the menu instead of breaking every page. Remove once all exist.
    try:
        return reverse(url_name, urlconf=urlconf)
    except NoReverseMatch:
        return None


def _links(request, entries, mark_active=False) -> list[dict]:
    items = []
    urlconf, prefix = get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()
    for label, url_name in entries:
        url = _reverse(url_name, urlconf, prefix)
        if url is None:
            continue
        # "icon" present (and empty) so that nav_links.html's `item.icon` resolves instead of raising
        # and swallowing three lookup errors per link, twice per page.
        items.append({"label": label, "url": url, "active": False, "icon": None})
    if mark_active:
        # The longest URL that prefixes the current path wins, so that "Главная" (/accounts/staff/)
        # is not lit up together with a deeper section below it.
        matches = [item for item in items if request.path == item["url"]
                   or (item["url"] != "/" and request.path.startswith(item["url"]))]
        if matches:
            max(matches, key=lambda item: len(item["url"]))["active"] = True
    return items


def _role_labels(user, access) -> list[str]:
    labels = []
    if access.is_operator:
        labels.append(Membership.Role.OPERATOR_REVIEWER.label)
    if access.is_auditor:
        labels.append(Membership.Role.AUDITOR.label)
    if access.is_partner_staff:
        labels.append(Membership.Role.PARTNER_STAFF.label)
    if access.is_employment_reviewer:
        labels.append(Membership.Role.EMPLOYMENT_REVIEWER.label)
    if access.is_citizen:
        labels.append(_("Слушатель"))
    if user.is_staff and not labels:
        labels.append(_("Администратор"))
    return [str(label) for label in labels]
