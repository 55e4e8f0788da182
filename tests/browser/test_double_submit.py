"""The browser half of REL-06: flow.js gives a POST form a submission key on its first submit,
and the server records the key with where its success led (a repeat of the key is then sent
there instead of running again: tests/core/test_duplicate_submission.py)."""
import pytest
from django.urls import reverse

from accounts.demo import DEMO_PASSWORD
from core.models import FormSubmission
from enrollment.models import ApplicationColumnSet
from tests.browser.test_layout_browser import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_form_is_sent_with_a_submission_key_the_server_records(new_page, live_server, staff_a):
    staff_a.set_password(DEMO_PASSWORD)
    staff_a.save()
    page = new_page()
    _log_in(page, live_server, staff_a.email)
    page.goto(live_server.url + reverse("enrollment:application_list"))
    page.click("details.column-set-save summary")
    page.fill("#column-set-name", "Мой набор")
    with page.expect_navigation():
        page.click("details.column-set-save button[type=submit]")

    [submission] = FormSubmission.objects.all()
    column_set = ApplicationColumnSet.objects.get(user=staff_a, name="Мой набор")
    assert submission.key.startswith(f"{staff_a.pk}:")
    assert submission.location.endswith(f"?set={column_set.pk}")
    assert page.problems == []
