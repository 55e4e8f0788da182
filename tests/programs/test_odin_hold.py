"""The sync rule: while a program is on Работа России, Odin changes to it (and to its cohorts)
wait as "changes waiting", new cohorts arrive held, and `odin_apply_pending` applies them once
the program is taken off РР."""
import datetime as dt

import pytest

from core.fsm import InvalidTransition, run_transition
from core.imports import import_data
from programs.models import Cohort, Program, ProgramEvent
from programs.services.odin import CohortFeed, ProgramFeed, odin_apply_pending
from tests.programs.factories import CohortFactory, ProgramFactory

pytestmark = pytest.mark.django_db

HEADER = ("odin_id,partner_inn,campaign_code,national_project,title,short_title,kind,academic_hours,"
          "distance_hours,study_form,min_education_level,qualification\n")


@pytest.fixture
def published(partner_a, campaign):
    return ProgramFactory(partner=partner_a, campaign=campaign, odin_id="p-1", title="Сварщик",
                          short_title="Сварщик", kind=Program.Kind.PO, academic_hours=320, distance_hours=80,
                          study_form=Program.StudyForm.FULL_TIME, status=Program.Status.PUBLISHED)


def programs_file(program, *, title="Сварщик", hours=320) -> bytes:
    return (HEADER + f"p-1,{program.partner.inn},amsz-2026,1,{title},Сварщик,ПО,{hours},80,очная,,\n").encode()


def cohorts_file(*rows) -> bytes:
    return ("odin_id;program_odin_id;start_date;end_date;max_students\n" + "".join(f"{r}\n" for r in rows)).encode()


def test_a_change_to_a_published_program_waits_and_is_not_applied(published):
    result = import_data(programs_file(published, title="Сварщик ручной дуговой сварки", hours=360), ProgramFeed())
    assert (result.exit_code, result.counts["held"]) == (0, 1)
    published.refresh_from_db()
    assert (published.title, published.academic_hours) == ("Сварщик", 320)
    assert published.pending_odin_changes == {"title": "Сварщик ручной дуговой сварки", "academic_hours": 360}
    assert published.pending_odin_since is not None
    event = published.events.get()
    assert (event.transition, event.source, event.target) == ("odin_changes_held", "published", "published")
    assert event.comment == "Изменения из Odin ждут снятия программы с публикации: название, академических часов"


def test_the_same_waiting_change_again_writes_nothing_and_a_revert_withdraws_it(published):
    import_data(programs_file(published, title="Новое"), ProgramFeed())
    since = Program.objects.get().pending_odin_since
    again = import_data(programs_file(published, title="Новое"), ProgramFeed())
    assert again.counts["unchanged"] == 1
    assert published.events.count() == 1
    assert Program.objects.get().pending_odin_since == since

    reverted = import_data(programs_file(published), ProgramFeed())
    assert reverted.counts["held"] == 1
    published.refresh_from_db()
    assert (published.pending_odin_changes, published.pending_odin_since) == ({}, None)


def test_apply_pending_applies_what_waited_once_the_program_is_off_the_portal(published, operator_reviewer):
    import_data(programs_file(published, title="Новое", hours=360), ProgramFeed())
    with pytest.raises(InvalidTransition):
        odin_apply_pending(program=published)

    program = run_transition(published, "mark_unpublished", actor=None)
    program = odin_apply_pending(program=program, actor=operator_reviewer)
    program.refresh_from_db()
    assert (program.title, program.academic_hours) == ("Новое", 360)
    assert (program.pending_odin_changes, program.pending_odin_since) == ({}, None)
    applied = program.events.get(transition="odin_changes_applied")
    assert (applied.actor, applied.comment) == (operator_reviewer,
                                                "Применены изменения из Odin: название, академических часов")

    events = ProgramEvent.objects.count()
    odin_apply_pending(program=program)  # idempotent
    assert ProgramEvent.objects.count() == events


def test_an_unlocked_program_takes_the_change_directly(published):
    program = run_transition(published, "mark_unpublished", actor=None)
    result = import_data(programs_file(program, title="Новое"), ProgramFeed())
    assert result.counts["updated"] == 1
    program.refresh_from_db()
    assert program.title == "Новое"


def test_cohorts_of_a_published_program_wait_too(published):
    cohort = CohortFactory(program=published, odin_id="c-1", start_date=dt.date(2026, 3, 2),
                           end_date=dt.date(2026, 4, 30), max_students=25)
    result = import_data(cohorts_file("c-1;p-1;2026-03-09;2026-04-30;30", "c-2;p-1;01.06.2026;31.07.2026;"),
                         CohortFeed())
    assert (result.exit_code, result.counts["held"]) == (0, 2)
    cohort.refresh_from_db()
    assert (cohort.start_date, cohort.max_students) == (dt.date(2026, 3, 2), 25)
    new = Cohort.objects.get(odin_id="c-2")
    assert new.is_held
    published.refresh_from_db()
    assert published.pending_odin_changes == {"cohorts": {"c-1": {"start_date": "2026-03-09", "max_students": 30}}}
    assert published.events.get().transition == "odin_changes_held"
    assert new.events.get().comment == "Получен из Odin; ждёт снятия программы с публикации"

    # A held cohort is not on РР yet: its own changes apply at once.
    import_data(cohorts_file("c-1;p-1;2026-03-09;2026-04-30;30", "c-2;p-1;01.06.2026;31.07.2026;10"), CohortFeed())
    new.refresh_from_db()
    assert (new.max_students, new.is_held) == (10, True)

    program = odin_apply_pending(program=run_transition(published, "mark_unpublished", actor=None))
    cohort.refresh_from_db()
    new.refresh_from_db()
    assert (cohort.start_date, cohort.max_students) == (dt.date(2026, 3, 9), 30)
    assert not new.is_held
    assert program.pending_odin_changes == {}
    assert cohort.events.get().comment == "Применены изменения из Odin: начало обучения, максимум слушателей"
    assert new.events.filter(transition="odin_changes_applied").get().comment == \
        "Программа снята с публикации: поток больше не ждёт."
