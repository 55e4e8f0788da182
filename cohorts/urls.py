"""The cohort reporting pages (mounted under /cohorts/, namespace "cohorts"): the work queue, the
cohort page, one POST per step, and the documents' files."""
from django.urls import path

from cohorts.views import actions, files, pages

app_name = "cohorts"
urlpatterns = [
    path("", pages.cohort_list, name="cohort_list"),
    path("<int:pk>/", pages.cohort_detail, name="cohort_detail"),
    path("<int:pk>/assignment/", actions.assignment_generate, name="assignment_generate"),
    path("<int:pk>/journal/", actions.journal_upload, name="journal_upload"),
    path("<int:pk>/acts/", actions.act_generate, name="act_generate"),
    path("<int:pk>/remarks/", actions.remark_add, name="remark_add"),
    path("assignments/<int:pk>/sign-operator/", actions.assignment_sign_operator, name="assignment_sign_operator"),
    path("assignments/<int:pk>/sign-partner/", actions.assignment_sign_partner, name="assignment_sign_partner"),
    path("assignments/<int:pk>/register/", actions.assignment_register, name="assignment_register"),
    path("assignments/<int:pk>/file/", files.assignment_file, name="assignment_file"),
    path("assignments/<int:pk>/archive/", files.assignment_archive_file, name="assignment_archive"),
    path("acts/<int:pk>/approve/", actions.act_approve, name="act_approve"),
    path("acts/<int:pk>/reject/", actions.act_reject, name="act_reject"),
    path("acts/<int:pk>/resubmit/", actions.act_resubmit, name="act_resubmit"),
    path("acts/<int:pk>/sign-partner/", actions.act_sign_partner, name="act_sign_partner"),
    path("acts/<int:pk>/check/", actions.act_check, name="act_check"),
    path("acts/<int:pk>/sign-operator/", actions.act_sign_operator, name="act_sign_operator"),
    path("acts/<int:pk>/archive/", actions.act_archive, name="act_archive"),
    path("acts/<int:pk>/archive/file/", files.act_archive_file, name="act_archive_file"),
    path("acts/<int:pk>/file/", files.act_file, name="act_file"),
    path("acts/<int:pk>/invoice/", files.act_invoice, name="act_invoice"),
    path("acts/<int:pk>/report/", actions.report_generate, name="report_generate"),
    path("reports/<int:pk>/sign/", actions.report_sign, name="report_sign"),
    path("reports/<int:pk>/file/", files.report_file, name="report_file"),
    path("journal-files/<int:pk>/", files.journal_file, name="journal_file"),
    path("signatures/<int:pk>/", files.signature_file, name="signature_file"),
]
