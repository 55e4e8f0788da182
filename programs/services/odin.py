"""The Odin feed: programs, cohorts and training results from the learning platform
(`manage.py import_odin`, and the admin's import page). Idempotent upserts keyed on Odin ids,
one transaction per batch, lookups per batch (core.imports does the reading and batching).

Sync rule (reference §2.5): while a program is on Работа России (`Program.PORTAL_LOCKED`), Odin
changes to it are not applied but kept in `program.pending_odin_changes` (model field → new
value; cohort changes under "cohorts" → Odin id → field → value), and new cohorts arrive held
(`is_held`). `odin_apply_pending` applies them once the program is taken off РР.
"""
import datetime as dt
import functools
import logging
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from accounts.models import Campaign, CampaignParticipation, Organization
from accounts.services import participation_program_arrived
from core.fsm import InvalidTransition
from core.imports import (
    BATCH_SIZE,
    CellError,
    Feed,
    ImportResult,
    Row,
    bulk_update_values,
    import_data,
    load_source,
    parse_date,
    parse_flag,
    parse_int,
    run_recorded,
)
from core.validators import validate_inn
from programs.models import Cohort, CohortEvent, Program, ProgramEvent

logger = logging.getLogger(__name__)


class UnknownFeed(ValueError):
    """No Odin feed of this kind (programs, cohorts, results)."""


# Vocabulary: Odin writes codes or Russian labels ---------------------------------------------

def _norm(text: str) -> str:
    return re.sub(r"[\s\-—–_.,:;«»\"()/]+", " ", text.lower().replace("ё", "е")).strip()


def _vocabulary(synonyms: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    return {_norm(word): code for code, words in synonyms.items() for word in (code, *words)}


KINDS = _vocabulary({
    Program.Kind.DPO_PK: ("ДПО ПК", "ПК", "повышение квалификации", "ДПО — повышение квалификации",
                          "дополнительная профессиональная программа повышения квалификации"),
    Program.Kind.DPO_PP: ("ДПО ПП", "ПП", "профессиональная переподготовка", "ДПО — профессиональная переподготовка",
                          "дополнительная профессиональная программа профессиональной переподготовки"),
    Program.Kind.PO: ("ПО", "профессиональное обучение", "программа профессионального обучения"),
})
STUDY_FORMS = _vocabulary({
    Program.StudyForm.FULL_TIME: ("очная", "очно"),
    Program.StudyForm.PART_TIME: ("очно-заочная", "очно-заочно"),
    Program.StudyForm.EXTRAMURAL: ("заочная", "заочно"),
})
EDUCATION_LEVELS = _vocabulary({
    Program.EducationLevel.NONE: ("без требований к образованию", "без требований", "не требуется"),
    Program.EducationLevel.BASIC_GENERAL: ("основное общее", "основное общее образование"),
    Program.EducationLevel.SECONDARY_GENERAL: ("среднее общее", "среднее общее образование"),
    Program.EducationLevel.VOCATIONAL: ("среднее профессиональное", "среднее профессиональное образование", "СПО"),
    Program.EducationLevel.HIGHER: ("высшее", "высшее образование", "ВО"),
    Program.EducationLevel.VOCATIONAL_OR_HIGHER: (
        "среднее профессиональное или высшее", "среднее профессиональное и (или) высшее", "СПО или ВО",
        "СПО и (или) ВО"),
})
RESULTS = _vocabulary({"successful": ("успешно", "успешный", "успешное"),
                       "unsuccessful": ("неуспешно", "неуспешный", "неуспешное", "не успешно")})

OUTCOME_LABELS = {
    "created": gettext_lazy("создано"),
    "updated": gettext_lazy("обновлено"),
    "unchanged": gettext_lazy("без изменений"),
    "held": gettext_lazy("отложено до снятия с РР"),
    "rejected": gettext_lazy("отклонено"),
}

# Program model field ← file column (the Odin part of the card).
PROGRAM_FIELDS = {
    "title": "title", "short_title": "short_title", "kind": "kind", "academic_hours": "academic_hours",
    "distance_hours": "distance_hours", "study_form": "study_form",
    "odin_education_level": "min_education_level", "odin_qualification": "qualification",
}
COHORT_FIELDS = ("start_date", "end_date", "max_students")
# What the feeds read of an existing program (a full row is three times as many columns).
PROGRAM_LOADED = ("odin_id", "status", "partner_id", "campaign_id", *PROGRAM_FIELDS, "pending_odin_changes",
                  "pending_odin_since")


def _required(row: Row, columns: Collection[str], errors: list) -> None:
    errors.extend((c, _("Не заполнено обязательное поле.")) for c in columns if not row.values[c])


def _choice(vocabulary: Mapping[str, str], what: str) -> Callable[[str], str]:
    """A parser of codes or labels; `what` names the field in the error message."""
    def parse(value: str) -> str:
        try:
            return vocabulary[_norm(value)]
        except KeyError:
            raise CellError(_("Неизвестное значение «%(value)s» (%(what)s).") % {"value": value, "what": _(what)}) \
                from None
    return parse


@functools.lru_cache(maxsize=1024)
def _inn_error(inn: str) -> str:
    """Why an INN is invalid ("" when valid); a file repeats a few INNs thousands of times."""
    try:
        validate_inn(inn)
    except ValidationError as exc:
        return exc.messages[0]
    return ""


PROGRAM_PARSERS: dict[str, Callable[[str], Any]] = {
    "kind": _choice(KINDS, gettext_noop("вид программы")),
    "study_form": _choice(STUDY_FORMS, gettext_noop("форма обучения")),
    "odin_education_level": _choice(EDUCATION_LEVELS, gettext_noop("уровень образования")),
    "academic_hours": parse_int,
    "distance_hours": parse_int,
}


def _clean(model, values: dict, columns: Mapping[str, str], errors: list) -> None:
    """The model's own field checks (lengths, ranges, choices), without queries: IMP-05."""
    for name, value in values.items():
        try:
            model._meta.get_field(name).clean(value, None)
        except ValidationError as exc:
            errors.extend((columns.get(name, name), message) for message in exc.messages)


def _reject_all(result: ImportResult, row: Row, errors: list) -> None:
    for column, reason in errors:
        result.reject(row.number, column, reason)


def _verbose(model, names) -> str:
    return _verbose_cached(model, tuple(names), translation.get_language())


@functools.lru_cache(maxsize=512)
def _verbose_cached(model, names: tuple[str, ...], language: str) -> str:
    return ", ".join(str(model._meta.get_field(n).verbose_name) for n in names)


def _json_value(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def _pending_merge(current: Mapping, incoming: Mapping, pending: Mapping) -> dict:
    """What waits after this row: incoming values that differ from the current ones (a value
    equal to the current one withdraws an earlier waiting change)."""
    merged = {k: v for k, v in pending.items() if k not in incoming}
    merged.update((k, v) for k, v in incoming.items() if _json_value(current[k]) != v)
    return merged


def _set_pending(program: Program, pending: dict, now) -> None:
    program.pending_odin_changes = pending
    if not pending:
        program.pending_odin_since = None
    elif program.pending_odin_since is None:
        program.pending_odin_since = now


# Programs -------------------------------------------------------------------------------------

@dataclass
class _ProgramRow:
    row: Row
    odin_id: str
    flagged: bool
    values: dict = field(default_factory=dict)
    partner: Organization | None = None
    campaign: Campaign | None = None


class ProgramFeed(Feed):
    """Programs. Only rows flagged `national_project` enter the campaign; the others are skipped."""

    columns = ("odin_id", "partner_inn", "campaign_code", "national_project", "title", "short_title", "kind",
               "academic_hours", "distance_hours", "study_form", "min_education_level", "qualification")
    required_values = ("odin_id", "partner_inn", "campaign_code", "national_project", "title", "kind",
                       "academic_hours", "study_form")
    key_column = "odin_id"
    outcome_labels = OUTCOME_LABELS
    repeatable_outcomes = ("skipped",)
    extra_outcome_labels = {"skipped": gettext_lazy("пропущено (не нацпроект)"),
                            "flag_removed": gettext_lazy("снята отметка нацпроекта (оставлены как есть)")}

    def __init__(self):
        self.partners: dict[str, Organization | None] = {}
        self.campaigns: dict[str, Campaign | None] = {}
        self.participating: set[tuple[int, int]] = set()

    def handle_batch(self, rows: list[Row], result: ImportResult) -> None:
        items = [item for row in rows if (item := self._parse(row, result))]
        self._load_references(items)
        existing = {p.odin_id: p for p in Program.objects.select_for_update(of=("self",)).only(*PROGRAM_LOADED).filter(
            odin_id__in=[i.odin_id for i in items])}
        self.now, self.new, self.changed, self.events = timezone.now(), [], {}, []
        self.updated_comment = _("Изменено из Odin: %(fields)s")
        flag_removed = []
        for item in items:
            program = existing.get(item.odin_id)
            if not item.flagged:
                if program is None:
                    result.count("skipped")
                else:
                    flag_removed.append(item.odin_id)
            elif self._resolve(item, program, result):
                result.count(self._create(item) if program is None else self._update(program, item.values))
        self._write()
        if flag_removed:
            result.count("flag_removed", len(flag_removed))
            result.notes.append(_("Снята отметка нацпроекта у программ, уже загруженных в Flow (оставлены без "
                                  "изменений; закройте их вручную, если нужно): %(ids)s")
                                % {"ids": ", ".join(flag_removed)})

    def _parse(self, row: Row, result: ImportResult) -> _ProgramRow | None:
        """Check the row; an unflagged row is only checked for its id and flag (it is skipped)."""
        v, errors = row.values, []
        _required(row, ("odin_id", "national_project"), errors)
        flagged = False
        if v["national_project"]:
            try:
                flagged = parse_flag(v["national_project"])
            except CellError as exc:
                errors.append(("national_project", str(exc)))
        values = self._values(row, errors) if flagged and not errors else {}
        if errors:
            _reject_all(result, row, errors)
            return None
        return _ProgramRow(row, v["odin_id"], flagged, values)

    def _values(self, row: Row, errors: list) -> dict:
        v = row.values
        _required(row, self.required_values, errors)
        if v["partner_inn"] and (reason := _inn_error(v["partner_inn"])):
            errors.append(("partner_inn", reason))
        values = {"title": v["title"], "short_title": v["short_title"], "odin_qualification": v["qualification"],
                  "distance_hours": 0, "odin_education_level": ""}
        for name, parse in PROGRAM_PARSERS.items():
            column = PROGRAM_FIELDS[name]
            if v[column]:
                try:
                    values[name] = parse(v[column])
                except CellError as exc:
                    errors.append((column, str(exc)))
        hours, distance = values.get("academic_hours"), values["distance_hours"]
        if hours is not None and distance > hours:
            errors.append(("distance_hours", _("Часов с ДОТ (%(distance)d) больше, чем всего часов (%(hours)d).")
                           % {"distance": distance, "hours": hours}))
        if not errors:
            _clean(Program, {"odin_id": v["odin_id"], **values}, PROGRAM_FIELDS, errors)
        return values

    def _load_references(self, items: list[_ProgramRow]) -> None:
        """Partners and campaigns of the batch, one query each, cached for the whole file."""
        inns = {i.row.values["partner_inn"] for i in items if i.flagged} - self.partners.keys()
        if inns:
            self.partners.update(dict.fromkeys(inns))
            self.partners.update((o.inn, o) for o in Organization.objects.filter(inn__in=inns))
        codes = {i.row.values["campaign_code"] for i in items if i.flagged} - self.campaigns.keys()
        if codes:
            self.campaigns.update(dict.fromkeys(codes))
            self.campaigns.update((c.code, c) for c in Campaign.objects.filter(code__in=codes))

    def _resolve(self, item: _ProgramRow, program: Program | None, result: ImportResult) -> bool:
        v, errors = item.row.values, []
        inn, code = v["partner_inn"], v["campaign_code"]
        item.partner, item.campaign = self.partners[inn], self.campaigns[code]
        if item.partner is None:
            errors.append(("partner_inn", _("Организация с ИНН %(inn)s не найдена в Flow.") % {"inn": inn}))
        elif item.partner.kind != Organization.Kind.PARTNER:
            errors.append(("partner_inn", _("Организация с ИНН %(inn)s — не образовательный партнёр.") % {"inn": inn}))
        if item.campaign is None:
            errors.append(("campaign_code", _("Кампания с кодом «%(code)s» не найдена.") % {"code": code}))
        if program is not None and item.partner and program.partner_id != item.partner.pk:
            errors.append(("partner_inn", _("Программа принадлежит другому партнёру; смена партнёра через Odin "
                                            "не поддерживается.")))
        if program is not None and item.campaign and program.campaign_id != item.campaign.pk:
            errors.append(("campaign_code", _("Программа относится к другой кампании; перенос через Odin "
                                              "не поддерживается.")))
        _reject_all(result, item.row, errors)
        return not errors

    def _create(self, item: _ProgramRow) -> str:
        self.new.append(Program(campaign=item.campaign, partner=item.partner, odin_id=item.odin_id,
                                is_national_project=True, **item.values))
        return "created"

    def _update(self, program: Program, values: dict) -> str:
        """Apply the row, or hold it while the program is on РР; compare first, so an unchanged
        row writes nothing."""
        pending = program.pending_odin_changes or {}
        if program.is_portal_locked:
            merged = _pending_merge({f: getattr(program, f) for f in values}, values, pending)
            if merged == pending:
                return "unchanged"
            _set_pending(program, merged, self.now)
            fields = _verbose(Program, _fields(merged)) or "—"
            self._changed(program, "odin_changes_held",
                          _("Изменения из Odin ждут снятия программы с публикации: %(fields)s") % {"fields": fields})
            return "held"
        diff = [f for f, value in values.items() if getattr(program, f) != value]
        if any(f in pending for f in values):  # the program left РР: the fresh row supersedes what waited
            _set_pending(program, {k: v for k, v in pending.items() if k not in values}, self.now)
            self._changed(program)
        if not diff:
            return "unchanged"
        for name in diff:
            setattr(program, name, values[name])
        self._changed(program, "odin_update", self.updated_comment % {"fields": _verbose(Program, diff)})
        return "updated"

    def _changed(self, program: Program, transition: str = "", comment: str = "") -> None:
        program.updated_at = self.now
        self.changed[program.pk] = program
        if transition:
            self.events.append(ProgramEvent(subject=program, transition=transition, source=program.status,
                                            target=program.status, comment=comment))

    def _write(self) -> None:
        if self.new:
            Program.objects.bulk_create(self.new)
            self.events += [ProgramEvent(subject=p, transition="odin_create", target=p.status,
                                         comment=_("Получена из Odin")) for p in self.new]
            self._participations(self.new)
        if self.changed:
            bulk_update_values(list(self.changed.values()), [
                *PROGRAM_FIELDS, "pending_odin_changes", "pending_odin_since", "updated_at"])
        ProgramEvent.objects.bulk_create(self.events)

    def _participations(self, new: list[Program]) -> None:
        """The partner has a program in the campaign: its staff may be invited from now on."""
        pairs = {(p.campaign_id, p.partner_id) for p in new} - self.participating
        if not pairs:
            return
        self.participating |= set(CampaignParticipation.objects.filter(
            campaign_id__in={c for c, _p in pairs}, partner_id__in={p for _c, p in pairs},
            first_program_at__isnull=False).values_list("campaign_id", "partner_id"))
        by_pk = {(p.campaign_id, p.partner_id): p for p in new}
        for pair in pairs - self.participating:
            participation_program_arrived(campaign=by_pk[pair].campaign, partner=by_pk[pair].partner)
            self.participating.add(pair)


def _fields(pending: Mapping) -> list[str]:
    return [k for k in pending if k in PROGRAM_FIELDS]


# Cohorts --------------------------------------------------------------------------------------

@dataclass
class _CohortRow:
    row: Row
    odin_id: str
    program_odin_id: str
    values: dict


class CohortFeed(Feed):
    """Cohorts (потоки) of programs already in Flow; `max_students` empty = unlimited, 0 = closed."""

    columns = ("odin_id", "program_odin_id", "start_date", "end_date", "max_students")
    required_values = ("odin_id", "program_odin_id", "start_date", "end_date")
    key_column = "odin_id"
    outcome_labels = OUTCOME_LABELS

    def handle_batch(self, rows: list[Row], result: ImportResult) -> None:
        items = [item for row in rows if (item := self._parse(row, result))]
        programs = {p.odin_id: p for p in Program.objects.select_for_update(of=("self",)).only(*PROGRAM_LOADED).filter(
            odin_id__in={i.program_odin_id for i in items})}
        cohorts = {c.odin_id: c for c in Cohort.objects.select_for_update(of=("self",)).filter(
            odin_id__in=[i.odin_id for i in items])}
        self.now, self.new, self.changed, self.events, self.dirty, self.held = timezone.now(), [], [], [], {}, {}
        for item in items:
            program = programs.get(item.program_odin_id)
            cohort = cohorts.get(item.odin_id)
            if program is None:
                result.reject(item.row.number, "program_odin_id", _(
                    "Программа с ID Odin «%(id)s» не найдена в Flow (возможно, она не отмечена как программа "
                    "нацпроекта или ещё не импортирована).") % {"id": item.program_odin_id})
            elif cohort is not None and cohort.program_id != program.pk:
                result.reject(item.row.number, "program_odin_id", _(
                    "Поток относится к другой программе; перенос потока между программами не поддерживается."))
            elif cohort is None:
                result.count(self._create(program, item))
            else:
                result.count(self._update(program, cohort, item.values))
        self._write()

    def _parse(self, row: Row, result: ImportResult) -> _CohortRow | None:
        v, errors, values = row.values, [], {}
        _required(row, self.required_values, errors)
        for name in COHORT_FIELDS:
            try:
                if name == "max_students":
                    values[name] = parse_int(v[name]) if v[name] else None
                elif v[name]:
                    values[name] = parse_date(v[name])
            except CellError as exc:
                errors.append((name, str(exc)))
        if values.get("start_date") and values.get("end_date") and values["end_date"] < values["start_date"]:
            errors.append(("end_date", _("Дата окончания раньше даты начала.")))
        if not errors:
            _clean(Cohort, {"odin_id": v["odin_id"], **values}, {}, errors)
        if errors:
            _reject_all(result, row, errors)
            return None
        return _CohortRow(row, v["odin_id"], v["program_odin_id"], values)

    def _create(self, program: Program, item: _CohortRow) -> str:
        held = program.is_portal_locked
        cohort = Cohort(program=program, odin_id=item.odin_id, is_held=held, **item.values)
        self.new.append(cohort)
        if held:
            self.held.setdefault(program.pk, (program, []))[1].append(item.odin_id)
        return "held" if held else "created"

    def _update(self, program: Program, cohort: Cohort, values: dict) -> str:
        pending = program.pending_odin_changes or {}
        waiting = pending.get("cohorts", {})
        if program.is_portal_locked and not cohort.is_held:  # on РР: the change waits
            current = {f: getattr(cohort, f) for f in COHORT_FIELDS}
            incoming = {f: _json_value(values[f]) for f in COHORT_FIELDS}
            merged = _pending_merge(current, incoming, waiting.get(cohort.odin_id, {}))
            if merged == waiting.get(cohort.odin_id, {}):
                return "unchanged"
            self._set_cohort_pending(program, cohort.odin_id, merged)
            self.held.setdefault(program.pk, (program, []))[1].append(cohort.odin_id)
            return "held"
        if cohort.odin_id in waiting:  # the program left РР: the fresh row supersedes what waited
            self._set_cohort_pending(program, cohort.odin_id, {})
        diff = [f for f in COHORT_FIELDS if getattr(cohort, f) != values[f]]
        if not diff:
            return "unchanged"
        comment = "; ".join(f"{_verbose(Cohort, [f])}: {_display(getattr(cohort, f))} → {_display(values[f])}"
                            for f in diff)
        for name in diff:
            setattr(cohort, name, values[name])
        cohort.updated_at = self.now
        self.changed.append(cohort)
        self.events.append(CohortEvent(subject=cohort, transition="odin_update",
                                       comment=_("Изменено из Odin: %(changes)s") % {"changes": comment}))
        return "updated"

    def _set_cohort_pending(self, program: Program, odin_id: str, changes: dict) -> None:
        pending = dict(program.pending_odin_changes or {})
        waiting = {k: v for k, v in pending.get("cohorts", {}).items() if k != odin_id}
        if changes:
            waiting[odin_id] = changes
        pending.pop("cohorts", None)
        if waiting:
            pending["cohorts"] = waiting
        _set_pending(program, pending, self.now)
        self.dirty[program.pk] = program

    def _write(self) -> None:
        if self.new:
            Cohort.objects.bulk_create(self.new)
            self.events += [CohortEvent(subject=c, transition="odin_create", comment=_(
                "Получен из Odin; ждёт снятия программы с публикации") if c.is_held else _("Получен из Odin"))
                for c in self.new]
        if self.changed:
            bulk_update_values(self.changed, [*COHORT_FIELDS, "updated_at"])
        CohortEvent.objects.bulk_create(self.events)
        for program in self.dirty.values():
            program.updated_at = self.now
        if self.dirty:
            bulk_update_values(list(self.dirty.values()), ["pending_odin_changes", "pending_odin_since", "updated_at"])
        ProgramEvent.objects.bulk_create(
            ProgramEvent(subject=program, transition="odin_changes_held", source=program.status,
                         target=program.status, comment=_("Потоки из Odin ждут снятия программы с публикации: "
                                                          "%(cohorts)s") % {"cohorts": ", ".join(ids)})
            for program, ids in self.held.values())


def _display(value) -> str:
    if value is None:
        return _("без ограничения")
    return f"{value:%d.%m.%Y}" if isinstance(value, dt.date) else str(value)


# Results --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrainingResult:
    """One row of the results feed: the РР application number, success, and the date."""

    row: int
    rr_number: str
    successful: bool
    date: dt.date


# The applications issue plugs in here (enrollment sits above programs, so it registers itself):
# `lookup(rr_numbers) -> {rr_number: application}` in one query per batch, and
# `record([(application, TrainingResult)], result)` storing the results in bulk and reporting
# through `result.count("updated" | "unchanged")` or `result.reject(row, column, reason)`.
ApplicationLookup = Callable[[Collection[str]], Mapping[str, Any]]
ResultRecorder = Callable[[list[tuple[Any, TrainingResult]], ImportResult], None]


def _no_applications(rr_numbers: Collection[str]) -> Mapping[str, Any]:
    return {}  # no Application model yet: every result names an unknown application


def _nothing_to_record(pairs: list[tuple[Any, TrainingResult]], result: ImportResult) -> None:
    return None


_results_backend: dict[str, Callable] = {"lookup": _no_applications, "record": _nothing_to_record}


def odin_results_backend_register(*, lookup: ApplicationLookup, record: ResultRecorder) -> None:
    """Called once by the applications app (its AppConfig.ready) to receive training results."""
    _results_backend.update(lookup=lookup, record=record)


class ResultFeed(Feed):
    """Training results, stored on the applications they name (by РР application number)."""

    columns = ("rr_number", "result", "date")
    key_column = "rr_number"
    outcome_labels = OUTCOME_LABELS

    def handle_batch(self, rows: list[Row], result: ImportResult) -> None:
        items = [item for row in rows if (item := self._parse(row, result))]
        applications = _results_backend["lookup"]({i.rr_number for i in items})
        found = []
        for item in items:
            application = applications.get(item.rr_number)
            if application is None:
                result.reject(item.row, "rr_number", _("Заявка %(number)s не найдена.") % {"number": item.rr_number})
            else:
                found.append((application, item))
        if found:
            _results_backend["record"](found, result)

    def _parse(self, row: Row, result: ImportResult) -> TrainingResult | None:
        v, errors = row.values, []
        _required(row, self.columns, errors)
        successful = day = None
        if v["result"]:
            try:
                successful = _choice(RESULTS, gettext_noop("результат обучения"))(v["result"]) == "successful"
            except CellError as exc:
                errors.append(("result", str(exc)))
        if v["date"]:
            try:
                day = parse_date(v["date"])
            except CellError as exc:
                errors.append(("date", str(exc)))
        if errors:
            _reject_all(result, row, errors)
            return None
        return TrainingResult(row.number, v["rr_number"], successful, day)


# Entry points ---------------------------------------------------------------------------------

FEEDS: dict[str, type[Feed]] = {"programs": ProgramFeed, "cohorts": CohortFeed, "results": ResultFeed}


def odin_import(*, kind: str, source: bytes | Path, name: str = "", dry_run: bool = False,
                batch_size: int = BATCH_SIZE, initiator: str = "", user=None) -> ImportResult:
    """Import one Odin file (`kind`: programs, cohorts or results). Returns counts, row errors and
    the exit code; `dry_run` rolls everything back (the admin's preview). Each real run is recorded
    as a core ImportRun (`initiator`: the command and OS user, or `user` in the admin); a file
    already imported cleanly is recorded as a duplicate and not processed again."""
    try:
        feed = FEEDS[kind]()
    except KeyError:
        raise UnknownFeed(_("Неизвестный вид файла Odin «%(kind)s»: ожидается %(kinds)s.")
                          % {"kind": kind, "kinds": ", ".join(FEEDS)}) from None
    name = name or getattr(source, "name", "")
    source = load_source(source)
    with translation.override(settings.LANGUAGE_CODE):  # reasons and history in Russian, whoever imports
        result = run_recorded(feed, source="odin", kind=kind, data=source, name=name, initiator=initiator, user=user,
                              dry_run=dry_run, run=lambda data: import_data(data, feed, name=name,
                                                                            batch_size=batch_size, dry_run=dry_run))
    logger.info("odin import %s%s by %s: file %s sha256 %s, %s, exit %d%s", kind, " (dry run)" if dry_run else "",
                initiator or "?", name, result.sha256, dict(result.counts), result.exit_code,
                f", duplicate of run {result.duplicate_of}" if result.duplicate_of else "")
    return result


@transaction.atomic
def odin_apply_pending(*, program: Program, actor=None) -> Program:
    """Apply the Odin changes that waited while `program` was on РР, and release its held cohorts.
    Called when the program is taken off РР; idempotent (nothing waiting: nothing written)."""
    program = Program.objects.select_for_update().get(pk=program.pk)
    if program.is_portal_locked:
        raise InvalidTransition(_("Программа на «Работе России»: изменения из Odin применяются после снятия "
                                  "с публикации."), code="portal_locked")
    pending = dict(program.pending_odin_changes or {})
    waiting = pending.pop("cohorts", {})
    cohorts = {c.odin_id: c for c in program.cohorts.select_for_update().filter(
        Q(is_held=True) | Q(odin_id__in=list(waiting)))}
    if not pending and not cohorts:
        return program
    fields = _fields(pending)
    for name in fields:
        setattr(program, name, pending[name])
    program.pending_odin_changes, program.pending_odin_since = {}, None
    program.save(update_fields=[*fields, "pending_odin_changes", "pending_odin_since", "updated_at"])
    if fields:
        ProgramEvent.objects.create(subject=program, actor=actor, transition="odin_changes_applied",
                                    source=program.status, target=program.status,
                                    comment=_("Применены изменения из Odin: %(fields)s")
                                    % {"fields": _verbose(Program, fields)})
    for cohort in cohorts.values():
        _cohort_apply(cohort, waiting.get(cohort.odin_id, {}), actor)
    return program


def _cohort_apply(cohort: Cohort, changes: Mapping, actor) -> None:
    fields = [f for f in COHORT_FIELDS if f in changes]
    for name in fields:
        value = changes[name]
        setattr(cohort, name, dt.date.fromisoformat(value) if name != "max_students" else value)
    comment = _("Применены изменения из Odin: %(fields)s") % {"fields": _verbose(Cohort, fields)} if fields else ""
    if cohort.is_held:
        cohort.is_held = False
        comment = " ".join(filter(None, [_("Программа снята с публикации: поток больше не ждёт."), comment]))
    cohort.save(update_fields=[*fields, "is_held", "updated_at"])
    CohortEvent.objects.create(subject=cohort, actor=actor, transition="odin_changes_applied", comment=comment)
