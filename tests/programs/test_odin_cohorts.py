"""`manage.py import_odin cohorts`: quotas (empty = unlimited, 0 = closed), dates, unknown
programs, idempotency and history."""
import datetime as dt

import pytest
from django.core.management import call_command

from programs.models import Cohort
from tests.programs.factories import CohortFactory, ProgramFactory

pytestmark = pytest.mark.django_db

HEADER = "odin_id;program_odin_id;start_date;end_date;max_students\n"


def import_cohorts(tmp_path, *rows) -> int:
    path = tmp_path / "cohorts.csv"
    path.write_text(HEADER + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    try:
        call_command("import_odin", "cohorts", str(path))
    except SystemExit as exc:
        return exc.code
    return 0


@pytest.fixture
def program(partner_a, campaign):
    return ProgramFactory(partner=partner_a, campaign=campaign, odin_id="p-1")


def test_cohorts_are_created_once_with_their_quotas(program, tmp_path, capsys):
    rows = ("c-1;p-1;02.03.2026;30.04.2026;25", "c-2;p-1;2026-06-01;2026-07-31;", "c-3;p-1;2026-09-01;2026-10-30;0")
    assert import_cohorts(tmp_path, *rows) == 0
    assert "создано: 3" in capsys.readouterr().out
    assert sorted(Cohort.objects.values_list("odin_id", "max_students", "is_held")) == [
        ("c-1", 25, False), ("c-2", None, False), ("c-3", 0, False)]
    assert Cohort.objects.get(odin_id="c-1").start_date == dt.date(2026, 3, 2)

    assert import_cohorts(tmp_path, *rows) == 0
    assert "создано: 0, обновлено: 0, без изменений: 3" in capsys.readouterr().out


def test_a_changed_cohort_is_updated_with_old_and_new_values_in_its_history(program, tmp_path):
    cohort = CohortFactory(program=program, odin_id="c-1", start_date=dt.date(2026, 3, 2),
                           end_date=dt.date(2026, 4, 30), max_students=25)
    assert import_cohorts(tmp_path, "c-1;p-1;09.03.2026;30.04.2026;") == 0
    cohort.refresh_from_db()
    assert (cohort.start_date, cohort.max_students) == (dt.date(2026, 3, 9), None)
    assert cohort.events.get().comment == ("Изменено из Odin: начало обучения: 02.03.2026 → 09.03.2026; "
                                           "максимум слушателей: 25 → без ограничения")


def test_bad_cohort_rows_are_reported(program, partner_a, tmp_path, capsys):
    other = ProgramFactory(partner=partner_a, odin_id="p-2")
    CohortFactory(program=other, odin_id="c-other")
    rows = ("c-1;p-1;31.02.2026;30.04.2026;25",       # broken date
            "c-2;p-1;2026-05-01;2026-04-01;25",       # ends before it starts
            "c-3;p-1;2026-05-01;2026-06-01;-5",       # negative quota
            "c-4;p-404;2026-05-01;2026-06-01;5",      # unknown program
            "c-other;p-1;2026-05-01;2026-06-01;5",    # belongs to another program
            "c-5;;2026-05-01;;5",                     # required values missing
            "c-6;p-1;2026-05-01;2026-06-01;10")       # good
    assert import_cohorts(tmp_path, *rows) == 3
    err = capsys.readouterr().err
    assert "строка 2, start_date: Ожидается дата ГГГГ-ММ-ДД или ДД.ММ.ГГГГ, получено «31.02.2026»." in err
    assert "строка 3, end_date: Дата окончания раньше даты начала." in err
    assert "строка 4, max_students: Число должно быть не меньше 0, получено -5." in err
    assert "строка 5, program_odin_id: Программа с ID Odin «p-404» не найдена в Flow" in err
    assert "строка 6, program_odin_id: Поток относится к другой программе" in err
    assert "строка 7, program_odin_id: Не заполнено обязательное поле." in err
    assert "строка 7, end_date: Не заполнено обязательное поле." in err
    assert set(Cohort.objects.values_list("odin_id", flat=True)) == {"c-other", "c-6"}
