"""The citizen's cabinet (namespace "cabinet"): citizens only; staff get 403."""
from django.urls import path

from enrollment.views import cabinet as views

app_name = "cabinet"
urlpatterns = [
    path("", views.cabinet_home, name="home"),
    path("applications/<int:pk>/", views.cabinet_application, name="application"),
    path("applications/<int:pk>/blanks/", views.cabinet_blanks, name="blanks"),
    path("applications/<int:pk>/notifications/", views.cabinet_notifications_enable, name="notifications_enable"),
    path("applications/<int:pk>/personal/", views.cabinet_personal_save, name="personal_save"),
    path("applications/<int:pk>/education/", views.cabinet_education_save, name="education_save"),
    path("applications/<int:pk>/enrolment/", views.cabinet_enrolment_upload, name="enrolment_upload"),
    path("applications/<int:pk>/originals/", views.cabinet_originals_save, name="originals_save"),
    path("applications/<int:pk>/withdrawal/", views.cabinet_withdrawal_upload, name="withdrawal_upload"),
    path("applications/<int:pk>/withdrawal/form/", views.cabinet_withdrawal_form, name="withdrawal_form"),
    path("applications/<int:pk>/employment-proof/", views.cabinet_employment_proof_upload,
         name="employment_proof_upload"),
    path("applications/<int:pk>/qualification/", views.cabinet_qualification_file, name="qualification_file"),
    path("documents/<int:pk>/", views.cabinet_document_file, name="document_file"),
    path("blanks/<int:pk>/", views.cabinet_blank_file, name="blank_file"),
    path("withdrawals/<int:pk>/", views.cabinet_withdrawal_file, name="withdrawal_file"),
]
