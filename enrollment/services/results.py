"""Odin training results on applications (reference §2.1.1 rows 14 and 15): the backend that
`programs.services.odin.ResultFeed` calls, registered in `EnrollmentConfig.ready()`.

A result is stored on the application it names (`result`, `result_date`). An application in
training moves on: success → the completion order is due, failure → the failure order is due.
In any other status the result is kept without moving the application, and the summary says so.
"""
from collections.abc import Collection

from django.utils import timezone
from django.utils.translation import gettext as _

from core.fsm import run_transition
from core.imports import ImportResult, bulk_update_values
from enrollment.models import Application
from programs.services.odin import TrainingResult

NOTE_NUMBERS = 20


def results_lookup(rr_numbers: Collection[str]) -> dict[str, Application]:
    """The batch's applications by РР number, locked for the batch, in one query."""
    return {a.rr_number: a for a in Application.objects.select_for_update().filter(rr_number__in=list(rr_numbers))}


def results_record(pairs: list[tuple[Application, TrainingResult]], result: ImportResult) -> None:
    """Store each result; run `record_completion` / `record_failure` for applications in training
    (a history row each). A result already stored is counted as unchanged."""
    now, stored, kept = timezone.now(), [], []
    for application, training in pairs:
        value = Application.Result.SUCCESSFUL if training.successful else Application.Result.UNSUCCESSFUL
        if application.status == Application.Status.STUDYING:
            name = "record_completion" if training.successful else "record_failure"
            comment = _("Результат обучения из Odin: %(result)s, %(date)s.") % {
                "result": value.label.lower(), "date": f"{training.date:%d.%m.%Y}"}
            application = run_transition(application, name, actor=None, comment=comment)
        elif application.result == value and application.result_date == training.date:
            result.count("unchanged")
            continue
        else:
            application.result = value
            kept.append(application)
        application.result_date, application.updated_at = training.date, now
        stored.append(application)
        result.count("updated")
    bulk_update_values(stored, ["result", "result_date", "updated_at"])
    if kept:
        numbers = ", ".join(a.rr_number for a in kept[:NOTE_NUMBERS]) + (" …" if len(kept) > NOTE_NUMBERS else "")
        result.notes.append(_("Результат сохранён, статус не изменён — заявки не в статусе «%(status)s» (%(count)d): "
                              "%(numbers)s") % {"status": Application.Status.STUDYING.label, "count": len(kept),
                                                "numbers": numbers})
