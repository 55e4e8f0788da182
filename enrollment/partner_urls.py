"""The partner's and reviewers' pages on applications (mounted under /applications/, namespace "enrollment")."""
from django.urls import path

from enrollment.views import applications as views
from enrollment.views import messages as message_views

app_name = "enrollment"
urlpatterns = [
    path("", views.application_list, name="application_list"),
    path("column-sets/", views.column_set_save, name="column_set_save"),
    path("column-sets/<int:pk>/delete/", views.column_set_delete, name="column_set_delete"),
    path("<int:pk>/", views.application_detail, name="application_detail"),
    path("<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("<int:pk>/documents/replace/", views.document_replace, name="document_replace"),
    path("<int:pk>/all-party-contract/", views.all_party_contract_upload, name="all_party_contract_upload"),
    path("<int:pk>/blanks/regenerate/", views.blanks_regenerate, name="blanks_regenerate"),
    path("<int:pk>/withdrawals/new/", views.withdrawal_create, name="withdrawal_create"),
    path("<int:pk>/qualification/", views.qualification_edit, name="qualification_edit"),
    path("<int:pk>/qualification/scan/", views.qualification_file, name="qualification_file"),
    path("documents/<int:pk>/check/", views.document_check, name="document_check"),
    path("documents/<int:pk>/file/", views.document_file, name="document_file"),
    path("documents/<int:pk>/preview/", views.document_preview, name="document_preview"),
    path("blanks/<int:pk>/file/", views.blank_file, name="blank_file"),
    path("withdrawals/<int:pk>/decide/", views.withdrawal_decide, name="withdrawal_decide"),
    path("withdrawals/<int:pk>/file/", views.withdrawal_file, name="withdrawal_file"),
    path("messages/", message_views.message_list, name="message_list"),
    path("messages/new/", message_views.message_compose, name="message_compose"),
    path("messages/send/", message_views.message_send, name="message_send"),
    path("messages/<int:pk>/", message_views.message_detail, name="message_detail"),
]
