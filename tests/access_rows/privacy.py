"""Access-matrix rows of the privacy pages (privacy/urls.py): the public policy; withdraw consent,
download everything held about oneself. The latter two are for citizens only — staff get 403
before anything is looked up; the subject is always the logged-in citizen's own (no object in the
URL), so the second citizen gets their own page too. Both citizen personas have a citizen record
(the cabinet's objects and the matrix's `citizen_b` fixture).
"""
from tests.access_rows import FORM, row

# anonymous, citizen, staff_a, staff_b, employment_reviewer, operator_reviewer
CITIZEN_ONLY = (302, 200, 403, 403, 403, 403)

ROWS = {
    # The personal-data policy is public (linked from every page's footer, the login page included).
    "privacy:policy": row(200, 200, 200, 200, 200, 200),
    "privacy:consent_withdraw": row(*CITIZEN_ONLY, methods=FORM),
    "privacy:subject_data": row(*CITIZEN_ONLY),
}
