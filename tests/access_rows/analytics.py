"""Access matrix rows of the analytics page: every staff role sees it (each its own scope: the
operator everything, partner staff their partner's, the employment reviewer region 70's); a
citizen is refused; an anonymous visitor goes to the login page."""
from tests.access_rows import row

# anonymous, citizen, staff_a, staff_b, employment_reviewer, operator_reviewer
ROWS = {
    "analytics:overview": row(302, 403, 200, 200, 200, 200),
}
