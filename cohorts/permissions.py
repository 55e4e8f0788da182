"""Who may do what with a cohort's reporting documents, as functions of `user.access`. Seeing a
document is its QuerySet's `visible_to` through core.access (404 otherwise); these rules decide
who acts (403 otherwise). The operator generates assignments and reports, reviews and counter-signs
acts; the partner signs assignments, generates acts, uploads the journal, signs acts."""


def may_view_cohorts(user) -> bool:
    access = user.access
    return user.is_authenticated and (user.is_superuser or access.is_partner_staff or access.sees_all_partners)


def is_operator(user) -> bool:
    return user is not None and (user.is_superuser or user.access.is_operator)


def is_partner_of(user, partner_id: int) -> bool:
    return user is not None and (user.is_superuser or partner_id in user.access.partner_ids)
