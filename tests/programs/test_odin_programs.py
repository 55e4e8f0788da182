"""`manage.py import_odin programs`: idempotent upserts keyed on Odin ids, row checks with
Russian reasons and row numbers, the error report, exit codes 0 / 3 / 1, labels accepted for
kinds and forms, and programs without the national-project flag."""
import csv
import json

import pytest
from django.core.management import call_command

from accounts.models import Organization
from programs.models import Program, ProgramEvent
from tests.factories import CampaignFactory, OrganizationFactory
from tests.programs.factories import ProgramFactory

pytestmark = pytest.mark.django_db

COLUMNS = ("odin_id", "partner_inn", "campaign_code", "national_project", "title", "short_title", "kind",
           "academic_hours", "distance_hours", "study_form", "min_education_level", "qualification")


def program_row(partner, odin_id="p-1", **overrides) -> dict:
    row = {"odin_id": odin_id, "partner_inn": partner.inn, "campaign_code": "amsz-2026", "national_project": "1",
           "title": "Оператор станков с программным управлением", "short_title": "Оператор ЧПУ", "kind": "ПО",
           "academic_hours": "256", "distance_hours": "64", "study_form": "очная",
           "min_education_level": "основное общее", "qualification": "Оператор станков с ПУ 3-го разряда"}
    return {**row, **overrides}


def write_csv(path, rows, delimiter=","):
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def import_odin(kind, path, *args) -> int:
    """Run the command; its exit code (0 when it returns normally)."""
    try:
        call_command("import_odin", kind, str(path), *args)
    except SystemExit as exc:
        return exc.code
    return 0


def test_importing_the_same_file_twice_creates_nothing_the_second_time(partner_a, partner_b, tmp_path, capsys):
    path = write_csv(tmp_path / "programs.csv", [program_row(partner_a, "p-1"), program_row(partner_a, "p-2"),
                                                 program_row(partner_b, "p-3", kind="dpo_pk", academic_hours="72")])
    assert import_odin("programs", path) == 0
    assert "создано: 3, обновлено: 0, без изменений: 0" in capsys.readouterr().out
    events = ProgramEvent.objects.count()

    assert import_odin("programs", path) == 0
    assert "создано: 0, обновлено: 0, без изменений: 3, отложено до снятия с РР: 0, отклонено: 0" in \
        capsys.readouterr().out
    assert Program.objects.count() == 3
    assert ProgramEvent.objects.count() == events  # unchanged rows write nothing
    assert not (tmp_path / "programs.errors.csv").exists()


def test_a_new_program_starts_in_partner_revision_with_its_odin_card(partner_a, tmp_path):
    import_odin("programs", write_csv(tmp_path / "p.csv", [program_row(partner_a)]))
    program = Program.objects.get(odin_id="p-1")
    assert program.status == Program.Status.PARTNER_REVISION
    assert (program.partner, program.campaign.code) == (partner_a, "amsz-2026")
    assert (program.kind, program.academic_hours, program.distance_hours) == (Program.Kind.PO, 256, 64)
    assert (program.study_form, program.odin_education_level) == ("full_time", "basic_general")
    assert program.odin_qualification == "Оператор станков с ПУ 3-го разряда"
    assert program.events.get().transition == "odin_create"


def test_bad_rows_are_reported_with_row_number_and_reason_and_good_rows_imported(partner_a, tmp_path, capsys):
    rows = [
        program_row(partner_a, "good-1"),
        program_row(partner_a, "bad-inn", partner_inn="7017000034"),
        program_row(partner_a, "unknown-partner", partner_inn="7707083893"),
        program_row(partner_a, "negative", academic_hours="-8"),
        program_row(partner_a, "good-2", kind="ДПО ПК", academic_hours="72", distance_hours="72"),
    ]
    path = write_csv(tmp_path / "programs.csv", rows)
    assert import_odin("programs", path) == 3
    assert set(Program.objects.values_list("odin_id", flat=True)) == {"good-1", "good-2"}
    err = capsys.readouterr().err
    assert "строка 3, partner_inn: Неверный ИНН" in err
    assert "строка 4, partner_inn: Организация с ИНН 7707083893 не найдена в Flow." in err
    assert "строка 5, academic_hours: Число должно быть не меньше 0, получено -8." in err
    report = (tmp_path / "programs.errors.csv").read_text(encoding="utf-8-sig").splitlines()
    assert report[0] == "Строка;Столбец;Причина"
    assert [line.split(";")[:2] for line in report[1:]] == [["3", "partner_inn"], ["4", "partner_inn"],
                                                           ["5", "academic_hours"]]


def test_the_error_report_goes_where_asked(partner_a, tmp_path):
    path = write_csv(tmp_path / "p.csv", [program_row(partner_a, title="")])
    assert import_odin("programs", path, "--errors", str(tmp_path / "out.csv")) == 3
    assert "Не заполнено обязательное поле." in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(("content", "reason"), [
    ("odin_id,title\np-1,Программа\n", "Нет обязательных столбцов"),
    ("", "Файл пуст"),
    (",".join(COLUMNS) + "\n", "нет строк с данными"),
])
def test_an_unusable_file_exits_1_and_imports_nothing(partner_a, tmp_path, capsys, content, reason):
    path = tmp_path / "programs.csv"
    path.write_text(content, encoding="utf-8")
    assert import_odin("programs", path) == 1
    assert reason in capsys.readouterr().err
    assert not Program.objects.exists()


def test_undecodable_input_and_an_unknown_kind_exit_1(partner_a, tmp_path, capsys):
    path = tmp_path / "programs.csv"
    path.write_bytes(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)))
    assert import_odin("programs", path) == 1
    assert "не текстовый файл" in capsys.readouterr().err
    assert import_odin("teachers", write_csv(tmp_path / "p.csv", [program_row(partner_a)])) == 1
    assert "Неизвестный вид файла Odin «teachers»" in capsys.readouterr().err
    assert not Program.objects.exists()


@pytest.mark.parametrize(("kind", "study_form", "level", "expected"), [
    ("ДПО ПК", "Очная", "Среднее профессиональное", ("dpo_pk", "full_time", "vocational")),
    ("повышение квалификации", "очно-заочная", "СПО или ВО", ("dpo_pk", "part_time", "vocational_or_higher")),
    ("ДПО ПП", "заочная", "высшее образование", ("dpo_pp", "extramural", "higher")),
    ("Профессиональная переподготовка", "part_time", "secondary_general", ("dpo_pp", "part_time",
                                                                            "secondary_general")),
    ("профессиональное обучение", "extramural", "без требований к образованию", ("po", "extramural", "none")),
    ("po", "очная", "", ("po", "full_time", "")),
])
def test_kinds_forms_and_levels_accept_codes_and_russian_labels(partner_a, tmp_path, kind, study_form, level,
                                                                expected):
    path = write_csv(tmp_path / "p.csv", [program_row(partner_a, kind=kind, study_form=study_form,
                                                      min_education_level=level)])
    assert import_odin("programs", path) == 0
    program = Program.objects.get()
    assert (program.kind, program.study_form, program.odin_education_level) == expected


def test_row_checks(partner_a, operator_org, tmp_path, capsys):
    CampaignFactory()
    rows = [
        program_row(partner_a, "p-1", distance_hours="100", academic_hours="72"),
        program_row(partner_a, "p-2", partner_inn=operator_org.inn),
        program_row(partner_a, "p-3", campaign_code="amsz-2019"),
        program_row(partner_a, "p-4", kind="магистратура", study_form="вечерняя", academic_hours="72 ч"),
        program_row(partner_a, "p-5", national_project="может быть"),
        program_row(partner_a, "p-6", title="Т" * 501),
        program_row(partner_a, "p-7"),
        program_row(partner_a, "p-7", title="Повтор"),
    ]
    assert import_odin("programs", write_csv(tmp_path / "p.csv", rows)) == 3
    err = capsys.readouterr().err
    assert "строка 2, distance_hours: Часов с ДОТ (100) больше, чем всего часов (72)." in err
    assert f"строка 3, partner_inn: Организация с ИНН {operator_org.inn} — не образовательный партнёр." in err
    assert "строка 4, campaign_code: Кампания с кодом «amsz-2019» не найдена." in err
    assert "строка 5, kind: Неизвестное значение «магистратура» (вид программы)." in err
    assert "строка 5, study_form: Неизвестное значение «вечерняя» (форма обучения)." in err
    assert "строка 5, academic_hours: Ожидается целое число" in err
    assert "строка 6, national_project: Ожидается 1/0, true/false или да/нет" in err
    assert "строка 7, title: Убедитесь, что это значение содержит не более 500 символов" in err
    assert "строка 9, odin_id: Значение «p-7» уже встречалось в строке 8" in err
    assert list(Program.objects.values_list("odin_id", "title")) == [
        ("p-7", "Оператор станков с программным управлением")]


def test_a_changed_row_updates_the_program_and_writes_history(partner_a, tmp_path, capsys):
    import_odin("programs", write_csv(tmp_path / "p.csv", [program_row(partner_a)]))
    path = write_csv(tmp_path / "p.csv", [program_row(partner_a, title="Оператор станков с ЧПУ", academic_hours="300")])
    assert import_odin("programs", path) == 0
    assert "создано: 0, обновлено: 1" in capsys.readouterr().out
    program = Program.objects.get()
    assert (program.title, program.academic_hours) == ("Оператор станков с ЧПУ", 300)
    event = program.events.filter(transition="odin_update").get()
    assert event.comment == "Изменено из Odin: название, академических часов"


def test_odin_cannot_move_a_program_to_another_partner(partner_a, partner_b, tmp_path, capsys):
    import_odin("programs", write_csv(tmp_path / "p.csv", [program_row(partner_a)]))
    assert import_odin("programs", write_csv(tmp_path / "p.csv", [program_row(partner_b)])) == 3
    assert "смена партнёра через Odin не поддерживается" in capsys.readouterr().err
    assert Program.objects.get().partner == partner_a


def test_unflagged_programs_are_skipped_and_a_removed_flag_leaves_the_program_alone(partner_a, tmp_path, capsys):
    existing = ProgramFactory(partner=partner_a, odin_id="p-old", title="Старое название")
    rows = [program_row(partner_a, "p-new", national_project="нет"),
            program_row(partner_a, "p-old", national_project="0", title="Новое название", academic_hours="")]
    assert import_odin("programs", write_csv(tmp_path / "p.csv", rows)) == 0
    out = capsys.readouterr().out
    assert "пропущено (не нацпроект): 1, снята отметка нацпроекта (оставлены как есть): 1" in out
    assert "оставлены без изменений; закройте их вручную, если нужно): p-old" in out
    assert not Program.objects.filter(odin_id="p-new").exists()
    existing.refresh_from_db()
    assert (existing.title, existing.is_national_project) == ("Старое название", True)


def test_json_lines_and_semicolons_with_bom(partner_a, tmp_path):
    jsonl = tmp_path / "programs.jsonl"
    jsonl.write_text("\n".join(json.dumps(program_row(partner_a, f"j-{i}", academic_hours=72 + i,
                                                      national_project=True), ensure_ascii=False)
                               for i in range(2)), encoding="utf-8")
    assert import_odin("programs", jsonl) == 0
    semicolons = write_csv(tmp_path / "p.csv", [program_row(partner_a, "s-1")], delimiter=";")
    semicolons.write_bytes(b"\xef\xbb\xbf" + semicolons.read_bytes())
    assert import_odin("programs", semicolons) == 0
    assert sorted(Program.objects.values_list("odin_id", "academic_hours")) == [("j-0", 72), ("j-1", 73),
                                                                               ("s-1", 256)]


def test_a_dry_run_writes_nothing(partner_a, tmp_path, capsys):
    assert import_odin("programs", write_csv(tmp_path / "p.csv", [program_row(partner_a)]), "--dry-run") == 0
    assert "Проверка без записи p.csv (строк с данными: 1): создано: 1" in capsys.readouterr().out
    assert not Program.objects.exists()


def test_a_partner_that_is_not_active_in_kind_partner_is_refused(tmp_path, capsys):
    employment = OrganizationFactory(kind=Organization.Kind.EMPLOYMENT_SERVICE)
    CampaignFactory()
    assert import_odin("programs", write_csv(tmp_path / "p.csv", [program_row(employment)])) == 3
    assert "не образовательный партнёр" in capsys.readouterr().err
