"""`manage.py generate_scale_data` and the bench harness's pure parts (fast; SQLite or PostgreSQL):
the generator makes the numbers asked for, the same seed makes the same data, it refuses a database
with real citizens, and the table says met / NOT MET beside each figure's limit and ratio."""
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from analytics.scale import REALISTIC_MIX
from bench import harness
from enrollment.models import Application, ApplicationDocument, ApplicationEvent, Citizen
from programs.models import Cohort, Program
from tests.enrollment.factories import CitizenFactory

pytestmark = pytest.mark.django_db


def _generate(**options):
    out = StringIO()
    call_command("generate_scale_data", stdout=out, **{"applications": 400, "partners": 4, "cohorts": 16, **options})
    return out.getvalue()


def test_the_command_makes_what_it_is_asked_for_with_documents_and_history():
    output = _generate()
    assert Application.objects.count() == Citizen.objects.count() == 400
    assert Program.objects.count() == 8  # two per partner
    assert Cohort.objects.count() == 16
    assert Application.objects.values("partner").distinct().count() == 4
    enrolled = Application.objects.filter(status__in=[s for s, _ in REALISTIC_MIX.items()
                                                      if s in {"studying", "employed", "expelled"}]).count()
    assert ApplicationEvent.objects.filter(transition="enrol").count() >= enrolled > 0
    assert ApplicationDocument.objects.filter(status="approved", checked_at__isnull=False).exists()
    assert ApplicationDocument.objects.filter(status="new", checked_at__isnull=True).exists()
    assert "Готово: 400 заявок" in output


def test_the_status_mix_is_realistic_and_the_same_for_the_same_seed():
    _generate(seed=7)
    first = list(Application.objects.order_by("pk").values_list("status", flat=True))
    Application.objects.all().delete()
    _generate(seed=7)
    again = list(Application.objects.order_by("pk").values_list("status", flat=True))
    assert again == first
    counts = Counter(first)
    assert counts["studying"] > counts["withdrawal_review"]  # weights, not a uniform cycle
    Application.objects.all().delete()
    _generate(seed=8)
    assert list(Application.objects.order_by("pk").values_list("status", flat=True)) != first


def test_a_database_with_real_citizens_is_refused_without_force():
    CitizenFactory()
    with pytest.raises(CommandError, match="настоящие граждане"):
        _generate()
    assert not Application.objects.exists()
    _generate(force=True, applications=10)
    assert Application.objects.count() == 10


def test_the_table_shows_each_figure_beside_its_limit_ratio_and_verdict():
    rows = [harness.result("Импорт", value=500.0, unit="rows/s", limit=2000.0, limit_label="COPY",
                           target="≥ 50 %", met=False, note="a | b"),
            harness.result("Страница", value=120.0, unit="ms", target="≤ 300 ms", met=True)]
    lines = harness.table(rows).splitlines()
    assert lines[2] == "| Импорт | 500 rows/s | 2\u202f000 rows/s (COPY) | 25 % | ≥ 50 % | NOT MET | a / b |"
    assert lines[3] == "| Страница | 120 ms | — | — | ≤ 300 ms | met |  |"


def test_the_docs_block_is_replaced_not_appended(tmp_path, monkeypatch):
    doc = tmp_path / "performance.md"
    doc.write_text(f"# P\n\n{harness.START}\nold\n{harness.END}\n\nhistory\n", encoding="utf-8")
    monkeypatch.setattr(harness, "DOC", doc)
    monkeypatch.setattr(harness, "machine", lambda: "test machine")
    row = harness.result("X", value=1.0, unit="s", target="t", met=True)
    harness.write_doc([row], command="make bench", scale_name="full", elapsed=60)
    harness.write_doc([row], command="make bench", scale_name="full", elapsed=120)
    text = doc.read_text(encoding="utf-8")
    assert text.count(harness.START) == 1
    assert "old" not in text
    assert "took 2.0 min" in text
    assert text.endswith("history\n")
