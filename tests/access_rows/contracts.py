"""Access matrix rows of the money side (programs: contracts, add-ons, cost proposals) and of the
generic document downloads. Objects belong to partner B and are in statuses B's staff can see, so
staff_a gets 404 everywhere (not its tenant), staff_b sees them, the operator sees everything."""
from documents.models import Signature
from programs.models import AddOnAgreement, CostProposal, TrainingContract
from tests.access_rows import FORM, row
from tests.programs.factories import CostProposalFactory
from tests.programs.test_contract_support import addon_in, awaiting_program, contract_in, ready_document

# anonymous, citizen, staff_a, staff_b, employment_reviewer, operator_reviewer
CONTRACT = ("contract_b",)
ADDON = ("addon_b",)
PROPOSAL = ("cost_proposal_b",)
OPERATOR_POST = {"expect": (302, 404, 404, 403, 404, 302), "method": "post"}
PARTNER_POST = {"expect": (302, 404, 404, 302, 404, 403), "method": "post"}
SEEN_BY_B = (302, 404, 404, 200, 404, 200)


def _row(expect, **kwargs):
    return row(*expect, **kwargs)


ROWS = {
    "programs:contract_list": row(302, 403, 200, 200, 403, 200),
    "programs:contract_create": row(302, 403, 403, 403, 403, 200, auditor=403, methods=FORM),
    "programs:contract_detail": _row(SEEN_BY_B, args=CONTRACT),
    "programs:contract_regenerate": _row(**OPERATOR_POST, args=CONTRACT),
    "programs:contract_sign_operator": _row(**OPERATOR_POST, args=CONTRACT),
    "programs:contract_sign_partner": _row(**PARTNER_POST, args=CONTRACT),
    "programs:contract_register": _row(**OPERATOR_POST, args=CONTRACT),
    "programs:contract_file": _row(SEEN_BY_B, args=("contract_b", "contracts_which_pdf")),
    "programs:addon_create": _row(**OPERATOR_POST, args=CONTRACT),
    "programs:cost_proposal_create": _row((302, 404, 404, 200, 404, 403), args=CONTRACT, methods=FORM),
    "programs:addon_detail": _row(SEEN_BY_B, args=ADDON),
    "programs:addon_generate": _row(**OPERATOR_POST, args=ADDON),
    "programs:addon_regenerate": _row(**OPERATOR_POST, args=ADDON),
    "programs:addon_sign_operator": _row(**OPERATOR_POST, args=ADDON),
    "programs:addon_sign_partner": _row(**PARTNER_POST, args=ADDON),
    "programs:addon_set_date": _row(**OPERATOR_POST, args=ADDON),
    "programs:addon_file": _row(SEEN_BY_B, args=("addon_b", "contracts_which_sig_operator")),
    "programs:cost_proposal_detail": _row(SEEN_BY_B, args=PROPOSAL),
    # Not rejected: the partner is sent back to the page with a message.
    "programs:cost_proposal_edit": _row((302, 404, 404, 302, 404, 403), args=PROPOSAL, methods=FORM),
    "programs:cost_proposal_sign": _row(**PARTNER_POST, args=PROPOSAL),
    "programs:cost_proposal_regenerate": _row(**PARTNER_POST, args=PROPOSAL),
    "programs:cost_proposal_approve": _row(**OPERATOR_POST, args=PROPOSAL),
    "programs:cost_proposal_reject": _row(**OPERATOR_POST, args=PROPOSAL),
    "programs:cost_proposal_file": _row(SEEN_BY_B, args=("cost_proposal_b", "contracts_which_calculation")),
    # The admin's links: operator reviewers (and ops) only; everyone else may not know the file exists.
    "documents:download": row(302, 404, 404, 404, 404, 200, args=("contracts_document_b",)),
    "documents:signature_download": row(302, 404, 404, 404, 404, 200, args=("contracts_signature_b",)),
}


def objects(world) -> dict:
    partner, campaign = world["partner_b"], world["campaign"]
    program = awaiting_program(partner, campaign)
    contract = contract_in(TrainingContract.Status.REGISTERED, partner=partner, campaign=campaign,
                           operator_org=world["operator_org"], programs=[program])
    addon = addon_in(AddOnAgreement.Status.SIGNED_BY_OPERATOR, contract=contract,
                     programs=[awaiting_program(partner, campaign)])
    proposal = CostProposalFactory(program=program, contract=contract, status=CostProposal.Status.SIGNED_BY_PARTNER)
    proposal.document = ready_document(kind="cost_proposal", title=str(proposal))
    proposal.save(update_fields=["document"])
    return {
        "contract_b": contract, "addon_b": addon, "cost_proposal_b": proposal,
        "contracts_document_b": contract.document,
        "contracts_signature_b": contract.document.signatures.get(party=Signature.Party.PARTNER),
        "contracts_which_pdf": "pdf", "contracts_which_sig_operator": "sig-operator",
        "contracts_which_calculation": "calculation",
    }
