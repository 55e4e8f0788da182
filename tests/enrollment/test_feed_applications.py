"""`manage.py import_applications`: the РР applications feed (issue 4, acceptance 1)."""
import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.demo import seed_accounts
from accounts.models import AccessToken, User
from accounts.services import citizen_login_consume
from core.models import OutgoingEmail
from enrollment.models import Application, ApplicationEvent, Citizen
from enrollment.services.feed import ApplicationFeed, rr_import
from programs.demo import seed_programs
from tests.enrollment.factories import ApplicationFactory, CitizenFactory, valid_snils
from tests.factories import UserFactory
from tests.programs.factories import CohortFactory, ProgramFactory

pytestmark = pytest.mark.django_db

SAMPLE = Path(settings.BASE_DIR) / "docs" / "samples" / "rr_applications.csv"
HEADER = ",".join(ApplicationFeed.required_columns)
VERSIONED_HEADER = ",".join(ApplicationFeed.columns)  # with the optional `changed_at`
INVITATION_SUBJECT = "Активные меры содействия занятости: ваш личный кабинет слушателя в Flow"


def row(number, *, snils=None, email=None, program="p-1", cohort="c-1", birth="1985-05-17",
        submitted="2026-02-10T12:00:00+07:00", last="Петров", first="Пётр", middle="Петрович", region="70",
        category="unemployed", phone="+7 913 555-00-00", changed=None) -> str:
    """One row; with `changed`, a `changed_at` cell too (for `feed_file(..., versioned=True)`)."""
    snils = valid_snils(number) if snils is None else snils
    email = f"c{number}@example.org" if email is None else email
    return (f"РР-2026-{number:06d},{submitted},{last},{first},{middle},{birth},{snils},{email},{phone},{region},"
            f"{program},{cohort},{category}" + ("" if changed is None else f",{changed}"))


def feed_file(*rows: str, versioned: bool = False) -> bytes:
    return ("\n".join([VERSIONED_HEADER if versioned else HEADER, *rows]) + "\n").encode()


@pytest.fixture
def program(db):
    program = ProgramFactory(odin_id="p-1", title="Сварщик ручной дуговой сварки")
    CohortFactory(program=program, odin_id="c-1")
    return program


def invitations():
    return OutgoingEmail.objects.filter(subject=INVITATION_SUBJECT)


# The sample in the demo world ------------------------------------------------------------------

@pytest.fixture
def demo_world(db):
    # seed_demo's world before its РР step (seed_demo itself imports this very sample).
    seed_accounts()
    seed_programs()


def test_the_sample_imports_twice_creating_each_application_once_and_one_invitation_per_citizen(demo_world):
    out = io.StringIO()
    call_command("import_applications", str(SAMPLE), stdout=out, stderr=io.StringIO())  # exit 0: no SystemExit
    assert Application.objects.count() == 12
    assert Citizen.objects.count() == 11  # Сидоров applied twice
    assert invitations().count() == 11
    assert set(invitations().values_list("to", flat=True)) == set(Citizen.objects.values_list("user__email", flat=True))
    assert ApplicationEvent.objects.filter(transition="import").count() == 12
    assert "создано: 12" in out.getvalue()

    again = io.StringIO()
    call_command("import_applications", str(SAMPLE), stdout=again, stderr=io.StringIO())
    assert Application.objects.count() == 12
    assert invitations().count() == 11
    assert ApplicationEvent.objects.count() == 12  # only the first import wrote history
    assert "создано: 0, обновлено: 0, без изменений: 12, отклонено: 0" in again.getvalue()


def test_the_sample_shows_the_newest_application_active_and_normalised_names(demo_world):
    call_command("import_applications", str(SAMPLE), stdout=io.StringIO())
    older, newer = Application.objects.filter(citizen__snils="16789012307").order_by("submitted_at")
    assert (older.rr_number, older.is_active) == ("РР-2026-000005", False)
    assert (newer.rr_number, newer.is_active) == ("РР-2026-000010", True)
    morozov = Citizen.objects.get(snils="22345678973")
    assert (morozov.last_name, morozov.first_name, morozov.middle_name) == ("Морозов", "Виктор", "Алексеевич")
    yolkina = Citizen.objects.get(snils="14523698776")
    assert (yolkina.last_name, yolkina.email, yolkina.phone) == ("Ёлкина", "alena.yolkina@example.ru", "+79135550303")
    demo = User.objects.get(email="citizen@demo.flow")  # seed_demo's citizen login now has a Citizen
    assert demo.citizen.applications.get().program.odin_id == "prog-20420"
    application = Application.objects.select_related("program").get(rr_number="РР-2026-000004")
    assert application.partner_id == application.program.partner_id
    assert application.region_id == "54"
    assert application.category_id == "job_seekers"
    # The sample has the optional `changed_at` for two rows; the others are dated by their filing.
    assert application.rr_changed_at == dt.datetime(2026, 2, 5, 3, tzinfo=dt.UTC)
    assert Application.objects.get(rr_number="РР-2026-000001").rr_changed_at == dt.datetime(2026, 1, 12, 3, 15,
                                                                                           tzinfo=dt.UTC)


# Bad rows ---------------------------------------------------------------------------------------

def bad_file(tmp_path, program) -> Path:
    good = [row(1), row(2)]
    wrong_snils = row(3, snils="112-233-445 96")
    duplicate = row(1, email="other@example.org")
    unknown_program = row(4, program="p-404")
    future_birth = row(5, birth=(timezone.localdate() + dt.timedelta(days=3)).isoformat())
    empty_email = row(6, email="")
    badly_encoded = row(7, last="Сидоров").encode().replace("Сидоров".encode(), "Сидоров".encode("cp1251"))
    data = feed_file(good[0], wrong_snils, duplicate, unknown_program, future_birth, empty_email).rstrip(b"\n")
    data += b"\n" + badly_encoded + b"\n" + good[1].encode() + b"\n"
    path = tmp_path / "rr.csv"
    path.write_bytes(data)
    return path


def test_bad_rows_are_reported_with_row_column_and_reason_and_the_good_rows_imported(tmp_path, program):
    path = bad_file(tmp_path, program)
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_applications", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert exit_info.value.code == 3
    assert set(Application.objects.values_list("rr_number", flat=True)) == {"РР-2026-000001", "РР-2026-000002"}
    assert invitations().count() == 2
    report = list(csv.reader(io.StringIO((tmp_path / "rr.errors.csv").read_bytes().decode("utf-8-sig")),
                             delimiter=";"))
    assert report[0] == ["Строка", "Столбец", "Причина"]
    assert [tuple(r) for r in report[1:]] == [
        ("3", "snils", "Неверный СНИЛС: не сходится контрольное число."),
        ("4", "rr_number", "Значение «РР-2026-000001» уже встречалось в строке 2; повтор не импортирован."),
        ("5", "program_odin_id", "Программа с ID Odin «p-404» не найдена в Flow."),
        ("6", "birth_date", "Дата рождения в будущем."),
        ("7", "email", "Не заполнено обязательное поле."),
        ("8", "last_name", "Строка в другой кодировке, не UTF-8: значение не прочитать. "
                           "Сохраните файл целиком в UTF-8."),
    ]


@pytest.mark.parametrize(("cells", "column", "reason"), [
    ({"submitted": "2026-02-10T12:00:00"}, "submitted_at", "Не указан часовой пояс"),
    ({"submitted": "10.02.2026"}, "submitted_at", "Ожидается дата и время ISO 8601"),
    ({"birth": "2020-01-01"}, "birth_date", "На дату подачи заявки гражданину меньше 14 лет."),
    ({"birth": "31.02.1990"}, "birth_date", "Ожидается дата ГГГГ-ММ-ДД или ДД.ММ.ГГГГ"),
    ({"snils": "123"}, "snils", "Неверный СНИЛС: нужно 11 цифр."),
    ({"email": "ivan@"}, "email", "Неверный адрес e-mail «ivan@»."),
    ({"region": "99"}, "region_code", "Регион с кодом «99» не найден."),
    ({"cohort": "c-404"}, "cohort_odin_id", "Поток с ID Odin «c-404» не найден в Flow."),
    ({"cohort": "c-2"}, "cohort_odin_id", "Поток «c-2» относится к другой программе, не к «p-1»."),
    ({"category": "astronauts"}, "category", "Неизвестная категория граждан «astronauts»."),
    ({"phone": "12-34"}, "phone", "Неверный номер телефона «12-34»"),
    ({"last": ""}, "last_name", "Не заполнено обязательное поле."),
])
def test_each_check_has_a_russian_reason(program, cells, column, reason):
    CohortFactory(odin_id="c-2")
    result = rr_import(kind="applications", source=feed_file(row(1, **cells)))
    assert result.exit_code == 3
    assert [(e.row, e.column) for e in result.errors] == [(2, column)]
    assert result.errors[0].reason.startswith(reason)
    assert not Application.objects.exists()


@pytest.mark.parametrize(("changed", "reason"), [
    ("2026-02-12T09:00:00", "Не указан часовой пояс"),
    ("12.02.2026", "Ожидается дата и время ISO 8601"),
    ("2026-02-09T12:00:00+07:00", "Заявка не может быть изменена раньше, чем подана (2026-02-10T12:00:00+07:00)."),
])
def test_a_bad_changed_at_is_a_row_error(program, changed, reason):
    result = rr_import(kind="applications", source=feed_file(row(1, changed=changed), versioned=True))
    assert [(e.row, e.column) for e in result.errors] == [(2, "changed_at")]
    assert result.errors[0].reason.startswith(reason)
    assert not Application.objects.exists()


def test_a_new_application_keeps_the_moment_of_its_version(program):
    """`changed_at` when the file has it, else the filing moment: the base of the out-of-order rule."""
    rr_import(kind="applications", source=feed_file(row(1), row(2)))
    rr_import(kind="applications", source=feed_file(row(3, changed="2026-02-11T08:00:00+03:00"),
                                                    row(4, changed=""), versioned=True))
    moments = dict(Application.objects.values_list("rr_number", "rr_changed_at"))
    assert moments == {
        "РР-2026-000001": dt.datetime(2026, 2, 10, 5, tzinfo=dt.UTC),
        "РР-2026-000002": dt.datetime(2026, 2, 10, 5, tzinfo=dt.UTC),
        "РР-2026-000003": dt.datetime(2026, 2, 11, 5, tzinfo=dt.UTC),
        "РР-2026-000004": dt.datetime(2026, 2, 10, 5, tzinfo=dt.UTC),  # an empty cell: the filing moment
    }


def test_an_unusable_file_exits_with_1_and_writes_nothing(tmp_path, program):
    path = tmp_path / "rr.csv"
    path.write_bytes(b"rr_number,submitted_at\n\xd0\xa0\xd0\xa0-1,2026-01-01T00:00:00+03:00\n")
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_applications", str(path), stdout=io.StringIO(), stderr=err)
    assert exit_info.value.code == 1
    assert "Нет обязательных столбцов" in err.getvalue()
    assert not Citizen.objects.exists()


def test_a_semicolon_file_with_a_bom_and_json_lines_import_the_same(program):
    csv_result = rr_import(kind="applications", source=b"\xef\xbb\xbf" + feed_file(row(1)).replace(b",", b";"))
    assert (csv_result.exit_code, csv_result.counts["created"]) == (0, 1)
    values = {"rr_number": "РР-2026-000002", "submitted_at": "2026-02-10T05:00:00Z", "last_name": "Ким",
              "first_name": "Анна", "middle_name": None, "birth_date": "1990-01-01", "snils": valid_snils(2),
              "email": "kim@example.org", "phone": 89135550000, "region_code": 70, "program_odin_id": "p-1",
              "cohort_odin_id": "", "category": ""}
    assert set(values) == set(ApplicationFeed.required_columns)
    line = json.dumps(values, ensure_ascii=False)
    json_result = rr_import(kind="applications", source=line.encode(), name="rr.jsonl")
    assert (json_result.exit_code, json_result.counts["created"]) == (0, 1), json_result.errors
    kim = Citizen.objects.get(email="kim@example.org")
    assert (kim.phone, kim.middle_name, kim.applications.get().cohort) == ("+79135550000", "", None)


def test_a_windows_1251_file_imports_whole(program):
    result = rr_import(kind="applications", source=feed_file(row(1, last="Фёдоров"), row(2)).decode().encode("cp1251"))
    assert result.exit_code == 0, result.errors
    assert Citizen.objects.filter(last_name="Фёдоров").exists()


def test_a_dry_run_writes_nothing(program):
    result = rr_import(kind="applications", source=feed_file(row(1)), dry_run=True)
    assert result.counts["created"] == 1
    assert not Application.objects.exists()
    assert not User.objects.filter(is_citizen=True).exists()
    assert not OutgoingEmail.objects.exists()


# Citizens -------------------------------------------------------------------------------------

def test_a_new_citizen_gets_a_user_without_a_password_and_a_24_hour_login_link(program):
    rr_import(kind="applications", source=feed_file(row(1, last="  Петров ", first="Пётр   Иван")))
    citizen = Citizen.objects.select_related("user").get()
    assert (citizen.last_name, citizen.first_name) == ("Петров", "Пётр Иван")
    assert citizen.user.is_citizen
    assert not citizen.user.has_usable_password()
    assert citizen.user.email == citizen.email == "c1@example.org"
    email = invitations().get()
    assert email.to == "c1@example.org"
    assert "Сварщик ручной дуговой сварки" in email.body_text
    assert program.partner.short_name in email.body_text
    prefix = settings.SITE_URL + reverse("accounts:citizen_login_confirm", args=["TOKEN"]).replace("TOKEN/", "")
    token = re.search(re.escape(prefix) + r"([\w-]+)/", email.body_text).group(1)
    assert token in email.body_html
    stored = AccessToken.objects.get(user=citizen.user)
    assert stored.expires_at - stored.created_at == dt.timedelta(hours=24)
    assert citizen_login_consume(raw_token=token) == citizen.user


def test_invitations_of_a_batch_are_stamped_and_each_is_its_own_full_render(program):
    """A batch's invitations are rendered once per program and cohort and stamped with each name,
    number and link (core.mail.BulkMessage): every one equals the template rendered for its own
    citizen, names with apostrophes escaped in the HTML part, a citizen without a middle name too."""
    from unittest import mock

    from core import mail
    from enrollment.models import Application

    people = [("Петров", "Пётр", "Петрович"), ("Д'Арк", "Жанна", ""), ("Иванова", "Анна", "Сергеевна")] * 4
    with mock.patch.object(mail, "render_templated_mail", wraps=mail.render_templated_mail) as render:
        result = rr_import(kind="applications", source=feed_file(
            *(row(n, last=last, first=first, middle=middle) for n, (last, first, middle) in enumerate(people, 1))))
    assert result.exit_code == 0, result.errors
    assert render.call_count == 2  # one group (one program and cohort, every name present): stamp and reference
    emails = {e.to: e for e in invitations()}
    assert len(emails) == len(people)
    for application in Application.objects.select_related("citizen__user", "program__partner", "cohort"):
        email = emails[application.citizen.email]
        token = re.search(r"/citizen/login/([\w-]+)/", email.body_text).group(1)
        link = settings.SITE_URL + reverse("accounts:citizen_login_confirm", args=[token])
        full = mail.render_templated_mail(email.to, "emails/enrollment/invitation", {
            "user_name": " ".join(filter(None, (application.citizen.first_name, application.citizen.middle_name))),
            "link": link, "applications": [application], "ttl_hours": 24,
            "login_url": settings.SITE_URL + reverse("accounts:citizen_login")})
        assert (email.subject, email.body_text, email.body_html) == (full.subject, full.body_text, full.body_html)
    assert "Жанна!" in emails["c2@example.org"].body_text


def test_a_citizen_is_found_by_snils_then_by_email_in_any_case(program):
    by_snils = CitizenFactory(snils=valid_snils(1), email="old@example.org")
    by_email = CitizenFactory(snils="", email="Mixed.Case@Example.org")
    result = rr_import(kind="applications", source=feed_file(
        row(1, email="new@example.org"), row(2, email="mixed.case@example.org")))
    assert result.exit_code == 0, result.errors
    assert Citizen.objects.count() == 2
    assert by_snils.applications.get().rr_number == "РР-2026-000001"
    assert by_email.applications.get().rr_number == "РР-2026-000002"
    by_snils.refresh_from_db()
    assert by_snils.email == "old@example.org"  # a changed e-mail is a support request, not a feed update
    assert sorted(invitations().values_list("to", flat=True)) == sorted([by_snils.user.email, by_email.user.email])


def test_an_email_of_another_person_or_of_staff_is_refused(program):
    CitizenFactory(snils=valid_snils(9), email="taken@example.org")
    UserFactory(email="staff@example.org")
    result = rr_import(kind="applications", source=feed_file(
        row(1, email="TAKEN@example.org"), row(2, email="staff@example.org"),
        row(3, email="twin@example.org"), row(4, email="twin@example.org")))
    assert [(e.row, e.column) for e in result.errors] == [(2, "email"), (3, "email"), (5, "email")]
    assert "другим СНИЛС" in result.errors[0].reason
    assert "сотрудника" in result.errors[1].reason
    assert list(Application.objects.values_list("rr_number", flat=True)) == ["РР-2026-000003"]


def test_several_new_applications_of_one_citizen_get_one_invitation_across_batches(program):
    snils = valid_snils(1)
    rows = [row(n, snils=snils, email="one@example.org", submitted=f"2026-02-{n:02d}T12:00:00+03:00")
            for n in range(1, 6)]
    result = rr_import(kind="applications", source=feed_file(*rows), batch_size=2)
    assert result.exit_code == 0, result.errors
    assert invitations().count() == 1
    assert list(Application.objects.filter(is_active=True).values_list("rr_number", flat=True)) == ["РР-2026-000005"]
    assert AccessToken.objects.filter(revoked_at=None).count() == 1


# Active and inactive ----------------------------------------------------------------------------

def test_a_newer_application_switches_the_older_one_off_and_an_older_one_arrives_inactive(program):
    # An explicit number: the factory's sequence could equal a row's РР-2026-00000N, whatever ran before.
    existing = ApplicationFactory(rr_number="РР-2025-000001", citizen=CitizenFactory(snils=valid_snils(1)),
                                  program=program, submitted_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    rr_import(kind="applications", source=feed_file(row(2, snils=valid_snils(1), submitted="2026-01-01T00:00:00Z")))
    assert Application.objects.get(rr_number="РР-2026-000002").is_active is False
    existing.refresh_from_db()
    assert existing.is_active
    rr_import(kind="applications", source=feed_file(row(3, snils=valid_snils(1), submitted="2026-03-01T00:00:00Z")))
    existing.refresh_from_db()
    assert not existing.is_active
    assert existing.events.get(transition="deactivate").comment.endswith("получена более новая заявка РР-2026-000003.")
    assert Application.objects.get(rr_number="РР-2026-000003").is_active
    assert Application.objects.filter(citizen=existing.citizen, is_active=True).count() == 1
    assert invitations().count() == 2  # every new application's citizen is invited, once per import


# Known applications -----------------------------------------------------------------------------

def test_a_known_application_follows_cohort_and_category_changes_and_keeps_its_program(program):
    rr_import(kind="applications", source=feed_file(row(1)))
    CohortFactory(program=program, odin_id="c-9")
    ProgramFactory(odin_id="p-2")
    result = rr_import(kind="applications", source=feed_file(row(1, cohort="c-9", category=""), row(1, program="p-2")))
    assert result.counts["updated"] == 1
    application = Application.objects.get()
    assert (application.cohort.odin_id, application.category) == ("c-9", None)
    event = application.events.get(transition="rr_update")
    assert event.comment == "Изменено с РР: поток: c-1 → c-9; категория: unemployed → —"
    assert result.errors[0].row == 3
    assert result.errors[0].column == "rr_number"
    other = rr_import(kind="applications", source=feed_file(row(1, program="p-2", cohort="")))
    assert [(e.column, e.reason) for e in other.errors] == [
        ("program_odin_id", "Заявка РР-2026-000001 уже относится к другой программе; "
                            "смена программы не поддерживается.")]
    assert invitations().count() == 1
