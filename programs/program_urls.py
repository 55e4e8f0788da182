"""URLs of the program workflow and cohorts (mounted under /programs/, namespace "programs")."""
from django.urls import path

from programs.views import programs as views

urlpatterns = [
    path("", views.program_list, name="list"),
    path("<int:pk>/", views.program_detail, name="detail"),
    path("<int:pk>/edit/", views.program_edit, name="edit"),
    path("<int:pk>/send/", views.program_send, name="send"),
    path("<int:pk>/approve/", views.program_approve, name="approve"),
    path("<int:pk>/reject/", views.program_reject, name="reject"),
    path("<int:pk>/mark/<slug:action>/", views.program_mark, name="mark"),
    path("<int:pk>/comment/", views.program_comment, name="comment"),
    path("regional-approvals/<int:pk>/decide/", views.program_region_decide, name="region_decide"),
    path("cohorts/<int:pk>/", views.cohort_detail, name="cohort_detail"),
]
