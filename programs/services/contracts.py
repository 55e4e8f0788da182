"""The money side of programs (reference §2.6–2.8, §6.1–6.2): training contracts with their quota,
add-on agreements and cost proposals.

Every step is one service: it checks the role (programs.selectors_contracts), runs the transition
through `core.fsm.run_transition` (history row included), stores signatures through
`documents.services`, queues PDFs and e-mails on commit, and refreshes the readiness of the programs
concerned. Quota reservations (`contract_reserve`, `contract_release`) are single conditional UPDATEs,
backed by the contract's check constraints, so concurrent reservations can never overdraw it.
"""
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, Signatory
from core import formats
from core.fsm import InvalidTransition, run_transition
from core.mail import send_templated_mail
from documents.models import GeneratedDocument, Signature
from documents.selectors import signatory_for
from documents.services import document_create, document_enqueue, document_render, signature_store
from documents.validators import validate_pdf_file
from programs import selectors_contracts as selectors
from programs.models import AddOnAgreement, CostProposal, Program, TrainingContract
from programs.services.readiness import program_refresh_readiness

DOC_CONTRACT = "training_contract"
DOC_ADDON = "addon_agreement"
DOC_COST_PROPOSAL = "cost_proposal"
CONTRACT_TEMPLATE = "pdf/programs/training_contract.html"
ADDON_TEMPLATE = "pdf/programs/addon_agreement.html"
COST_PROPOSAL_TEMPLATE = "pdf/programs/cost_proposal.html"
ANALOGUES_REQUIRED = 3
ANALOGUE_FIELDS = ("title", "organization", "url", "price")


# Roles and small helpers ----------------------------------------------------------------------

def _require_operator(actor) -> None:
    if not selectors.may_manage_contracts(actor):
        raise PermissionDenied


def _require_partner(actor, partner_id: int) -> None:
    if not selectors.is_contract_partner(actor, partner_id):
        raise PermissionDenied


def _operator_organization(actor) -> Organization:
    """The operator on whose behalf `actor` works (ops without a membership: the first operator)."""
    operators = Organization.objects.filter(kind=Organization.Kind.OPERATOR, is_active=True).order_by("pk")
    if actor is not None and actor.access.operator_ids:
        operators = operators.filter(pk__in=actor.access.operator_ids)
    operator = operators.first()
    if operator is None:
        raise ValidationError(_("В Flow не заведён федеральный оператор."), code="no_operator")
    return operator


def _enqueue_render(task_name: str, document: GeneratedDocument) -> None:
    from programs import tasks

    document_enqueue(document.pk, getattr(tasks, task_name))


def _absolute(obj) -> str:
    return settings.SITE_URL + selectors.detail_url(obj)


def _notify(recipients, *, template: str, context: dict) -> None:
    for email, first_name in recipients:
        send_templated_mail(to=email, template=template, context={**context, "user_name": first_name})


def _today():
    return timezone.localdate()


# Training contracts ---------------------------------------------------------------------------

@transaction.atomic
def contract_generate(*, actor, partner: Organization, campaign, number: str, contract_date, valid_until,
                      quota_money: Decimal, quota_seats: int, programs) -> TrainingContract:
    """The operator generates a contract for a partner's programs awaiting one; the PDF is rendered
    by a task. Refused before anything is written when nobody may sign it on the contract date."""
    _require_operator(actor)
    programs = list(programs)
    number = number.strip()
    _check_contract_terms(number=number, contract_date=contract_date, valid_until=valid_until,
                          quota_money=quota_money, quota_seats=quota_seats)
    if partner.kind != Organization.Kind.PARTNER:
        raise ValidationError(_("Договор заключается с образовательным партнёром."), code="not_partner")
    _check_programs(programs, selectors.programs_without_contract(partner=partner, campaign=campaign))
    operator_signatory = signatory_for(organization=_operator_organization(actor),
                                       document_type=Signatory.DocumentType.TRAINING_CONTRACT, on=contract_date)
    partner_signatory = signatory_for(organization=partner, document_type=Signatory.DocumentType.TRAINING_CONTRACT,
                                      on=contract_date)
    try:
        with transaction.atomic():
            contract = TrainingContract.objects.create(
                campaign=campaign, partner=partner, number=number, contract_date=contract_date,
                valid_until=valid_until, quota_money=quota_money, quota_seats=quota_seats,
                operator_signatory=operator_signatory, partner_signatory=partner_signatory)
    except IntegrityError:
        raise _number_taken(number, campaign) from None
    contract.programs.set(programs)
    _contract_new_document(contract, actor=actor, transition="generate")
    return contract


def _check_contract_terms(*, number, contract_date, valid_until, quota_money, quota_seats) -> None:
    errors = []
    if not number:
        errors.append(_("Укажите номер договора."))
    if valid_until < contract_date:
        errors.append(_("Срок действия договора не может закончиться раньше даты договора."))
    if quota_money <= 0 or quota_seats <= 0:
        errors.append(_("Квота в рублях и в местах должна быть больше нуля."))
    if errors:
        raise ValidationError(errors, code="invalid_terms")


def _number_taken(number: str, campaign) -> ValidationError:
    return ValidationError(_("Договор № %(number)s в кампании «%(campaign)s» уже есть.")
                           % {"number": number, "campaign": campaign}, code="number_taken")


def _check_programs(programs: list[Program], allowed) -> None:
    if not programs:
        raise ValidationError(_("Выберите хотя бы одну программу."), code="no_programs")
    allowed_ids = set(allowed.values_list("pk", flat=True))
    wrong = [str(program) for program in programs if program.pk not in allowed_ids]
    if wrong:
        raise ValidationError(
            _("Эти программы нельзя включить: %(programs)s. Включаются только программы партнёра, ожидающие "
              "договора и ещё не включённые в договор или дополнительное соглашение.")
            % {"programs": "; ".join(wrong)}, code="wrong_programs")


def _contract_new_document(contract: TrainingContract, *, actor, transition: str, source: str = "") -> None:
    document = document_create(kind=DOC_CONTRACT, title=str(contract), number=contract.number, actor=actor)
    contract.document = document
    contract.save(update_fields=["document", "operator_signatory", "partner_signatory", "updated_at"])
    contract.events.create(actor=actor, transition=transition, source=source, target=contract.status)
    _enqueue_render("contract_render_task", document)


@transaction.atomic
def contract_document_regenerate(*, actor, contract: TrainingContract) -> TrainingContract:
    """Render the contract again (a failed render, corrected requisites or signatories) while the
    operator has not signed it yet; the previous document is kept, no longer current."""
    _require_operator(actor)
    contract = TrainingContract.objects.select_for_update().get(pk=contract.pk)
    if contract.status != TrainingContract.Status.GENERATED:
        raise InvalidTransition(_("Договор уже подписан: сформировать его заново нельзя."), code="invalid_transition")
    contract.operator_signatory = signatory_for(
        organization=_operator_organization(actor), document_type=Signatory.DocumentType.TRAINING_CONTRACT,
        on=contract.contract_date)
    contract.partner_signatory = signatory_for(
        organization=contract.partner, document_type=Signatory.DocumentType.TRAINING_CONTRACT,
        on=contract.contract_date)
    _contract_new_document(contract, actor=actor, transition="regenerate", source=contract.status)
    return contract


def contract_document_render(*, document_id: int) -> GeneratedDocument:
    """Task body: render the contract PDF from its Russian template."""
    return document_render(document_id=document_id, template_name=CONTRACT_TEMPLATE,
                           context_builder=contract_pdf_context)


def contract_pdf_context(document: GeneratedDocument) -> dict:
    contract = _owner(TrainingContract.objects.select_related(
        "partner", "campaign", "operator_signatory__organization", "partner_signatory"), document)
    return {
        "contract": contract, "operator": contract.operator_signatory.organization, "partner": contract.partner,
        "operator_signatory": contract.operator_signatory, "partner_signatory": contract.partner_signatory,
        "programs": _program_rows(contract.programs.order_by("title", "pk")),
        "quota_money": formats.money(contract.quota_money), "quota_seats": contract.quota_seats,
    }


def _owner(queryset, document: GeneratedDocument):
    owner = queryset.filter(document=document).first()
    if owner is None:
        raise ValueError(f"document {document.pk} is no longer the current document of its owner")
    return owner


def _program_rows(programs) -> list[dict]:
    return [{"title": program.title, "kind": program.get_kind_display(), "hours": program.academic_hours,
             "document_issued": program.document_issued} for program in programs]


@transaction.atomic
def contract_sign_by_operator(*, actor, contract: TrainingContract, file) -> TrainingContract:
    """The operator uploads its detached signature; from now on the partner sees the contract and
    its staff are told to sign it."""
    _require_operator(actor)
    contract = run_transition(contract, "sign_by_operator", actor=actor, comment=_signature_comment(file))
    signature_store(document=contract.document, party=Signature.Party.OPERATOR, file=file, actor=actor)
    _notify(selectors.partner_recipients(contract.partner_id), template="emails/contracts/to_sign",
            context={"title": contract.document.title, "url": _absolute(contract)})
    return contract


@transaction.atomic
def contract_sign_by_partner(*, actor, contract: TrainingContract, file) -> TrainingContract:
    """The partner uploads its detached signature; the operator's reviewers are told."""
    _require_partner(actor, contract.partner_id)
    contract = run_transition(contract, "sign_by_partner", actor=actor, comment=_signature_comment(file))
    signature_store(document=contract.document, party=Signature.Party.PARTNER, file=file, actor=actor)
    _notify(selectors.operator_recipients(contract), template="emails/contracts/signed_by_partner",
            context={"title": contract.document.title, "partner": contract.partner, "url": _absolute(contract)})
    return contract


def _signature_comment(file) -> str:
    return _("Загружена подпись: %(name)s") % {"name": getattr(file, "name", "")}


@transaction.atomic
def contract_register(*, actor, contract: TrainingContract, number: str, date) -> TrainingContract:
    """The operator records the public-procurement registration; the contract's programs that also
    have an approved cost proposal become ready to send."""
    _require_operator(actor)
    number = number.strip()
    if not number:
        raise ValidationError(_("Укажите реестровый номер."), code="no_number")
    if date < contract.contract_date or date > _today():
        raise ValidationError(_("Дата регистрации должна быть не раньше даты договора и не позже сегодняшнего дня."),
                              code="bad_date")
    contract = run_transition(contract, "register", actor=actor, number=number, date=date,
                              comment=_("Реестровый номер %(number)s от %(date)s")
                              % {"number": number, "date": date.strftime("%d.%m.%Y")})
    for program in selectors.contracted_programs(contract):
        program_refresh_readiness(program=program)
    return contract


# Quota ----------------------------------------------------------------------------------------

def contract_reserve(*, contract: TrainingContract, money: Decimal, seats: int = 1) -> TrainingContract:
    """Reserve `money` and `seats` of a registered contract's quota (an application bound to it).
    One conditional UPDATE: of two concurrent reservations for the last seat, exactly one matches;
    the database's check constraints back this up. Raises a Russian ValidationError when the
    remaining quota is too small. Returns the contract with fresh figures."""
    money, seats = _check_amounts(money, seats)
    updated = TrainingContract.objects.filter(
        pk=contract.pk, status=TrainingContract.Status.REGISTERED,
        reserved_money__lte=F("quota_money") - money, reserved_seats__lte=F("quota_seats") - seats,
    ).update(reserved_money=F("reserved_money") + money, reserved_seats=F("reserved_seats") + seats,
             updated_at=timezone.now())
    fresh = TrainingContract.objects.get(pk=contract.pk)
    if not updated:
        if fresh.status != TrainingContract.Status.REGISTERED:
            raise ValidationError(_("Договор № %(number)s ещё не зарегистрирован: резервировать квоту по нему нельзя.")
                                  % {"number": fresh.number}, code="contract_not_registered")
        raise ValidationError(
            _("Квота договора № %(number)s исчерпана: осталось %(money)s руб. и мест: %(seats)s.")
            % {"number": fresh.number, "money": formats.money(fresh.remaining_money), "seats": fresh.remaining_seats},
            code="quota_exhausted")
    return fresh


def contract_release(*, contract: TrainingContract, money: Decimal, seats: int = 1) -> TrainingContract:
    """Return a reservation to the quota (an application withdrawn or rejected). Never below zero."""
    money, seats = _check_amounts(money, seats)
    updated = TrainingContract.objects.filter(
        pk=contract.pk, reserved_money__gte=money, reserved_seats__gte=seats,
    ).update(reserved_money=F("reserved_money") - money, reserved_seats=F("reserved_seats") - seats,
             updated_at=timezone.now())
    if not updated:
        raise ValidationError(_("Нельзя вернуть в квоту больше, чем зарезервировано."), code="release_too_much")
    return TrainingContract.objects.get(pk=contract.pk)


def _check_amounts(money, seats) -> tuple[Decimal, int]:
    money, seats = Decimal(money), int(seats)
    if money < 0 or seats < 0 or (money == 0 and seats == 0):
        raise ValidationError(_("Сумма и число мест не могут быть отрицательными, и хотя бы одно больше нуля."),
                              code="bad_amount")
    return money, seats


# Add-on agreements ----------------------------------------------------------------------------

def _check_addon_allowed(contract: TrainingContract) -> None:
    if contract.status not in selectors.ADDON_CONTRACT_STATUSES:
        raise ValidationError(_("Дополнительное соглашение заключается к договору, подписанному двумя сторонами."),
                              code="contract_not_signed")
    if contract.remaining_money <= 0 or contract.remaining_seats <= 0:
        raise ValidationError(
            _("Квота договора № %(number)s исчерпана (осталось %(money)s руб., мест: %(seats)s): "
              "для новых программ нужен новый договор.")
            % {"number": contract.number, "money": formats.money(contract.remaining_money),
               "seats": contract.remaining_seats}, code="quota_exhausted")


@transaction.atomic
def addon_create(*, actor, contract: TrainingContract, programs) -> AddOnAgreement:
    """The operator opens an add-on agreement (ready to generate) for programs approved after the
    contract, while its quota is not used up."""
    _require_operator(actor)
    contract = TrainingContract.objects.select_for_update().get(pk=contract.pk)
    _check_addon_allowed(contract)
    programs = list(programs)
    _check_programs(programs, selectors.addon_candidate_programs(contract))
    number = (contract.addons.aggregate(last=Max("number"))["last"] or 0) + 1
    addon = AddOnAgreement.objects.create(contract=contract, number=number)
    addon.programs.set(programs)
    addon.events.create(actor=actor, transition="create", source="", target=addon.status)
    return addon


@transaction.atomic
def addon_generate(*, actor, addon: AddOnAgreement, programs=None) -> AddOnAgreement:
    """The operator picks the programs (by default those chosen when it was opened) and generates
    the agreement's PDF."""
    _require_operator(actor)
    contract = TrainingContract.objects.select_for_update().get(pk=addon.contract_id)
    _check_addon_allowed(contract)
    addon = run_transition(addon, "generate", actor=actor)
    if programs is not None:
        programs = list(programs)
        _check_programs(programs, selectors.addon_candidate_programs(contract, addon=addon))
        addon.programs.set(programs)
    elif not addon.programs.exists():
        raise ValidationError(_("Выберите хотя бы одну программу."), code="no_programs")
    _addon_check_signatories(contract)
    _addon_new_document(addon, actor=actor)
    return addon


def _contract_operator(contract: TrainingContract) -> Organization:
    """The operator party: the organisation of the operator's signatory (else the first operator)."""
    if contract.operator_signatory_id:
        return contract.operator_signatory.organization
    return _operator_organization(None)


def _addon_check_signatories(contract: TrainingContract) -> None:
    for organization in (_contract_operator(contract), contract.partner):
        signatory_for(organization=organization, document_type=Signatory.DocumentType.TRAINING_CONTRACT,
                      on=_today())


def _addon_new_document(addon: AddOnAgreement, *, actor) -> None:
    document = document_create(kind=DOC_ADDON, title=str(addon), number=str(addon.number), actor=actor)
    addon.document = document
    addon.save(update_fields=["document", "updated_at"])
    _enqueue_render("addon_render_task", document)


@transaction.atomic
def addon_document_regenerate(*, actor, addon: AddOnAgreement) -> AddOnAgreement:
    """Render a generated (not yet signed) add-on agreement again; the old document is kept."""
    _require_operator(actor)
    addon = AddOnAgreement.objects.select_for_update().get(pk=addon.pk)
    if addon.status != AddOnAgreement.Status.GENERATED:
        raise InvalidTransition(_("Соглашение уже подписано: сформировать его заново нельзя."),
                                code="invalid_transition")
    _addon_check_signatories(addon.contract)
    _addon_new_document(addon, actor=actor)
    addon.events.create(actor=actor, transition="regenerate", source=addon.status, target=addon.status)
    return addon


def addon_document_render(*, document_id: int) -> GeneratedDocument:
    return document_render(document_id=document_id, template_name=ADDON_TEMPLATE, context_builder=addon_pdf_context)


def addon_pdf_context(document: GeneratedDocument) -> dict:
    addon = _owner(AddOnAgreement.objects.select_related(
        "contract__partner", "contract__operator_signatory__organization"), document)
    contract, day = addon.contract, timezone.localdate(document.created_at)
    operator = _contract_operator(contract)
    return {
        "addon": addon, "contract": contract, "operator": operator, "partner": contract.partner,
        "operator_signatory": signatory_for(organization=operator,
                                            document_type=Signatory.DocumentType.TRAINING_CONTRACT, on=day),
        "partner_signatory": signatory_for(organization=contract.partner,
                                           document_type=Signatory.DocumentType.TRAINING_CONTRACT, on=day),
        "programs": _program_rows(addon.programs.order_by("title", "pk")),
        "quota_money": formats.money(contract.quota_money), "quota_seats": contract.quota_seats,
    }


@transaction.atomic
def addon_sign_by_operator(*, actor, addon: AddOnAgreement, file) -> AddOnAgreement:
    _require_operator(actor)
    addon = run_transition(addon, "sign_by_operator", actor=actor, comment=_signature_comment(file))
    signature_store(document=addon.document, party=Signature.Party.OPERATOR, file=file, actor=actor)
    _notify(selectors.partner_recipients(addon.contract.partner_id), template="emails/contracts/to_sign",
            context={"title": addon.document.title, "url": _absolute(addon)})
    return addon


@transaction.atomic
def addon_sign_by_partner(*, actor, addon: AddOnAgreement, file) -> AddOnAgreement:
    """The partner's signature; the operator then checks it and enters the signing date."""
    _require_partner(actor, addon.contract.partner_id)
    addon = run_transition(addon, "sign_by_partner", actor=actor, comment=_signature_comment(file))
    signature_store(document=addon.document, party=Signature.Party.PARTNER, file=file, actor=actor)
    _notify(selectors.operator_recipients(addon.contract), template="emails/contracts/signed_by_partner",
            context={"title": addon.document.title, "partner": addon.contract.partner, "url": _absolute(addon)})
    return addon


@transaction.atomic
def addon_set_signed_on(*, actor, addon: AddOnAgreement, signed_on) -> AddOnAgreement:
    """The operator enters the signing date read from the e-signature: signed by both; its programs
    become contracted (and ready to send once priced)."""
    _require_operator(actor)
    if signed_on < addon.contract.contract_date or signed_on > _today():
        raise ValidationError(_("Дата подписания должна быть не раньше даты договора и не позже сегодняшнего дня."),
                              code="bad_date")
    addon = run_transition(addon, "set_signed_on", actor=actor, signed_on=signed_on,
                           comment=signed_on.strftime("%d.%m.%Y"))
    for program in addon.programs.all():
        program_refresh_readiness(program=program)
    return addon


# Cost proposals -------------------------------------------------------------------------------

def clean_analogues(analogues, uniqueness_justification: str) -> list[dict]:
    """Three complete analogous programs (title, organisation, http(s) link, price), or fewer with a
    uniqueness justification (reference §6.2). Returns them normalised."""
    rows, errors = [], []
    for index, analogue in enumerate(analogues or [], start=1):
        values = {key: str((analogue or {}).get(key) or "").strip() for key in ANALOGUE_FIELDS}
        if not any(values.values()):
            continue
        try:
            _check_analogue(values)
        except ValidationError as error:
            errors += [_("Аналог %(n)s: %(error)s") % {"n": index, "error": message} for message in error.messages]
        rows.append(values)
    if len(rows) > ANALOGUES_REQUIRED:
        errors.append(_("Укажите не более трёх аналогичных программ."))
    if len(rows) < ANALOGUES_REQUIRED and not uniqueness_justification.strip():
        errors.append(_("Укажите три аналогичные программы других организаций или обоснуйте уникальность программы."))
    if errors:
        raise ValidationError(errors, code="analogues")
    return rows


def _check_analogue(values: dict) -> None:
    if not all(values.values()):
        raise ValidationError(_("заполните название, организацию, ссылку и стоимость."))
    URLValidator(schemes=["http", "https"], message=_("ссылка должна начинаться с http:// или https://."))(
        values["url"])
    try:
        price = Decimal(values["price"].replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    except ArithmeticError:
        raise ValidationError(_("стоимость должна быть числом.")) from None
    if not price.is_finite() or price <= 0:
        raise ValidationError(_("стоимость должна быть больше нуля."))
    values["price"] = str(price.quantize(Decimal("0.01")))


def _check_proposal_fields(*, price, analogues, uniqueness_justification, need_justification) -> list[dict]:
    errors = []
    if price is None or price <= 0:
        errors.append(_("Стоимость обучения одного человека должна быть больше нуля."))
    if not need_justification.strip():
        errors.append(_("Обоснуйте потребность в программе."))
    try:
        analogues = clean_analogues(analogues, uniqueness_justification)
    except ValidationError as error:
        errors += error.messages
    if errors:
        raise ValidationError(errors, code="invalid_proposal")
    return analogues


@transaction.atomic
def cost_proposal_create(*, actor, contract: TrainingContract, program: Program, valid_from, price: Decimal,
                         need_justification: str, analogues, uniqueness_justification: str = "",
                         calculation_file) -> CostProposal:
    """The partner proposes the price per citizen of a program under its registered contract (the
    program in the contract or in an add-on signed by both); the PDF is rendered by a task."""
    _require_partner(actor, contract.partner_id)
    if contract.status != TrainingContract.Status.REGISTERED:
        raise ValidationError(_("Предложение о стоимости подаётся по договору, зарегистрированному на Госзакупках."),
                              code="contract_not_registered")
    if not selectors.contracted_programs(contract).filter(pk=program.pk).exists():
        raise ValidationError(_("Программа не входит в договор или в подписанное дополнительное соглашение."),
                              code="program_not_contracted")
    if CostProposal.objects.filter(contract=contract, program=program).exists():
        raise ValidationError(_("Предложение о стоимости этой программы по этому договору уже подано."),
                              code="duplicate_proposal")
    analogues = _check_proposal_fields(price=price, analogues=analogues, need_justification=need_justification,
                                       uniqueness_justification=uniqueness_justification)
    signatory_for(organization=contract.partner, document_type=Signatory.DocumentType.COST_PROPOSAL, on=_today())
    data = validate_pdf_file(calculation_file)
    proposal = CostProposal(program=program, contract=contract, valid_from=valid_from, price=price,
                            need_justification=need_justification.strip(), analogues=analogues,
                            uniqueness_justification=uniqueness_justification.strip())
    proposal.calculation_file.save(f"calculation-{program.pk}-{contract.pk}.pdf", ContentFile(data), save=False)
    proposal.save()
    _proposal_new_document(proposal, actor=actor)
    proposal.events.create(actor=actor, transition="generate", source="", target=proposal.status)
    return proposal


def _proposal_new_document(proposal: CostProposal, *, actor) -> None:
    document = document_create(kind=DOC_COST_PROPOSAL, title=str(proposal), actor=actor)
    proposal.document = document
    proposal.save(update_fields=["document", "updated_at"])
    _enqueue_render("cost_proposal_render_task", document)


def cost_proposal_document_render(*, document_id: int) -> GeneratedDocument:
    return document_render(document_id=document_id, template_name=COST_PROPOSAL_TEMPLATE,
                           context_builder=cost_proposal_pdf_context)


def cost_proposal_pdf_context(document: GeneratedDocument) -> dict:
    proposal = _owner(CostProposal.objects.select_related("program", "contract__partner"), document)
    partner = proposal.contract.partner
    return {
        "proposal": proposal, "program": proposal.program, "contract": proposal.contract, "partner": partner,
        "partner_signatory": signatory_for(organization=partner, document_type=Signatory.DocumentType.COST_PROPOSAL,
                                           on=timezone.localdate(document.created_at)),
        "price": formats.money(proposal.price),
        "analogues": [{**a, "price": formats.money(Decimal(a["price"]))} for a in proposal.analogues],
    }


@transaction.atomic
def cost_proposal_sign(*, actor, proposal: CostProposal, file) -> CostProposal:
    """The partner uploads its signature of the proposal; it goes to the operator for review."""
    _require_partner(actor, proposal.contract.partner_id)
    proposal = run_transition(proposal, "sign", actor=actor, comment=_signature_comment(file))
    signature_store(document=proposal.document, party=Signature.Party.PARTNER, file=file, actor=actor)
    _notify(selectors.operator_recipients(proposal.contract), template="emails/contracts/signed_by_partner",
            context={"title": proposal.document.title, "partner": proposal.contract.partner,
                     "url": _absolute(proposal)})
    return proposal


@transaction.atomic
def cost_proposal_approve(*, actor, proposal: CostProposal, comment: str = "") -> CostProposal:
    """The operator approves the price: the program becomes ready to send once its contract is registered."""
    _require_operator(actor)
    proposal = run_transition(proposal, "approve", actor=actor, comment=comment.strip())
    program_refresh_readiness(program=proposal.program)
    _notify_decision(proposal)
    return proposal


@transaction.atomic
def cost_proposal_reject(*, actor, proposal: CostProposal, comment: str) -> CostProposal:
    """The operator rejects the proposal with a comment the partner sees; the partner corrects it."""
    _require_operator(actor)
    comment = comment.strip()
    if not comment:
        raise ValidationError(_("Укажите причину отклонения: её увидит образовательный партнёр."), code="no_comment")
    proposal = run_transition(proposal, "reject", actor=actor, comment=comment, reason=comment)
    _notify_decision(proposal)
    return proposal


def _notify_decision(proposal: CostProposal) -> None:
    _notify(selectors.partner_recipients(proposal.contract.partner_id),
            template="emails/contracts/cost_proposal_decided",
            context={"proposal": proposal, "title": str(proposal), "url": _absolute(proposal),
                     "approved": proposal.status == CostProposal.Status.APPROVED,
                     "comment": proposal.operator_comment})


@transaction.atomic
def cost_proposal_resubmit(*, actor, proposal: CostProposal, valid_from, price: Decimal, need_justification: str,
                           analogues, uniqueness_justification: str = "", calculation_file=None) -> CostProposal:
    """The partner corrects a rejected proposal (optionally with a new cost calculation; the old file
    is kept) and regenerates it: a new document, to be signed again and reviewed again."""
    _require_partner(actor, proposal.contract.partner_id)
    analogues = _check_proposal_fields(price=price, analogues=analogues, need_justification=need_justification,
                                       uniqueness_justification=uniqueness_justification)
    data = validate_pdf_file(calculation_file) if calculation_file else None
    signatory_for(organization=proposal.contract.partner, document_type=Signatory.DocumentType.COST_PROPOSAL,
                  on=_today())
    previous = proposal.document_id
    proposal = run_transition(proposal, "regenerate", actor=actor,
                              comment=_("Исправлено после отклонения; прежний документ № %(id)s") % {"id": previous})
    proposal.valid_from, proposal.price = valid_from, price
    proposal.need_justification, proposal.analogues = need_justification.strip(), analogues
    proposal.uniqueness_justification = uniqueness_justification.strip()
    if data is not None:
        version = proposal.events.count() + 1
        proposal.calculation_file.save(f"calculation-{proposal.program_id}-{proposal.contract_id}-v{version}.pdf",
                                       ContentFile(data), save=False)
    proposal.save()
    _proposal_new_document(proposal, actor=actor)
    return proposal


@transaction.atomic
def cost_proposal_document_regenerate(*, actor, proposal: CostProposal) -> CostProposal:
    """Render a generated (unsigned) proposal again, after a failed render; the old document is kept."""
    _require_partner(actor, proposal.contract.partner_id)
    proposal = CostProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != CostProposal.Status.GENERATED:
        raise InvalidTransition(_("Предложение уже подписано: сформировать его заново нельзя."),
                                code="invalid_transition")
    _proposal_new_document(proposal, actor=actor)
    proposal.events.create(actor=actor, transition="regenerate", source=proposal.status, target=proposal.status)
    return proposal


