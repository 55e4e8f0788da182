"""The cohorts work queue and the cohort page.

The page shows what cohorts.selectors.cohort_page reads; which buttons each user gets is computed
here from django_fsm.can_proceed on the document's own transition and cohorts.permissions (never
re-stated in templates); the services decide again when the button is pressed.
"""
from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from django_fsm import can_proceed

from cohorts import selectors
from cohorts.forms import (
    ActOperatorSignForm,
    ActPartnerSignForm,
    AnswerForm,
    CohortFilterForm,
    CommentForm,
    JournalUploadForm,
    RemarkForm,
    SignatureForm,
)
from cohorts.models import Act, Assignment, EmploymentReport
from cohorts.permissions import is_operator, is_partner_of, may_view_cohorts
from cohorts.services.acts import act_blockers, act_candidates
from cohorts.services.assignments import assignment_blockers
from cohorts.services.journals import journal_open
from cohorts.views.common import get_cohort
from core.access import filter_for_user, require
from documents.models import GeneratedDocument, Signature

PAGE_SIZE = 50
EVENT_LABELS = {
    "generate": _("Сформирован документ"), "regenerate": _("Сформирован заново"),
    "sign_by_operator": _("Подписан федеральным оператором"), "sign_by_partner": _("Подписан партнёром"),
    "register": _("Отмечена регистрация"), "submit_journal": _("Журнал и скриншоты загружены"),
    "approve": _("Согласован"), "reject": _("Отклонён"), "resubmit": _("Снова на согласовании"),
    "start_signature_check": _("Проверка подписи и счёта"), "sign": _("Подписан"),
}
READY = GeneratedDocument.Status.READY


# The queue ------------------------------------------------------------------------------------

@require_safe
def cohort_list(request):
    """The cohorts the user sees, each with its assignment, acts and reports: search, a filter per
    document kind (and per partner for the operator), sorting, pages of 50."""
    require(may_view_cohorts(request.user))
    access = request.user.access
    sees_all = access.sees_all_partners or request.user.is_superuser
    form = CohortFilterForm(request.GET or None, with_partner=sees_all)
    filters = form.filters()
    today = timezone.localdate()
    page = Paginator(selectors.cohort_queue(request.user, today=today, **filters), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "cohorts/cohort_list.html", {
        "form": form, "page": page, "page_range": page.paginator.get_elided_page_range(page.number),
        "rows": [_queue_row(cohort, today, sees_all) for cohort in page.object_list],
        "sort": filters["sort"], "show_partner": sees_all or len(access.partner_ids) > 1,
    })


def _queue_row(cohort, today, sees_all: bool) -> dict:
    assignment = getattr(cohort, "assignment", None)
    if assignment is not None and not sees_all and assignment.status == Assignment.Status.READY:
        assignment = None  # the partner sees it once the operator has signed it
        hidden = True
    else:
        hidden = False
    acts = [{"act": act, "overdue": _review_overdue(act, today)} for act in cohort.act_list]
    reports = [report for act in cohort.acts.all() for report in act.reports.all()]
    return {"cohort": cohort, "assignment": assignment, "assignment_hidden": hidden, "acts": acts,
            "reports": reports}


def _review_overdue(act: Act, today) -> bool:
    return act.status == Act.Status.UNDER_REVIEW and act.review_due is not None and act.review_due < today


def _answer_overdue(act: Act, today) -> bool:
    return act.status == Act.Status.REJECTED and act.answer_due is not None and act.answer_due < today


# The cohort page ------------------------------------------------------------------------------

@dataclass
class AssignmentBlock:
    assignment: Assignment | None
    signatures: dict = field(default_factory=dict)
    blockers: list = field(default_factory=list)
    generate: bool = False
    sign_operator: bool = False
    sign_partner: bool = False
    register: bool = False

    @property
    def is_ready(self) -> bool:
        return self.assignment is not None and self.assignment.document.status == READY

    @property
    def form(self):
        return SignatureForm(auto_id="id_assignment_%s") if self.sign_operator or self.sign_partner else None


@dataclass
class ReportCard:
    report: EmploymentReport
    signatures: dict
    sign: bool = False

    @property
    def form(self):
        return SignatureForm(auto_id=f"id_report{self.report.pk}_%s") if self.sign else None


@dataclass
class ActCard:
    act: Act
    invoice: object
    signatures: dict
    reports: list
    review_overdue: bool = False
    answer_overdue: bool = False
    approve: bool = False
    reject: bool = False
    resubmit: bool = False
    replace_journal: bool = False
    upload_journal: bool = False
    sign_partner: bool = False
    check: bool = False
    sign_operator: bool = False
    archive: bool = False
    report_generate: bool = False
    report_regenerate: bool = False

    @property
    def archive_state(self) -> str:
        return self.act.archive.status if self.act.archive_id else ""

    @property
    def forms(self) -> dict:
        """The forms of this card, with ids of their own (several acts share the page)."""
        auto_id = f"id_act{self.act.pk}_%s"
        return {"reject": CommentForm(auto_id=auto_id), "answer": AnswerForm(auto_id=auto_id),
                "sign_partner": ActPartnerSignForm(auto_id=auto_id),
                "sign_operator": ActOperatorSignForm(auto_id=auto_id, initial={"act_date": timezone.localdate()})}


@require_safe
def cohort_detail(request, pk):
    """Dates and program, applications, orders, the assignment, the journal, the acts with their
    reports, remarks and history — with the actions of the user's role."""
    cohort = get_cohort(request, pk)
    user = request.user
    page = selectors.cohort_page(cohort, user)
    today = timezone.localdate()
    operator = is_operator(user)
    partner = is_partner_of(user, cohort.program.partner_id)
    sees_all = user.access.sees_all_partners or user.is_superuser
    signatures = _signatures(page)
    package_rejected = page.package is not None and page.package.rejected_at is not None
    candidates = act_candidates(cohort) if partner and page.assignment is not None else []
    blockers = act_blockers(cohort, today) if partner else []
    return render(request, "cohorts/cohort_detail.html", {
        "cohort": cohort, "program": cohort.program, "page": page, "today": today,
        "show_partner": sees_all,
        "assignment": _assignment_block(page.assignment, cohort, signatures, operator, partner, today),
        "journal": {"upload": partner and journal_open(cohort, today) and (page.package is None or package_rejected),
                    "open": journal_open(cohort, today), "rejected": package_rejected,
                    "form": JournalUploadForm(replacing=package_rejected)},
        "acts": _act_cards(page, cohort, signatures, operator=operator, partner=partner, sees_all=sees_all,
                           today=today, package_rejected=package_rejected),
        "candidates": candidates, "act_blockers": blockers,
        "can_generate_act": partner and not blockers and any(c.eligible for c in candidates),
        "remark_form": RemarkForm(acts=filter_for_user(Act.objects.filter(cohort=cohort), user).order_by("sequence"))
        if operator or partner else None,
        "history": _history_rows(page.history),
        "can_message": partner and bool(page.applications),
    })


def _signatures(page) -> dict[int, dict[str, Signature]]:
    """{document_id: {party: Signature}} of every document on the page, in one query."""
    ids = [page.assignment.document_id] if page.assignment is not None else []
    for act in page.acts:
        ids.append(act.document_id)
        ids += [report.document_id for report in act.reports.all()]
    found = {}
    for signature in Signature.objects.filter(document_id__in=ids).order_by("uploaded_at", "pk"):
        found.setdefault(signature.document_id, {})[signature.party] = signature
    return found


def _assignment_block(assignment, cohort, signatures, operator: bool, partner: bool, today) -> AssignmentBlock:
    if assignment is None:
        blockers = assignment_blockers(cohort, today) if operator else []
        return AssignmentBlock(None, blockers=blockers, generate=operator and not blockers)
    ready = assignment.document.status == READY
    return AssignmentBlock(
        assignment, signatures=signatures.get(assignment.document_id, {}),
        sign_operator=operator and ready and can_proceed(assignment.sign_by_operator),
        sign_partner=partner and ready and can_proceed(assignment.sign_by_partner),
        register=operator and can_proceed(assignment.register))


def _act_cards(page, cohort, signatures, *, operator: bool, partner: bool, sees_all: bool, today,
               package_rejected: bool) -> list:
    ready_for_report = {act.pk for act in selectors.report_ready_acts(cohort)} if operator else set()
    cards = []
    for act in page.acts:
        ready = act.document.status == READY
        invoices = list(act.invoices.all())
        reports = [ReportCard(report, signatures.get(report.document_id, {}),
                              sign=operator and report.document.status == READY and can_proceed(report.sign))
                   for report in act.reports.all()]
        open_report = any(card.report.status == EmploymentReport.Status.GENERATED for card in reports)
        cards.append(ActCard(
            act, invoice=invoices[0] if invoices else None, signatures=signatures.get(act.document_id, {}),
            reports=reports, review_overdue=_review_overdue(act, today), answer_overdue=_answer_overdue(act, today),
            approve=operator and can_proceed(act.approve), reject=operator and can_proceed(act.reject),
            resubmit=partner and not package_rejected and can_proceed(act.resubmit),
            replace_journal=partner and package_rejected and can_proceed(act.resubmit),
            upload_journal=partner and can_proceed(act.submit_journal),
            sign_partner=partner and ready and can_proceed(act.sign_by_partner),
            check=operator and can_proceed(act.start_signature_check),
            sign_operator=operator and ready and can_proceed(act.sign_by_operator),
            archive=partner or sees_all,
            report_generate=operator and not open_report and act.pk in ready_for_report,
            report_regenerate=operator and open_report,
        ))
    return cards


def _history_rows(history) -> list[dict]:
    rows = []
    for row in history:
        event, subject = row["event"], row["object"]
        labels = dict(type(subject).Status.choices)
        rows.append({"event": event, "object": subject, "action": EVENT_LABELS.get(event.transition, event.transition),
                     "source": labels.get(event.source, event.source),
                     "target": labels.get(event.target, event.target)})
    return rows
