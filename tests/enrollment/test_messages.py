"""Mass notifications (issue #7, reference §7.4): the audience is the applications list's rows of one
partner, one e-mail per citizen through the outbox, a preview before sending, one mailing per
confirmation even when «Отправить» is pressed twice (acceptance 6), and the «Отправленные» log."""
import datetime as dt
import threading
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Region, User
from core.models import OutgoingEmail
from enrollment.models import Application, Citizen, CitizenMessage, CitizenMessageRecipient
from enrollment.services import messages as services
from tests.enrollment.factories import ApplicationFactory, CitizenFactory, valid_snils
from tests.enrollment.test_application_support import application_for, in_status
from tests.factories import MembershipFactory, UserFactory
from tests.programs.factories import CohortFactory, ProgramFactory

pytestmark = pytest.mark.django_db
Status = Application.Status
TEXT = {"subject": "Начало занятий", "body": "Занятия начинаются 2 марта в 10:00.\nВозьмите паспорт."}


def bulk_cohort(partner, campaign, count: int, *, prefix: str = "bulk"):
    """A cohort of `partner` with `count` citizens, one application each (three INSERTs)."""
    program = ProgramFactory(partner=partner, campaign=campaign)
    cohort = CohortFactory(program=program)
    region = Region.objects.get(code="70")
    users = User.objects.bulk_create([User(email=f"{prefix}{i}@example.org", is_citizen=True, password="!")
                                      for i in range(count)])
    citizens = Citizen.objects.bulk_create([
        Citizen(user=user, email=user.email, last_name="Слушатель", first_name=f"Имя{i:04d}",
                birth_date=dt.date(1990, 1, 1), snils=valid_snils(), region=region)
        for i, user in enumerate(users)])
    Application.objects.bulk_create([
        Application(rr_number=f"{prefix}-{i:05d}", citizen=citizen, program=program, partner=partner, cohort=cohort,
                    region=region, submitted_at=timezone.now()) for i, citizen in enumerate(citizens)])
    return cohort


def _preview(client, data):
    response = client.post(reverse("enrollment:message_compose"), data)
    assert response.status_code == 200
    assert "preview" in response.context, response.context["form"].errors
    return response


def _confirm_data(response) -> dict:
    """The hidden fields of the preview's confirmation form, as the browser would post them."""
    form = response.context["form"]
    return {name: form[name].value() for name in form.fields if form[name].value() not in (None, "")}


# Acceptance 6 ---------------------------------------------------------------------------------

def test_a_cohort_of_200_gets_200_emails_once_even_when_send_is_pressed_twice(client, staff_a, partner_a, campaign):
    cohort = bulk_cohort(partner_a, campaign, 200)
    client.force_login(staff_a)

    compose = client.get(reverse("enrollment:message_compose"), {"cohort": cohort.pk})
    assert compose.status_code == 200
    assert compose.context["audience"]["count"] == 200
    preview = _preview(client, {"cohort": cohort.pk, **TEXT})
    assert preview.context["preview"].count == 200
    assert len(preview.context["preview"].sample) == services.SAMPLE_SIZE
    assert "Возьмите паспорт." in preview.context["preview"].email.body_text
    data = _confirm_data(preview)
    assert data["expected_count"] == 200

    first = client.post(reverse("enrollment:message_send"), data)
    second = client.post(reverse("enrollment:message_send"), data)

    message = CitizenMessage.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == message.get_absolute_url()
    assert message.recipients_count == 200
    assert message.recipients.count() == 200
    assert OutgoingEmail.objects.count() == 200
    assert message.recipients.filter(outgoing_email__isnull=True).count() == 0
    assert message.filters["cohort"] == cohort.pk
    assert message.audience.startswith(f"Поток {cohort.odin_id}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_presses_create_one_mailing(partner_a, campaign, staff_a):
    cohort = bulk_cohort(partner_a, campaign, 200, prefix="race")
    key = uuid.uuid4()
    start = threading.Barrier(2)
    results, errors = [], []

    def press():
        try:
            start.wait(10)
            results.append(services.message_send(actor=staff_a, partner=partner_a, params={"cohort": cohort.pk},
                                                 idempotency_key=key, **TEXT).pk)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert len(results) == 2
    assert results[0] == results[1]
    assert CitizenMessage.objects.count() == 1
    assert CitizenMessageRecipient.objects.count() == 200
    assert OutgoingEmail.objects.count() == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_press_waits_for_the_first_and_then_finds_its_mailing(partner_a, campaign, staff_a, monkeypatch):
    cohort = bulk_cohort(partner_a, campaign, 200, prefix="wait")
    key = uuid.uuid4()
    inserted, release = threading.Event(), threading.Event()
    deliver = services._deliver
    results = {}

    def held_deliver(message, recipients):
        inserted.set()  # the mailing's row (and its key) is written, not yet committed
        release.wait(10)
        deliver(message, recipients)

    monkeypatch.setattr(services, "_deliver", held_deliver)

    def press(name):
        try:
            results[name] = services.message_send(actor=staff_a, partner=partner_a, params={"cohort": cohort.pk},
                                                  idempotency_key=key, **TEXT).pk
        finally:
            connection.close()

    one = threading.Thread(target=press, args=("first",))
    one.start()
    assert inserted.wait(10)
    two = threading.Thread(target=press, args=("second",))
    two.start()
    two.join(0.5)
    assert two.is_alive(), "the second press waits at the key's unique index"
    release.set()
    one.join(30)
    two.join(30)

    assert results["first"] == results["second"]
    assert CitizenMessage.objects.count() == 1
    assert CitizenMessageRecipient.objects.count() == OutgoingEmail.objects.count() == 200


# Who may send to whom -------------------------------------------------------------------------

def test_partner_b_cannot_send_to_partner_a_cohort(client, staff_b, partner_a, partner_b, campaign):
    cohort = bulk_cohort(partner_a, campaign, 3)
    client.force_login(staff_b)
    data = {"cohort": cohort.pk, **TEXT, "idempotency_key": str(uuid.uuid4())}

    assert client.get(reverse("enrollment:message_compose"), {"cohort": cohort.pk}).status_code == 404
    assert client.post(reverse("enrollment:message_compose"), data).status_code == 404
    assert client.post(reverse("enrollment:message_send"), data).status_code == 404
    with pytest.raises(PermissionDenied):
        services.message_send(actor=staff_b, partner=partner_a, params={}, idempotency_key=uuid.uuid4(), **TEXT)
    with pytest.raises(PermissionDenied):
        services.message_send(actor=staff_b, partner=partner_b, params={"cohort": cohort.pk},
                              idempotency_key=uuid.uuid4(), **TEXT)
    assert not CitizenMessage.objects.exists()
    assert not OutgoingEmail.objects.exists()


@pytest.mark.parametrize("persona", ["operator_reviewer", "employment_reviewer", "citizen"])
def test_only_partner_staff_compose_and_send(client, personas, persona, partner_a, campaign):
    cohort = bulk_cohort(partner_a, campaign, 2)
    client.force_login(personas[persona])
    data = {"cohort": cohort.pk, **TEXT, "idempotency_key": str(uuid.uuid4())}
    assert client.get(reverse("enrollment:message_compose")).status_code == 403
    assert client.post(reverse("enrollment:message_send"), data).status_code == 403
    assert not CitizenMessage.objects.exists()


def test_a_replayed_key_of_another_partner_is_refused(staff_a, staff_b, partner_a, partner_b, campaign):
    bulk_cohort(partner_a, campaign, 2)
    bulk_cohort(partner_b, campaign, 2, prefix="b")
    key = uuid.uuid4()
    services.message_send(actor=staff_a, partner=partner_a, params={}, idempotency_key=key, **TEXT)
    with pytest.raises(PermissionDenied):
        services.message_send(actor=staff_b, partner=partner_b, params={}, idempotency_key=key, **TEXT)
    assert OutgoingEmail.objects.count() == 2


# The audience ---------------------------------------------------------------------------------

@pytest.fixture
def mixed_applications(partner_a, partner_b, campaign):
    """Partner A's applications in several statuses, names and cohorts, and one of partner B."""
    program = ProgramFactory(partner=partner_a, campaign=campaign)
    cohort, other_cohort = CohortFactory(program=program), CohortFactory(program=program)
    apps = [
        application_for(program, Status.STUDYING, cohort=cohort, citizen=CitizenFactory(last_name="Сидоров")),
        application_for(program, Status.STUDYING, cohort=cohort, citizen=CitizenFactory(last_name="Смирнов")),
        application_for(program, Status.PRIMARY_DOCS_REVIEW, cohort=cohort,
                        citizen=CitizenFactory(last_name="Сидорова")),
        application_for(program, Status.STUDYING, cohort=other_cohort, citizen=CitizenFactory(last_name="Иванов")),
        application_for(program, Status.EXPELLED, cohort=other_cohort, is_active=False,
                        citizen=CitizenFactory(last_name="Сидоренко")),
    ]
    application_for(ProgramFactory(partner=partner_b, campaign=campaign), Status.STUDYING,
                    citizen=CitizenFactory(last_name="Сидоров"))
    return {"apps": apps, "cohort": cohort, "other_cohort": other_cohort}


@pytest.mark.parametrize("query", [
    {},
    {"status": Status.STUDYING},
    {"q": "Сидор"},
    {"s_name": "Сидор", "status": Status.STUDYING},
    {"cohort": "COHORT"},
    {"cohort": "COHORT", "status": Status.PRIMARY_DOCS_REVIEW},
    {"s_active": "нет"},
    {"s_status": "обучение", "q": "Смир"},
])
def test_the_audience_is_exactly_the_lists_rows(client, staff_a, partner_a, mixed_applications, query):
    query = {k: (mixed_applications["cohort"].pk if v == "COHORT" else v) for k, v in query.items()}
    client.force_login(staff_a)
    listed = {row["application"].pk for row in
              client.get(reverse("enrollment:application_list"), query).context["rows"]}
    params = services.audience_params(status=query.get("status", ""), cohort=query.get("cohort"),
                                      search=query.get("q", ""),
                                      column_search={k[2:]: v for k, v in query.items() if k.startswith("s_")})
    audience = set(services.message_audience(user=staff_a, partner=partner_a, params=params)
                   .values_list("pk", flat=True))
    assert audience == listed
    assert audience


def test_staff_of_two_partners_send_for_one_of_them(client, partner_a, partner_b, campaign, mixed_applications):
    both = UserFactory(email="both@example.org")
    MembershipFactory(organization=partner_a, user=both)
    MembershipFactory(organization=partner_b, user=both)
    client.force_login(both)

    form = client.get(reverse("enrollment:message_compose"), {"q": "Сидор"}).context["form"]
    assert form.fields["partner"].required
    refused = client.post(reverse("enrollment:message_compose"), {"q": "Сидор", **TEXT})
    assert "partner" in refused.context["form"].errors
    preview = _preview(client, {"q": "Сидор", "partner": partner_b.pk, **TEXT})
    assert preview.context["preview"].count == 1
    client.post(reverse("enrollment:message_send"), _confirm_data(preview))
    message = CitizenMessage.objects.get()
    assert message.partner == partner_b
    assert {r.application.partner_id for r in message.recipients.select_related("application")} == {partner_b.pk}


def test_a_citizen_with_several_applications_gets_one_email(staff_a, partner_a, campaign):
    program = ProgramFactory(partner=partner_a, campaign=campaign)
    cohort = CohortFactory(program=program)
    citizen = CitizenFactory(email="twice@example.org")
    older = in_status(ApplicationFactory(program=program, cohort=cohort, citizen=citizen, is_active=False,
                                         submitted_at=timezone.now() - dt.timedelta(days=30)), Status.EXPELLED)
    active = application_for(program, Status.STUDYING, cohort=cohort, citizen=citizen)
    application_for(program, Status.STUDYING, cohort=cohort)

    assert services.message_audience(user=staff_a, partner=partner_a, params={"cohort": cohort.pk}).count() == 3
    preview = services.message_preview(user=staff_a, partner=partner_a, params={"cohort": cohort.pk}, **TEXT)
    message = services.message_send(actor=staff_a, partner=partner_a, params={"cohort": cohort.pk},
                                     idempotency_key=uuid.uuid4(), **TEXT)

    assert preview.count == message.recipients_count == 2
    assert message.recipients.get(citizen=citizen).application == active != older
    assert OutgoingEmail.objects.filter(to="twice@example.org").count() == 1


def test_a_citizen_without_a_valid_address_is_logged_but_not_mailed(staff_a, partner_a, campaign):
    cohort = bulk_cohort(partner_a, campaign, 2)
    Citizen.objects.filter(pk=Application.objects.filter(cohort=cohort).first().citizen_id).update(email="нет адреса")
    message = services.message_send(actor=staff_a, partner=partner_a, params={"cohort": cohort.pk},
                                    idempotency_key=uuid.uuid4(), **TEXT)
    assert message.recipients.count() == 2
    assert message.recipients.filter(outgoing_email__isnull=True).get().email == "нет адреса"
    assert OutgoingEmail.objects.count() == 1
    assert services.delivery_counts(message) == {"sent": 0, "pending": 1, "failed": 0, "no_email": 1}


# Refusals -------------------------------------------------------------------------------------

def _send(staff, partner, params=None, **kwargs):
    return services.message_send(actor=staff, partner=partner, params=params or {},
                                 idempotency_key=uuid.uuid4(), **{**TEXT, **kwargs})


def test_it_refuses_an_empty_subject_or_text_in_russian(staff_a, partner_a, campaign):
    bulk_cohort(partner_a, campaign, 1)
    with pytest.raises(ValidationError) as error:
        _send(staff_a, partner_a, subject="  ", body="\n")
    assert error.value.message_dict == {"subject": ["Укажите тему уведомления."],
                                        "body": ["Напишите текст уведомления."]}
    assert not CitizenMessage.objects.exists()


def test_it_refuses_an_empty_audience(client, staff_a, partner_a, campaign):
    cohort = bulk_cohort(partner_a, campaign, 1)
    with pytest.raises(ValidationError, match="Получателей нет"):
        _send(staff_a, partner_a, {"cohort": cohort.pk, "status": Status.STUDYING})
    client.force_login(staff_a)
    response = client.post(reverse("enrollment:message_compose"), {"cohort": cohort.pk, "status": Status.STUDYING,
                                                                   **TEXT})
    assert "Получателей нет" in response.content.decode()
    assert not CitizenMessage.objects.exists()


@override_settings(CITIZEN_MESSAGE_MAX_RECIPIENTS=2)
def test_it_refuses_more_recipients_than_the_setting_allows(staff_a, partner_a, campaign):
    cohort = bulk_cohort(partner_a, campaign, 3)
    with pytest.raises(ValidationError, match="Получателей 3 — больше 2"):
        _send(staff_a, partner_a, {"cohort": cohort.pk})
    assert not OutgoingEmail.objects.exists()


def test_it_refuses_a_cohort_of_another_partner_for_staff_of_both(partner_a, partner_b, campaign):
    both = UserFactory(email="both@example.org")
    MembershipFactory(organization=partner_a, user=both)
    MembershipFactory(organization=partner_b, user=both)
    cohort = bulk_cohort(partner_a, campaign, 1)
    with pytest.raises(ValidationError, match="Поток относится к другой образовательной организации"):
        _send(both, partner_b, {"cohort": cohort.pk})


def test_the_form_shows_missing_text_in_russian(client, staff_a, partner_a, campaign):
    bulk_cohort(partner_a, campaign, 1)
    client.force_login(staff_a)
    response = client.post(reverse("enrollment:message_compose"), {"subject": "", "body": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["subject"] == ["Обязательное поле."]


def test_a_changed_audience_asks_to_confirm_again(client, staff_a, partner_a, campaign):
    cohort = bulk_cohort(partner_a, campaign, 2)
    client.force_login(staff_a)
    data = _confirm_data(_preview(client, {"cohort": cohort.pk, **TEXT}))
    application_for(cohort.program, cohort=cohort)

    response = client.post(reverse("enrollment:message_send"), data)

    assert response.status_code == 200
    assert response.context["preview"].count == 3
    assert str(response.context["form"]["idempotency_key"].value()) != data["idempotency_key"]
    assert "Состав получателей изменился: было 2, сейчас 3" in response.content.decode()
    assert not CitizenMessage.objects.exists()


# The e-mail and the log -----------------------------------------------------------------------

def test_the_email_carries_the_text_the_partners_contacts_and_the_cabinet_link(staff_a, partner_a, campaign):
    partner_a.contact_email, partner_a.contact_phone = "info@partner-a.ru", "+7 3822 000000"
    partner_a.save()
    bulk_cohort(partner_a, campaign, 1)
    _send(staff_a, partner_a)
    email = OutgoingEmail.objects.get()
    assert email.subject == f"{partner_a.short_name}: Начало занятий"
    assert "Здравствуйте, Имя0000!" in email.body_text
    assert "Занятия начинаются 2 марта в 10:00.\nВозьмите паспорт." in email.body_text
    assert "info@partner-a.ru" in email.body_text
    assert "+7 3822 000000" in email.body_text
    assert reverse("cabinet:home") in email.body_text


def test_the_log_lists_mailings_and_their_recipients(client, staff_a, staff_b, operator_reviewer, partner_a,
                                                     campaign, django_assert_max_num_queries):
    cohort = bulk_cohort(partner_a, campaign, 3)
    message = _send(staff_a, partner_a, {"cohort": cohort.pk})
    OutgoingEmail.objects.filter(pk=message.recipients.first().outgoing_email_id).update(status="sent")

    for user in (staff_a, operator_reviewer):
        client.force_login(user)
        listing = client.get(reverse("enrollment:message_list"))
        assert list(listing.context["page"].object_list) == [message]
        with django_assert_max_num_queries(12):
            detail = client.get(message.get_absolute_url())
        html = detail.content.decode()
        assert "Слушатель Имя0000" in html
        assert "bulk2@example.org" in html
        assert detail.context["delivery"] == {"sent": 1, "pending": 2, "failed": 0, "no_email": 0}
    assert client.get(reverse("enrollment:message_list"), {"q": "bulk1@"}).context["page"].object_list[0] == message
    assert not client.get(reverse("enrollment:message_list"), {"q": "Другое"}).context["page"].object_list

    client.force_login(staff_b)
    assert not client.get(reverse("enrollment:message_list")).context["page"].object_list
    assert client.get(message.get_absolute_url()).status_code == 404


def test_the_list_and_the_cohort_page_link_to_the_form_with_their_filter(client, staff_a, operator_reviewer,
                                                                          partner_a, campaign):
    cohort = bulk_cohort(partner_a, campaign, 1)
    client.force_login(staff_a)
    listing = client.get(reverse("enrollment:application_list"), {"status": Status.STUDYING, "q": "Слуш", "page": 1})
    compose = reverse("enrollment:message_compose")
    assert f'href="{compose}?status=studying&amp;q=%D0%A1%D0%BB%D1%83%D1%88"' in listing.content.decode()
    page = client.get(reverse("cohorts:cohort_detail", args=[cohort.pk])).content.decode()
    assert f'href="{compose}?cohort={cohort.pk}"' in page

    client.force_login(operator_reviewer)
    assert compose not in client.get(reverse("cohorts:cohort_detail", args=[cohort.pk])).content.decode()
    assert compose not in client.get(reverse("enrollment:application_list")).content.decode()
