"""What cohorts tells privacy (see privacy/__init__.py), imported by CohortsConfig.ready(): the
cohort page and the files that list citizens (assignments, acts, journals, employment reports)
for the audit trail, and the legal hold of a citizen in an act or an employment report (the basis
of payment: 402-FZ art. 29)."""
from django.db.models import Q

from enrollment.models import Application
from privacy.audit import register_audited_view
from privacy.retention import register_legal_hold

register_audited_view("cohorts:cohort_detail", "read", object_type="programs.cohort")
for url_name, object_type in (("cohorts:assignment_file", "cohorts.assignment"),
                              ("cohorts:assignment_archive", "cohorts.assignment"),
                              ("cohorts:act_file", "cohorts.act"), ("cohorts:act_archive_file", "cohorts.act"),
                              ("cohorts:report_file", "cohorts.employmentreport"),
                              ("cohorts:journal_file", "cohorts.journalfile")):
    register_audited_view(url_name, "download", object_type=object_type)


def act_hold(subject_id: int) -> str | None:
    in_act = Q(act_line__isnull=False) | Q(report_line__isnull=False)
    if Application.objects.filter(in_act, citizen_id=subject_id).exists():
        return "Акт об оказании услуг или отчёт о трудоустройстве (основание оплаты, 402-ФЗ, ст. 29)"
    return None


register_legal_hold(act_hold)
