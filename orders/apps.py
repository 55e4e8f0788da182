from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Приказы")

    def ready(self):
        # enrollment and accounts sit below orders: the citizen's "Мои документы" and the staff desk
        # learn of orders through their registries.
        from accounts.dashboard import register_panel
        from enrollment.cabinet_sections import register_section

        register_section(key="orders", template_name="orders/partials/cabinet_orders.html",
                         context_for=_cabinet_orders)
        register_panel(template_name="orders/partials/dashboard_portal.html", context_for=_portal_panel)
        from orders import privacy  # noqa: F401 - audited order files, the orders' legal hold


def _cabinet_orders(application) -> dict | None:
    from orders.selectors import citizen_orders

    orders = citizen_orders(application)
    return {"orders": orders} if orders else None


def _portal_panel(user) -> dict | None:
    """The staff desk's "Работа с приказами" in figures: shown only when something is open."""
    from orders.permissions import may_view_orders
    from orders.selectors import portal_summary

    if not may_view_orders(user):
        return None
    summary = portal_summary(user)
    return {"summary": summary} if summary["total"] else None
