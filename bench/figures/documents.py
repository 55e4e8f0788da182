"""Figure 4: document generation through the real Celery tasks, called in this process as a
worker's tracer calls them (`task(**kwargs)`: the delivery guard, autoretry, the service: context
from the database, template, WeasyPrint, storage, the row marked ready) — a citizen's three
enrolment blanks, and an act listing N citizens. Not through `task.apply()`, Celery's eager API,
which no worker runs: under `python -m bench` it made the act's WeasyPrint layout 1.9× slower on
the very same HTML (py-spy, 2026-12-05: `layout_document` 710 against 375 samples), an effect that a
script calling the same code did not show and that we have not explained.
The limit is bare WeasyPrint rendering the same HTML (rendered from the same context beforehand)
with the same URL fetcher, in the same process, called as its documentation shows: a new font
configuration per document, the cyclic garbage collector on. Flow's path keeps one font
configuration per process and pauses the collector for the render (core.pdf, core.collector),
which is how it can come near or above the limit while doing more (queries, template, storage).
Both are documents per second, medians of SAMPLES runs (a render's time varies by ±15 % from run to
run on this machine: three were too few), each timed after a full garbage collection, so that
neither side pays for the other's garbage."""
import datetime as dt
import gc
import itertools
import statistics
import time

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML

from accounts.models import Organization, Region, Signatory
from analytics import scale
from bench.harness import RUNS, count, result
from cohorts.models import Act, ActLine
from core.pdf import StaticFilesURLFetcher, static_base_url
from documents.models import GeneratedDocument
from documents.services import document_create
from enrollment.models import Application, Citizen
from programs.models import CitizenCategory, Cohort, TrainingContract

SAMPLES = max(RUNS, 7)


def _bare(template: str, context: dict) -> float:
    """Seconds for WeasyPrint alone on the template's HTML (rendered before the clock starts)."""
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(template, context)
    gc.collect()
    started = time.perf_counter()
    HTML(string=html, base_url=static_base_url(), url_fetcher=StaticFilesURLFetcher()).write_pdf()
    return time.perf_counter() - started


def _signatories(*organizations) -> None:
    for organization in organizations:
        Signatory.objects.get_or_create(organization=organization, is_main=True, defaults={
            "full_name": "Иванов Иван Иванович", "full_name_genitive": "Иванова Ивана Ивановича",
            "position": "Директор", "valid_from": dt.date(2026, 1, 1)})


def _blanks(ctx) -> tuple[list[float], list[float]]:
    from enrollment.services.blanks import TEMPLATES, blank_context, blanks_generate
    from enrollment.tasks import blank_render_task

    application = (Application.objects.filter(partner=ctx.partners[0], status=scale.S.ENROLMENT_DOCS_REQUIRED)
                   .select_related("citizen", "partner").first())
    flow, bare = [], []
    for _ in range(SAMPLES + 1):  # the first is the warm-up (fonts, templates)
        with transaction.atomic():
            blanks = blanks_generate(application=application, actor=ctx.partner_staff)
        gc.collect()
        started = time.perf_counter()
        for blank in blanks:
            blank_render_task(document_id=blank.document_id)
        flow.append(len(blanks) / (time.perf_counter() - started))
        for blank in blanks:
            document = GeneratedDocument.objects.get(pk=blank.document_id)
            assert document.status == GeneratedDocument.Status.READY, (document.status, document.error)
        bare.append(len(blanks) / sum(_bare(TEMPLATES[b.kind], blank_context(b.document)) for b in blanks))
    return flow[1:], bare[1:]


def _act(ctx, citizens: int) -> Act:
    """An act of a new cohort of `citizens` applications (bulk-generated), one line each."""
    partner = ctx.partners[0]
    program = partner.programs.order_by("pk").first()
    pk = scale._next_ids(Cohort, 1)[0]
    cohort = Cohort.objects.create(pk=pk, program=program, odin_id=f"act-{pk}", start_date=dt.date(2026, 3, 2),
                                   end_date=dt.date(2026, 4, 30), max_students=citizens)
    scale.reset_sequences(Cohort)
    regions = list(Region.objects.filter(code__in=scale.REGIONS).values_list("pk", flat=True))
    categories = list(CitizenCategory.objects.values_list("code", flat=True))
    offset = Citizen.objects.aggregate(top=Max("pk"))["top"] or 0
    with transaction.atomic():
        scale._batch(offset, citizens, [cohort], regions, categories, itertools.repeat(scale.S.EMPLOYED),
                     make_password(None), timezone.now())
    scale.reset_sequences(*scale.GENERATED)
    contract = TrainingContract.objects.get(partner=partner, campaign=ctx.campaign)
    act = scale.make_act(partner, contract, cohort, signed=False, amount=scale.PRICE * citizens)
    ActLine.objects.bulk_create([ActLine(act=act, application_id=a, price=scale.PRICE)
                                 for a in Application.objects.filter(cohort=cohort).values_list("pk", flat=True)])
    return act


def _acts(ctx, citizens: int) -> tuple[list[float], list[float]]:
    from cohorts.services.documents import TEMPLATES, _context
    from cohorts.tasks import cohort_document_render_task

    act = _act(ctx, citizens)
    flow, bare = [], []
    for _ in range(SAMPLES + 1):
        document = document_create(kind="act", title=f"Акт {act.number}", number=act.number)
        Act.objects.filter(pk=act.pk).update(document=document)
        gc.collect()
        started = time.perf_counter()
        cohort_document_render_task(document_id=document.pk)
        flow.append(1 / (time.perf_counter() - started))
        document.refresh_from_db()
        assert document.status == GeneratedDocument.Status.READY, (document.status, document.error)
        bare.append(1 / _bare(TEMPLATES["act"], _context(document)))
    return flow[1:], bare[1:]


def run(ctx) -> list[dict]:
    operator = Organization.objects.filter(kind=Organization.Kind.OPERATOR).order_by("pk").first()
    _signatories(ctx.partners[0], operator)
    rows = []
    for name, (flow, bare) in (("Enrolment blanks (3 PDFs for one citizen)", _blanks(ctx)),
                               (f"Act for {count(ctx.scale.act_citizens)} citizens",
                                _acts(ctx, ctx.scale.act_citizens))):
        value, limit = statistics.median(flow), statistics.median(bare)
        rows.append(result(f"Document generation: {name}", value=value, unit="docs/s", limit=limit,
                           limit_label="bare WeasyPrint, same HTML", target="≥ 85 % of bare WeasyPrint",
                           met=value >= 0.85 * limit,
                           note=f"runs {', '.join(f'{x:.2f}' for x in flow)} docs/s; bare "
                                f"{', '.join(f'{x:.2f}' for x in bare)}"))
    return rows
