"""Rows of the access matrix (tests/test_access_matrix.py), one module per app.

A module defines `ROWS = {"app:url_name": row(anonymous, citizen, staff_a, staff_b,
employment_reviewer, operator_reviewer, args=(...), method="post", data={...})}` and, when its
URLs name objects, `objects(world) -> dict` creating them from the shared world (personas and
`partner_a`, `partner_b`, `operator_org`, `employment_org`, `campaign`). Partner A and B staff,
the employment reviewer (region 70) and the operator are the personas; an `args` entry names a
world key whose pk (or value) goes into the URL.

Two more personas are derived, so that the hundreds of rows need not spell them out (every derived
status is checked by the matrix run like any other; a row overrides it with `auditor=` or
`citizen_b=` where the rule does not hold):

- `auditor` — a Membership with role AUDITOR in the operator organisation: reads what the operator
  reviewer reads, acts on nothing. Default: the operator reviewer's status for a GET; for a POST
  the operator's refusal (403/404) as is, and 403 where the operator would succeed.
- `citizen_b` — a second citizen with an application of their own. Default: the first citizen's
  status, except that a URL naming an object the first citizen may open (a row with `args` the
  citizen gets 200/302 on) is 404 — another citizen's object does not exist for them (ACL-08).

`methods` lists the HTTP methods the view serves (default: just `method`); every other method is
refused (tests/test_access_matrix.py::test_undeclared_methods_are_refused). A form page served by
GET also takes its POST: such rows say `methods=("get", "post")`.
"""
import re
from dataclasses import dataclass, field

BASE_PERSONAS = ("anonymous", "citizen", "staff_a", "staff_b", "employment_reviewer", "operator_reviewer")
PERSONAS = (*BASE_PERSONAS, "auditor", "citizen_b")
SUCCESS = (200, 302)
FORM = ("get", "post")  # `methods` of a form page: GET shows it, POST submits it


@dataclass(frozen=True)
class Rule:
    expect: dict[str, int]
    args: tuple[str, ...] = ()  # world keys whose pk (or value) goes into the URL
    method: str = "get"
    data: dict = field(default_factory=dict)
    methods: tuple[str, ...] = ()  # every method the view serves; () means just `method`

    @property
    def served(self) -> tuple[str, ...]:
        return self.methods or (self.method,)


def _auditor(expect: dict[str, int], method: str) -> int:
    operator = expect["operator_reviewer"]
    if method == "get" or operator not in SUCCESS:
        return operator
    return 403


def _citizen_b(expect: dict[str, int], args: tuple) -> int:
    citizen = expect["citizen"]
    if args and citizen in SUCCESS:
        return 404
    return citizen


def row(anonymous, citizen, staff_a, staff_b, employment_reviewer, operator_reviewer, *,
        auditor=None, citizen_b=None, **kwargs) -> Rule:
    expect = dict(zip(BASE_PERSONAS, (anonymous, citizen, staff_a, staff_b, employment_reviewer,
                                      operator_reviewer), strict=True))
    expect["auditor"] = auditor if auditor is not None else _auditor(expect, kwargs.get("method", "get"))
    expect["citizen_b"] = citizen_b if citizen_b is not None else _citizen_b(expect, kwargs.get("args", ()))
    return Rule(expect, **kwargs)


# Tables a request may write to without changing the application's state (ACL-03, ACL-11):
# - django_session: the session middleware saves a session that a view touched (messages, the
#   language, the login's rotation) — bookkeeping of the visitor, not of the data;
# - axes_*: django-axes records login attempts and access for the lockout (AUT rules);
# - privacy_auditevent: the audit trail records reads and refusals (LOG-03) — a read leaving a
#   trace is the point of it.
ALLOWED_WRITE_TABLES = ("django_session", "axes_", "privacy_auditevent")
_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([\w.]+)"?', re.IGNORECASE)


def data_writes(queries) -> list[str]:
    """The INSERT/UPDATE/DELETE statements of a CaptureQueriesContext, minus the allowed tables."""
    found = []
    for query in queries:
        match = _WRITE.match(query["sql"])
        if match and not match.group(1).startswith(ALLOWED_WRITE_TABLES):
            found.append(query["sql"][:200])
    return found
