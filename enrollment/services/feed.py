"""The Работа России (РР) feed: applications and their events (`manage.py import_applications`,
`manage.py import_rr_events`, the admin import page). core.imports reads, batches and reports;
this module says what a row means (reference §2.1.1 rows 1, 9, 20, 21; docs/imports.md).

Applications are upserted on `rr_number`: a re-delivered or overlapping file changes nothing,
writes no event and sends no second e-mail. Each row is a version of the application dated by its
`changed_at` (or `submitted_at`); a version older than the one Flow holds is ignored (fault R6).
A citizen is found by SNILS, then by e-mail, or created (a User without a password plus a Citizen,
with its provenance: IMP-09). The citizen's newest application is active. Every batch looks up
and writes with a fixed number of statements, whatever its size.
"""
import datetime as dt
import functools
import logging
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, UNUSABLE_PASSWORD_SUFFIX_LENGTH
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import F
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Region, User
from accounts.services import citizen_login_links_issue
from core.bulk import copy_insert
from core.fsm import run_transition
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
    run_recorded,
)
from core.lookups import Any
from core.mail import BulkMessage, send_templated_mail_bulk, slot
from core.validators import normalize_snils, validate_snils
from enrollment.models import Application, ApplicationEvent, Citizen
from programs.models import CitizenCategory, Cohort, Program

logger = logging.getLogger(__name__)

INVITATION_TEMPLATE = "emails/enrollment/invitation"
MIN_AGE = 14
# РР and Flow clocks differ a little; a moment further ahead than this is a mistake in the file.
CLOCK_SKEW = dt.timedelta(hours=1)
DETAILS_MAX = 2000
S = Application.Status
# The cohort is fixed once the enrolment order is issued (training has a date then).
COHORT_FIXED = frozenset(S.values) - {S.PRIMARY_DOCS_REQUIRED, S.PRIMARY_DOCS_REVIEW, S.PRIMARY_DOCS_REJECTED,
                                      S.ENROLMENT_DOCS_REQUIRED, S.ENROLMENT_DOCS_REVIEW, S.ENROLMENT_DOCS_REJECTED,
                                      S.AWAITING_AGREEMENT, S.ENROLMENT_ORDER_REQUIRED}


class UnknownFeed(ValueError):
    """No РР feed of this kind (applications, events)."""


# Cells ----------------------------------------------------------------------------------------

def _required_error() -> str:
    return _("Не заполнено обязательное поле.")


def normalise_name(value: str) -> str:
    """Trimmed, inner runs of spaces collapsed; letters (ё included) kept as they are."""
    return " ".join(value.split())


# A name is letters (any alphabet: citizens of other countries apply too) joined by spaces,
# hyphens, apostrophes or dots. Anything else — digits, `<`, `:`, `=` — is not a name but markup,
# a script URL or a spreadsheet formula, and the row is refused (IMP-05).
NAME_RE = re.compile(r"[^\W\d_]+(?:[ \-'’.]+[^\W\d_]+)*\.?")


def name_error(value: str) -> str:
    if NAME_RE.fullmatch(value):
        return ""
    return _("Недопустимые символы в имени «%(value)s»: допустимы буквы, пробел, дефис, апостроф и точка.") % {
        "value": value[:100]}


def parse_moment(value: str) -> dt.datetime:
    """ISO 8601 with a UTC offset: `2026-02-10T09:30:00+03:00` (or `…Z`)."""
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise CellError(_("Ожидается дата и время ISO 8601 с часовым поясом (например, 2026-02-10T09:30:00+03:00), "
                          "получено «%(value)s».") % {"value": value}) from None
    if moment.tzinfo is None:
        raise CellError(_("Не указан часовой пояс: ожидается, например, 2026-02-10T09:30:00+03:00, получено "
                          "«%(value)s».") % {"value": value})
    if moment > timezone.now() + CLOCK_SKEW:
        raise CellError(_("Дата и время в будущем: «%(value)s».") % {"value": value})
    return moment


def parse_phone(value: str) -> str:
    """A Russian number as +7XXXXXXXXXX (8…, 7…, ten digits); another country's as + and digits."""
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11 and digits[0] in "78":
        return "+7" + digits[1:]
    if len(digits) == 10 and not value.strip().startswith("+"):
        return "+7" + digits
    if value.strip().startswith("+") and 10 <= len(digits) <= 15:
        return "+" + digits
    raise CellError(_("Неверный номер телефона «%(value)s»: ожидается +7XXXXXXXXXX.") % {"value": value})


def parse_email(value: str) -> str:
    email = value.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise CellError(_("Неверный адрес e-mail «%(value)s».") % {"value": value}) from None
    return email


@functools.lru_cache(maxsize=4096)
def _snils_error(digits: str) -> str:
    try:
        validate_snils(digits)
    except ValidationError as exc:
        return exc.messages[0]
    return ""


def _undecodable(row: Row, result: ImportResult) -> bool:
    """Reject a row in which the reading found bytes that are not UTF-8 (Feed.marks_undecodable)."""
    bad = [column for column, value in row.values.items() if "\ufffd" in value]
    for column in bad:
        result.reject(row.number, column, _("Строка в другой кодировке, не UTF-8: значение не прочитать. "
                                            "Сохраните файл целиком в UTF-8."))
    return bool(bad)


def _clean_field(model, name: str, value, column: str, errors: list) -> None:
    """The model field's own checks (length, format) without queries: IMP-05."""
    try:
        model._meta.get_field(name).clean(value, None)
    except ValidationError as exc:
        errors.extend((column, message) for message in exc.messages)


def _reject_all(result: ImportResult, row: Row, errors: list) -> None:
    for column, reason in errors:
        result.reject(row.number, column, reason)


# Applications ---------------------------------------------------------------------------------

@dataclass
class _ApplicationRow:
    row: Row
    rr_number: str
    submitted_at: dt.datetime
    changed_at: dt.datetime  # the version's moment: `changed_at`, or `submitted_at` when absent
    names: tuple[str, str, str]
    birth_date: dt.date
    snils: str
    email: str
    phone: str
    region_code: str
    program_odin_id: str
    cohort_odin_id: str
    category_code: str
    program: Program | None = None
    cohort: Cohort | None = None
    citizen: Citizen | None = None


@dataclass
class _Batch:
    """What one batch writes, collected first and then written with one statement per table."""

    now: dt.datetime
    users: list = field(default_factory=list)
    citizens: list = field(default_factory=list)
    applications: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    events: list = field(default_factory=list)
    deactivate: dict = field(default_factory=dict)  # pk → (status, rr_number of the newer application)


class ApplicationFeed(Feed):
    """Applications routed to the operator on РР (reference §2.1.1 row 1)."""

    # `changed_at` is optional: older РР exports do not have it (a row's version is then its filing).
    required_columns = ("rr_number", "submitted_at", "last_name", "first_name", "middle_name", "birth_date",
                        "snils", "email", "phone", "region_code", "program_odin_id", "cohort_odin_id", "category")
    columns = (*required_columns, "changed_at")
    required_values = ("rr_number", "submitted_at", "last_name", "first_name", "birth_date", "snils", "email",
                       "region_code", "program_odin_id")
    key_column = "rr_number"
    marks_undecodable = True
    outcome_labels = {
        "created": gettext_lazy("создано"),
        "updated": gettext_lazy("обновлено"),
        "unchanged": gettext_lazy("без изменений"),
        "rejected": gettext_lazy("отклонено"),
    }
    extra_outcome_labels = {
        "citizens_created": gettext_lazy("новых граждан"),
        "invitations": gettext_lazy("приглашений в личный кабинет"),
        "deactivated": gettext_lazy("заявок стали неактивными"),
        # Counted among «без изменений» too: the row was read and deliberately not applied.
        "stale": gettext_lazy("из них устаревшая версия (не применена)"),
    }
    repeatable_outcomes = ("stale",)

    def __init__(self):
        self.programs: dict[str, Program | None] = {}
        self.cohorts: dict[str, Cohort | None] = {}
        self.regions: dict[str, Region | None] = {}
        self.categories: dict[str, CitizenCategory | None] = {}
        self.invited: set[int] = set()  # citizens e-mailed during this file: one invitation each
        self.stamps: dict = {}  # the invitations' renders per group, for the whole file (core.mail)

    def handle_batch(self, rows: list[Row], result: ImportResult) -> None:
        items = [item for row in rows if not _undecodable(row, result) and (item := self._parse(row, result))]
        self._load_references(items)
        items = [item for item in items if self._resolve(item, result)]
        existing = {a.rr_number: a for a in Application.objects.select_for_update(of=("self",))
                    .select_related("citizen", "cohort").only(*APPLICATION_LOADED)
                    .filter(rr_number__in=[i.rr_number for i in items])}
        batch = _Batch(now=timezone.now())
        fresh = []
        for item in items:
            application = existing.get(item.rr_number)
            if application is None:
                fresh.append(item)
            elif outcome := self._update(application, item, batch, result):
                result.count(outcome)
        fresh = self._match_citizens(fresh, batch, result)
        self._activate(fresh, batch)
        self._write(batch, result)
        self._invite(batch, result)

    def settled(self, digests: dict[str, int]) -> set[str]:
        """The numbers whose row is the one their application stored the digest of when it was
        applied last. Only the feed changes what a row sets, so such a row would change nothing:
        a re-delivered file is settled by this one look-up, its rows never parsed."""
        matching = Application.objects.filter(Any(F("rr_digest"), list(digests.values())))
        # Counted first: a file delivered again matches every row and a new one none, and neither
        # needs the digests themselves (100,000 of them were 40 % of the look-up's time).
        found = matching.count()
        if found in (0, len(digests)):  # (a row's digest includes its number: at most one match each)
            return set(digests) if found else set()
        stored = set(matching.values_list("rr_digest", flat=True))
        return {number for number, digest in digests.items() if digest in stored}

    # Checking a row -----------------------------------------------------------------------

    def _parse(self, row: Row, result: ImportResult) -> _ApplicationRow | None:
        v, errors, values = row.values, [], {}
        errors.extend((c, _required_error()) for c in self.required_values if not v[c])
        for column, parse in ROW_PARSERS.items():
            if v[column]:
                try:
                    values[column] = parse(v[column])
                except CellError as exc:
                    errors.append((column, str(exc)))
        snils = normalize_snils(v["snils"])
        if v["snils"] and (reason := _snils_error(snils)):
            errors.append(("snils", reason))
        birth, submitted = values.get("birth_date"), values.get("submitted_at")
        if birth:
            errors.extend(("birth_date", reason) for reason in _birth_date_errors(birth, submitted))
        changed = values.get("changed_at")
        if changed and submitted and changed < submitted:
            errors.append(("changed_at", _("Заявка не может быть изменена раньше, чем подана (%(submitted)s).")
                           % {"submitted": v["submitted_at"]}))
        names = tuple(normalise_name(v[c]) for c in ("last_name", "first_name", "middle_name"))
        for model, column, value in ((Citizen, "last_name", names[0]), (Citizen, "first_name", names[1]),
                                     (Citizen, "middle_name", names[2]), (Application, "rr_number", v["rr_number"])):
            if value:
                _clean_field(model, column, value, column, errors)
                if model is Citizen and (reason := name_error(value)):
                    errors.append((column, reason))
        if errors:
            _reject_all(result, row, errors)
            return None
        return _ApplicationRow(row, v["rr_number"], submitted, changed or submitted, names, birth, snils,
                               values["email"], values.get("phone", ""), _region_code(v["region_code"]),
                               v["program_odin_id"], v["cohort_odin_id"], v["category"].lower())

    def _load_references(self, items: list[_ApplicationRow]) -> None:
        """Programs, cohorts, regions and categories of the batch, one query each, cached for the file."""
        _cache(self.programs, {i.program_odin_id for i in items}, lambda keys: (
            (p.odin_id, p) for p in Program.objects.select_related("partner").only(
                "odin_id", "title", "short_title", "partner__short_name").filter(odin_id__in=keys)))
        _cache(self.cohorts, {i.cohort_odin_id for i in items if i.cohort_odin_id}, lambda keys: (
            (c.odin_id, c) for c in Cohort.objects.filter(odin_id__in=keys)))
        _cache(self.regions, {i.region_code for i in items}, lambda keys: (
            (r.code, r) for r in Region.objects.filter(code__in=keys)))
        _cache(self.categories, {i.category_code for i in items if i.category_code}, lambda keys: (
            (c.code, c) for c in CitizenCategory.objects.filter(code__in=keys)))

    def _resolve(self, item: _ApplicationRow, result: ImportResult) -> bool:
        errors = []
        item.program = self.programs[item.program_odin_id]
        if item.program is None:
            errors.append(("program_odin_id", _("Программа с ID Odin «%(id)s» не найдена в Flow.")
                           % {"id": item.program_odin_id}))
        if item.cohort_odin_id:
            item.cohort = self.cohorts[item.cohort_odin_id]
            if item.cohort is None:
                errors.append(("cohort_odin_id", _("Поток с ID Odin «%(id)s» не найден в Flow.")
                               % {"id": item.cohort_odin_id}))
            elif item.program is not None and item.cohort.program_id != item.program.pk:
                errors.append(("cohort_odin_id", _(
                    "Поток «%(cohort)s» относится к другой программе, не к «%(program)s».")
                    % {"cohort": item.cohort_odin_id, "program": item.program_odin_id}))
        if self.regions[item.region_code] is None:
            errors.append(("region_code", _("Регион с кодом «%(code)s» не найден.") % {"code": item.region_code}))
        if item.category_code and self.categories[item.category_code] is None:
            errors.append(("category", _("Неизвестная категория граждан «%(code)s».") % {"code": item.category_code}))
        _reject_all(result, item.row, errors)
        return not errors

    # Known applications -------------------------------------------------------------------

    def _update(self, application: Application, item: _ApplicationRow, batch: _Batch, result: ImportResult) -> str:
        """A known number: the same person and program, or the row is refused; cohort, category
        and region follow РР. Returns the outcome, or "" when the row was rejected.

        A version older than the one already applied is skipped whole (R6): files may arrive out of
        order (a retransmit, a delayed export), and applying it would revert newer data. A version
        of the same moment is compared as usual; a newer one is applied and its moment stored, even
        when nothing else changed, so that a later-delivered version between the two is refused."""
        if application.rr_changed_at is not None and item.changed_at < application.rr_changed_at:
            result.count("stale")
            return "unchanged"
        newer = application.rr_changed_at is None or item.changed_at > application.rr_changed_at
        errors = []
        if application.citizen.snils != item.snils:
            errors.append(("snils", _("Заявка %(number)s уже есть в Flow у гражданина с другим СНИЛС.")
                           % {"number": item.rr_number}))
        if application.program_id != item.program.pk:
            errors.append(("program_odin_id", _("Заявка %(number)s уже относится к другой программе; смена программы "
                                                "не поддерживается.") % {"number": item.rr_number}))
        incoming = {"cohort": item.cohort, "category": self.categories.get(item.category_code),
                    "region": self.regions[item.region_code]}
        diff = [f for f, value in incoming.items()
                if getattr(application, f + "_id") != (value.pk if value is not None else None)]
        if "cohort" in diff and application.status in COHORT_FIXED:
            errors.append(("cohort_odin_id", _("Поток заявки в статусе «%(status)s» не меняется.")
                           % {"status": application.get_status_display()}))
        if errors:
            _reject_all(result, item.row, errors)
            return ""
        if not diff:
            if newer:  # only the version's moment moves on: no history row, nothing a user sees
                application.rr_changed_at, application.updated_at = item.changed_at, batch.now
                application.rr_digest = item.row.digest
                batch.changed.append(application)
            return "unchanged"
        changes = "; ".join(f"{Application._meta.get_field(f).verbose_name}: {_display_old(application, f)} → "
                            f"{_display(incoming[f])}" for f in diff)
        for name in diff:
            setattr(application, name, incoming[name])
        if newer:
            application.rr_changed_at = item.changed_at
        application.rr_digest, application.updated_at = item.row.digest, batch.now
        batch.changed.append(application)
        batch.events.append(ApplicationEvent(subject=application, transition="rr_update", source=application.status,
                                             target=application.status, created_at=batch.now,
                                             comment=_("Изменено с РР: %(changes)s") % {"changes": changes}))
        return "updated"

    # New applications ---------------------------------------------------------------------

    def _match_citizens(self, fresh: list[_ApplicationRow], batch: _Batch, result: ImportResult) -> list:
        """Find each row's citizen by SNILS, then by e-mail, or prepare a new one. Returns the
        rows that go on (a row whose e-mail belongs to someone else is rejected)."""
        if not fresh:
            return []
        by_snils = {c.snils: c for c in Citizen.objects.select_related("user").filter(
            snils__in={i.snils for i in fresh})}
        emails = {i.email for i in fresh if i.snils not in by_snils}
        by_email, users = {}, {}
        if emails:
            for citizen in Citizen.objects.select_related("user").alias(email_ci=Lower("email")).filter(
                    email_ci__in=emails):
                by_email.setdefault(citizen.email.lower(), citizen)
            users = {u.email.lower(): u for u in User.objects.select_related("citizen").alias(
                email_ci=Lower("email")).filter(email_ci__in=emails)}
        matched = []
        for item in fresh:
            citizen = by_snils.get(item.snils) or self._citizen_by_email(item, by_email, users, batch, result)
            if citizen is not None:
                by_snils[item.snils] = item.citizen = citizen
                # A known citizen keeps the e-mail Flow has: a row's other address is not theirs, so
                # it must not refuse a later row of another person (a second delivery, where that
                # row is in the next batch or alone, would accept it: the outcome must not depend
                # on what else the file holds).
                if citizen.pk is None or citizen.email.lower() == item.email:
                    by_email[item.email] = citizen
                matched.append(item)
        return matched

    def _citizen_by_email(self, item, by_email: dict, users: dict, batch: _Batch, result) -> Citizen | None:
        other = by_email.get(item.email)
        user = users.get(item.email)
        if other is None and user is not None and hasattr(user, "citizen"):
            other = user.citizen
        if other is not None and not other.snils:  # a citizen entered without SNILS: this is them
            return other
        if other is not None:
            result.reject(item.row.number, "email", _(
                "E-mail «%(email)s» уже указан у гражданина с другим СНИЛС; заявка не привязана. Проверьте СНИЛС "
                "и e-mail на РР.") % {"email": item.email})
            return None
        if user is not None and not user.is_citizen:
            result.reject(item.row.number, "email", _(
                "E-mail «%(email)s» занят учётной записью сотрудника; гражданину нужен другой адрес.")
                % {"email": item.email})
            return None
        return self._citizen_new(item, user, batch)

    def _citizen_new(self, item: _ApplicationRow, user: User | None, batch: _Batch) -> Citizen:
        last, first, middle = item.names
        if user is None:  # a citizen logs in by an e-mailed link: no password
            user = User(email=item.email, last_name=last, first_name=first, patronymic=middle, phone=item.phone,
                        is_citizen=True, password=unusable_password(), date_joined=batch.now)
            batch.users.append(user)
        citizen = Citizen(user=user, last_name=last, first_name=first, middle_name=middle, birth_date=item.birth_date,
                          snils=item.snils, email=item.email, phone=item.phone, region=self.regions[item.region_code],
                          # Where the data came from and on what basis (IMP-09, 152-FZ art. 18 p.3).
                          source=Citizen.DataSource.RABOTA_ROSSII, basis=Citizen.DataBasis.RR_APPLICATION,
                          received_at=batch.now, created_at=batch.now, updated_at=batch.now)
        batch.citizens.append(citizen)
        return citizen

    def _activate(self, fresh: list[_ApplicationRow], batch: _Batch) -> None:
        """Build the new applications; per citizen the newest one (by submission) is active, unless
        Flow already has a newer one. Older active applications are switched off first."""
        per_citizen: dict[int, list[_ApplicationRow]] = {}
        for item in fresh:
            per_citizen.setdefault(id(item.citizen), []).append(item)
        known = [c.pk for c in {id(i.citizen): i.citizen for i in fresh}.values() if c.pk is not None]
        newest_known: dict[int, tuple] = {}
        active_known: dict[int, list] = {}
        if known:
            for pk, citizen_id, submitted, number, active, status in Application.objects.filter(
                    citizen_id__in=known).values_list("pk", "citizen_id", "submitted_at", "rr_number", "is_active",
                                                      "status"):
                newest_known[citizen_id] = max(newest_known.get(citizen_id, (submitted, number)), (submitted, number))
                if active:
                    active_known.setdefault(citizen_id, []).append((pk, status))
        for items in per_citizen.values():
            newest = max(items, key=lambda i: (i.submitted_at, i.rr_number))
            citizen = newest.citizen
            key = (newest.submitted_at, newest.rr_number)
            is_newest = citizen.pk not in newest_known or key > newest_known[citizen.pk]
            if is_newest:
                batch.deactivate.update((pk, (status, newest.rr_number))
                                        for pk, status in active_known.get(citizen.pk, []))
            for item in items:
                batch.applications.append(Application(
                    rr_number=item.rr_number, citizen=citizen, program=item.program, partner_id=item.program.partner_id,
                    cohort=item.cohort, category=self.categories.get(item.category_code),
                    region=self.regions[item.region_code], submitted_at=item.submitted_at,
                    rr_changed_at=item.changed_at, rr_digest=item.row.digest,
                    is_active=is_newest and item is newest, created_at=batch.now, updated_at=batch.now))

    def _write(self, batch: _Batch, result: ImportResult) -> None:
        if batch.deactivate:  # before the inserts: one active application per citizen (a unique index)
            Application.objects.filter(pk__in=list(batch.deactivate)).update(is_active=False, updated_at=batch.now)
            batch.events += [ApplicationEvent(
                subject_id=pk, transition="deactivate", source=status, target=status, created_at=batch.now,
                comment=_("Заявка стала неактивной: получена более новая заявка %(number)s.") % {"number": number})
                for pk, (status, number) in batch.deactivate.items()]
            result.count("deactivated", len(batch.deactivate))
        if batch.users:
            copy_insert(batch.users)
        if batch.citizens:
            copy_insert(batch.citizens)
            result.count("citizens_created", len(batch.citizens))
        if batch.applications:
            copy_insert(batch.applications)
            result.count("created", len(batch.applications))
            batch.events += [ApplicationEvent(subject=a, transition="import", target=a.status, created_at=batch.now,
                                              comment=_("Заявка получена с «Работы России»."))
                             for a in batch.applications]
        if batch.changed:
            bulk_update_values(batch.changed, ["cohort", "category", "region", "rr_changed_at", "rr_digest",
                                               "updated_at"])
        copy_insert(batch.events)

    # Invitations --------------------------------------------------------------------------

    def _invite(self, batch: _Batch, result: ImportResult) -> None:
        """One invitation with a 24-hour login link per citizen with a new application (once per
        file), queued in the outbox in the batch's transaction."""
        per_citizen: dict[int, list[Application]] = {}
        for application in batch.applications:
            if application.citizen_id not in self.invited and application.citizen.user.is_active:
                per_citizen.setdefault(application.citizen_id, []).append(application)
        if not per_citizen:
            return
        new_users = {u.pk for u in batch.users}
        citizens = [apps[0].citizen for apps in per_citizen.values()]
        links = citizen_login_links_issue(users=[c.user for c in citizens],
                                  known_user_ids=[c.user_id for c in citizens if c.user_id not in new_users])
        shared = {"login_url": settings.SITE_URL + reverse("accounts:citizen_login"),
                  "ttl_hours": int(settings.CITIZEN_LOGIN_LINK_TTL.total_seconds() // 3600)}
        send_templated_mail_bulk(template=INVITATION_TEMPLATE, stamps=self.stamps, messages=[
            _invitation(c, sorted(per_citizen[c.pk], key=lambda a: a.submitted_at, reverse=True), links[c.user_id],
                        shared) for c in citizens])
        self.invited |= per_citizen.keys()
        result.count("invitations", len(citizens))


def _invitation(citizen: Citizen, applications: list[Application], link: str, shared: dict) -> BulkMessage:
    """A citizen's invitation: the invitations of a batch differ by name, link and РР numbers only,
    so each program-and-cohort combination is rendered once and stamped (core.mail.BulkMessage) —
    rendering every one through the template engine was a third of an import's time."""
    values = {"user_name": " ".join(filter(None, (citizen.first_name, citizen.middle_name))), "link": link}
    values.update((f"rr_number_{i}", a.rr_number) for i, a in enumerate(applications))
    lines = [SimpleNamespace(program=a.program, cohort=a.cohort, rr_number=slot(f"rr_number_{i}"))
             for i, a in enumerate(applications)]
    return BulkMessage(
        to=citizen.user.email,
        context={**shared, "user_name": values["user_name"], "link": link, "applications": applications},
        group=tuple((a.program_id, a.cohort_id) for a in applications),
        stamp_context={**shared, "user_name": slot("user_name"), "link": slot("link"), "applications": lines},
        values=values)


APPLICATION_LOADED = ("rr_number", "status", "citizen_id", "program_id", "cohort_id", "category_id", "region_id",
                      "rr_changed_at", "rr_digest", "citizen__snils", "cohort__odin_id")
ROW_PARSERS = {"submitted_at": parse_moment, "changed_at": parse_moment, "birth_date": parse_date,
               "email": parse_email, "phone": parse_phone}


def _birth_date_errors(birth: dt.date, submitted: dt.datetime | None) -> list[str]:
    on = timezone.localdate(submitted) if submitted else timezone.localdate()
    if birth > timezone.localdate():
        return [_("Дата рождения в будущем.")]
    if birth.year < 1900:
        return [_("Неправдоподобная дата рождения.")]
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    if age < MIN_AGE:
        return [_("На дату подачи заявки гражданину меньше %(age)d лет.") % {"age": MIN_AGE}]
    return []


def unusable_password() -> str:
    """What make_password(None) stores (the prefix and a random suffix), with one call to the
    system's random source instead of one per character: 40 calls per new citizen were a tenth of
    an import's time."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(UNUSABLE_PASSWORD_SUFFIX_LENGTH // 2)


def _region_code(value: str) -> str:
    value = value.strip()
    return value.zfill(2) if value.isdigit() and len(value) < 2 else value


def _cache(cache: dict, keys: set, load) -> None:
    """Fill `cache` for the `keys` it lacks with one query (`load(keys)` → pairs); None = unknown."""
    missing = keys - cache.keys()
    if missing:
        cache.update(dict.fromkeys(missing))
        cache.update(load(missing))


def _display(value) -> str:
    """A cohort by its Odin id, a region or category by its code."""
    if value is None:
        return "—"
    return getattr(value, "odin_id", None) or getattr(value, "code", None) or str(value)


def _display_old(application: Application, name: str) -> str:
    """The application's current value, without a query (the cohort is selected with it; a
    region or category is keyed by its code)."""
    if name == "cohort":
        return _display(application.cohort)
    return getattr(application, name + "_id") or "—"


# Login links and the outbox, in bulk ----------------------------------------------------------

# Events ---------------------------------------------------------------------------------------

EVENTS = ("agreement_signed", "service_terminated", "employed")


@dataclass
class _EventRow:
    row: Row
    rr_number: str
    event: str
    occurred_at: dt.datetime
    details: str


class RREventFeed(Feed):
    """What РР reports about an application: the intention agreement signed by all parties
    (row 9), the service terminated (row 21), the citizen employed (row 20). Idempotent: an
    event already applied changes nothing and is counted as unchanged."""

    columns = ("rr_number", "event", "occurred_at", "details")
    required_columns = ("rr_number", "event", "occurred_at")
    marks_undecodable = True
    outcome_labels = {
        "updated": gettext_lazy("применено"),
        "unchanged": gettext_lazy("без изменений"),
        "rejected": gettext_lazy("отклонено"),
    }

    def handle_batch(self, rows: list[Row], result: ImportResult) -> None:
        items = [item for row in rows if not _undecodable(row, result) and (item := self._parse(row, result))]
        self.applications = {a.rr_number: a for a in Application.objects.select_for_update().filter(
            rr_number__in={i.rr_number for i in items})}
        self.now, self.signed, self.events = timezone.now(), {}, []
        for item in items:  # in file order: a later event of the same application sees the earlier one
            application = self.applications.get(item.rr_number)
            if application is None:
                result.reject(item.row.number, "rr_number", _("Заявка %(number)s не найдена.")
                              % {"number": item.rr_number})
                continue
            outcome = getattr(self, "_" + item.event)(application, item, result)
            if outcome:
                result.count(outcome)
        if self.signed:
            bulk_update_values(list(self.signed.values()), ["agreement_signed_at", "updated_at"])
        ApplicationEvent.objects.bulk_create(self.events)

    def _parse(self, row: Row, result: ImportResult) -> _EventRow | None:
        v, errors = row.values, []
        errors.extend((c, _required_error()) for c in ("rr_number", "event", "occurred_at") if not v[c])
        event = v["event"].lower()
        if event and event not in EVENTS:
            errors.append(("event", _("Неизвестное событие «%(value)s»: ожидается %(events)s.")
                           % {"value": v["event"], "events": ", ".join(EVENTS)}))
        occurred = None
        if v["occurred_at"]:
            try:
                occurred = parse_moment(v["occurred_at"])
            except CellError as exc:
                errors.append(("occurred_at", str(exc)))
        if len(v["details"]) > DETAILS_MAX:
            errors.append(("details", _("Не длиннее %(max)d символов.") % {"max": DETAILS_MAX}))
        if errors:
            _reject_all(result, row, errors)
            return None
        return _EventRow(row, v["rr_number"], event, occurred, v["details"])

    def _transition(self, application: Application, name: str, item: _EventRow, **kwargs) -> Application:
        fresh = run_transition(application, name, actor=None, comment=item.details, **kwargs)
        if application.pk in self.signed:  # the time recorded earlier in this batch is written at the end
            fresh.agreement_signed_at = self.signed[application.pk].agreement_signed_at
            self.signed[application.pk] = fresh
        self.applications[item.rr_number] = fresh
        return fresh

    def _agreement_signed(self, application: Application, item: _EventRow, result: ImportResult) -> str:
        """Signed by all parties on РР: awaiting the agreement → the enrolment order is due; before
        that only the time is kept, and the approval of the enrolment documents picks it up."""
        if application.agreement_signed_at is not None and application.status != S.AWAITING_AGREEMENT:
            return "unchanged"
        if application.is_final:
            return _final(application, item, result)
        if application.agreement_signed_at is None:
            application.agreement_signed_at, application.updated_at = item.occurred_at, self.now
            self.signed[application.pk] = application
        if application.status == S.AWAITING_AGREEMENT:
            self._transition(application, "sign_agreement", item)
        else:
            self.events.append(ApplicationEvent(
                subject=application, transition="agreement_signed", source=application.status,
                target=application.status, created_at=self.now,
                comment=item.details or _("Договор о намерениях подписан всеми сторонами на РР.")))
        return "updated"

    def _service_terminated(self, application: Application, item: _EventRow, result: ImportResult) -> str:
        if application.status == S.SERVICE_TERMINATED:
            return "unchanged"
        if application.is_final:
            return _final(application, item, result)
        self._transition(application, "terminate_service", item, when=item.occurred_at, reason=item.details)
        return "updated"

    def _employed(self, application: Application, item: _EventRow, result: ImportResult) -> str:
        if application.status == S.EMPLOYED:
            return "unchanged"
        if application.status != S.AWAITING_EMPLOYMENT:
            result.reject(item.row.number, "event", _(
                "Трудоустройство принимается в статусе «%(expected)s», а заявка %(number)s в статусе «%(status)s».")
                % {"expected": S.AWAITING_EMPLOYMENT.label, "number": application.rr_number,
                   "status": application.get_status_display()})
            return ""
        self._transition(application, "employ", item, when=item.occurred_at)
        return "updated"


def _final(application: Application, item: _EventRow, result: ImportResult) -> str:
    result.reject(item.row.number, "event", _("Заявка %(number)s уже в финальном статусе «%(status)s».")
                  % {"number": application.rr_number, "status": application.get_status_display()})
    return ""


# Entry point ----------------------------------------------------------------------------------

FEEDS: dict[str, type[Feed]] = {"applications": ApplicationFeed, "events": RREventFeed}


def rr_import(*, kind: str, source: bytes | Path, name: str = "", dry_run: bool = False,
              batch_size: int = BATCH_SIZE, initiator: str = "", user=None) -> ImportResult:
    """Import one РР file (`kind`: applications or events). Returns counts, row errors and the
    exit code; `dry_run` rolls everything back (the admin's preview). Each real run is recorded as
    a core ImportRun (`initiator` says who ran it: the command and OS user, or `user` in the
    admin); a file already imported cleanly is recorded as a duplicate and not processed again."""
    try:
        feed = FEEDS[kind]()
    except KeyError:
        raise UnknownFeed(_("Неизвестный вид файла РР «%(kind)s»: ожидается %(kinds)s.")
                          % {"kind": kind, "kinds": ", ".join(FEEDS)}) from None
    if isinstance(source, Path):
        name = name or source.name
    source = load_source(source)

    def run(data: bytes | Path) -> ImportResult:
        return import_data(data, feed, name=name, batch_size=batch_size, dry_run=dry_run)

    with translation.override(settings.LANGUAGE_CODE):  # reasons and history in Russian, whoever imports
        result = run_recorded(feed, source="rr", kind=kind, data=source, name=name, initiator=initiator, user=user,
                              dry_run=dry_run, run=run)
    if result.unusable:
        result.sha256 = ""
    logger.info("rr import %s%s by %s: file %s sha256 %s, %s, exit %d%s", kind, " (dry run)" if dry_run else "",
                initiator or "?", name, result.sha256, dict(result.counts), result.exit_code,
                f", duplicate of run {result.duplicate_of}" if result.duplicate_of else "")
    return result
