"""`manage.py import_odin results`: until the applications issue plugs in, every result names an
unknown application (a row error, exit 3); the plug-in point receives looked-up applications."""
import datetime as dt

import pytest

from core.imports import import_data
from programs.services import odin
from programs.services.odin import ResultFeed, TrainingResult, odin_results_backend_register

pytestmark = pytest.mark.django_db

FILE = ("rr_number,result,date\n"
        "РР-2026-000001,успешно,2026-04-29\n"
        "РР-2026-000002,неуспешно,29.04.2026\n"
        "РР-2026-000003,отлично,2026-04-31\n"
        ",successful,2026-04-29\n").encode()


def test_every_result_names_an_unknown_application_for_now():
    result = import_data(FILE, ResultFeed())
    assert result.exit_code == 3
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (2, "rr_number", "Заявка РР-2026-000001 не найдена."),
        (3, "rr_number", "Заявка РР-2026-000002 не найдена."),
        (4, "date", "Ожидается дата ГГГГ-ММ-ДД или ДД.ММ.ГГГГ, получено «2026-04-31»."),
        (4, "result", "Неизвестное значение «отлично» (результат обучения)."),
        (5, "rr_number", "Не заполнено обязательное поле."),
    ]


def test_the_applications_app_plugs_in_lookup_and_recording(monkeypatch):
    monkeypatch.setattr(odin, "_results_backend", dict(odin._results_backend))
    lookups, recorded = [], []

    def lookup(numbers):
        lookups.append(set(numbers))
        return {n: f"application {n}" for n in numbers if n.endswith("1")}

    def record(pairs, result):
        recorded.extend(pairs)
        result.count("updated", len(pairs))

    odin_results_backend_register(lookup=lookup, record=record)
    result = import_data(FILE, ResultFeed(), batch_size=10)
    assert lookups == [{"РР-2026-000001", "РР-2026-000002"}]  # one lookup per batch
    assert recorded == [("application РР-2026-000001",
                         TrainingResult(2, "РР-2026-000001", True, dt.date(2026, 4, 29)))]
    assert result.counts["updated"] == 1
    assert result.counts["rejected"] == 3
