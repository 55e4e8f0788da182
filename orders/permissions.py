"""Who may do what with orders, as functions of `user.access`. Seeing an order is
`Order.objects.visible_to` through core.access (404 otherwise); these rules decide what a user who
sees it may do (403 otherwise)."""
from orders.models import Order


def may_view_orders(user) -> bool:
    """The orders pages and the РР re-keying dashboard: partner staff, the operator, auditors, ops."""
    access = user.access
    return user.is_authenticated and (user.is_superuser or access.is_partner_staff or access.sees_all_partners)


def is_order_partner(user, order: Order) -> bool:
    """Staff of the order's partner (or ops): edit it, replace its scan, assign it, tick it entered on РР."""
    return user is not None and (user.is_superuser or order.partner_id in user.access.partner_ids)


def may_create_orders(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.access.is_partner_staff)


def may_enter_on_portal(user) -> bool:
    """Tick orders and qualification documents entered on Работа России: partner staff (their own
    partner's, checked by the service) or ops; the operator only watches the backlog."""
    return user.is_authenticated and (user.is_superuser or user.access.is_partner_staff)
