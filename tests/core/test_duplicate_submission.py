"""A form runs once however often it arrives (REL-06): flow.js gives each POST form a submission
key on its first submit; core.middleware.DuplicateSubmissionMiddleware runs the first request with
a key and sends repeats (a double click, a resent form) to the first one's result."""
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import FormSubmission
from core.tasks import form_submissions_purge_task
from enrollment.models import ApplicationColumnSet
from tests import invariants

URL = "enrollment:column_set_save"
FORM = {"name": "Коротко", "cols": ["number", "snils"]}


@pytest.mark.django_db
def test_the_same_submission_twice_saves_once_and_both_land_on_the_result(client, staff_a):
    client.force_login(staff_a)
    first = client.post(reverse(URL), {**FORM, "_submission": "k-1"})
    second = client.post(reverse(URL), {**FORM, "_submission": "k-1"}, follow=True)
    assert first.status_code == 302
    assert second.redirect_chain[0][0] == first["Location"]
    assert "Форма уже была отправлена" in second.content.decode()
    assert ApplicationColumnSet.objects.filter(user=staff_a).count() == 1


@pytest.mark.django_db
def test_different_keys_and_forms_without_a_key_are_separate_submissions(client, staff_a):
    client.force_login(staff_a)
    client.post(reverse(URL), {**FORM, "_submission": "k-1"})
    client.post(reverse(URL), {**FORM, "name": "Второй", "_submission": "k-2"})
    client.post(reverse(URL), {**FORM, "name": "Третий"})
    assert ApplicationColumnSet.objects.filter(user=staff_a).count() == 3


@pytest.mark.django_db
def test_a_refused_form_releases_its_key_so_it_can_be_corrected_and_sent(client, staff_a):
    client.force_login(staff_a)
    refused = client.post(reverse("accounts:password_change"), {"new_password1": "x", "_submission": "k-9"})
    assert refused.status_code == 200  # the form again, with its errors
    assert not FormSubmission.objects.exists()


@pytest.mark.django_db
def test_keys_are_per_user(client, staff_a, partner_a):
    from tests.factories import MembershipFactory, UserFactory

    colleague = MembershipFactory(organization=partner_a, user=UserFactory(email="colleague@example.org")).user
    for user in (staff_a, colleague):
        client.force_login(user)
        client.post(reverse(URL), {**FORM, "_submission": "same"})
    assert ApplicationColumnSet.objects.count() == 2


@pytest.mark.django_db
def test_old_keys_are_forgotten(staff_a):
    FormSubmission.objects.create(key=f"{staff_a.pk}:old", created_at=timezone.now() - timedelta(days=2))
    FormSubmission.objects.create(key=f"{staff_a.pk}:new")
    assert form_submissions_purge_task.delay().get() == 1
    assert list(FormSubmission.objects.values_list("key", flat=True)) == [f"{staff_a.pk}:new"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_click_in_parallel_saves_once(staff_a):
    """Two requests with one key at the same moment: one runs, the other waits for its result."""
    start = threading.Barrier(2)
    statuses, lock = [], threading.Lock()

    def post():
        try:
            client = Client()
            client.force_login(staff_a)
            start.wait(10)
            response = client.post(reverse(URL), {**FORM, "_submission": "double"})
            with lock:
                statuses.append((response.status_code, response.get("Location")))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    invariants.report(f"REL-06 invariant: 2 parallel POSTs with one key -> {statuses}, "
                      f"{ApplicationColumnSet.objects.count()} record")
    assert ApplicationColumnSet.objects.filter(user=staff_a).count() == 1
    assert [status for status, _location in statuses] == [302, 302]
    assert len({location for _status, location in statuses}) == 1
