"""The work queues of issue #7 (core.queues; enrollment, orders, cohorts and programs `queues.py`).

One generated world holds every application status and every state of the documents, withdrawal
requests, orders, assignments, acts, reports, programs, contracts, add-ons and cost proposals, for
partners A and B, in region 70 (the employment reviewer's) and region 54. For every persona the home
page's count of each queue equals the rows its list shows, partner B's items never reach partner
A's staff, and a queue page runs the same queries whatever its number of rows. Due dates count
working days of the production calendar, across the holidays, and the overdue rows come first.
"""
import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import CampaignParticipation, Region
from cohorts.models import Act, ActEvent, ActLine, Assignment, EmploymentReport, JournalPackage
from core import queues
from core.models import WorkingDayOverride
from documents.models import GeneratedDocument
from enrollment.models import (
    Application,
    ApplicationDocument,
    ApplicationEvent,
    QualificationDocument,
    WithdrawalRequest,
)
from enrollment.services.deadlines import check_deadline
from orders.models import Order, OrderAssignment
from orders.selectors import portal_deadline
from programs.models import AddOnAgreement, CostProposal, Program, RegionalApproval, TrainingContract
from programs.queues import operator_decision_open_q
from tests.enrollment.factories import ApplicationFactory
from tests.enrollment.test_application_support import document, enrolment_set, primary_set
from tests.orders.factories import OrderFactory
from tests.programs.factories import CohortFactory, CostProposalFactory, ProgramFactory, TrainingContractFactory

pytestmark = pytest.mark.django_db

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
TODAY = dt.date(2026, 6, 15)  # a Monday; Friday 12 June (Russia Day) was a holiday
S = Application.Status
Doc = ApplicationDocument.Status
Kind = ApplicationDocument.Kind
STAFF = ("staff_a", "staff_b", "operator_reviewer", "employment_reviewer")


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=MSK)


def travel(day: dt.date):
    return time_machine.travel(at(day), tick=False)


# The world ------------------------------------------------------------------------------------

COHORTS = {  # name: (start, end)
    "future": (dt.date(2026, 7, 6), dt.date(2026, 8, 28)),
    "soon": (dt.date(2026, 6, 16), dt.date(2026, 8, 14)),      # check day: today
    "late": (dt.date(2026, 6, 10), dt.date(2026, 8, 10)),      # check day 9 June: overdue; in training now
    "ended": (dt.date(2026, 3, 2), dt.date(2026, 5, 29)),
    "ended_rejected": (dt.date(2026, 2, 2), dt.date(2026, 4, 30)),
    "ended_done": (dt.date(2026, 2, 9), dt.date(2026, 4, 30)),
    "started": (dt.date(2026, 6, 1), dt.date(2026, 7, 31)),    # ready for its assignment
    "assigned_ready": (dt.date(2026, 5, 4), dt.date(2026, 7, 31)),
    "assigned_operator": (dt.date(2026, 5, 4), dt.date(2026, 7, 31)),
    "assigned_both": (dt.date(2026, 5, 4), dt.date(2026, 7, 31)),
}
BEFORE = (S.PRIMARY_DOCS_REQUIRED, S.PRIMARY_DOCS_REVIEW, S.PRIMARY_DOCS_REJECTED, S.ENROLMENT_DOCS_REQUIRED,
          S.ENROLMENT_DOCS_REVIEW, S.ENROLMENT_DOCS_REJECTED, S.AWAITING_AGREEMENT, S.ENROLMENT_ORDER_REQUIRED)
DURING = (S.STUDYING, S.WITHDRAWAL_REVIEW, S.OWN_REQUEST_ORDER_REQUIRED)
SUCCESSFUL = (S.COMPLETION_ORDER_REQUIRED, S.QUALIFICATION_DOC_REQUIRED, S.QUALIFICATION_SCAN_REQUIRED,
              S.AWAITING_EMPLOYMENT, S.EMPLOYED)
assert set(Application.Status.values) == {*BEFORE, *DURING, *SUCCESSFUL, S.FAILURE_ORDER_REQUIRED, S.EXPELLED,
                                          S.SERVICE_TERMINATED}


def _document(kind: str) -> GeneratedDocument:
    return GeneratedDocument.objects.create(kind=kind, title=kind)


def _event_at(model, subject, when, **fields):
    return model.objects.create(subject=subject, created_at=when, **fields)


def withdrawal(application, status) -> WithdrawalRequest:
    request = WithdrawalRequest(application=application, status=status)
    request.file.save(f"withdrawal-{application.pk}.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    request.save()
    return request


class World:
    """Everything of one partner that a queue can list (build again for a second copy); `full=False`
    builds only the program, its cohorts and orders, for a test to add rows of its own."""

    def __init__(self, partner, campaign, *, full: bool = True):
        self.partner, self.campaign = partner, campaign
        self.program = ProgramFactory(partner=partner, campaign=campaign, status=Program.Status.PUBLISHED)
        self.cohorts = {name: CohortFactory(program=self.program, start_date=start, end_date=end)
                        for name, (start, end) in COHORTS.items()}
        self.orders = {
            "late": OrderFactory(cohort=self.cohorts["late"]), "ended": OrderFactory(cohort=self.cohorts["ended"]),
            "started": OrderFactory(cohort=self.cohorts["started"]),
            "expulsion": OrderFactory(cohort=self.cohorts["ended"], type=Order.Type.EXPULSION,
                                      basis=Order.Basis.FAILURE),
        }
        self.applications = {}
        if not full:
            return
        for status in Application.Status.values:
            for region in ("70", "54"):
                self.applications[status, region] = self.application(status, region)
        self.application(S.PRIMARY_DOCS_REVIEW, "70", is_active=False)  # an older application: out of the checks
        self.reporting()
        self.programs()
        self.contracts()

    # Applications and what hangs on them --------------------------------------------------

    def application(self, status, region, cohort=None, **kwargs) -> Application:
        if cohort is None:
            cohort = ("late" if region == "70" else "soon") if status in BEFORE else (
                "late" if status in DURING else "ended")
        if status in SUCCESSFUL:
            kwargs.setdefault("result", Application.Result.SUCCESSFUL)
        elif status == S.FAILURE_ORDER_REQUIRED:
            kwargs.setdefault("result", Application.Result.UNSUCCESSFUL)
        if status in (S.QUALIFICATION_DOC_REQUIRED, S.QUALIFICATION_SCAN_REQUIRED):
            kwargs.setdefault("expelled_on", COHORTS["ended"][1] + dt.timedelta(days=region == "54"))
        kwargs.setdefault("is_active", status not in (S.EXPELLED, S.SERVICE_TERMINATED))
        application = ApplicationFactory(program=self.program, cohort=self.cohorts[cohort], status=status,
                                         region=Region.objects.get(code=region), **kwargs)
        self.attach(application, region)
        return application

    def attach(self, application, region):
        status = application.status
        if status == S.PRIMARY_DOCS_REVIEW:
            docs = primary_set(application)
            if region == "70" and application.is_active:
                ApplicationDocument.objects.filter(pk=docs[Kind.PASSPORT_MAIN].pk).update(status=Doc.OVERDUE)
        elif status == S.ENROLMENT_DOCS_REVIEW:
            docs = enrolment_set(application)
            if region == "70":
                ApplicationDocument.objects.filter(pk=docs[Kind.ENROLMENT_CONTRACT].pk).update(status=Doc.OVERDUE)
        elif status == S.WITHDRAWAL_REVIEW:
            withdrawal(application, WithdrawalRequest.Status.REVIEW)
        elif status == S.STUDYING:
            self.assign(self.orders["late"], application, entered=region == "54")
            withdrawal(application, WithdrawalRequest.Status.REJECTED)
        elif status == S.EXPELLED:
            self.assign(self.orders["expulsion"], application, entered=region == "54")
        if status in SUCCESSFUL:
            self.assign(self.orders["ended"], application, entered=True)
        if status == S.AWAITING_EMPLOYMENT:
            self.qualification(application, entered=False)
            document(application, Kind.EMPLOYMENT_PROOF)
        elif status == S.EMPLOYED:
            self.qualification(application, entered=True)
            document(application, Kind.EMPLOYMENT_PROOF, Doc.APPROVED)

    def assign(self, order, application, *, entered: bool):
        OrderAssignment.objects.create(order=order, application=application, partner=order.partner,
                                       order_type=order.type, assigned_at=at(TODAY - dt.timedelta(days=7)),
                                       rr_entered_at=at(TODAY) if entered else None)

    def qualification(self, application, *, entered: bool):
        QualificationDocument.objects.create(application=application, number=f"{application.pk:06d}",
                                             registration_number="1", issued_on=COHORTS["ended"][1],
                                             rr_entered_at=at(TODAY) if entered else None)

    # Assignments, journals, acts, reports --------------------------------------------------

    def assignment(self, cohort, status) -> Assignment:
        return Assignment.objects.create(cohort=self.cohorts[cohort], partner=self.partner, status=status,
                                         number=f"З-{self.cohorts[cohort].pk}", assignment_date=COHORTS[cohort][0],
                                         citizens=1, amount=45000, document=_document("assignment"))

    def reporting(self):
        assignment = self.assignment("ended", Assignment.Status.REGISTERED)
        self.assignment("assigned_ready", Assignment.Status.READY)
        self.assignment("assigned_operator", Assignment.Status.SIGNED_BY_OPERATOR)
        self.assignment("assigned_both", Assignment.Status.SIGNED_BY_BOTH)
        started = self.application(S.STUDYING, "70", cohort="started")
        OrderAssignment.objects.filter(application=started).update(order=self.orders["started"],
                                                                   rr_entered_at=at(TODAY))
        for cohort, rejected in (("ended_rejected", at(TODAY)), ("ended_done", None)):
            self.application(S.EMPLOYED, "54", cohort=cohort)
            JournalPackage.objects.create(cohort=self.cohorts[cohort], partner=self.partner, rejected_at=rejected)
        acts = [
            (Act.Status.JOURNAL_REQUIRED, {}),
            (Act.Status.UNDER_REVIEW, {"review_due": dt.date(2026, 6, 1)}),
            (Act.Status.UNDER_REVIEW, {"review_due": dt.date(2026, 7, 1)}),
            (Act.Status.APPROVED, {}), (Act.Status.APPROVED, {}),
            (Act.Status.REJECTED, {"answer_due": dt.date(2026, 6, 10)}),
            (Act.Status.REJECTED, {"answer_due": dt.date(2026, 6, 18)}),
            (Act.Status.SIGNED_BY_PARTNER, {}), (Act.Status.SIGNATURE_CHECK, {}),
            (Act.Status.SIGNED_BY_BOTH, {}), (Act.Status.SIGNED_BY_BOTH, {}), (Act.Status.SIGNED_BY_BOTH, {}),
        ]
        made = [Act.objects.create(cohort=self.cohorts["ended"], partner=self.partner, assignment=assignment,
                                   status=status, number=f"А-{assignment.pk}-{i}", sequence=i, amount=45000,
                                   document=_document("act"), **fields)
                for i, (status, fields) in enumerate(acts, start=1)]
        for act, day in ((made[3], dt.date(2026, 6, 8)), (made[4], TODAY)):
            _event_at(ActEvent, act, at(day), transition="approve", source="under_review", target="approved")
        for i, act in enumerate(made[9:11], start=1):
            EmploymentReport.objects.create(act=act, partner=self.partner, number=f"О-{act.pk}", sequence=i,
                                            document=_document("report"))
        ActLine.objects.create(act=made[11], application=self.applications[S.EMPLOYED, "70"], price=45000)

    # Programs and the money side ----------------------------------------------------------

    def programs(self):
        status = Program.Status
        for each in (status.PARTNER_REVISION, status.OPERATOR_REJECTED, status.OPERATOR_REVIEW,
                     status.AWAITING_CONTRACT, status.READY_TO_SEND, status.CLOSED):
            ProgramFactory(partner=self.partner, campaign=self.campaign, status=each)
        pending, declined, approved = (RegionalApproval.Status.PENDING, RegionalApproval.Status.DECLINED,
                                       RegionalApproval.Status.APPROVED)
        for decisions in ((pending, pending), (declined, declined), (approved, pending)):
            program = ProgramFactory(partner=self.partner, campaign=self.campaign, status=status.OPERATOR_REVIEW,
                                     operator_approved_at=at(TODAY))
            for region, decision in zip(("70", "54"), decisions, strict=True):
                RegionalApproval.objects.create(program=program, region_id=region, status=decision)

    def contracts(self):
        contract = TrainingContract.Status
        for status in (contract.GENERATED, contract.SIGNED_BY_OPERATOR, contract.SIGNED_BY_BOTH):
            TrainingContractFactory(partner=self.partner, campaign=self.campaign, status=status)
        registered = TrainingContractFactory(partner=self.partner, campaign=self.campaign, status=contract.REGISTERED)
        for number, status in enumerate(AddOnAgreement.Status.values, start=1):
            AddOnAgreement.objects.create(contract=registered, number=number, status=status)
        for status in CostProposal.Status.values:
            CostProposalFactory(program=self.program, contract=registered, status=status)


@pytest.fixture
def frozen():
    with travel(TODAY):
        yield


@pytest.fixture
def world(frozen, personas, partner_a, partner_b, campaign):
    return {"a": World(partner_a, campaign), "b": World(partner_b, campaign)}


# Reading the pages ----------------------------------------------------------------------------

BADGE = re.compile(r'data-queue="(?P<key>[^"]+)">(?P<count>\d+)<')


def home_counts(client) -> dict[str, int]:
    response = client.get(reverse("accounts:staff_home"))
    assert response.status_code == 200
    return {m["key"]: int(m["count"]) for m in BADGE.finditer(response.content.decode())}


def queue_page(client, key, page=1):
    response = client.get(reverse("core:queue_detail", args=[key]), {"page": page})
    assert response.status_code == 200, key
    html = response.content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    assert body.count("<tr") == len(response.context["rows"])
    return response


def queue_rows(client, key) -> list:
    """Every row of the queue, page after page."""
    rows, page = [], 1
    while True:
        response = queue_page(client, key, page)
        rows += response.context["rows"]
        if not response.context["page_obj"].has_next():
            return rows
        page += 1


def partner_of(item) -> int | None:
    for path in ("partner_id", "application.partner_id", "program.partner_id", "contract.partner_id"):
        value = item
        try:
            for name in path.split("."):
                value = getattr(value, name)
        except AttributeError:
            continue
        return value
    return None


# Acceptance 1: the count is the list, and each sees only their own ------------------------------

@pytest.mark.parametrize("persona", STAFF)
def test_each_home_count_is_the_number_of_rows_its_list_shows(client, personas, world, partner_a, partner_b,
                                                              persona):
    user = personas[persona]
    client.force_login(user)
    counts = home_counts(client)
    assert set(counts) == {spec.key for spec in queues.queues_for(user)}
    for key, count in counts.items():
        rows = queue_rows(client, key)
        assert count == len(rows), key
        assert count > 0, f"the world leaves {key} empty for {persona}"
        for row in rows:
            if persona == "staff_a":
                assert partner_of(row.item) == partner_a.pk, key
            elif persona == "staff_b":
                assert partner_of(row.item) == partner_b.pk, key
            elif persona == "employment_reviewer":
                assert row.item.region_id == "70", key


def test_partners_see_partner_queues_and_the_others_theirs(personas):
    keys = {persona: {spec.key for spec in queues.queues_for(personas[persona])}
            for persona in ("citizen", *STAFF)}
    assert keys["citizen"] == set()
    assert keys["staff_a"] == keys["staff_b"]
    assert "enrollment.primary_check" in keys["staff_a"]
    assert keys["employment_reviewer"] == {"programs.regional_approvals", "enrollment.region_applications"}
    assert not keys["operator_reviewer"] & keys["staff_a"]


def test_a_citizen_has_no_queue_to_open(client, personas, world):
    client.force_login(personas["citizen"])
    assert client.get(reverse("accounts:staff_home")).status_code == 403
    for key in ("enrollment.primary_check", "cohorts.acts_review", "enrollment.region_applications"):
        assert client.get(reverse("core:queue_detail", args=[key])).status_code == 403


def test_an_unknown_queue_is_not_found(client, personas):
    client.force_login(personas["staff_a"])
    assert client.get(reverse("core:queue_detail", args=["enrollment.nothing"])).status_code == 404


def _keys(rows) -> list:
    return [row.item.pk for row in rows]


def test_the_partner_queues_hold_what_the_world_says(client, personas, world):
    client.force_login(personas["staff_a"])
    counts = home_counts(client)
    a = world["a"].applications
    assert counts["enrollment.primary_check"] == 2  # both regions; the inactive one is out
    assert counts["enrollment.enrolment_check"] == 2
    assert counts["enrollment.withdrawal_check"] == 2
    assert counts["enrollment.employment_proofs"] == 2
    assert counts["enrollment.qualification_documents"] == 4
    assert counts["orders.enrolment_orders"] == 2
    assert counts["orders.expulsion_orders"] == 6
    assert counts["orders.portal_orders"] == 2  # one studying, one expelled: the region-54 ones are entered
    assert counts["orders.portal_qualifications"] == 2
    assert counts["cohorts.journals"] == 2  # no package yet, package rejected
    assert counts["cohorts.acts_rejected"] == counts["cohorts.acts_to_sign"] == 2
    assert counts["programs.revision"] == 2
    assert counts["programs.contracts_partner"] == counts["programs.addons_partner"] == 1
    assert counts["programs.cost_proposals_partner"] == 2
    rows = queue_rows(client, "enrollment.primary_check")
    assert _keys(rows) == [a[S.PRIMARY_DOCS_REVIEW, "70"].pk, a[S.PRIMARY_DOCS_REVIEW, "54"].pk]
    assert [(row.due, row.is_overdue) for row in rows] == [(dt.date(2026, 6, 9), True), (TODAY, False)]
    for row in rows:
        assert row.due == check_deadline(row.item.cohort.start_date)


def test_the_operator_and_region_queues_hold_what_the_world_says(client, personas, world, partner_a, partner_b):
    client.force_login(personas["operator_reviewer"])
    counts = home_counts(client)
    assert counts["enrollment.overdue_checks"] == 2
    assert counts["programs.approval"] == 4  # never approved, or declined by every region asked
    assert counts["cohorts.acts_review"] == 4
    assert counts["cohorts.act_signatures"] == 4
    assert counts["cohorts.assignments_to_generate"] == counts["cohorts.reports_to_generate"] == 2
    assert counts["cohorts.reports_to_sign"] == 4
    overdue = queue_rows(client, "enrollment.overdue_checks")
    assert {row.item.pk: row.item.overdue_count for row in overdue} == {partner_a.pk: 2, partner_b.pk: 2}
    assert all(row.due == dt.date(2026, 6, 9) and row.is_overdue for row in overdue)
    review = queue_rows(client, "cohorts.acts_review")
    assert [row.due for row in review] == sorted(row.due for row in review)
    assert [row.is_overdue for row in review] == [True, True, False, False]

    client.force_login(personas["employment_reviewer"])
    counts = home_counts(client)
    non_final = len(Application.Status.values) - len(Application.FINAL)
    assert counts["enrollment.region_applications"] == 2 * (non_final + 1)  # + the started cohort's citizen
    assert counts["programs.regional_approvals"] == 2
    statuses = [row.item.status for row in queue_rows(client, "enrollment.region_applications")]
    assert statuses == sorted(statuses, key=Application.Status.values.index)


def test_the_applications_list_counts_the_region_per_status(client, personas, world):
    client.force_login(personas["employment_reviewer"])
    counts = {c["status"]: c["count"] for c in client.get(reverse("enrollment:application_list")).context["counts"]}
    assert counts[S.PRIMARY_DOCS_REVIEW] == 4  # each partner's current and older application
    assert counts[S.ENROLMENT_ORDER_REQUIRED] == 2


def test_a_partner_in_automatic_order_mode_issues_no_orders_by_hand(client, personas, world, partner_a, campaign):
    CampaignParticipation.objects.filter(partner=partner_a, campaign=campaign).update(
        order_mode=CampaignParticipation.OrderMode.AUTOMATIC)
    client.force_login(personas["staff_a"])
    counts = home_counts(client)
    assert counts["orders.enrolment_orders"] == counts["orders.expulsion_orders"] == 0
    assert counts["orders.portal_orders"] == 2  # re-keying on РР stays manual


def test_the_operator_decides_exactly_the_programs_reject_may_run_on(world):
    in_review = Program.objects.filter(status=Program.Status.OPERATOR_REVIEW)
    listed = set(in_review.filter(operator_decision_open_q()).values_list("pk", flat=True))
    assert listed == {program.pk for program in in_review if program.operator_decision_open}
    assert len(listed) == 4


# Acceptance 1 (queries): a page runs the same queries whatever its rows -----------------------

def _page_queries(client, key) -> int:
    with CaptureQueriesContext(connection) as captured:
        queue_page(client, key)
    return len(captured)


def test_no_queue_page_grows_its_queries_with_its_rows(client, personas, world, partner_a, partner_b, campaign):
    before = {}
    for persona in STAFF:
        client.force_login(personas[persona])
        before[persona] = {spec.key: _page_queries(client, spec.key) for spec in queues.queues_for(personas[persona])}
    World(partner_a, campaign), World(partner_b, campaign)
    for persona in STAFF:
        client.force_login(personas[persona])
        after = {key: _page_queries(client, key) for key in before[persona]}
        assert after == before[persona], persona


def _approved_act(world, day):
    act = Act.objects.filter(partner=world.partner, status=Act.Status.APPROVED).first()
    copy = Act.objects.create(cohort=act.cohort, partner=act.partner, assignment=act.assignment,
                              status=Act.Status.APPROVED, number=f"{act.number}-{day:%j}",
                              sequence=Act.objects.filter(cohort=act.cohort).count() + 1, amount=1,
                              document=_document("act"))
    _event_at(ActEvent, copy, at(day), transition="approve", source="under_review", target="approved")


def _expulsion(world, day):
    application = world.application(S.FAILURE_ORDER_REQUIRED, "70")
    _event_at(ApplicationEvent, application, at(day), transition="record_failure", source=S.STUDYING,
              target=S.FAILURE_ORDER_REQUIRED)


GROWERS = {  # queue: (persona, add one row to partner A's world)
    "enrollment.primary_check": ("staff_a", lambda w, day: w.application(S.PRIMARY_DOCS_REVIEW, "54")),
    "enrollment.withdrawal_check": ("staff_a", lambda w, day: w.application(S.WITHDRAWAL_REVIEW, "54")),
    "orders.expulsion_orders": ("staff_a", _expulsion),
    "orders.portal_orders": ("staff_a", lambda w, day: w.application(S.STUDYING, "70")),
    "cohorts.acts_to_sign": ("staff_a", _approved_act),
    "enrollment.region_applications": ("employment_reviewer",
                                       lambda w, day: w.application(S.AWAITING_AGREEMENT, "70")),
}


@pytest.mark.parametrize("key", sorted(GROWERS))
def test_a_queue_page_of_40_rows_runs_the_queries_of_one_of_2(client, personas, frozen, partner_a, campaign, key):
    persona, grow = GROWERS[key]
    client.force_login(personas[persona])
    world = World(partner_a, campaign, full=False)
    if key == "cohorts.acts_to_sign":
        assignment = world.assignment("ended", Assignment.Status.REGISTERED)
        Act.objects.create(cohort=world.cohorts["ended"], partner=partner_a, assignment=assignment,
                           status=Act.Status.APPROVED, number="А-0", sequence=1, amount=1, document=_document("act"))
    days = [TODAY - dt.timedelta(days=i) for i in range(40)]
    for day in days[:2]:
        grow(world, day)
    two = _page_queries(client, key)
    assert len(queue_page(client, key).context["rows"]) in (2, 3)
    for day in days[2:]:
        grow(world, day)
    assert len(queue_page(client, key).context["rows"]) >= 40
    assert _page_queries(client, key) == two


def test_each_count_is_one_query(personas, world):
    for persona in STAFF:
        user = personas[persona]
        user.access  # noqa: B018 - the access profile is read once per request, before the queues
        for spec in queues.queues_for(user):
            with CaptureQueriesContext(connection) as captured:
                spec.items(user).count()
            assert len(captured) == 1, spec.key


# Acceptance 2: working days, across the holidays; the overdue first ---------------------------

def _cohort(partner, campaign, start, end=None):
    program = ProgramFactory(partner=partner, campaign=campaign, status=Program.Status.PUBLISHED)
    return CohortFactory(program=program, start_date=start, end_date=end or start + dt.timedelta(days=60))


def test_enrolment_checks_due_across_the_new_year_holidays(client, personas, partner_a, campaign):
    later = _cohort(partner_a, campaign, dt.date(2026, 1, 14))     # check by Tue 13.01.2026
    first = _cohort(partner_a, campaign, dt.date(2026, 1, 12))     # check by Tue 30.12.2025
    for cohort in (later, first):
        application = ApplicationFactory(program=cohort.program, cohort=cohort, status=S.ENROLMENT_DOCS_REVIEW)
        enrolment_set(application)
    client.force_login(personas["staff_a"])
    with travel(dt.date(2026, 1, 9)):  # a holiday: the day before the start would be Sun 11.01
        response = queue_page(client, "enrollment.enrolment_check")
    rows = response.context["rows"]
    assert [(row.item.cohort_id, row.due, row.is_overdue) for row in rows] == [
        (first.pk, dt.date(2025, 12, 30), True), (later.pk, dt.date(2026, 1, 13), False)]
    assert [row.due for row in rows] == [check_deadline(row.item.cohort.start_date) for row in rows]
    table = response.content.decode().split("<tbody>", 1)[1]
    assert table.index('class="is-overdue"') < table.index("13.01.2026")

    WorkingDayOverride.objects.create(date=dt.date(2026, 1, 9), is_working=True, note="перенос")
    with travel(dt.date(2026, 1, 9)):
        rows = queue_page(client, "enrollment.enrolment_check").context["rows"]
    assert [(row.due, row.is_overdue) for row in rows] == [(dt.date(2026, 1, 9), False), (dt.date(2026, 1, 13), False)]


def test_re_keying_on_the_portal_is_due_in_working_days_across_the_new_year(client, personas, partner_a, campaign):
    cohort = _cohort(partner_a, campaign, dt.date(2025, 12, 22))
    order = OrderFactory(cohort=cohort)
    for day in (dt.date(2025, 12, 29), dt.date(2025, 12, 24)):
        application = ApplicationFactory(program=cohort.program, cohort=cohort, status=S.STUDYING)
        OrderAssignment.objects.create(order=order, application=application, partner=partner_a,
                                       order_type=order.type, assigned_at=at(day))
    client.force_login(personas["staff_a"])
    with travel(dt.date(2026, 1, 12)):
        rows = queue_page(client, "orders.portal_orders").context["rows"]
        # 24.12 → 25, 26, 29 December; 29.12 → 30 December, then 12 and 13 January.
        assert [(row.due, row.is_overdue) for row in rows] == [(dt.date(2025, 12, 29), True),
                                                              (dt.date(2026, 1, 13), False)]
        assert [row.due for row in rows] == [portal_deadline(timezone.localdate(row.item.assigned_at))
                                             for row in rows]


def test_an_approved_act_is_due_for_signing_in_three_working_days_across_23_february(client, personas, partner_a,
                                                                                   campaign):
    cohort = _cohort(partner_a, campaign, dt.date(2025, 11, 3), dt.date(2026, 1, 30))
    assignment = Assignment.objects.create(cohort=cohort, partner=partner_a, status=Assignment.Status.REGISTERED,
                                           number="З-1", assignment_date=cohort.start_date, citizens=1, amount=1,
                                           document=_document("assignment"))
    for sequence, day in ((1, dt.date(2026, 2, 19)), (2, dt.date(2026, 2, 16))):
        act = Act.objects.create(cohort=cohort, partner=partner_a, assignment=assignment, status=Act.Status.APPROVED,
                                 number=f"А-{sequence}", sequence=sequence, amount=1, document=_document("act"))
        _event_at(ActEvent, act, at(day), transition="approve", source="under_review", target="approved")
    client.force_login(personas["staff_a"])
    with travel(dt.date(2026, 2, 25)):
        rows = queue_page(client, "cohorts.acts_to_sign").context["rows"]
    # 16.02 → 17, 18, 19 February; 19.02 → 20, 24, 25 February (23 February is a holiday).
    assert [(row.item.number, row.due, row.is_overdue) for row in rows] == [
        ("А-2", dt.date(2026, 2, 19), True), ("А-1", dt.date(2026, 2, 25), False)]
    with travel(dt.date(2026, 2, 26)):
        rows = queue_page(client, "cohorts.acts_to_sign").context["rows"]
    assert [row.is_overdue for row in rows] == [True, True]


def test_an_expulsion_order_is_due_three_working_days_after_the_status_across_8_march(client, personas, partner_a,
                                                                                    campaign):
    cohort = _cohort(partner_a, campaign, dt.date(2026, 1, 12), dt.date(2026, 3, 4))
    with travel(dt.date(2026, 3, 2)):
        reached = ApplicationFactory(program=cohort.program, cohort=cohort, status=S.COMPLETION_ORDER_REQUIRED)
        unrecorded = ApplicationFactory(program=cohort.program, cohort=cohort, status=S.FAILURE_ORDER_REQUIRED)
    _event_at(ApplicationEvent, reached, at(dt.date(2026, 3, 5)), transition="record_completion",
              source=S.STUDYING, target=S.COMPLETION_ORDER_REQUIRED)
    _event_at(ApplicationEvent, reached, at(dt.date(2026, 3, 6)), transition="order_extension",
              source=S.COMPLETION_ORDER_REQUIRED, target=S.COMPLETION_ORDER_REQUIRED)  # not a status change
    client.force_login(personas["staff_a"])
    with travel(dt.date(2026, 3, 11)):
        rows = queue_page(client, "orders.expulsion_orders").context["rows"]
    # No history row: from its updated_at, Mon 02.03 → 3, 4, 5 March. Thu 05.03 → 6, 10, 11 March
    # (Sunday 8 March moved to Monday 9 March).
    assert [(row.item.pk, row.due, row.is_overdue) for row in rows] == [
        (unrecorded.pk, dt.date(2026, 3, 5), True), (reached.pk, dt.date(2026, 3, 11), False)]


def test_a_withdrawal_request_is_due_by_the_last_working_day_before_the_end(client, personas, partner_a, campaign):
    cohort = _cohort(partner_a, campaign, dt.date(2026, 3, 2), dt.date(2026, 5, 12))  # ends after 9–11 May
    application = ApplicationFactory(program=cohort.program, cohort=cohort, status=S.WITHDRAWAL_REVIEW)
    withdrawal(application, WithdrawalRequest.Status.REVIEW)
    client.force_login(personas["staff_a"])
    with travel(dt.date(2026, 5, 8)):
        rows = queue_page(client, "enrollment.withdrawal_check").context["rows"]
    assert [(row.due, row.is_overdue) for row in rows] == [(dt.date(2026, 5, 8), False)]
