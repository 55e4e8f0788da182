"""When a program may go to Работа России: approved in a region (`awaiting_contract`), included
in a registered training contract (directly or by a signed add-on agreement) and priced by an
approved cost proposal (reference §2.5)."""
from django.db import transaction

from core.fsm import run_transition
from programs.models import AddOnAgreement, CostProposal, Program, TrainingContract


def program_is_contracted(program: Program) -> bool:
    registered = TrainingContract.Status.REGISTERED
    return (program.training_contracts.filter(status=registered).exists()
            or program.addon_agreements.filter(status=AddOnAgreement.Status.SIGNED_BY_BOTH,
                                               contract__status=registered).exists())


def program_has_approved_cost(program: Program) -> bool:
    return program.cost_proposals.filter(status=CostProposal.Status.APPROVED,
                                         contract__status=TrainingContract.Status.REGISTERED).exists()


@transaction.atomic
def program_refresh_readiness(*, program: Program) -> Program:
    """Move a program awaiting its contract to `ready_to_send` once both conditions hold. Called
    by every service that changes one of them; idempotent, and a no-op in any other status."""
    if program.status != Program.Status.AWAITING_CONTRACT:
        return program
    if program_is_contracted(program) and program_has_approved_cost(program):
        return run_transition(program, "make_ready", actor=None,
                              comment="Договор зарегистрирован, предложение о стоимости согласовано")
    return program
