"""§4 R7 (REL-04, REL-06): two reviewers decide the same act at the same moment, through the
services and through two browsers' POSTs. Exactly one decision wins; the other is refused (the
HTTP loser gets a 409 "changed by someone else" page), there is one event row, and the outbox holds
e-mails of the winner only, because the loser's transaction rolled back.

Both contenders are held at the act's row lock by the test (it locks the row first, waits until
PostgreSQL shows both waiting, then lets go), so the race is real on every run, not a timing chance."""
import threading
from contextlib import contextmanager

import pytest
from django.contrib.messages import get_messages
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from accounts.models import Membership
from cohorts.models import Act, ActEvent, CohortRemark
from cohorts.services import acts
from core.fsm import InvalidTransition
from core.models import OutgoingEmail
from tests.cohorts.support import operator_with_signatory
from tests.cohorts.test_act_cycle import ACT_DAY, act_in, finished_cohort
from tests.cohorts.test_assignments import at
from tests.factories import MembershipFactory, UserFactory
from tests.integration.faults import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

Status = Act.Status


@pytest.fixture
def other_reviewer(operator_org):
    user = UserFactory(email="fo2@example.org", is_staff=True)
    MembershipFactory(organization=operator_org, role=Membership.Role.OPERATOR_REVIEWER, user=user)
    return user


@pytest.fixture
def act_under_review(partner_a, campaign, staff_a, operator_reviewer, operator_org):
    operator_with_signatory(operator_org)
    cohort, applications = finished_cohort(partner_a, campaign, staff_a, operator_reviewer, count=1)
    return act_in(Status.UNDER_REVIEW, staff=staff_a, operator=operator_reviewer, cohort=cohort,
                  applications=applications)


def _waiting_on_locks() -> int:
    with connections["default"].cursor() as cursor:
        # Statistics views are a snapshot per transaction, and the test's own one is open (_held).
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


@contextmanager
def _held(act: Act):
    """Hold the act's row lock from the test's own connection while the contenders start."""
    with transaction.atomic():
        Act.objects.select_for_update().get(pk=act.pk)
        yield


def _race(*contenders) -> list:
    """Run the contenders in threads, all blocked on the act's row lock at once, then release it."""
    results = [None] * len(contenders)
    barrier = threading.Barrier(len(contenders) + 1, timeout=20)

    def runner(index, contender):
        try:
            barrier.wait()
            results[index] = contender()
        except Exception as error:  # noqa: BLE001 - the test inspects what each contender got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, c), daemon=True) for i, c in enumerate(contenders)]
    for thread in threads:
        thread.start()
    return threads, barrier, results


def _run_race(act: Act, *contenders) -> list:
    with _held(act):
        threads, barrier, results = _race(*contenders)
        barrier.wait()
        assert wait_for(lambda: _waiting_on_locks() >= len(contenders), timeout=20), \
            "both decisions should be waiting on the act's row lock"
    for thread in threads:
        thread.join(20)
        assert not thread.is_alive()
    return results


def _decisions(act: Act) -> list[str]:
    return list(ActEvent.objects.filter(subject=act, transition__in=["approve", "reject"])
                .values_list("transition", flat=True))


def test_r7_approve_and_reject_at_once_through_the_services(act_under_review, operator_reviewer, other_reviewer,
                                                            invariant):
    act = act_under_review
    emails_before = set(OutgoingEmail.objects.values_list("pk", flat=True))
    with at(ACT_DAY):
        results = _run_race(
            act,
            lambda: acts.act_approve(actor=operator_reviewer, act=act),
            lambda: acts.act_reject(actor=other_reviewer, act=act, comment="Журнал без подписи"),
        )
    winners = [r for r in results if isinstance(r, Act)]
    losers = [r for r in results if isinstance(r, InvalidTransition)]
    assert len(winners) == 1, results
    assert len(losers) == 1, results
    act.refresh_from_db()
    won = "approve" if act.status == Status.APPROVED else "reject"
    assert act.status in (Status.APPROVED, Status.REJECTED)
    assert _decisions(act) == [won]
    assert CohortRemark.objects.filter(act=act).count() == (1 if won == "reject" else 0)
    new_emails = OutgoingEmail.objects.exclude(pk__in=emails_before)
    headline = "акт согласован" if won == "approve" else "акт отклонён"
    assert new_emails.count() >= 1
    assert all(headline in email.subject for email in new_emails), [e.subject for e in new_emails]
    invariant(f"R7 invariant (services): 2 decisions, 1 won ({won}), 1 refused ({losers[0].messages[0]}), "
          f"{len(_decisions(act))} event row, {new_emails.count()} outbox row(s) all from the winner, "
          f"{CohortRemark.objects.filter(act=act).count()} remark(s)")


def test_r7_two_reviewers_posting_at_once_one_wins_the_other_sees_409(act_under_review, operator_reviewer,
                                                                      other_reviewer, invariant):
    act = act_under_review
    emails_before = set(OutgoingEmail.objects.values_list("pk", flat=True))
    url_approve = reverse("cohorts:act_approve", args=[act.pk])
    url_reject = reverse("cohorts:act_reject", args=[act.pk])
    first, second = Client(), Client()
    first.force_login(operator_reviewer)
    second.force_login(other_reviewer)

    def post(client, url, data):
        response = client.post(url, data)
        response.flow_messages = [str(m) for m in get_messages(response.wsgi_request)]
        return response

    with at(ACT_DAY):
        results = _run_race(
            act,
            lambda: post(first, url_approve, {"confirmed": "1"}),
            lambda: post(second, url_reject, {"confirmed": "1", "comment": "Скриншоты нечитаемые"}),
        )
    codes = sorted(r.status_code for r in results)
    assert codes == [302, 409], [(r.status_code, getattr(r, "flow_messages", None)) for r in results]
    loser = next(r for r in results if r.status_code == 409)
    page = loser.content.decode()
    assert "Акт изменён другим пользователем" in page
    assert "Ваше действие не выполнено" in page
    assert "Traceback" not in page
    winner = next(r for r in results if r.status_code == 302)
    assert winner.flow_messages
    assert "Акт" in winner.flow_messages[0]
    act.refresh_from_db()
    won = "approve" if act.status == Status.APPROVED else "reject"
    assert _decisions(act) == [won]
    new_emails = OutgoingEmail.objects.exclude(pk__in=emails_before)
    headline = "акт согласован" if won == "approve" else "акт отклонён"
    assert new_emails.exists()
    assert all(headline in email.subject for email in new_emails)

    invariant(f"R7 invariant (HTTP): responses {codes}, 1 decision recorded ({won}), "
          f"{new_emails.count()} outbox row(s) from the winner only, loser saw 409")


def test_r7_a_double_clicked_approval_is_recorded_once(act_under_review, operator_reviewer, invariant):
    """REL-06: the same POST twice at once (a double click, two tabs) records one approval."""
    act = act_under_review
    client_a, client_b = Client(), Client()  # two tabs of the same reviewer
    client_a.force_login(operator_reviewer)
    client_b.force_login(operator_reviewer)
    url = reverse("cohorts:act_approve", args=[act.pk])
    emails_before = set(OutgoingEmail.objects.values_list("pk", flat=True))
    with at(ACT_DAY):
        results = _run_race(act, lambda: client_a.post(url, {"confirmed": "1"}),
                            lambda: client_b.post(url, {"confirmed": "1"}))
    assert sorted(r.status_code for r in results) == [302, 409]
    act.refresh_from_db()
    assert act.status == Status.APPROVED
    assert _decisions(act) == ["approve"]
    partner_emails = OutgoingEmail.objects.exclude(pk__in=emails_before).count()
    recipients = len(acts.partner_recipients(act.partner_id))
    assert partner_emails == recipients
    invariant(f"R7 invariant (double click): 2 POSTs, 1 approval event, {partner_emails} e-mail(s) = "
          f"{recipients} recipient(s), 0 duplicates")
