"""The orders pages (mounted under /orders/, namespace "orders")."""
from django.urls import path

from orders import views

app_name = "orders"
urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("new/", views.order_create, name="order_create"),
    path("<int:pk>/", views.order_detail, name="order_detail"),
    path("<int:pk>/edit/", views.order_edit, name="order_edit"),
    path("<int:pk>/scan/", views.order_scan, name="order_scan"),
    path("<int:pk>/assign/", views.order_assign, name="order_assign"),
    path("<int:pk>/file/", views.order_file, name="order_file"),
    path("<int:pk>/pdf/", views.order_pdf, name="order_pdf"),
    path("<int:pk>/portal.csv", views.portal_csv, name="portal_csv"),
    path("scans/<int:pk>/", views.scan_file, name="scan_file"),
    path("portal/", views.portal_dashboard, name="portal_dashboard"),
    path("portal/mark/", views.portal_mark, name="portal_mark"),
    path("portal/mark-qualifications/", views.portal_mark_qualifications, name="portal_mark_qualifications"),
    path("cabinet/<int:pk>/file/", views.cabinet_order_file, name="cabinet_order_file"),
]
