"""Who may do what with applications on the partner's side: each rule once, as a function of
`user.access`. Seeing an application at all is `Application.objects.visible_to` through
core.access (404 otherwise); these rules decide what a user who sees it may do (403 otherwise).

Services check the rules and raise PermissionDenied; views compute the page's buttons from the
same functions together with `can_proceed`, so no rule is re-stated in a template.
"""
from enrollment.models import Application, ApplicationDocument

Kind = ApplicationDocument.Kind

# Signed papers an employment-service reviewer reads (reference §1.1): the enrolment documents the
# citizen signed and the contract signed by all parties; never passports, diplomas or blanks.
REVIEWER_KINDS = frozenset({*ApplicationDocument.ENROLMENT, Kind.ALL_PARTY_CONTRACT})

# Staff correct the citizen's data until the enrolment documents are approved (reference §3.3).
DATA_EDITABLE = frozenset({
    Application.Status.PRIMARY_DOCS_REQUIRED, Application.Status.PRIMARY_DOCS_REVIEW,
    Application.Status.PRIMARY_DOCS_REJECTED, Application.Status.ENROLMENT_DOCS_REQUIRED,
    Application.Status.ENROLMENT_DOCS_REVIEW, Application.Status.ENROLMENT_DOCS_REJECTED,
})
# The all-party contract arrives with the originals, after the enrolment documents are approved.
ALL_PARTY_CONTRACT_OPEN = frozenset({
    Application.Status.AWAITING_AGREEMENT, Application.Status.ENROLMENT_ORDER_REQUIRED,
    Application.Status.STUDYING, Application.Status.WITHDRAWAL_REVIEW,
    Application.Status.OWN_REQUEST_ORDER_REQUIRED, Application.Status.FAILURE_ORDER_REQUIRED,
    Application.Status.COMPLETION_ORDER_REQUIRED, Application.Status.QUALIFICATION_DOC_REQUIRED,
    Application.Status.QUALIFICATION_SCAN_REQUIRED, Application.Status.AWAITING_EMPLOYMENT,
})
# The blanks are regenerated (corrected data, a failed render) until the enrolment documents are approved.
BLANKS_OPEN = frozenset({
    Application.Status.ENROLMENT_DOCS_REQUIRED, Application.Status.ENROLMENT_DOCS_REVIEW,
    Application.Status.ENROLMENT_DOCS_REJECTED,
})
QUALIFICATION_OPEN = frozenset({
    Application.Status.QUALIFICATION_DOC_REQUIRED, Application.Status.QUALIFICATION_SCAN_REQUIRED,
    Application.Status.AWAITING_EMPLOYMENT,
})


def may_view_applications(user) -> bool:
    """The applications list: any organisation role or ops; which rows is `visible_to`'s job."""
    return user.is_authenticated and (user.is_superuser or user.access.is_staff_member)


def is_application_partner(user, application: Application) -> bool:
    """Staff of the application's partner (or ops): check documents, correct data, decide
    withdrawal requests, upload the all-party contract and qualification documents."""
    return user is not None and (user.is_superuser or application.partner_id in user.access.partner_ids)


def may_replace_documents(user, application: Application) -> bool:
    """«Может заменять документы гражданина» for the application's partner (granted by the operator)."""
    return user is not None and (user.is_superuser
                                 or application.partner_id in user.access.replace_documents_partner_ids)


def may_support(user) -> bool:
    """The operator's support actions in the admin: recompute a status, render blanks again."""
    return user is not None and (user.is_superuser or user.access.is_operator)


def may_see_blanks(user, application: Application) -> bool:
    """Unsigned generated blanks: the partner, the operator and auditors, ops; never an
    employment-service reviewer (reference §1.1) unless they also work for the partner."""
    access = user.access
    return user.is_superuser or access.sees_all_partners or application.partner_id in access.partner_ids


def may_see_document(user, application: Application, kind: str) -> bool:
    """Scans: everyone who may see the application, except that employment-service reviewers read
    only the signed enrolment papers."""
    if may_see_blanks(user, application):
        return True
    return kind in REVIEWER_KINDS


def visible_kinds(user, application: Application) -> frozenset | None:
    """The document kinds `user` sees on the page (None: all of them)."""
    return None if may_see_blanks(user, application) else REVIEWER_KINDS


def may_see_personal_files(user, application: Application) -> bool:
    """Withdrawal requests' and qualification documents' scans: not for employment-service reviewers."""
    return may_see_blanks(user, application)


def may_see_passport(user, application: Application) -> bool:
    """Passport number, issue and department code (ACL-06): those who check or sign the enrolment
    papers — the partner, the operator and auditors, ops; an employment-service reviewer reads the
    signed papers, not the passport."""
    return may_see_blanks(user, application)


def may_send_messages(user) -> bool:
    """Mass notifications: partner staff write to their citizens; nobody else (the operator reads the log)."""
    return user.is_authenticated and user.access.is_partner_staff


def may_read_messages(user) -> bool:
    access = user.access
    return user.is_authenticated and (user.is_superuser or access.is_partner_staff or access.sees_all_partners)
